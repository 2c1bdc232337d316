/**
 * Hookflow's PostgreSQL: where its own database is (DATABASE_URL, else the embedded cluster of a
 * running `npm start`), and the connection pool every role uses.
 */
import path from 'node:path';
import pg from 'pg';
import type { Config } from '../config';
import { ConfigError } from '../errors';
import { runningEmbeddedPostgres } from './embedded-postgres';

/** The embedded cluster's data directory inside the data dir. */
export const embeddedPostgresDir = (config: Config): string => path.resolve(config.dataDir, 'postgres');

/**
 * DATABASE_URL, else the embedded PostgreSQL that `npm start` runs in the data dir. A standalone
 * worker or API never starts a second server on those files: with neither, it says so.
 */
export function resolveDatabaseUrl(config: Config): string {
  if (config.databaseUrl) return config.databaseUrl;
  const running = runningEmbeddedPostgres(embeddedPostgresDir(config));
  if (running) return running.url;
  throw new ConfigError(
    'DATABASE_URL',
    `not set, and no embedded PostgreSQL is running in ${embeddedPostgresDir(config)}: start Hookflow with \`npm start\` first, or point DATABASE_URL at a PostgreSQL`,
  );
}

export function createPool(url: string, size: number): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max: size, connectionTimeoutMillis: 5_000, idleTimeoutMillis: 30_000 });
  // An idle client losing its connection (PostgreSQL restarted) must not crash the process; the
  // pool replaces it on the next query.
  pool.on('error', () => undefined);
  // A client checked out of the pool (the ledger writer's transaction) whose connection dies emits
  // 'error' on itself, not on the pool: with no listener that ends the process. Its queries fail
  // with the error anyway, and the pool drops the broken client on release.
  pool.on('connect', (client) => client.on('error', () => undefined));
  return pool;
}
