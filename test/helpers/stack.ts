/**
 * A real Hookflow for one test file: a worker on its own task queue against the test run's
 * Temporal dev server, a PostgreSQL database of its own, and a client SDK. Receivers on 127.0.0.1
 * are allowed unless a test says not.
 */
import { randomUUID } from 'node:crypto';
import { DefaultLogger, Runtime, type Worker } from '@temporalio/worker';
import type { HostGate } from '../../activities/host-gate';
import { Hookflow } from '../../src/client/hookflow';
import { loadConfig, type Config } from '../../src/config';
import { generateEncryptionKey } from '../../src/temporal/codec';
import { createHookflowWorker } from '../../src/worker/create-worker';
import type { LedgerWriter } from '../../activities/ledger/writer';
import { createTestDatabase } from './database';

export interface TestStack {
  hookflow: Hookflow;
  config: Config;
  encryptionKey: string;
  worker: Worker;
  /** The worker's host gate (its report counter shows how many signals went to host workflows). */
  gate: HostGate;
  /** The worker's ledger writer. */
  ledger: LedgerWriter;
  /** This stack's own database. */
  databaseUrl: string;
  stop(): Promise<void>;
}

let runtimeInstalled = false;

export function testConfig(overrides: Partial<Config> = {}): Config {
  const address = process.env.HOOKFLOW_TEST_TEMPORAL_ADDRESS;
  if (!address) throw new Error('HOOKFLOW_TEST_TEMPORAL_ADDRESS unset: run the tests through jest (global setup)');
  return {
    ...loadConfig({}),
    temporalAddress: address,
    taskQueue: `test-${randomUUID()}`,
    allowPrivateNetworks: true,
    logLevel: 'warn',
    ...overrides,
  };
}

export async function startTestStack(overrides: Partial<Config> = {}): Promise<TestStack> {
  if (!runtimeInstalled) {
    Runtime.install({ logger: new DefaultLogger('WARN') });
    runtimeInstalled = true;
  }
  const config = testConfig({ databaseUrl: await createTestDatabase(), ...overrides });
  const encryptionKey = generateEncryptionKey();
  const { worker, gate, ledger, run, shutdown } = await createHookflowWorker({
    config,
    encryptionKey,
    workflowBundle: { codePath: process.env.HOOKFLOW_TEST_WORKFLOW_BUNDLE! },
  });
  const running = run();
  const hookflow = await Hookflow.connect({ config, encryptionKey });
  return {
    hookflow,
    config,
    encryptionKey,
    worker,
    gate,
    ledger,
    databaseUrl: config.databaseUrl!,
    async stop() {
      shutdown();
      await running;
      await hookflow.close();
    },
  };
}
