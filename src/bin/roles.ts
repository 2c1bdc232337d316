/**
 * The two roles Hookflow runs, alone (`npm run worker`, `npm run api`) or together (`npm start`).
 */
import type { NativeConnection } from '@temporalio/worker';
import type { Config } from '../config';
import { hookflowClient } from '../temporal/connect';
import { buildApi } from '../api/server';
import { Hookflow } from '../client/hookflow';
import { AesGcmCodec, parseEncryptionKey } from '../temporal/codec';
import { checkEncryptionKey } from '../temporal/key-check';
import { internalApiKey } from '../self/credential';
import { createHookflowWorker } from '../worker/create-worker';
import { migrate } from '../db/migrate';
import { resolveDatabaseUrl } from '../db/pool';
import type { HookflowMetrics } from '../metrics/registry';

export interface Role {
  /** Resolves when the role has stopped (after stop(), or if it fails). */
  done: Promise<void>;
  stop(): Promise<void>;
}

export async function startWorkerRole(config: Config, encryptionKey: string, metrics?: HookflowMetrics): Promise<Role & { connection: NativeConnection }> {
  const { run, shutdown, connection } = await createHookflowWorker({ config, encryptionKey, metrics });
  const done = run();
  return {
    connection,
    done,
    async stop() {
      shutdown();
      await done;
    },
  };
}

export interface ApiRoleOptions {
  /**
   * The connection of a worker in this same process. The API then starts webhooks on it with eager
   * workflow start (HOOKFLOW_EAGER_START), so a new webhook's first attempt skips a round trip.
   */
  workerConnection?: NativeConnection;
  /**
   * `npm start`: the embedded Web UI may use the codec endpoints by its origin (from this machine
   * only, unless HOOKFLOW_UI_ORIGINS says otherwise). A standalone API (`npm run api`, Docker)
   * trusts no origin unless HOOKFLOW_UI_ORIGINS is set: its codec needs an API key.
   */
  embeddedUi?: boolean;
  /** Served at GET /metrics: the process's metrics (with `npm start`, the worker's too). */
  metrics?: HookflowMetrics;
}

export async function startApiRole(config: Config, encryptionKey: string, apiKeys: string[], options: ApiRoleOptions = {}): Promise<Role & { url: string }> {
  const { workerConnection } = options;
  const databaseUrl = resolveDatabaseUrl(config);
  await migrate(databaseUrl);
  await checkEncryptionKey(databaseUrl, encryptionKey);
  const hookflow = workerConnection
    ? await Hookflow.connect({
        config,
        client: hookflowClient(workerConnection, config.temporalNamespace, encryptionKey),
        encryptionKey,
        databaseUrl,
        eagerStart: config.eagerStart,
      })
    : await Hookflow.connect({ config, encryptionKey, databaseUrl });
  const app = buildApi({
    hookflow,
    apiKeys,
    codec: new AesGcmCodec(parseEncryptionKey(encryptionKey)),
    uiOrigins: config.uiOrigins ?? (options.embeddedUi ? [`http://localhost:${config.devUiPort}`, `http://127.0.0.1:${config.devUiPort}`] : []),
    uiOriginsFromLoopbackOnly: config.uiOrigins === undefined,
    maxBodyBytes: config.maxBodyBytes,
    logLevel: config.logLevel,
    metrics: options.metrics,
    // Workers with the same encryption key call this API for Hookflow-to-Hookflow webhooks.
    self: { internalKey: internalApiKey(encryptionKey), maxHops: config.maxHops },
    reports: {
      namespace: config.temporalNamespace,
      temporalUiUrl: config.temporalUiUrl ?? (options.embeddedUi ? `http://localhost:${config.devUiPort}` : undefined),
    },
  });
  await app.listen({ port: config.port, host: config.host });
  let resolveDone!: () => void;
  const done = new Promise<void>((resolve) => (resolveDone = resolve));
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  return {
    url: `http://${config.host === '0.0.0.0' ? 'localhost' : config.host}:${port}`,
    done,
    async stop() {
      await app.close();
      await hookflow.close();
      resolveDone();
    },
  };
}
