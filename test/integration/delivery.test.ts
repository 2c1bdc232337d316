/**
 * End to end through the client SDK: a real Temporal server, the real worker, real receivers on
 * 127.0.0.1. Assertions are on what the receiver saw and on what status() reports.
 */
import { randomUUID } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { Hookflow } from '../../src/client/hookflow';
import { webhookWorkflowId } from '../../src/delivery/definitions';
import { BACKOFF_JITTER } from '../../src/delivery/policy';
import { DependencyUnavailableError } from '../../src/errors';
import { receiverPool, type Reply } from '../helpers/receiver';
import { startTestStack, type TestStack } from '../helpers/stack';

let stack: TestStack;
const pool = receiverPool();
const receiver = pool.start;
const fast = { initialIntervalMs: 100, maxIntervalMs: 200, maxAttempts: 3 };
/**
 * The call timeout of the clients without a worker: short, so that waiting for a worker that never
 * comes ends soon, yet above what one call to Temporal has taken on a loaded CI machine (~1.7 s),
 * since every call of those clients (send, status) is bounded by it.
 */
const NO_WORKER_CALL_TIMEOUT_MS = 4_000;


/** Answers with the replies in order, then 200 forever. */
function sequence(...replies: Reply[]) {
  return (a: { n: number }): Reply => replies[a.n - 1] ?? { status: 200 };
}

beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => {
  await pool.closeAll();
  await stack.stop();
});

describe('a webhook is delivered', () => {
  test('a JSON body arrives byte for byte with its content type, headers and identity', async () => {
    const r = await receiver();
    const body = { user: { id: 42, name: 'Zoë' }, tags: ['a', 'b'] };
    const { id } = await stack.hookflow.send({ url: `${r.url}/hooks/in?x=1`, body, headers: { 'X-Custom': 'yes' } });
    const state = await stack.hookflow.result(id);

    expect(state.status).toBe('delivered');
    expect(state.attempts).toHaveLength(1);
    expect(state.attempts[0].statusCode).toBe(200);
    const [arrival] = r.arrivals;
    expect(arrival.method).toBe('POST');
    expect(arrival.path).toBe('/hooks/in?x=1');
    expect(arrival.body.toString('utf8')).toBe(JSON.stringify(body));
    expect(arrival.headers['content-type']).toBe('application/json');
    expect(arrival.headers['x-custom']).toBe('yes');
    expect(arrival.headers['webhook-id']).toBe(id);
    expect(Number(arrival.headers['webhook-timestamp'])).toBeGreaterThan(Date.now() / 1000 - 60);
    expect(arrival.headers['user-agent']).toMatch(/^hookflow\/\d+\.\d+\.\d+$/);
  });

  test('a raw text body is sent as given, with the caller’s content type', async () => {
    const r = await receiver();
    const xml = '<?xml version="1.0"?><event kind="unsubscribe"/>';
    const { id } = await stack.hookflow.send({ url: r.url, method: 'PUT', body: xml, headers: { 'Content-Type': 'application/xml' } });
    await stack.hookflow.result(id);
    expect(r.arrivals[0].method).toBe('PUT');
    expect(r.arrivals[0].body.toString()).toBe(xml);
    expect(r.arrivals[0].headers['content-type']).toBe('application/xml');
  });

  test('a text body without a content type goes as text/plain; a GET goes without a body', async () => {
    const r = await receiver();
    const a = await stack.hookflow.send({ url: r.url, method: 'PATCH', body: 'a=1&b=2' });
    const b = await stack.hookflow.send({ url: r.url, method: 'get' });
    await Promise.all([stack.hookflow.result(a.id), stack.hookflow.result(b.id)]);
    const patch = r.arrivals.find((x) => x.method === 'PATCH')!;
    const get = r.arrivals.find((x) => x.method === 'GET')!;
    expect(patch.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(get.body.length).toBe(0);
    expect(get.headers['content-length']).toBeUndefined();
  });

  test('with a signing secret, standardwebhooks verifies every attempt', async () => {
    const r = await receiver(sequence({ status: 500 }));
    const secret = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
    const { id } = await stack.hookflow.send({ url: r.url, body: { ok: true }, signingSecret: secret, retry: fast });
    expect((await stack.hookflow.result(id)).status).toBe('delivered');
    expect(r.arrivals).toHaveLength(2);
    for (const arrival of r.arrivals) {
      const verified = new Webhook(secret).verify(arrival.body.toString(), arrival.headers as Record<string, string>);
      expect(verified).toEqual({ ok: true });
    }
  });
});

describe('the receiver decides', () => {
  test.each([
    [404, 'rejected by the receiver'],
    [410, 'endpoint gone (410)'],
    [301, 'redirect not followed'],
  ])('%i fails at once, without a retry', async (status, reason) => {
    const target = await receiver();
    const r = await receiver(() => ({ status, headers: { location: target.url } }));
    const { id } = await stack.hookflow.send({ url: r.url, retry: fast });
    const state = await stack.hookflow.result(id);
    expect(state.status).toBe('failed');
    expect(state.reason).toBe(reason);
    expect(r.arrivals).toHaveLength(1);
    expect(target.arrivals).toHaveLength(0);
  });

  test('503, 408 and a connection reset are retried with the same webhook-id until a 200', async () => {
    const r = await receiver(sequence({ status: 503 }, { status: 408 }, { reset: true }));
    const { id } = await stack.hookflow.send({ url: r.url, body: { n: 1 }, retry: { ...fast, maxAttempts: 5 } });
    const state = await stack.hookflow.result(id);
    expect(state.status).toBe('delivered');
    expect(state.attempts.map((a) => a.statusCode ?? a.error?.split(':')[0])).toEqual([503, 408, 'receiver not reachable', 200]);
    expect(new Set(r.arrivals.map((a) => a.headers['webhook-id']))).toEqual(new Set([id]));
    expect(new Set(r.arrivals.map((a) => a.body.toString()))).toEqual(new Set(['{"n":1}']));
  });

  test('when the attempts run out the webhook fails with every attempt recorded', async () => {
    const r = await receiver(() => ({ status: 502, body: 'upstream down' }));
    const { id } = await stack.hookflow.send({ url: r.url, retry: fast });
    const state = await stack.hookflow.result(id);
    expect(state.status).toBe('failed');
    expect(state.reason).toBe('receiver error; all 3 attempts used');
    expect(state.attempts.map((a) => a.number)).toEqual([1, 2, 3]);
    expect(state.attempts[0].responseBodySnippet).toBe('upstream down');
    expect(state.attempts[0].nextAttemptAt).toBeDefined();
    expect(state.attempts[2].nextAttemptAt).toBeUndefined();
    expect(r.arrivals).toHaveLength(3);
  });

  test('429 with Retry-After in seconds: the next attempt waits at least that long', async () => {
    const r = await receiver(sequence({ status: 429, headers: { 'retry-after': '2' } }));
    const { id } = await stack.hookflow.send({ url: r.url, retry: fast });
    await stack.hookflow.result(id);
    const [first, second] = r.arrivals;
    expect(second.at - first.at).toBeGreaterThanOrEqual(2000);
  });

  test('503 with Retry-After as an HTTP-date: never earlier than asked', async () => {
    let askedFor = 0;
    const r = await receiver((a) => {
      if (a.n > 1) return { status: 200 };
      askedFor = (Math.floor(Date.now() / 1000) + 3) * 1000; // HTTP-dates have whole seconds
      return { status: 503, headers: { 'retry-after': new Date(askedFor).toUTCString() } };
    });
    const { id } = await stack.hookflow.send({ url: r.url, retry: fast });
    await stack.hookflow.result(id);
    expect(r.arrivals[1].at).toBeGreaterThanOrEqual(askedFor);
  });

  test('X-Rate-Limit-Remaining: 0 waits until X-Rate-Limit-Reset (seconds from now)', async () => {
    const r = await receiver(sequence({ status: 429, headers: { 'x-rate-limit-limit': '10', 'x-rate-limit-remaining': '0', 'x-rate-limit-reset': '2' } }));
    const { id } = await stack.hookflow.send({ url: r.url, retry: fast });
    await stack.hookflow.result(id);
    expect(r.arrivals[1].at - r.arrivals[0].at).toBeGreaterThanOrEqual(2000);
  });

  test('X-RateLimit-Reset as epoch seconds is understood too', async () => {
    let resetAt = 0;
    const r = await receiver((a) => {
      if (a.n > 1) return { status: 200 };
      resetAt = Math.floor(Date.now() / 1000) + 3;
      return { status: 503, headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(resetAt) } };
    });
    const { id } = await stack.hookflow.send({ url: r.url, retry: fast });
    await stack.hookflow.result(id);
    expect(r.arrivals[1].at).toBeGreaterThanOrEqual(resetAt * 1000);
  });

  test('a Retry-After beyond the cap fails the webhook instead of calling early', async () => {
    const r = await receiver(() => ({ status: 503, headers: { 'retry-after': '86400' } }));
    const { id } = await stack.hookflow.send({ url: r.url, retry: fast });
    const state = await stack.hookflow.result(id);
    expect(state.status).toBe('failed');
    expect(state.reason).toMatch(/receiver asked to wait 86400 s, longer than the 36000 s honoured/);
    expect(r.arrivals).toHaveLength(1);
  });

  test('a malformed Retry-After is ignored and backoff applies', async () => {
    // A backoff long enough to be told apart from "retry at once"; only lower bounds are asserted,
    // because a loaded worker can add any delay after the scheduled time.
    const backoffMs = 1_500;
    const r = await receiver(sequence({ status: 503, headers: { 'retry-after': 'soon-ish' } }));
    const { id } = await stack.hookflow.send({ url: r.url, retry: { initialIntervalMs: backoffMs, maxIntervalMs: backoffMs, maxAttempts: 3 } });
    const state = await stack.hookflow.result(id);
    expect(state.status).toBe('delivered');
    const [first] = state.attempts;
    expect(first.responseHeaders).toMatchObject({ 'retry-after': 'soon-ish' });
    const earliest = backoffMs * (1 - BACKOFF_JITTER);
    expect(Date.parse(first.nextAttemptAt!) - (Date.parse(first.startedAt) + first.durationMs)).toBeGreaterThanOrEqual(earliest);
    expect(r.arrivals[1].at - r.arrivals[0].at).toBeGreaterThanOrEqual(earliest);
  });

  test('a receiver that never answers is cut off by the attempt timeout', async () => {
    const r = await receiver(sequence({ hangMs: 30_000 }));
    const started = Date.now();
    const { id } = await stack.hookflow.send({ url: r.url, timeoutMs: 500, retry: fast });
    const state = await stack.hookflow.result(id);
    expect(state.status).toBe('delivered');
    expect(state.attempts[0].error).toBe('attempt timed out: no complete answer within 500 ms');
    // Well before the receiver's 30 s hang would have ended; not tighter, since a loaded machine
    // adds seconds to the send and the retry around the timeout.
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  test('the retry window ends the retries', async () => {
    const r = await receiver(() => ({ status: 500 }));
    // A window of several retries: a loaded machine can take a second or two before the first
    // attempt and between attempts, and the test needs at least two retries inside it.
    const { id } = await stack.hookflow.send({ url: r.url, retry: { maxAttempts: 100, maxDurationSeconds: 8, initialIntervalMs: 1000, maxIntervalMs: 1000 } });
    const state = await stack.hookflow.result(id);
    expect(state.status).toBe('failed');
    expect(state.reason).toBe('receiver error; retry window ended');
    // Every retry was scheduled inside the window; the one that would fall outside was not made.
    const scheduled = state.attempts.flatMap((a) => (a.nextAttemptAt ? [Date.parse(a.nextAttemptAt)] : []));
    expect(scheduled.length).toBeGreaterThanOrEqual(2);
    for (const at of scheduled) expect(at - Date.parse(state.createdAt)).toBeLessThanOrEqual(8_000);
    expect(state.attempts).toHaveLength(scheduled.length + 1);
  });
});

describe('operators steer a webhook', () => {
  test('cancel stops a pending webhook: no further attempt', async () => {
    const r = await receiver(() => ({ status: 503 }));
    // The next attempt far off: on a loaded machine the cancel itself can take seconds.
    const { id } = await stack.hookflow.send({ url: r.url, retry: { maxAttempts: 10, initialIntervalMs: 30_000, maxIntervalMs: 30_000 } });
    await r.waitFor(1);
    const state = await stack.hookflow.cancel(id);
    expect(state.status).toBe('cancelled');
    expect((await stack.hookflow.status(id)).status).toBe('cancelled');
    await expect(stack.hookflow.cancel(id)).rejects.toThrow(`cannot cancel webhook ${id}: it is cancelled`);
    expect(r.arrivals).toHaveLength(1);
  });

  test('cancel with no worker to carry it out answers unavailable after the call timeout instead of waiting forever', async () => {
    const idle = await Hookflow.connect({ config: { ...stack.config, taskQueue: `no-worker-${randomUUID()}` }, encryptionKey: stack.encryptionKey, callTimeoutMs: NO_WORKER_CALL_TIMEOUT_MS });
    try {
      const { id } = await idle.send({ url: 'http://127.0.0.1:9/never' });
      const started = Date.now();
      await expect(idle.cancel(id)).rejects.toBeInstanceOf(DependencyUnavailableError);
      // The cancel waits the call timeout and twice that for the result, then gives up (plus slack).
      expect(Date.now() - started).toBeLessThan(3 * NO_WORKER_CALL_TIMEOUT_MS + 10_000);
      await idle.client.workflow.getHandle(webhookWorkflowId(id)).terminate('test cleanup');
    } finally {
      await idle.close();
    }
  });

  test('with no worker, a repeated send still answers its published status; the full status, which needs a worker, answers unavailable', async () => {
    const idle = await Hookflow.connect({ config: { ...stack.config, taskQueue: `no-worker-${randomUUID()}` }, encryptionKey: stack.encryptionKey, callTimeoutMs: NO_WORKER_CALL_TIMEOUT_MS });
    try {
      const webhook = { url: 'http://127.0.0.1:9/never', idempotencyKey: `no-worker-${randomUUID()}` };
      const { id, created } = await idle.send(webhook);
      expect(created).toBe(true);
      expect(await idle.send(webhook)).toEqual({ id, created: false });
      expect(await idle.publishedStatus(id)).toBe('pending');
      await expect(idle.status(id)).rejects.toBeInstanceOf(DependencyUnavailableError);
      await idle.client.workflow.getHandle(webhookWorkflowId(id)).terminate('test cleanup');
      expect(await idle.publishedStatus(id)).toBe('cancelled');
    } finally {
      await idle.close();
    }
  });

  test('retry sends a failed webhook again as the same message', async () => {
    let healthy = false;
    const r = await receiver(() => ({ status: healthy ? 200 : 404 }));
    const { id } = await stack.hookflow.send({ url: r.url, body: 'same', retry: fast });
    expect((await stack.hookflow.result(id)).status).toBe('failed');
    healthy = true;
    await stack.hookflow.retry(id);
    const state = await stack.hookflow.result(id);
    expect(state.status).toBe('delivered');
    expect(state.attempts.map((a) => [a.number, a.trigger, a.statusCode])).toEqual([
      [1, 'scheduled', 404],
      [2, 'manual', 200],
    ]);
    expect(r.arrivals.map((a) => a.headers['webhook-id'])).toEqual([id, id]);
    expect(r.arrivals[1].body.toString()).toBe('same');
  });

  test('the same idempotency key returns the same id and sends nothing more', async () => {
    const r = await receiver();
    const key = `order-${Date.now()}`;
    const first = await stack.hookflow.send({ url: r.url, idempotencyKey: key, body: { n: 1 } });
    await stack.hookflow.result(first.id);
    const second = await stack.hookflow.send({ url: r.url, idempotencyKey: key, body: { n: 1 } });
    expect(second).toEqual({ id: first.id, created: false });
    expect(first.created).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(r.arrivals).toHaveLength(1);
  });

  test('status of an unknown id is a not-found error', async () => {
    await expect(stack.hookflow.status('wh_00000000000000000000000000000000')).rejects.toThrow(
      'webhook wh_00000000000000000000000000000000 not found',
    );
  });
});
