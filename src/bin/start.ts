/**
 * `npm start`: Hookflow on its embedded defaults — a Temporal dev server persisting to SQLite and a
 * PostgreSQL cluster, both in the data dir, the worker and the API in this process. With
 * TEMPORAL_ADDRESS (or DATABASE_URL) set it starts no such server and connects there.
 */
import fs from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../config';
import { resolveApiKeys, resolveEncryptionKey } from '../data-dir';
import { startEmbeddedPostgres, stopOrphanedPostgres, type RunningPostgres } from '../db/embedded-postgres';
import { embeddedPostgresDir } from '../db/pool';
import { resolveTemporalCli, startDevServer, type DevServer } from '../dev/temporal-dev-server';
import { startBanner } from './banner';
import { logger, main } from './lifecycle';
import { startApiRole, startWorkerRole } from './roles';

/** A dev server left running by a Hookflow that was killed (SIGKILL) is stopped before starting anew. */
async function stopOrphan(pidFile: string): Promise<void> {
  if (!fs.existsSync(pidFile)) return;
  const pid = Number(fs.readFileSync(pidFile, 'utf8'));
  fs.rmSync(pidFile);
  let cmdline = '';
  try {
    cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return; // not running (or not Linux: nothing we can safely check)
  }
  if (!cmdline.includes('start-dev')) return;
  logger.warn({ pid }, 'stopping the Temporal dev server left by an earlier run');
  process.kill(pid, 'SIGTERM');
  for (let i = 0; i < 100 && fs.existsSync(`/proc/${pid}`); i++) await new Promise((r) => setTimeout(r, 100));
}

main(async ({ metrics }) => {
  const config = loadConfig();
  const encryptionKey = resolveEncryptionKey(config, { generate: true });
  const apiKeys = resolveApiKeys(config, { generate: true });

  let postgres: RunningPostgres | undefined;
  let databaseUrl = config.databaseUrl;
  if (!databaseUrl) {
    const dir = embeddedPostgresDir(config);
    if (await stopOrphanedPostgres(dir)) logger.warn('stopped the PostgreSQL left by an earlier run');
    postgres = await startEmbeddedPostgres({ dir, port: config.embeddedPostgresPort, logFile: path.join(config.dataDir, 'postgres.log') });
    databaseUrl = postgres.url;
  }

  let server: DevServer | undefined;
  let temporalAddress = config.temporalAddress;
  const pidFile = path.join(config.dataDir, 'temporal.pid');
  if (!temporalAddress) {
    await stopOrphan(pidFile);
    server = await startDevServer({
      cliPath: resolveTemporalCli(config.temporalCliPath),
      dbFile: path.join(config.dataDir, 'temporal.db'),
      port: config.devTemporalPort,
      uiPort: config.devUiPort,
      namespace: config.temporalNamespace,
      codecEndpoint: `http://localhost:${config.port}/codec`,
      // WAL lets readers and the writer work at once; synchronous stays at its durable default.
      sqlitePragmas: ['journal_mode=WAL'],
      logFile: path.join(config.dataDir, 'temporal.log'),
    });
    fs.writeFileSync(pidFile, String(server.process.pid));
    temporalAddress = server.address;
  }
  const effective = { ...config, temporalAddress, databaseUrl };
  const worker = await startWorkerRole(effective, encryptionKey, metrics);
  const api = await startApiRole(effective, encryptionKey, apiKeys, { workerConnection: worker.connection, embeddedUi: true, metrics });

  const stop = async (): Promise<void> => {
    await api.stop();
    await worker.stop();
    await server?.stop();
    await postgres?.stop();
    fs.rmSync(pidFile, { force: true });
  };
  worker.done.catch(async (err: unknown) => {
    logger.fatal({ err }, 'worker failed');
    await api.stop().catch(() => undefined);
    await server?.stop();
    await postgres?.stop();
    process.exit(1);
  });

  process.stdout.write(
    startBanner({
      apiUrl: api.url,
      apiKey: apiKeys[0],
      keySource: config.apiKeys?.length ? 'environment' : { file: path.join(config.dataDir, 'api-key') },
      uiUrl: server?.uiUrl,
      temporalAddress,
      namespace: config.temporalNamespace,
      database: postgres ? `embedded PostgreSQL on 127.0.0.1:${config.embeddedPostgresPort} (data in ${embeddedPostgresDir(config)})` : 'DATABASE_URL',
    }),
  );
  return stop;
});
