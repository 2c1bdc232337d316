/**
 * Scenario 3 — SIGKILL the API while clients post webhooks, start it again on the same port.
 *
 * Several client loops post webhooks over real HTTP, each with its own idempotency key. A post
 * that gets no answer (connection refused or reset, or no answer in time) is posted again, same
 * body and key, until it is answered. Expected: every webhook answered 202 or 200 is delivered,
 * exactly once, under one webhook-id per key; a key whose lost post had already reached Temporal
 * is answered 200 with the same id on the retry, and creates nothing more.
 */
import { Agent, request } from 'undici';
import { startReceiver, type Arrival } from '../helpers/receiver';
import { Checks, conclude, header, killAndWait, sleep, tally, waitForFinalStates, waitUntil, withTimeout, Stack, type Child, type ScenarioContext, type ScenarioResult } from './lib';

const CLIENTS = 8;
const PER_CLIENT = 60;
const TOTAL = CLIENTS * PER_CLIENT;
/** The API is killed when this many posts have been answered (three kills per run). */
const KILL_AFTER = [0.25, 0.5, 0.75].map((share) => Math.round(TOTAL * share));
/** How long one key may go unanswered before the scenario fails. */
const ANSWER_DEADLINE_MS = 60_000;
const POST_TIMEOUT_MS = 10_000;

interface Post {
  key: string;
  /** Attempts that got no answer. */
  unanswered: number;
  errors: string[];
  status?: number;
  id?: string;
  /** The id answered when the same key was posted once more after its answer. */
  repostStatus?: number;
  repostId?: string;
}

export async function apiKill(ctx: ScenarioContext): Promise<ScenarioResult> {
  const checks = new Checks();
  const stack = new Stack({ dir: ctx.dir, env: { HOOKFLOW_BREAKER_MIN_REQUESTS: '1000000' } });
  const receiver = await startReceiver(() => ({ status: 200 }));
  const http = new Agent({ connections: CLIENTS * 2, keepAliveTimeout: 10_000 });
  return conclude(checks, stack, async () => {
    await stack.startTemporal();
    const hookflow = await stack.connect();
    const worker = stack.startWorker();
    let api: Child = await stack.startApi();
    const base = (): string => `http://127.0.0.1:${stack.apiPort}`;

    let httpPosts = 0;
    const post = async (key: string, seq: number): Promise<{ status: number; id?: string } | { error: string }> => {
      httpPosts++;
      try {
        const res = await request(`${base()}/v1/webhooks`, {
          method: 'POST',
          dispatcher: http,
          headers: { authorization: `Bearer ${stack.apiKey}`, 'content-type': 'application/json' },
          body: JSON.stringify({
            url: `${receiver.url}/api-kill`,
            body: { key, seq },
            idempotencyKey: key,
            retry: { initialIntervalMs: 1_000, maxIntervalMs: 2_000, maxAttempts: 20 },
            timeoutMs: 5_000,
          }),
          headersTimeout: POST_TIMEOUT_MS,
          bodyTimeout: POST_TIMEOUT_MS,
        });
        const text = await res.body.text();
        const body = text ? (JSON.parse(text) as { id?: string }) : {};
        return { status: res.statusCode, id: body.id };
      } catch (err) {
        const e = err as { code?: string; message?: string };
        return { error: e.code ?? e.message ?? String(err) };
      }
    };

    const posts: Post[] = [];
    let answered = 0;
    const statusCounts: number[] = [];
    /** Posts until answered 202 or 200; every attempt without an answer is noted on `p`. */
    const postUntilAnswered = async (p: Post, seq: number): Promise<{ status: number; id?: string }> => {
      const deadline = Date.now() + ANSWER_DEADLINE_MS;
      for (;;) {
        const answer = await post(p.key, seq);
        if ('status' in answer) statusCounts.push(answer.status);
        if ('status' in answer && (answer.status === 202 || answer.status === 200)) return answer;
        // No answer, or a 5xx from an API that could not reach Temporal: post the same again.
        if ('status' in answer && answer.status < 500) throw new Error(`key ${p.key}: API answered ${answer.status}`);
        p.unanswered++;
        p.errors.push('error' in answer ? answer.error : `HTTP ${answer.status}`);
        if (Date.now() > deadline) throw new Error(`key ${p.key} unanswered for ${ANSWER_DEADLINE_MS} ms: ${p.errors.slice(-3).join(', ')}`);
        await sleep(100);
      }
    };
    const clientLoop = async (client: number): Promise<void> => {
      for (let i = 0; i < PER_CLIENT; i++) {
        const seq = client * PER_CLIENT + i;
        const p: Post = { key: `fault-api-${client}-${i}`, unanswered: 0, errors: [] };
        posts.push(p);
        const answer = await postUntilAnswered(p, seq);
        p.status = answer.status;
        p.id = answer.id;
        answered++;
        // A key that went unanswered is posted once more after its answer: it must change nothing.
        if (p.unanswered > 0) {
          const again = await postUntilAnswered(p, seq);
          p.repostStatus = again.status;
          p.repostId = again.id;
        }
      }
    };

    const postStart = Date.now();
    const clients = Array.from({ length: CLIENTS }, (_, c) => clientLoop(c));
    const done = Promise.all(clients);
    done.catch(() => undefined);
    const kills: string[] = [];
    for (const at of KILL_AFTER) {
      await Promise.race([
        waitUntil(`${at} posts to be answered`, 120_000, () => answered >= at, { intervalMs: 5, describe: () => `${answered} answered` }),
        done.then(() => {
          throw new Error(`the clients finished (${answered} answered) before the kill at ${at}`);
        }),
      ]);
      const inFlightAtKill = posts.filter((p) => p.status === undefined).length;
      await killAndWait(api, 'SIGKILL');
      const killedAt = Date.now();
      await sleep(500); // clients see connection refused meanwhile
      api = await stack.startApi();
      kills.push(`after ${answered} answers, ${inFlightAtKill} posts unanswered at the kill; API back in ${Date.now() - killedAt} ms`);
    }
    await withTimeout('the client loops to finish', 180_000, done);
    const postMs = Date.now() - postStart;

    const ids = [...new Set(posts.map((p) => p.id!))];
    await waitUntil(`all ${ids.length} webhooks to arrive`, 120_000, () => new Set(receiver.arrivals.map((a) => header(a, 'webhook-id'))).size >= ids.length, {
      intervalMs: 100,
      describe: () => `${new Set(receiver.arrivals.map((a) => header(a, 'webhook-id'))).size} arrived; worker ${worker.exitedWith ?? 'running'}`,
    });
    const states = await waitForFinalStates(hookflow, ids, 120_000);
    await sleep(1_000); // late duplicates, if any, would arrive now

    const arrivals = [...receiver.arrivals];
    const byKey = new Map<string, Arrival[]>();
    for (const a of arrivals) {
      const { key } = JSON.parse(a.body.toString()) as { key: string };
      byKey.set(key, [...(byKey.get(key) ?? []), a]);
    }
    const retried = posts.filter((p) => p.unanswered > 0);
    const distinctIds = new Set(arrivals.map((a) => header(a, 'webhook-id')));

    checks.count('clients × posts', `${CLIENTS} × ${PER_CLIENT} = ${TOTAL}`);
    for (const [i, k] of kills.entries()) checks.count(`kill ${i + 1}`, k);
    checks.count('HTTP posts made', httpPosts);
    checks.count('posts with no answer', posts.reduce((n, p) => n + p.unanswered, 0));
    checks.count('  by error', tally(posts.flatMap((p) => p.errors)));
    checks.count('answers by status', tally(statusCounts.map(String)));
    checks.count('keys answered 202 / 200', `${posts.filter((p) => p.status === 202).length} / ${posts.filter((p) => p.status === 200).length}`);
    checks.count('keys retried after no answer', retried.length);
    checks.count('  of which already stored (answered 200)', retried.filter((p) => p.status === 200).length);
    checks.count('receiver arrivals', arrivals.length);
    checks.count('distinct webhook-ids / distinct keys answered', `${distinctIds.size} / ${new Set(posts.map((p) => p.key)).size}`);
    checks.count('final statuses', tally([...states.values()].map((s) => s.status)));
    checks.count('posting took (ms)', postMs);

    checks.expect(posts.length === TOTAL && posts.every((p) => p.id), `${posts.filter((p) => p.id).length} of ${TOTAL} keys answered`);
    checks.expect(kills.length === KILL_AFTER.length && retried.length > 0, 'no post went unanswered: the kills hit nothing in flight');
    checks.expect(distinctIds.size === TOTAL, `${distinctIds.size} distinct webhook-ids arrived for ${TOTAL} keys`);
    checks.expect(ids.length === TOTAL, `${ids.length} distinct ids answered for ${TOTAL} keys`);
    const notDelivered = ids.filter((id) => states.get(id)?.status !== 'delivered');
    checks.expect(notDelivered.length === 0, `${notDelivered.length} answered webhooks not delivered: ${notDelivered.slice(0, 3).map((id) => `${id}=${states.get(id)?.status}`).join(', ')}`);
    const wrong = posts.filter((p) => {
      const list = byKey.get(p.key) ?? [];
      return list.length !== 1 || header(list[0], 'webhook-id') !== p.id;
    });
    checks.expect(
      wrong.length === 0,
      `${wrong.length} keys did not arrive exactly once under their answered id: ${wrong
        .slice(0, 3)
        .map((p) => `${p.key}: answered ${p.id}, arrived ${(byKey.get(p.key) ?? []).map((a) => header(a, 'webhook-id')).join(',') || 'never'}`)
        .join('; ')}`,
    );
    const badRepost = retried.filter((p) => p.repostStatus !== 200 || p.repostId !== p.id);
    checks.expect(
      badRepost.length === 0,
      `${badRepost.length} keys posted again after their answer did not get 200 with the same id: ${badRepost
        .slice(0, 3)
        .map((p) => `${p.key}: ${p.repostStatus} ${p.repostId} vs ${p.id}`)
        .join('; ')}`,
    );
  }, async () => {
    await http.close().catch(() => undefined);
    await receiver.close();
  });
}
