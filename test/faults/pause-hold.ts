/**
 * Scenario 5 — an operator's pause through the API, with the API and two workers as separate
 * processes (`npm run api`, `npm run worker` twice) against one Temporal server.
 *
 * Both workers have just been sending to the host. Expected: `POST /v1/hosts/:authority/pause`
 * answers within two report intervals (plus a busy machine's slack); webhooks posted right after
 * the answer all wait, and the receiver sees nothing from the answer until the resume; after the
 * resume every one is delivered, never more than HOOKFLOW_HOST_RESUME_RATE in any second.
 */
import { request } from 'undici';
import { startReceiver } from '../helpers/receiver';
import { peak } from '../helpers/wait';
import { Checks, conclude, mapLimit, sleep, tally, waitForFinalStates, waitUntil, Stack, type ScenarioContext, type ScenarioResult } from './lib';

const REPORT_INTERVAL_MS = 1_000;
const RESUME_RATE = 20;
const WARM = 20;
const HELD = 100;
/** How long the receiver must stay quiet after the pause answered. */
const QUIET_MS = 5_000;

export async function pauseHold(ctx: ScenarioContext): Promise<ScenarioResult> {
  const checks = new Checks();
  const stack = new Stack({
    dir: ctx.dir,
    env: { HOOKFLOW_HOST_REPORT_INTERVAL_MS: String(REPORT_INTERVAL_MS), HOOKFLOW_HOST_RESUME_RATE: String(RESUME_RATE) },
  });
  const receiver = await startReceiver(() => ({ status: 200 }));
  return conclude(checks, stack, async () => {
    await stack.startTemporal();
    const hookflow = await stack.connect();
    const workers = [stack.startWorker(), stack.startWorker()];
    for (const w of workers) await stack.waitForPoller(hookflow, w);
    await stack.startApi();
    const api = async (method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> => {
      const res = await request(`http://127.0.0.1:${stack.apiPort}${path}`, {
        method,
        headers: { authorization: `Bearer ${stack.apiKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.statusCode, body: (await res.body.json()) as Record<string, unknown> };
    };
    const post = async (n: number): Promise<string[]> =>
      mapLimit(Array.from({ length: n }, (_, i) => i), 16, async (seq) => {
        const res = await api('POST', '/v1/webhooks', { url: `${receiver.url}/pause`, body: { seq }, retry: { initialIntervalMs: 1_000, maxIntervalMs: 2_000 } });
        if (res.status !== 202) throw new Error(`POST /v1/webhooks answered ${res.status}: ${JSON.stringify(res.body)}`);
        return res.body.id as string;
      });

    ctx.log(`warming both workers with ${WARM} webhooks`);
    const warm = await post(WARM);
    await waitForFinalStates(hookflow, warm, 60_000);

    const askedAt = Date.now();
    const paused = await api('POST', `/v1/hosts/${receiver.authority}/pause`);
    const answeredAt = Date.now();
    checks.count('pause answered in (ms)', answeredAt - askedAt);
    checks.expect(paused.status === 200 && paused.body.state === 'paused', `pause answered ${paused.status} ${JSON.stringify(paused.body)}`);
    checks.expect(answeredAt - askedAt <= 2 * REPORT_INTERVAL_MS + 3_000, `pause took ${answeredAt - askedAt} ms, more than two report intervals and slack`);

    const held = await post(HELD);
    await waitUntil(`${HELD} webhooks to wait for the host`, 60_000, async () => (await api('GET', `/v1/hosts/${receiver.authority}`)).body.pausedWebhooks === HELD);
    await sleep(Math.max(0, answeredAt + QUIET_MS - Date.now()));
    const leaked = receiver.arrivals.filter((a) => a.at >= answeredAt).length;
    checks.count('requests reaching the host while paused', leaked);
    checks.expect(leaked === 0, `${leaked} requests reached the host after the pause was answered`);
    const one = await api('GET', `/v1/webhooks/${held[0]}`);
    checks.expect(one.body.status === 'paused' && one.body.waitingFor === 'host', `a held webhook shows ${JSON.stringify({ status: one.body.status, waitingFor: one.body.waitingFor })}`);

    const resumedAt = Date.now();
    await api('POST', `/v1/hosts/${receiver.authority}/resume`);
    const states = await waitForFinalStates(hookflow, held, 120_000);
    const drained = receiver.arrivals.filter((a) => a.at >= resumedAt);
    const drainSeconds = (Math.max(...drained.map((a) => a.at)) - resumedAt) / 1000;
    checks.count('held webhooks, final status', tally([...states.values()].map((s) => s.status)));
    checks.count('drain (s)', drainSeconds.toFixed(1));
    checks.count('peak requests in any second during the drain', peak(drained, 1_000));
    checks.expect([...states.values()].every((s) => s.status === 'delivered'), 'not every held webhook was delivered');
    checks.expect(drained.length === HELD, `${drained.length} requests after the resume, expected ${HELD}`);
    checks.expect(peak(drained, 1_000) <= RESUME_RATE, `the drain reached ${peak(drained, 1_000)} requests in one second, above the resume rate ${RESUME_RATE}`);
  });
}
