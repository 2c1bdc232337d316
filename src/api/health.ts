/** `/healthz`: each dependency checked on its own, so an operator sees which one is down. */
import type { FastifyInstance } from 'fastify';

export interface DependencyCheck {
  name: string;
  /** Resolves when the dependency answers. */
  check(): Promise<unknown>;
}

/** A check that has not answered by then counts as unreachable. */
const CHECK_TIMEOUT_MS = 3_000;

async function probe(dep: DependencyCheck): Promise<string | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer in ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS)));
  try {
    await Promise.race([dep.check(), timeout]);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  } finally {
    clearTimeout(timer);
  }
}

export function healthRoute(app: FastifyInstance, dependencies: DependencyCheck[]): void {
  app.get('/healthz', async (request, reply) => {
    const results = await Promise.all(dependencies.map(async (dep) => [dep.name, await probe(dep)] as const));
    const down = results.filter(([, problem]) => problem !== undefined);
    for (const [name, problem] of down) request.log.warn({ dependency: name, problem }, 'health check failed');
    // Unauthenticated: names and verdicts only, no error text (it could reveal internal addresses).
    const body = { status: down.length === 0 ? 'ok' : 'unavailable', dependencies: Object.fromEntries(results.map(([name, problem]) => [name, problem === undefined ? 'ok' : 'unreachable'])) };
    return reply.code(down.length === 0 ? 200 : 503).send(body);
  });
}
