/**
 * The Hookflow worker: runs the delivery workflows and their send activity on the task queue.
 */
import path from 'node:path';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import type { Agent } from 'undici';
import { createActivities } from '../../activities';
import { createHttpClient } from '../../activities/http-client';
import type { Config } from '../config';
import { createAddressPolicy } from '../net/address-policy';
import { hookflowDataConverter } from '../temporal/connect';

export interface HookflowWorker {
  worker: Worker;
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
  const connection =
    options.connection ?? (await NativeConnection.connect({ address: config.temporalAddress ?? `localhost:${config.devTemporalPort}` }));
  const policy = createAddressPolicy({ allowPrivateNetworks: config.allowPrivateNetworks, allowedCidrs: config.allowedCidrs });
  const http: Agent = createHttpClient({ policy });
  const worker = await Worker.create({
    connection,
    namespace: config.temporalNamespace,
    taskQueue: config.taskQueue,
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : { workflowsPath: WORKFLOWS_PATH }),
    activities: createActivities({ dispatcher: http, policy, maxResponseBytes: config.maxResponseBytes }),
    dataConverter: hookflowDataConverter(options.encryptionKey),
    maxConcurrentLocalActivityExecutions: config.maxConcurrentSends,
    maxConcurrentActivityTaskExecutions: config.maxConcurrentSends,
    ...options.workerOptions,
  });
  return {
    worker,
    async run() {
      try {
        await worker.run();
      } finally {
        await http.close();
        if (!options.connection) await connection.close();
      }
    },
  };
}
