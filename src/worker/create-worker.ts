/**
 * The Hookflow worker: the delivery workflows and their send activity on the task queue, and the
 * per-host breaker workflows on a queue of their own (`<task queue>-hosts`), so that a backlog of
 * deliveries never delays the breaker that is meant to protect the host from them.
 */
import path from 'node:path';
import { bundleWorkflowCode, NativeConnection, Runtime, Worker, type WorkerOptions } from '@temporalio/worker';
import type { Agent } from 'undici';
import { createActivities, type HookflowActivities } from '../../activities';
import { HostGate } from '../../activities/breaker/host-gate';
import { createHttpClient } from '../../activities/net/guarded-client';
import { hostTaskQueue } from '../breaker/definitions';
import { breakerSettings } from '../breaker/settings';
import type { Config } from '../config';
import { createAddressPolicy } from '../net/address-policy';
import { hookflowClient, hookflowDataConverter, temporalAddressOf } from '../temporal/connect';

export interface HookflowWorker {
  /** The delivery workflows' worker. */
  worker: Worker;
  /** The host breaker workflows' worker. */
  hostWorker: Worker;
  gate: HostGate;
  /** The worker's connection; a client on it can start webhooks eagerly on this worker. */
  connection: NativeConnection;
  /** Runs until shutdown() is called; closes the HTTP client and connections after. */
  run(): Promise<void>;
  /** Stops both workers (each finishes what it is running). */
  shutdown(): void;
}

export interface CreateWorkerOptions {
  config: Config;
  encryptionKey: string;
  connection?: NativeConnection;
  /** A prebuilt workflow bundle (tests, benchmarks); by default the worker bundles workflows/ itself. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** Extra Worker options, e.g. `shutdownGraceTime`. */
  workerOptions?: Partial<WorkerOptions>;
  /** Wraps the real activities, e.g. to make one fail in a test. */
  wrapActivities?: (activities: HookflowActivities) => HookflowActivities;
}

export const WORKFLOWS_PATH = path.resolve(__dirname, '../../workflows');

export async function createHookflowWorker(options: CreateWorkerOptions): Promise<HookflowWorker> {
  const { config } = options;
  const connection = options.connection ?? (await NativeConnection.connect({ address: temporalAddressOf(config) }));
  // Activities talk to Temporal too (host reports and queries, resume signals), over the worker's own connection.
  const client = hookflowClient(connection, config.temporalNamespace, options.encryptionKey);
  const gate = new HostGate({
    client,
    taskQueue: config.taskQueue,
    settings: breakerSettings(config),
    reportIntervalMs: config.hostReportIntervalMs,
    maxWaitMs: config.maxRetryAfterMs,
    onError: (err, what) => Runtime.instance().logger.warn(`host gate: ${what} failed: ${(err as Error).message}`),
  });
  const http: Agent = createHttpClient({
    policy: createAddressPolicy({ allowPrivateNetworks: config.allowPrivateNetworks, allowedCidrs: config.allowedCidrs }),
  });
  const workflowBundle = options.workflowBundle ?? (await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: Runtime.instance().logger }));
  const common = {
    connection,
    namespace: config.temporalNamespace,
    workflowBundle,
    activities: (options.wrapActivities ?? ((a) => a))(createActivities({ dispatcher: http, maxResponseBytes: config.maxResponseBytes, gate, client })),
    dataConverter: hookflowDataConverter(options.encryptionKey),
  };
  const worker = await Worker.create({
    ...common,
    taskQueue: config.taskQueue,
    maxConcurrentLocalActivityExecutions: config.maxConcurrentSends,
    maxConcurrentActivityTaskExecutions: config.maxConcurrentSends,
    maxCachedWorkflows: config.maxCachedWorkflows,
    ...options.workerOptions,
  });
  const hostWorker = await Worker.create({ ...common, taskQueue: hostTaskQueue(config.taskQueue), ...options.workerOptions });
  const shutdown = (): void => {
    for (const w of [worker, hostWorker]) if (w.getState() === 'RUNNING') w.shutdown();
  };
  return {
    worker,
    hostWorker,
    gate,
    connection,
    shutdown,
    async run() {
      gate.start();
      try {
        // If either stops (or fails), stop the other too.
        await Promise.all([worker.run().finally(shutdown), hostWorker.run().finally(shutdown)]);
      } finally {
        await gate.stop();
        await http.close();
        if (!options.connection) await connection.close();
      }
    },
  };
}
