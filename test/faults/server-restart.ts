/**
 * Scenario 2 — stop the Temporal dev server mid-run (SIGTERM, then in a second scenario SIGKILL),
 * start it again on the same port with the same SQLite file: nothing lost.
 *
 * The receiver answers 503 to the first arrival of each webhook and 200 after, so at the stop
 * most webhooks are waiting for a retry timer, some are mid-attempt and some are delivered. The
 * worker is left alone: it must reconnect by itself (if it dies, the scenario starts it again and
 * says so).
 */
import { startReceiver, type Arrival } from '../helpers/receiver';
import {
  Checks,
  conclude,
  header,
  killAndWait,
  mapLimit,
  sleep,
  tally,
  waitForFinalStates,
  waitUntil,
  Stack,
  type Child,
  type ScenarioContext,
  type ScenarioResult,
} from './lib';

const WEBHOOKS = 300;
const MAX_CONCURRENT_SENDS = 50;
/** Stop the server once this share of the webhooks has had its first attempt. */
const STOP_AT = 0.4;
const DOWN_MS = 2_000;

export const serverTerm = (ctx: ScenarioContext): Promise<ScenarioResult> => serverRestart(ctx, 'SIGTERM');
export const serverKill = (ctx: ScenarioContext): Promise<ScenarioResult> => serverRestart(ctx, 'SIGKILL');

async function serverRestart(ctx: ScenarioContext, signal: 'SIGTERM' | 'SIGKILL'): Promise<ScenarioResult> {
  const checks = new Checks();
  const stack = new Stack({
    dir: ctx.dir,
    env: { HOOKFLOW_MAX_CONCURRENT_SENDS: String(MAX_CONCURRENT_SENDS), HOOKFLOW_BREAKER_MIN_REQUESTS: '1000000' },
  });
  const seenIds = new Map<string, number>();
  const answers: number[] = [];
  const receiver = await startReceiver((a) => {
    const id = header(a, 'webhook-id');
    const n = (seenIds.get(id) ?? 0) + 1;
    seenIds.set(id, n);
    const status = n === 1 ? 503 : 200;
    answers[a.n - 1] = status;
    return { status };
  });
  const delivered = (): number => new Set(receiver.arrivals.filter((a) => answers[a.n - 1] === 200).map((a) => header(a, 'webhook-id'))).size;
  return conclude(checks, stack, async () => {
    const temporal1 = await stack.startTemporal();
    const hookflow = await stack.connect();
    let worker: Child = stack.startWorker();
    await stack.waitForPoller(hookflow, worker);

    const ids = await mapLimit(
      Array.from({ length: WEBHOOKS }, (_, i) => i),
      50,
      async (seq) =>
        (
          await hookflow.send({
            url: `${receiver.url}/server-${signal.toLowerCase()}`,
            body: { seq },
            retry: { initialIntervalMs: 1_000, maxIntervalMs: 2_000, maxAttempts: 20 },
            timeoutMs: 5_000,
          })
        ).id,
    );
    await waitUntil(`${STOP_AT * 100} % of the webhooks to have a first attempt`, 120_000, () => seenIds.size >= WEBHOOKS * STOP_AT, {
      intervalMs: 10,
      describe: () => `${seenIds.size} had one`,
    });

    const atStop = { arrivals: receiver.arrivals.length, attempted: seenIds.size, delivered: delivered() };
    const stoppedAt = Date.now();
    const how = await killAndWait(temporal1, signal, 30_000);
    const exitMs = Date.now() - stoppedAt;
    await sleep(DOWN_MS);
    const atRestart = { arrivals: receiver.arrivals.length, delivered: delivered() };
    const restartAt = Date.now();
    await stack.startTemporal();
    const serverReadyMs = Date.now() - restartAt;

    // The worker should reconnect by itself.
    let workerRestarted = false;
    try {
      await stack.waitForPoller(hookflow, worker, 60_000);
    } catch (err) {
      workerRestarted = true;
      checks.note(`the worker did not come back by itself (${worker.exitedWith ?? 'still running, not polling'}): ${(err as Error).message}; started a new one`);
      if (worker.alive()) await killAndWait(worker, 'SIGKILL');
      worker = stack.startWorker();
      await stack.waitForPoller(hookflow, worker);
    }
    const pollingAgainMs = Date.now() - restartAt;

    await waitUntil(`all ${WEBHOOKS} webhooks to get their 200`, 180_000, () => delivered() >= WEBHOOKS, {
      intervalMs: 100,
      describe: () => `${delivered()} got a 200; worker ${worker.exitedWith ?? 'running'}`,
    });
    const states = await waitForFinalStates(hookflow, ids, 120_000);
    const recoveredMs = Date.now() - restartAt;
    await sleep(1_000); // let any late re-send show up in the counts

    const arrivals = [...receiver.arrivals];
    const byId = new Map<string, Arrival[]>();
    for (const a of arrivals) byId.set(header(a, 'webhook-id'), [...(byId.get(header(a, 'webhook-id')) ?? []), a]);
    const okTwice = [...byId].filter(([, list]) => list.filter((a) => answers[a.n - 1] === 200).length > 1);
    const recorded = [...states.values()].reduce((n, s) => n + s.attempts.length, 0);

    checks.count('webhooks sent', WEBHOOKS);
    checks.count(`at the ${signal}: attempted / got 200 / arrivals`, `${atStop.attempted} / ${atStop.delivered} / ${atStop.arrivals}`);
    checks.count('arrivals while the server was down', atRestart.arrivals - atStop.arrivals);
    checks.count('server exit', `${how} after ${exitMs} ms`);
    checks.count('server ready again after (ms)', serverReadyMs);
    checks.count('worker polling again after (ms)', `${pollingAgainMs}${workerRestarted ? ' (a NEW worker)' : ' (same process)'}`);
    checks.count('arrivals (503 + 200)', `${arrivals.length} (${answers.filter((s) => s === 503).length} + ${answers.filter((s) => s === 200).length})`);
    checks.count('distinct webhook-ids', byId.size);
    checks.count('webhooks that got a 200 more than once', okTwice.length);
    checks.count('attempts recorded / arrivals', `${recorded} / ${arrivals.length}`);
    checks.count('final statuses', tally([...states.values()].map((s) => s.status)));
    checks.count('restart → all delivered (ms)', recoveredMs);

    checks.expect(atStop.delivered < WEBHOOKS, `every webhook was delivered before the ${signal}: nothing was mid-run`);
    checks.expect(byId.size === WEBHOOKS, `${byId.size} distinct webhook-ids arrived, expected ${WEBHOOKS}`);
    const sent = new Set(ids);
    checks.expect([...byId.keys()].every((id) => sent.has(id)), 'an arrival carries a webhook-id that was never sent');
    const mismatched = arrivals.filter((a) => ids[(JSON.parse(a.body.toString()) as { seq: number }).seq] !== header(a, 'webhook-id'));
    checks.expect(mismatched.length === 0, `${mismatched.length} arrivals carry another message's webhook-id`);
    const notDelivered = ids.filter((id) => states.get(id)?.status !== 'delivered');
    checks.expect(notDelivered.length === 0, `${notDelivered.length} webhooks not delivered: ${notDelivered.slice(0, 3).map((id) => `${id}=${states.get(id)?.status}`).join(', ')}`);
    // Attempts whose result Temporal never stored are sent again; only those in flight at the stop can be.
    checks.expect(
      arrivals.length - recorded <= MAX_CONCURRENT_SENDS,
      `${arrivals.length - recorded} attempts arrived but are not recorded, more than the ${MAX_CONCURRENT_SENDS} that could be in flight`,
    );
    const badLast = [...states.values()].filter((s) => s.attempts.at(-1)?.statusCode !== 200);
    checks.expect(badLast.length === 0, `${badLast.length} delivered webhooks whose last recorded attempt is not the 200`);
  }, async () => {
    await receiver.close();
  });
}
