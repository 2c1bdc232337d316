/**
 * The Hookflow worker: runs the delivery workflows and their send activity on the task queue.
 */
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime, Worker, type WorkerOptions } from '@temporalio/worker';
import type { Agent } from 'undici';
import { createActivities } from '../../activities';
import { HostGate } from '../../activities/host-gate';
import { createHttpClient } from '../../activities/http-client';
import { breakerSettings } from '../breaker/settings';
import type { Config } from '../config';
import { createAddressPolicy } from '../net/address-policy';
import { hookflowDataConverter } from '../temporal/connect';

export interface HookflowWorker {
  worker: Worker;
  gate: HostGate;
  /** The worker's connection; a client on it can start webhooks eagerly on this worker. */
  connection: NativeConnection;
  /** Runs until shutdown() is called or a signal arrives; closes the HTTP client after. */
  run(): Promise<void>;
}

export interface CreateWorkerOptions {
  config: Config;
  encryptionKey: string;
  connection?: NativeConnection;
  /** A prebuilt workflow bundle (tests, benchmarks); by default the worker bundles workflows/ itself. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** Extra Worker options, e.g. `shutdownGraceTime`. */
  workerOptions?: Partial<WorkerOptions>;
}

export const WORKFLOWS_PATH = path.resolve(__dirname, '../../workflows');

export async function createHookflowWorker(options: CreateWorkerOptions): Promise<HookflowWorker> {
  const { config } = options;
  const address = config.temporalAddress ?? `localhost:${config.devTemporalPort}`;
  const connection = options.connection ?? (await NativeConnection.connect({ address }));
  // Activities talk to Temporal too (host reports, resume signals); that needs a client connection.
  const clientConnection = await Connection.connect({ address });
  const client = new Client({
    connection: clientConnection,
    namespace: config.temporalNamespace,
    dataConverter: hookflowDataConverter(options.encryptionKey),
  });
  const gate = new HostGate({
    client,
    taskQueue: config.taskQueue,
    settings: breakerSettings(config),
    reportIntervalMs: config.hostReportIntervalMs,
    maxWaitMs: config.maxRetryAfterMs,
    onError: (err, what) => Runtime.instance().logger.warn(`host gate: ${what} failed: ${(err as Error).message}`),
  });
  const policy = createAddressPolicy({ allowPrivateNetworks: config.allowPrivateNetworks, allowedCidrs: config.allowedCidrs });
  const http: Agent = createHttpClient({ policy });
  const worker = await Worker.create({
    connection,
    namespace: config.temporalNamespace,
    taskQueue: config.taskQueue,
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : { workflowsPath: WORKFLOWS_PATH }),
    activities: createActivities({ dispatcher: http, policy, maxResponseBytes: config.maxResponseBytes, gate, client }),
    dataConverter: hookflowDataConverter(options.encryptionKey),
    maxConcurrentLocalActivityExecutions: config.maxConcurrentSends,
    maxConcurrentActivityTaskExecutions: config.maxConcurrentSends,
    ...options.workerOptions,
  });
  return {
    worker,
    gate,
    connection,
    async run() {
      gate.start();
      try {
        await worker.run();
      } finally {
        await gate.stop();
        await http.close();
        await clientConnection.close();
        if (!options.connection) await connection.close();
      }
    },
  };
}
