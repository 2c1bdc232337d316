/**
 * The per-host circuit breaker against real receivers and a real Temporal server, with short
 * configured windows so that a test takes seconds.
 */
import { startReceiver, type Arrival, type Receiver } from '../helpers/receiver';
import { startTestStack, type TestStack } from '../helpers/stack';
import type { HostView } from '../../src/temporal/host-definitions';

let stack: TestStack;
const receivers: Receiver[] = [];
const patient = { initialIntervalMs: 1000, maxIntervalMs: 2000, maxAttempts: 100, maxDurationSeconds: 600 };

async function receiver(script?: Parameters<typeof startReceiver>[0]): Promise<Receiver> {
  const r = await startReceiver(script);
  receivers.push(r);
  return r;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const hostIn = (authority: string, ...states: HostView['state'][]) =>
  until(`host ${authority} to be ${states.join('/')}`, async () => {
    const view = await stack.hookflow.hostStatus(authority);
    return states.includes(view.state) ? view : undefined;
  });

/** The most arrivals inside any span of `spanMs`. */
function peak(arrivals: Arrival[], spanMs: number): number {
  let best = 0;
  for (let i = 0, j = 0; j < arrivals.length; j++) {
    while (arrivals[j].at - arrivals[i].at >= spanMs) i++;
    best = Math.max(best, j - i + 1);
  }
  return best;
}

beforeAll(async () => {
  stack = await startTestStack({
    breakerWindowMs: 10_000,
    breakerMinRequests: 6,
    breakerFailureRatio: 0.5,
    breakerCooldownMs: 2_000,
    breakerMaxCooldownMs: 5_000,
    breakerProbeTimeoutMs: 10_000,
    hostResumeRate: 4,
    hostReportIntervalMs: 200,
  });
});
afterAll(async () => {
  await Promise.all(receivers.map((r) => r.close()));
  await stack.stop();
});

test('a failing host gets only probes while open, other hosts are untouched, and its webhooks drain paced after recovery', async () => {
  let healthy = false;
  const b = await receiver(() => ({ status: healthy ? 200 : 503 }));
  const a = await receiver();
  const sent = await Promise.all(Array.from({ length: 12 }, (_, i) => stack.hookflow.send({ url: b.url, body: { i }, retry: patient })));

  const opened = await hostIn(b.authority, 'open');
  expect(opened.window.failures / opened.window.requests).toBeGreaterThan(0.5);
  const openedAt = Date.parse(opened.openedAt!);

  // Another host is served on time while B is open.
  const started = Date.now();
  const toA = await Promise.all(Array.from({ length: 5 }, () => stack.hookflow.send({ url: a.url })));
  for (const { id } of toA) expect((await stack.hookflow.result(id)).status).toBe('delivered');
  expect(Date.now() - started).toBeLessThan(5_000);

  // B's webhooks wait as `paused`, not as failed attempts.
  const paused = await until('a paused webhook', async () => {
    for (const { id } of sent) {
      const state = await stack.hookflow.status(id);
      if (state.status === 'paused') return state;
    }
    return undefined;
  });
  expect(paused.attempts.every((x) => x.statusCode === 503)).toBe(true);

  // A failed probe doubles the cooldown.
  const reopened = await until('a failed probe', async () => {
    const view = await stack.hookflow.hostStatus(b.authority);
    return view.state === 'open' && view.cooldownMs === 4_000 ? view : undefined;
  });
  expect(reopened.pausedWebhooks).toBeGreaterThan(0);

  healthy = true;
  const recoveredAt = Date.now();
  // While open, B saw nothing but one probe per cooldown: none in the first cooldown (attempts
  // already on the wire when it opened excepted), one after it.
  const whileOpen = b.arrivals.filter((x) => x.at > openedAt + 300 && x.at < recoveredAt);
  expect(whileOpen.filter((x) => x.at < openedAt + 2_000)).toHaveLength(0);
  expect(whileOpen.length).toBeGreaterThanOrEqual(1);
  expect(whileOpen.length).toBeLessThanOrEqual(Math.ceil((recoveredAt - openedAt - 2_000) / 4_000));
  for (const { id } of sent) {
    const state = await stack.hookflow.result(id);
    expect(state.status).toBe('delivered');
  }
  const drained = b.arrivals.filter((x) => x.at >= recoveredAt && x.headers['webhook-id'] !== undefined);
  expect(drained.length).toBeGreaterThanOrEqual(12);
  // The probe, then at most 4 released per second (a span of 1 s can touch two release batches).
  expect(peak(drained, 1_000)).toBeLessThanOrEqual(8);
  expect((await stack.hookflow.hostStatus(b.authority)).state).toBe('closed');
}, 120_000);
