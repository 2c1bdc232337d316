/**
 * Webhooks waiting on their host: what their status says, that no wait outlasts the retry window,
 * and that the host workflow keeps its waiters whatever fails around it.
 */
import { hostWorkflowId, reportSignal } from '../../src/breaker/definitions';
import { receiverPool } from '../helpers/receiver';
import { PATIENT_RETRY, startTestStack, type TestStack } from '../helpers/stack';
import { sleep, until } from '../helpers/wait';

let stack: TestStack;
const pool = receiverPool();
const receiver = pool.start;
const settings = {
  breakerWindowMs: 10_000,
  breakerMinRequests: 6,
  breakerFailureRatio: 0.5,
  breakerCooldownMs: 2_000,
  breakerMaxCooldownMs: 5_000,
  breakerProbeTimeoutMs: 30_000,
  hostResumeRate: 10,
  hostReportIntervalMs: 200,
};
const patient = PATIENT_RETRY;


beforeAll(async () => {
  stack = await startTestStack(settings);
});
afterAll(async () => {
  await pool.closeAll();
  await stack?.stop();
});

const statusOf = (id: string, wanted: string) =>
  until(`webhook ${id} to be ${wanted}`, async () => {
    const s = await stack.hookflow.status(id);
    return s.status === wanted ? s : undefined;
  });

describe('what a waiting webhook shows', () => {
  test('behind a timed pause it is paused, waiting for its host, with the pause end as its next attempt', async () => {
    const r = await receiver();
    const view = await stack.hookflow.pauseHost(r.authority, 60_000);
    const { id } = await stack.hookflow.send({ url: r.url, retry: patient });
    const state = await statusOf(id, 'paused');
    expect(state).toMatchObject({ waitingFor: 'host', nextAttemptAt: view.resumeAt });
    await stack.hookflow.resumeHost(r.authority);
    const done = await stack.hookflow.result(id);
    expect(done.status).toBe('delivered');
    expect(done.waitingFor).toBeUndefined();
  }, 60_000);

  test('queued for a send slot under a host’s rate limit it is paused, waiting for the rate limit — not a stale pending', async () => {
    const r = await receiver(() => ({ status: 200, headers: { 'x-rate-limit-limit': '1', 'x-rate-limit-remaining': '1', 'x-rate-limit-reset': '4' } }));
    expect((await stack.hookflow.result((await stack.hookflow.send({ url: r.url })).id)).status).toBe('delivered');
    await sleep(2 * settings.hostReportIntervalMs);
    const sent = await Promise.all(Array.from({ length: 3 }, () => stack.hookflow.send({ url: r.url, retry: patient })));
    const queued = await until('a webhook queued for a slot', async () => {
      for (const { id } of sent) {
        const s = await stack.hookflow.status(id);
        if (s.status === 'paused') return s;
      }
      return undefined;
    });
    expect(queued.waitingFor).toBe('rate-limit');
    for (const { id } of sent) expect((await stack.hookflow.result(id)).status).toBe('delivered');
    // One a window (4 s plus the margin): the three came at least that far apart.
    const gaps = r.arrivals.slice(1).map((x, i) => x.at - r.arrivals[i].at);
    for (const gap of gaps.slice(1)) expect(gap).toBeGreaterThanOrEqual(4_000);
  }, 60_000);
});

describe('no wait outlasts the retry window', () => {
  test('a pause past the deadline fails the webhook with its reason, and a resume after it sends nothing', async () => {
    const r = await receiver();
    await stack.hookflow.pauseHost(r.authority);
    const { id } = await stack.hookflow.send({ url: r.url, retry: { maxDurationSeconds: 3 } });
    const state = await stack.hookflow.result(id);
    expect(state.status).toBe('failed');
    expect(state.reason).toBe(`retry window ended while host ${r.authority} was paused`);
    expect(state.attempts).toHaveLength(0);
    expect(Date.parse(state.completedAt!) - Date.parse(state.createdAt)).toBeGreaterThanOrEqual(3_000);
    await stack.hookflow.resumeHost(r.authority);
    await sleep(2_000);
    expect(r.arrivals).toHaveLength(0);
  }, 60_000);

  test('a send slot that would come after the deadline fails the webhook instead of sending late', async () => {
    // One request per 20 s: the second webhook's slot is far past its 3 s window.
    const r = await receiver(() => ({ status: 200, headers: { 'x-rate-limit-limit': '1', 'x-rate-limit-remaining': '1', 'x-rate-limit-reset': '20' } }));
    expect((await stack.hookflow.result((await stack.hookflow.send({ url: r.url })).id)).status).toBe('delivered');
    // The host workflow learns the limit from the worker's lease request, which also schedules the
    // first paced slot at that moment. Once the limit shows, that slot is let go stale (a slot is good
    // for 50 ms): a loaded host workflow answering late could otherwise hand it to the next webhook.
    await until('the host workflow to know the rate limit', async () => (await stack.hookflow.hostStatus(r.authority)).rateLimit);
    await sleep(2 * settings.hostReportIntervalMs);
    const { id } = await stack.hookflow.send({ url: r.url, retry: { maxDurationSeconds: 3 } });
    const state = await stack.hookflow.result(id);
    expect(state.status).toBe('failed');
    expect(state.reason).toMatch(new RegExp(`^retry window end(ed while waiting for a send slot of|s before) host ${r.authority.replace(/\./g, '\\.')}`));
    expect(state.attempts).toHaveLength(0);
    expect(r.arrivals).toHaveLength(1);
  }, 60_000);
});

describe('the host workflow keeps its waiters', () => {
  test('a probe chosen among webhooks that no longer exist is replaced at once, not after the probe timeout', async () => {
    let healthy = false;
    const r = await receiver(() => ({ status: healthy ? 200 : 503 }));
    await Promise.all(Array.from({ length: 8 }, () => stack.hookflow.send({ url: r.url, retry: { ...patient, initialIntervalMs: 10_000, maxIntervalMs: 10_000 } })));
    await until('the breaker to open', async () => ((await stack.hookflow.hostStatus(r.authority)).state === 'open' ? true : undefined));
    // A registration that outlived its webhook (a report that was sent twice, say) is first in line.
    const host = stack.hookflow.client.workflow.getHandle(hostWorkflowId(stack.hookflow.hostQueue, r.authority));
    await host.signal(reportSignal, { requests: 0, failures: 0, waiters: [{ workflowId: 'webhook:wh_gone0000000000000000000000000000', ticket: 1 }] });
    const { id } = await stack.hookflow.send({ url: r.url, retry: patient });
    await statusOf(id, 'paused');
    healthy = true;
    const openedAt = Date.parse((await stack.hookflow.hostStatus(r.authority)).openedAt!);
    expect((await stack.hookflow.result(id)).status).toBe('delivered');
    // The gone one was chosen first and found missing; a live webhook probed right after, well
    // before the 30 s probe timeout.
    const firstProbe = r.arrivals.find((x) => x.at > openedAt + settings.breakerCooldownMs);
    expect(firstProbe).toBeDefined();
    // Replaced after the 30 s probe timeout, it would come at least 30 s after the cooldown; the
    // margin below that is for a busy machine.
    expect(firstProbe!.at - openedAt).toBeLessThan(settings.breakerCooldownMs + 25_000);
  }, 90_000);
});

describe('a host workflow whose release activity fails', () => {
  let failing: TestStack;
  let failuresLeft = 4;
  beforeAll(async () => {
    failing = await startTestStack(settings, {
      wrapActivities: (real) => ({
        ...real,
        async releaseWaiters(input) {
          if (failuresLeft > 0) {
            failuresLeft -= 1;
            throw new Error('Temporal unreachable (test)');
          }
          return real.releaseWaiters(input);
        },
      }),
    });
  });
  afterAll(() => failing?.stop());

  test('keeps its waiters and state, tries again with back-off, and never fails', async () => {
    const r = await receiver();
    await failing.hookflow.pauseHost(r.authority);
    const sent = await Promise.all(Array.from({ length: 3 }, () => failing.hookflow.send({ url: r.url, retry: patient })));
    await until('three waiters', async () => ((await failing.hookflow.hostStatus(r.authority)).pausedWebhooks === 3 ? true : undefined));
    await failing.hookflow.resumeHost(r.authority);
    await until('the first release to fail', async () => (failuresLeft <= 2 ? true : undefined));
    // Between tries (1 s, then 2 s) the webhooks are back in the queue, the host closed and draining.
    const during = await until('the waiters back in the queue', async () => {
      const view = await failing.hookflow.hostStatus(r.authority);
      return view.pausedWebhooks === 3 ? view : undefined;
    });
    expect(during).toMatchObject({ state: 'closed', draining: true });
    for (const { id } of sent) expect((await failing.hookflow.result(id)).status).toBe('delivered');
    expect(failuresLeft).toBe(0);
    const described = await failing.hookflow.client.workflow.getHandle(hostWorkflowId(failing.hookflow.hostQueue, r.authority)).describe();
    expect(described.status.name).toBe('RUNNING');
  }, 90_000);
});

describe('the outbound guard, on as in production', () => {
  let guarded: TestStack;
  beforeAll(async () => {
    guarded = await startTestStack({ ...settings, allowPrivateNetworks: false });
  });
  afterAll(() => guarded?.stop());

  test('a webhook to a loopback receiver fails as blocked, at once, and nothing reaches the receiver', async () => {
    const r = await receiver();
    const { id } = await guarded.hookflow.send({ url: `http://localhost:${new URL(r.url).port}/in`, body: { n: 1 }, retry: patient });
    const state = await guarded.hookflow.result(id);
    expect(state.status).toBe('failed');
    expect(state.reason).toBe('address not allowed');
    expect(state.attempts).toHaveLength(1);
    expect(state.attempts[0].error).toBe('address not allowed: blocked: localhost does not resolve to a public address (HOOKFLOW_ALLOW_PRIVATE_NETWORKS, HOOKFLOW_ALLOWED_CIDRS)');
    await sleep(500);
    expect(r.arrivals).toHaveLength(0);
  }, 60_000);
});
