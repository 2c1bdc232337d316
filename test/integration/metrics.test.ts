/**
 * Prometheus metrics as an operator scrapes them: Hookflow started as `npm start` runs it (its own
 * process, against the test run's Temporal server and a database of its own), real receivers on
 * 127.0.0.1, webhooks posted through the API, then GET /metrics read as Prometheus reads it. A
 * standalone worker (`npm run worker`) serves its own on HOOKFLOW_METRICS_PORT.
 */
import { request } from 'undici';
import { Hookflow } from '../../src/client/hookflow';
import { loadConfig } from '../../src/config';
import { startHookflowProcess, type HookflowProcess } from '../helpers/hookflow-process';
import { families, sample } from '../helpers/prometheus';
import { startReceiver, type Receiver } from '../helpers/receiver';
import { until } from '../helpers/wait';

const retry = { initialIntervalMs: 100, maxIntervalMs: 200, maxAttempts: 3 };
const receivers: Receiver[] = [];
let hookflow: HookflowProcess | undefined;

afterEach(async () => {
  await hookflow?.stop();
  hookflow = undefined;
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});

async function receiver(script?: Parameters<typeof startReceiver>[0]): Promise<Receiver> {
  const r = await startReceiver(script);
  receivers.push(r);
  return r;
}

async function get(url: string, key?: string): Promise<{ status: number; type: string; text: string }> {
  const res = await request(url, { headers: key ? { authorization: `Bearer ${key}` } : {} });
  return { status: res.statusCode, type: String(res.headers['content-type']), text: await res.body.text() };
}

async function post(p: HookflowProcess, body: unknown): Promise<string> {
  const res = await request(`${p.url}/v1/webhooks`, {
    method: 'POST',
    headers: { authorization: `Bearer ${p.apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const answer = (await res.body.json()) as { id: string };
  expect(res.statusCode).toBe(202);
  return answer.id;
}

async function finished(p: HookflowProcess, id: string): Promise<string> {
  return until(`${id} to finish`, async () => {
    const { text } = await get(`${p.url}/v1/webhooks/${id}`, p.apiKey);
    const { status } = JSON.parse(text) as { status: string };
    return ['delivered', 'failed', 'cancelled'].includes(status) ? status : undefined;
  });
}

const HOOKFLOW_FAMILIES = [
  'hookflow_attempts_total',
  'hookflow_deliveries_total',
  'hookflow_attempt_duration_seconds',
  'hookflow_delivery_latency_seconds',
  'hookflow_breaker_hosts',
];

test('npm start: /metrics needs the API key, and a delivered, a retried, a failed and a blocked webhook each move their series', async () => {
  // Loopback receivers are allowed by range, so a webhook to [::1] is refused as a private address.
  hookflow = await startHookflowProcess('start', { HOOKFLOW_ALLOWED_CIDRS: '127.0.0.1/32' });
  const p = hookflow;
  expect((await get(`${p.url}/metrics`)).status).toBe(401);

  const before = await get(`${p.url}/metrics`, p.apiKey);
  expect(before.status).toBe(200);
  expect(before.type).toContain('text/plain');
  expect(families(before.text)).toEqual(expect.arrayContaining([...HOOKFLOW_FAMILIES, 'process_cpu_seconds_total', 'nodejs_eventloop_lag_seconds']));
  // The Temporal SDK's own runtime metrics come in the same scrape.
  expect(families(before.text).filter((f) => f.startsWith('temporal_')).length).toBeGreaterThan(5);

  const ok = await receiver();
  const flaky = await receiver(({ n }) => (n === 1 ? { status: 503 } : { status: 200 }));
  const rejecting = await receiver(() => ({ status: 400 }));
  const ids = {
    ok: await post(p, { url: `${ok.url}/a`, retry }),
    flaky: await post(p, { url: `${flaky.url}/b`, retry }),
    rejected: await post(p, { url: `${rejecting.url}/c`, retry }),
    blocked: await post(p, { url: `http://[::1]:${ok.url.split(':').pop()}/d`, retry }),
  };
  expect(await finished(p, ids.ok)).toBe('delivered');
  expect(await finished(p, ids.flaky)).toBe('delivered');
  expect(await finished(p, ids.rejected)).toBe('failed');
  expect(await finished(p, ids.blocked)).toBe('failed');

  const after = (await get(`${p.url}/metrics`, p.apiKey)).text;
  const moved = (name: string, labels: Record<string, string> = {}): number => sample(after, name, labels) - sample(before.text, name, labels);
  expect({
    attempts: {
      delivered: moved('hookflow_attempts_total', { outcome: 'delivered', status_class: '2xx' }),
      retried: moved('hookflow_attempts_total', { outcome: 'retried', status_class: '5xx' }),
      failed: moved('hookflow_attempts_total', { outcome: 'failed', status_class: '4xx' }),
      blocked: moved('hookflow_attempts_total', { outcome: 'blocked', status_class: 'none' }),
    },
    deliveries: {
      delivered: moved('hookflow_deliveries_total', { outcome: 'delivered', status_class: '2xx' }),
      failed: moved('hookflow_deliveries_total', { outcome: 'failed', status_class: '4xx' }),
      blocked: moved('hookflow_deliveries_total', { outcome: 'blocked', status_class: 'none' }),
    },
    attemptDurations: moved('hookflow_attempt_duration_seconds_count', { status_class: '2xx' }) + moved('hookflow_attempt_duration_seconds_count', { status_class: '5xx' }) + moved('hookflow_attempt_duration_seconds_count', { status_class: '4xx' }) + moved('hookflow_attempt_duration_seconds_count', { status_class: 'none' }),
    latencies: moved('hookflow_delivery_latency_seconds_count'),
  }).toEqual({
    attempts: { delivered: 2, retried: 1, failed: 1, blocked: 1 },
    deliveries: { delivered: 2, failed: 1, blocked: 1 },
    attemptDurations: 5,
    latencies: 2,
  });
  // The retried webhook waited ≥ 100 ms before its second attempt: its trigger-to-delivery time shows it.
  expect(moved('hookflow_delivery_latency_seconds_sum')).toBeGreaterThan(0.1);
  expect(sample(after, 'hookflow_breaker_hosts', { host: flaky.authority, state: 'closed' })).toBe(1);
  expect(sample(after, 'hookflow_breaker_hosts', { host: flaky.authority, state: 'open' })).toBe(0);
  // The worker's Temporal runtime timed each attempt's (local) activity.
  const core = { namespace: 'default', service_name: 'temporal-core-sdk', task_queue: p.env.HOOKFLOW_TASK_QUEUE, workflow_type: 'deliverWebhook', activity_type: 'sendAttempt' };
  expect(sample(after, 'temporal_local_activity_execution_latency_count', core)).toBe(5);
}, 240_000);

test('npm run worker: its metrics on HOOKFLOW_METRICS_PORT, without a key', async () => {
  hookflow = await startHookflowProcess('worker', { HOOKFLOW_ALLOW_PRIVATE_NETWORKS: 'true' });
  const p = hookflow;
  const ok = await receiver();
  const sdk = await Hookflow.connect({
    config: { ...loadConfig({}), temporalAddress: p.env.TEMPORAL_ADDRESS, taskQueue: p.env.HOOKFLOW_TASK_QUEUE, databaseUrl: p.env.DATABASE_URL },
    encryptionKey: p.env.HOOKFLOW_ENCRYPTION_KEY,
  });
  try {
    const { id } = await sdk.send({ url: ok.url, retry });
    expect((await sdk.result(id)).status).toBe('delivered');
  } finally {
    await sdk.close();
  }
  const scrape = await get(`${p.url}/metrics`);
  expect(scrape.status).toBe(200);
  expect(sample(scrape.text, 'hookflow_deliveries_total', { outcome: 'delivered', status_class: '2xx' })).toBe(1);
  expect(families(scrape.text).some((f) => f.startsWith('temporal_'))).toBe(true);
  expect((await get(`${p.url}/other`)).status).toBe(404);
}, 240_000);
