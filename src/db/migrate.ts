/**
 * Schema changes: the SQL files in src/db/migrations, applied in order by node-pg-migrate at
 * start-up. Several workers and APIs may start at once, so each first waits for a session
 * advisory lock: the first applies what is pending, the others then find nothing left to do.
 */
import path from 'node:path';
import { runner } from 'node-pg-migrate';
import pg from 'pg';
import { projectRoot } from '../paths';

export const MIGRATIONS_DIR = path.join(projectRoot(__dirname), 'src', 'db', 'migrations');
/** Arbitrary, fixed: the advisory lock every Hookflow process takes to migrate. */
const MIGRATION_LOCK = 4_242_017_001;

/** Applies every pending migration; returns the names of those it applied. */
export async function migrate(databaseUrl: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  client.on('error', () => undefined);
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    const applied = await runner({
      dbClient: client,
      dir: MIGRATIONS_DIR,
      direction: 'up',
      migrationsTable: 'hookflow_migrations',
      noLock: true,
      singleTransaction: true,
      log: () => undefined,
    });
    return applied.map((m) => m.name);
  } finally {
    // Ending the session releases the lock too, should the unlock itself fail.
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
    await client.end().catch(() => undefined);
  }
}
