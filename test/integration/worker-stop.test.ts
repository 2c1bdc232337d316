/**
 * A worker told to stop while it is still starting stops (found by the API fuzz test, whose
 * worker was stopped right after start-up and never ended: Worker.shutdown() does nothing before
 * the Worker runs, so the stop was lost and run() went on for ever).
 */
import { generateEncryptionKey } from '../../src/temporal/codec';
import { createHookflowWorker } from '../../src/worker/create-worker';
import { createTestDatabase } from '../helpers/database';
import { testConfig } from '../helpers/stack';

test('shutdown() right after run() ends the worker', async () => {
  const config = testConfig({ databaseUrl: await createTestDatabase() });
  const w = await createHookflowWorker({ config, encryptionKey: generateEncryptionKey(), workflowBundle: { codePath: process.env.HOOKFLOW_TEST_WORKFLOW_BUNDLE! } });
  const running = w.run();
  w.shutdown();
  await running;
  expect([w.worker.getState(), w.hostWorker.getState()]).not.toContain('RUNNING');
}, 30_000);
