/**
 * Scenario 1 — SIGKILL the worker while 1,000 webhooks are in flight, start it again.
 *
 * Expected: every webhook delivered; the only duplicates are attempts that were in flight at the
 * kill (their result never reached Temporal, so the new worker sends them again), each carrying
 * the same `webhook-id` as its first arrival, and there are no more of them than the worker could
 * have had in flight (HOOKFLOW_MAX_CONCURRENT_SENDS). The receiver answers every request 200
 * within 50 ms, so every attempt the webhooks record must be a 200 too.
 *
 * The worker gathers ledger rows for a second before each write, so the kill loses a batch it
 * had not written yet; the ledger must still converge to exactly what Temporal holds.
 */
import { startReceiver, type Arrival } from '../helpers/receiver';
import {
  Checks,
  conclude,
  header,
  killAndWait,
  ledgerMismatches,
  mapLimit,
  sleep,
  tally,
  waitForFinalStates,
  waitUntil,
  Stack,
  type ScenarioContext,
  type ScenarioResult,
} from './lib';

const WEBHOOKS = 1_000;
const MAX_CONCURRENT_SENDS = 50;
/** Kill once this share of the webhooks has arrived at least once. */
const KILL_AT = 0.45;

export async function workerKill(ctx: ScenarioContext): Promise<ScenarioResult> {
  const checks = new Checks();
  const stack = new Stack({
    dir: ctx.dir,
    env: { HOOKFLOW_MAX_CONCURRENT_SENDS: String(MAX_CONCURRENT_SENDS), HOOKFLOW_BREAKER_MIN_REQUESTS: '1000000', HOOKFLOW_LEDGER_FLUSH_MS: '1000' },
  });
  // 200 after 0–50 ms, so that attempts are in flight at any moment.
  const receiver = await startReceiver(() => ({ hangMs: Math.floor(Math.random() * 51) }));
  return conclude(checks, stack, async () => {
    await stack.startTemporal();
    const hookflow = await stack.connect();
    const first = stack.startWorker();

    const distinct = new Set<string>();
    let seen = 0;
    const distinctNow = (): number => {
      for (; seen < receiver.arrivals.length; seen++) distinct.add(header(receiver.arrivals[seen], 'webhook-id'));
      return distinct.size;
    };

    const sentAt = Date.now();
    const ids: string[] = new Array(WEBHOOKS);
    const sending = mapLimit(
      Array.from({ length: WEBHOOKS }, (_, i) => i),
      50,
      async (seq) => {
        const { id } = await hookflow.send({
          url: `${receiver.url}/worker-kill`,
          body: { seq },
          retry: { initialIntervalMs: 1_000, maxIntervalMs: 2_000, maxAttempts: 20 },
          timeoutMs: 10_000,
        });
        ids[seq] = id;
      },
    );

    await waitUntil(`${KILL_AT * 100} % of the webhooks to arrive before the kill`, 120_000, () => distinctNow() >= WEBHOOKS * KILL_AT, {
      intervalMs: 5,
      describe: () => `${distinctNow()} arrived; worker ${first.exitedWith ?? 'running'}`,
    });
    first.kill('SIGKILL');
    const killedAt = Date.now();
    const atKill = { arrivals: receiver.arrivals.length, distinct: distinctNow() };
    await killAndWait(first, 'SIGKILL');
    await sending; // the client talks to Temporal, not the worker: sends go on while it is down
    const sendMs = Date.now() - sentAt;

    // Everything that arrived before the new worker exists came from the killed one.
    const restartedAt = Date.now();
    const second = stack.startWorker();
    await waitUntil(`all ${WEBHOOKS} webhook-ids to arrive after the restart`, 180_000, () => distinctNow() >= WEBHOOKS, {
      intervalMs: 100,
      describe: () => `${distinctNow()} of ${WEBHOOKS} distinct ids arrived; worker ${second.exitedWith ?? 'running'}`,
    });
    const allArrivedMs = Date.now() - restartedAt;
    const states = await waitForFinalStates(hookflow, ids, 120_000);
    const recoveredMs = Date.now() - restartedAt;
    // Late duplicates would still be arriving now; give them a moment to show up.
    await sleep(1_000);
    const ledgerAt = Date.now();
    const ledgerOff = await ledgerMismatches(stack, states, 30_000);
    checks.count('ledger matches Temporal after (ms)', ledgerOff.length ? `not within 30 s (${ledgerOff.length} differ)` : Date.now() - ledgerAt);
    checks.expect(ledgerOff.length === 0, `the ledger differs from Temporal for ${ledgerOff.length} webhooks: ${ledgerOff.slice(0, 3).join('; ')}`);

    const arrivals = [...receiver.arrivals];
    const byId = new Map<string, Arrival[]>();
    for (const a of arrivals) {
      const id = header(a, 'webhook-id');
      byId.set(id, [...(byId.get(id) ?? []), a]);
    }
    const duplicates = arrivals.length - byId.size;
    const duplicatedIds = [...byId].filter(([, list]) => list.length > 1);
    const preKill = arrivals.filter((a) => a.at < restartedAt).length;

    checks.count('webhooks sent', WEBHOOKS);
    checks.count('arrivals before the kill', `${atKill.arrivals} (${atKill.distinct} distinct, ${Math.round((atKill.distinct / WEBHOOKS) * 100)} %)`);
    checks.count('arrivals from the killed worker', preKill);
    checks.count('arrivals', arrivals.length);
    checks.count('distinct webhook-ids', byId.size);
    checks.count('duplicates (arrivals − distinct)', duplicates);
    checks.count('duplicate bound (HOOKFLOW_MAX_CONCURRENT_SENDS)', MAX_CONCURRENT_SENDS);
    checks.count('final statuses', tally([...states.values()].map((s) => s.status)));
    checks.count('attempts recorded', [...states.values()].reduce((n, s) => n + s.attempts.length, 0));
    const notOk = [...states.values()].flatMap((s) => s.attempts.filter((a) => a.statusCode !== 200));
    checks.count('recorded attempts without a 200', `${notOk.length}${notOk.length ? ` (${tally(notOk.map((a) => `${a.statusCode ?? a.error}`))})` : ''}`);
    checks.count('kill → new worker started (ms)', restartedAt - killedAt);
    checks.count('new worker → all arrived (ms)', allArrivedMs);
    checks.count('new worker → all delivered (ms)', recoveredMs);
    checks.count('sending 1,000 took (ms)', sendMs);

    const pct = atKill.distinct / WEBHOOKS;
    checks.expect(pct >= 0.3 && pct <= 0.6, `the kill came at ${Math.round(pct * 100)} % arrived, outside 30–60 %`);
    checks.expect(byId.size === WEBHOOKS, `${byId.size} distinct webhook-ids arrived, expected ${WEBHOOKS}`);
    const sent = new Set(ids);
    const stray = [...byId.keys()].filter((id) => !sent.has(id));
    checks.expect(stray.length === 0, `${stray.length} arrivals carry a webhook-id that was never sent: ${stray.slice(0, 3).join(', ')}`);
    // Every arrival of message `seq` carries that message's webhook-id (duplicates included).
    const mismatched = arrivals.filter((a) => ids[(JSON.parse(a.body.toString()) as { seq: number }).seq] !== header(a, 'webhook-id'));
    checks.expect(mismatched.length === 0, `${mismatched.length} arrivals carry another message's webhook-id`);
    const notDelivered = ids.filter((id) => states.get(id)?.status !== 'delivered');
    checks.expect(notDelivered.length === 0, `${notDelivered.length} webhooks not delivered: ${notDelivered.slice(0, 3).map((id) => `${id}=${states.get(id)?.status}`).join(', ')}`);
    checks.expect(duplicates <= MAX_CONCURRENT_SENDS, `${duplicates} duplicates, more than the ${MAX_CONCURRENT_SENDS} attempts that could be in flight`);
    // A duplicate is an attempt the killed worker made whose result it never reported: exactly
    // one arrival from before the restart, the rest after.
    const badDup = duplicatedIds.filter(([, list]) => list.filter((a) => a.at < restartedAt).length !== 1);
    checks.expect(
      badDup.length === 0,
      `${badDup.length} duplicated webhooks were not in flight at the kill (arrival times ms after restart: ${badDup
        .slice(0, 3)
        .map(([, l]) => l.map((a) => a.at - restartedAt).join('/'))
        .join(', ')})`,
    );
    // The receiver answers every request 200 within 50 ms, so every recorded attempt is a 200.
    checks.expect(
      notOk.length === 0,
      `${notOk.length} attempts recorded without a 200 though the receiver answers every request 200 within 50 ms: ${tally(
        notOk.map((a) => `${a.statusCode ?? a.error}`),
      )}; e.g. ${[...states.values()]
        .filter((s) => s.attempts.some((a) => a.statusCode !== 200))
        .slice(0, 2)
        .map((s) => `${s.id}: ${s.attempts.map((a) => `${a.statusCode ?? a.error} at +${Date.parse(a.startedAt) - restartedAt} ms for ${a.durationMs} ms`).join(', then ')}; arrivals at +${(byId.get(s.id) ?? []).map((a) => a.at - restartedAt).join('/')} ms`)
        .join('; ')} (times from the new worker's start)`,
    );
    const extraAfterRestart = [...byId].filter(([, list]) => list.filter((a) => a.at >= restartedAt).length > 1);
    checks.expect(extraAfterRestart.length === 0, `${extraAfterRestart.length} webhooks arrived more than once after the restart`);
  }, async () => {
    await receiver.close();
  });
}
