/**
 * The breaker with two workers (each with its own task queue, so a test chooses which worker a
 * webhook goes to; they share the host workflows). What an operator's pause, an open breaker, a
 * drain and an advertised rate limit promise must hold for the deployment, not per worker.
 */
import { receiverPool } from '../helpers/receiver';
import { startReceiverProcess } from '../helpers/receiver-process';
import { PATIENT_RETRY, startTestStack, type TestStack } from '../helpers/stack';
import { attemptStarts, peak, sleep, until } from '../helpers/wait';

const REPORT_INTERVAL_MS = 500;
/** A lease lasts two report intervals: the longest a pause may take to answer (plus slack for a busy machine). */
const LEASE_MS = 2 * REPORT_INTERVAL_MS;
/**
 * What a loaded machine adds to a pause's answer: its update and each worker's lease request are
 * Temporal calls and workflow tasks, seconds each at worst in CI. Still far below waiting out a
 * worker's old view of the host (a minute).
 */
const BUSY_SLACK_MS = 10_000;
const RESUME_RATE = 20;

let a: TestStack;
let b: TestStack;
const pool = receiverPool();
const receiver = pool.start;
const patient = PATIENT_RETRY;


const settings = {
  breakerWindowMs: 10_000,
  breakerMinRequests: 6,
  breakerFailureRatio: 0.5,
  breakerCooldownMs: 5_000,
  breakerMaxCooldownMs: 10_000,
  breakerProbeTimeoutMs: 10_000,
  hostResumeRate: RESUME_RATE,
  hostReportIntervalMs: REPORT_INTERVAL_MS,
};

beforeAll(async () => {
  a = await startTestStack(settings);
  b = await startTestStack(settings, { alongside: a });
});
afterAll(async () => {
  await pool.closeAll();
  await Promise.all([a?.stop(), b?.stop()]);
});

const send = (stack: TestStack, n: number, webhook: Parameters<TestStack['hookflow']['send']>[0]) =>
  Promise.all(Array.from({ length: n }, () => stack.hookflow.send(webhook)));
const delivered = async (stack: TestStack, ids: { id: string }[]) => {
  for (const { id } of ids) expect((await stack.hookflow.result(id)).status).toBe('delivered');
};

test('once a pause is answered, no worker starts an attempt to the host until it is resumed; then everything is delivered', async () => {
  const r = await receiver();
  // Both workers send to the host: each holds a lease that lets it send.
  const warm = [...(await send(a, 5, { url: r.url })), ...(await send(b, 5, { url: r.url }))];
  await delivered(a, warm);
  const before = r.arrivals.length;

  const askedAt = Date.now();
  const view = await a.hookflow.pauseHost(r.authority);
  const answeredAt = Date.now();
  console.log(`pause answered in ${answeredAt - askedAt} ms with two workers holding leases (report interval ${REPORT_INTERVAL_MS} ms)`);
  expect(view.state).toBe('paused');
  expect(answeredAt - askedAt).toBeLessThan(LEASE_MS + BUSY_SLACK_MS);

  const held = [...(await send(a, 5, { url: r.url, retry: patient })), ...(await send(b, 5, { url: r.url, retry: patient }))];
  await until('all ten to wait for the host', async () => ((await a.hookflow.hostStatus(r.authority)).pausedWebhooks === 10 ? true : undefined));
  await sleep(1_000);
  expect(r.arrivals.slice(before).filter((x) => x.at >= answeredAt)).toHaveLength(0);
  const state = await b.hookflow.status(held[9].id);
  expect(state).toMatchObject({ status: 'paused', waitingFor: 'host' });

  await b.hookflow.resumeHost(r.authority);
  await delivered(a, held);
  expect(r.arrivals).toHaveLength(before + 10);
}, 90_000);

test('a worker that has not sent to a host for a while does not leak an attempt to a breaker that has just opened', async () => {
  let healthy = true;
  const r = await receiver(() => ({ status: healthy ? 200 : 503 }));
  await delivered(b, await send(b, 1, { url: r.url }));
  // Worker B renews its lease for one lease after its last send, and acts on the last renewal for
  // one more: after that its news of this host has run out (the old gate kept its view for a minute).
  await sleep(2 * LEASE_MS + 500);
  healthy = false;
  await send(a, 8, { url: r.url, retry: patient });
  await until('the breaker to open', async () => ((await a.hookflow.hostStatus(r.authority)).state === 'open' ? true : undefined));
  const [late] = await send(b, 1, { url: r.url, retry: patient });
  const state = await until('the late webhook to wait for its host', async () => {
    const s = await b.hookflow.status(late.id);
    return s.status === 'paused' ? s : undefined;
  });
  expect(state.waitingFor).toBe('host');
  expect(state.attempts).toHaveLength(0);
  expect(r.arrivals.filter((x) => x.headers['webhook-id'] === late.id)).toHaveLength(0);
  healthy = true;
  expect((await b.hookflow.result(late.id)).status).toBe('delivered');
}, 90_000);

test('an advertised X-Rate-Limit-Limit of 10 per second holds for both workers together', async () => {
  // Its own process stamps arrivals as the host would (see receiver-process.ts).
  const r = pool.add(await startReceiverProcess('rate-limited:10'));
  // The first answer teaches the limit; every worker keeps to it from its next lease renewal.
  await delivered(a, await send(a, 1, { url: r.url }));
  // Not a fixed wait alone: a loaded host workflow may learn the limit later than two report intervals.
  await until('the host workflow to know the rate limit', async () => (await a.hookflow.hostStatus(r.authority)).rateLimit);
  await sleep(2 * REPORT_INTERVAL_MS);
  const sent = [...(await send(a, 20, { url: r.url, retry: patient })), ...(await send(b, 20, { url: r.url, retry: patient }))];
  await delivered(a, sent);
  // Judged by the workers' clocks, where the pacing is made: the receiver's own stamps can bunch a
  // few when its process waits for a core (see the same test in breaker.test.ts).
  const starts = await attemptStarts(a.hookflow, sent.map(({ id }) => id));
  console.log(`41 webhooks through two workers to a 10/s host: peak ${peak(starts, 1_000)} request starts in any second (${peak(r.arrivals, 1_000)} by the receiver's stamps), ${r.arrivals.length} requests`);
  expect(peak(starts, 1_000)).toBeLessThanOrEqual(10);
  // Every attempt reached the host, which refused at most two (its stamps bunched): each 429 adds an attempt.
  expect(r.arrivals).toHaveLength(starts.length + 1);
  expect(starts.length).toBeLessThanOrEqual(40 + 2);
}, 120_000);

test(`a host that comes back sees at most ${RESUME_RATE} requests a second from both workers, new webhooks included`, async () => {
  const r = pool.add(await startReceiverProcess('ok'));
  await a.hookflow.pauseHost(r.authority);
  const waiting = [...(await send(a, 50, { url: r.url, retry: patient })), ...(await send(b, 50, { url: r.url, retry: patient }))];
  await until('100 webhooks to wait', async () => ((await a.hookflow.hostStatus(r.authority)).pausedWebhooks === 100 ? true : undefined), 60_000);
  expect(r.arrivals).toHaveLength(0);

  const resumedAt = Date.now();
  await b.hookflow.resumeHost(r.authority);
  // Webhooks whose own timer fires during the drain queue behind the others, on both workers.
  await sleep(1_500);
  const during = [...(await send(a, 10, { url: r.url, retry: patient })), ...(await send(b, 10, { url: r.url, retry: patient }))];
  await delivered(a, [...waiting, ...during]);
  const drainMs = Date.now() - resumedAt;
  // Judged by the workers' clocks, where the pacing is made: the receiver's own stamps can bunch a
  // few when its process waits for a core (see the rate-limit test above).
  const starts = await attemptStarts(a.hookflow, [...waiting, ...during].map(({ id }) => id));
  console.log(`120 webhooks drained in ${drainMs} ms through two workers: peak ${peak(starts, 1_000)} request starts in any second (${peak(r.arrivals, 1_000)} by the receiver's stamps; resume rate ${RESUME_RATE})`);
  expect(r.arrivals).toHaveLength(120);
  expect(starts).toHaveLength(120);
  expect(peak(starts, 1_000)).toBeLessThanOrEqual(RESUME_RATE);
}, 180_000);
