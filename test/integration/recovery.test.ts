/**
 * Recovering failed webhooks in bulk: `POST /v1/webhooks/recover` fixes its matches from the
 * ledger, sends each again as the same message, paced, and reports its progress; the same filter
 * posted while its job runs answers that job and sends nothing twice.
 */
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { buildApi } from '../../src/api/server';
import { AesGcmCodec, parseEncryptionKey } from '../../src/temporal/codec';
import { startReceiver, type Arrival, type Receiver, type Reply } from '../helpers/receiver';
import { startTestStack, type TestStack } from '../helpers/stack';
import { until } from '../helpers/wait';

/**
 * One a second: the job of ten takes nine seconds or more, so that the same filter posted again
 * while it runs still finds it running when a call takes seconds on a loaded machine (at 5 a
 * second the job was over in about one).
 */
const RATE = 1;
let stack: TestStack;
let api: FastifyInstance;
let base: string;
const receivers: Receiver[] = [];

async function receiver(script: (a: Arrival) => Reply): Promise<Receiver> {
  const r = await startReceiver(script);
  receivers.push(r);
  return r;
}

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: 'Bearer k', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

beforeAll(async () => {
  stack = await startTestStack({ recoveryRate: RATE });
  api = buildApi({
    hookflow: stack.hookflow,
    apiKeys: ['k'],
    codec: new AesGcmCodec(parseEncryptionKey(stack.encryptionKey)),
    uiOrigins: [],
    maxBodyBytes: stack.config.maxBodyBytes,
    logLevel: 'silent',
  });
  await api.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(api.server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await api?.close();
  await Promise.all(receivers.map((r) => r.close()));
  await stack?.stop();
});

test('failed webhooks of one host are sent again as the same messages, paced, once each, while the rest are left alone', async () => {
  let healthy = false;
  // 422 fails a webhook at once (the receiver rejected it) without counting against the host's breaker.
  const target = await receiver(() => ({ status: healthy ? 200 : 422 }));
  const other = await receiver(() => ({ status: 422 }));
  const failed = await Promise.all(Array.from({ length: 10 }, (_, i) => stack.hookflow.send({ url: target.url, body: { i }, tags: { batch: 'spring' } })));
  const elsewhere = await stack.hookflow.send({ url: other.url, tags: { batch: 'spring' } });
  for (const { id } of [...failed, elsewhere]) expect((await stack.hookflow.result(id)).status).toBe('failed');
  healthy = true;

  const posted = await call('POST', '/v1/webhooks/recover', { status: 'failed', host: target.authority, tags: { batch: 'spring' } });
  expect(posted.status).toBe(202);
  expect(posted.body).toMatchObject({ jobId: expect.stringMatching(/^job_[0-9a-f]{24}$/), status: 'running', total: 10 });
  // The same filter, written differently, while the job runs: the same job, nothing new.
  const again = await call('POST', '/v1/webhooks/recover', { tags: { batch: 'spring' }, host: target.authority.toUpperCase(), status: 'failed' });
  expect(again.status).toBe(200);
  expect(again.body.jobId).toBe(posted.body.jobId);

  const job = await until('the job to complete', async () => {
    const { body } = await call('GET', `/v1/jobs/${posted.body.jobId as string}`);
    return body.status === 'completed' ? body : undefined;
  }, 60_000);
  expect(job).toMatchObject({ total: 10, done: 10, failed: 0, skipped: 0, pending: 0 });
  for (const { id } of failed) expect((await stack.hookflow.result(id)).status).toBe('delivered');

  // Each message arrived twice (its failure, its recovery) with the same webhook-id; the other host got nothing more.
  await until('every recovered message to arrive', async () => (target.arrivals.length >= 20 ? true : undefined), 30_000);
  const ids = target.arrivals.map((a) => a.headers['webhook-id']);
  expect(target.arrivals).toHaveLength(20);
  expect(new Set(ids).size).toBe(10);
  expect(other.arrivals).toHaveLength(1);
  // Paced at RATE a second, a batch of RATE at a time: ten recoveries take at least 10 / RATE - 1
  // seconds from first to last.
  const recovered = target.arrivals.slice(10).map((a) => a.at);
  expect(Math.max(...recovered) - Math.min(...recovered)).toBeGreaterThanOrEqual((10 / RATE - 1) * 1_000 - 100);

  // Once the job completed, the same filter is a new job, which finds nothing failed any more.
  const later = await call('POST', '/v1/webhooks/recover', { status: 'failed', host: target.authority, tags: { batch: 'spring' } });
  expect([later.status, later.body.total]).toEqual([202, 0]);
}, 90_000);

test('a bad filter is refused, naming each field', async () => {
  const res = await call('POST', '/v1/webhooks/recover', { status: 'delivered', host: 'a/b', since: 'yesterday', colour: 'red' });
  expect(res.status).toBe(400);
  const fields = (res.body.issues as { field: string }[]).map((i) => i.field).sort();
  expect(fields).toEqual(['colour', 'since', 'status']);
  const host = await call('POST', '/v1/webhooks/recover', { status: 'failed', host: 'a/b' });
  expect(host.body.issues).toEqual([{ field: 'host', message: 'must be a host[:port] authority' }]);
});

test('an unknown job is a 404', async () => {
  const res = await call('GET', '/v1/jobs/job_000000000000000000000000');
  expect(res.status).toBe(404);
});
