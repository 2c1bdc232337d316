/**
 * Hookflow's PostgreSQL for the benchmark: one embedded cluster for the whole run (durable
 * settings, as `npm start` runs it), a fresh migrated database per system, and the pids of the
 * cluster's processes so that their CPU is charged to Hookflow. BENCH_DATABASE_ADMIN_URL points
 * at an external PostgreSQL instead (a superuser URL of its `postgres` database).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { childrenOf } from './procs';
import { startEmbeddedPostgres, type RunningPostgres } from '../../src/db/embedded-postgres';
import { migrate } from '../../src/db/migrate';
import { freePort } from '../../src/dev/free-port';

let cluster: Promise<{ adminUrl: string; running?: RunningPostgres }> | undefined;
/** Set once the embedded cluster is up. */
let embedded: RunningPostgres | undefined;

function benchCluster(workDir: string): Promise<{ adminUrl: string; running?: RunningPostgres }> {
  cluster ??= (async () => {
    if (process.env.BENCH_DATABASE_ADMIN_URL) return { adminUrl: process.env.BENCH_DATABASE_ADMIN_URL };
    // Its own temp dir, open to the `postgres` account that the server runs as under root.
    const own = fs.mkdtempSync(path.join(os.tmpdir(), 'hookflow-bench-pg-'));
    fs.chmodSync(own, 0o755);
    fs.mkdirSync(workDir, { recursive: true });
    const running = await startEmbeddedPostgres({ dir: path.join(own, 'postgres'), port: await freePort(), logFile: path.join(workDir, 'postgres.log'), settings: { max_connections: '200' } });
    embedded = running;
    return { adminUrl: running.adminUrl, running };
  })();
  return cluster;
}

/** A fresh, migrated database; its URL. */
export async function benchDatabase(workDir: string, name: string): Promise<string> {
  const { adminUrl } = await benchCluster(workDir);
  const db = `bench_${name.replace(/[^a-z0-9]/gi, '_')}_${randomBytes(4).toString('hex')}`.toLowerCase();
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${db}`);
  } finally {
    await admin.end();
  }
  const url = adminUrl.replace(/\/postgres(\?.*)?$/, `/${db}`);
  await migrate(url);
  return url;
}

/** The embedded cluster's processes (postmaster and its backends), for CPU accounting; none for an external one. */
export function postgresPids(): number[] {
  const root = embedded?.process.pid;
  return root ? [root, ...childrenOf(root)] : [];
}

export async function stopBenchPostgres(): Promise<void> {
  const c = cluster && (await cluster);
  await c?.running?.stop();
  cluster = undefined;
  embedded = undefined;
}
