/**
 * A real Hookflow for one test file: a worker on its own task queue against the test run's
 * Temporal dev server, a PostgreSQL database of its own, and a client SDK. Receivers on 127.0.0.1
 * are allowed unless a test says not.
 *
 * Each stack has its own task queue (so a test chooses which worker a webhook goes to), its own
 * host gate, and its own host workflows (HOOKFLOW_HOST_TASK_QUEUE): stacks, which share the
 * Temporal server and may reuse a receiver's port, never share a breaker by chance. A stack
 * started `alongside` another is another worker of the same deployment: it shares its host
 * workflows, database and key.
 */
import { randomUUID } from 'node:crypto';
import { DefaultLogger, Runtime, type Worker } from '@temporalio/worker';
import type { HookflowActivities } from '../../activities';
import type { HostGate } from '../../activities/breaker/host-gate';
import type { GoneList } from '../../activities/endpoint/gone-list';
import type { EventFeed } from '../../activities/event/event-feed';
import type { EventListener } from '../../src/event/listener';
import type { HookflowMetrics } from '../../src/metrics/registry';
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
  /** The worker's host gate (its message counter shows how many went to host workflows). */
  gate: HostGate;
  /** The worker's ledger writer. */
  ledger: LedgerWriter;
  /** The worker's view of the gone (410) endpoints. */
  gone: GoneList;
  /** The worker's event feed (polls the event listeners). */
  events: EventFeed;
  /** This stack's own database. */
  databaseUrl: string;
  stop(): Promise<void>;
}

export interface StackOptions {
  /** Another stack whose encryption key this one shares (a second worker of the same deployment). */
  alongside?: TestStack;
  wrapActivities?: (activities: HookflowActivities) => HookflowActivities;
  /** Temporal frontend; @default the test run's dev server */
  temporalAddress?: string;
  /** Event listeners the worker polls. */
  eventListeners?: EventListener[];
  /** Where the worker's delivery and breaker metrics go. */
  metrics?: HookflowMetrics;
  /** Workflows of the test's own beside Hookflow's (the worker bundles them: slower to start). */
  extraWorkflows?: string;
}

let runtimeInstalled = false;

export function testConfig(overrides: Partial<Config> = {}): Config {
  const address = process.env.HOOKFLOW_TEST_TEMPORAL_ADDRESS;
  if (!address) throw new Error('HOOKFLOW_TEST_TEMPORAL_ADDRESS unset: run the tests through jest (global setup)');
  return {
    ...loadConfig({}),
    temporalAddress: address,
    taskQueue: `test-${randomUUID()}`,
    hostTaskQueue: `test-hosts-${randomUUID()}`,
    allowPrivateNetworks: true,
    logLevel: 'warn',
    ...overrides,
  };
}

export async function startTestStack(overrides: Partial<Config> = {}, options: StackOptions = {}): Promise<TestStack> {
  if (!runtimeInstalled) {
    Runtime.install({ logger: new DefaultLogger('WARN') });
    runtimeInstalled = true;
  }
  const databaseUrl = options.alongside?.databaseUrl ?? (await createTestDatabase());
  const config = testConfig({
    databaseUrl,
    ...(options.temporalAddress ? { temporalAddress: options.temporalAddress } : {}),
    ...(options.alongside ? { hostTaskQueue: options.alongside.config.hostTaskQueue } : {}),
    ...overrides,
  });
  const encryptionKey = options.alongside?.encryptionKey ?? generateEncryptionKey();
  const { worker, gate, ledger, gone, events, run, shutdown } = await createHookflowWorker({
    config,
    encryptionKey,
    ...(options.extraWorkflows ? { extraWorkflows: options.extraWorkflows } : { workflowBundle: { codePath: process.env.HOOKFLOW_TEST_WORKFLOW_BUNDLE! } }),
    wrapActivities: options.wrapActivities,
    eventListeners: options.eventListeners,
    metrics: options.metrics,
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
    gone,
    events,
    databaseUrl: config.databaseUrl!,
    async stop() {
      shutdown();
      await running;
      await hookflow.close();
    },
  };
}

/** Retries a second or two apart for ten minutes: a webhook that outlasts whatever a test does to its host. */
export const PATIENT_RETRY = { initialIntervalMs: 1_000, maxIntervalMs: 2_000, maxAttempts: 100, maxDurationSeconds: 600 };
