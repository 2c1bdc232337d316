/**
 * A PostgreSQL database of its own for each test stack, on the test run's embedded cluster:
 * cloned from a template the global set-up migrated once, so it starts with the current schema.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const TEMPLATE_DATABASE = 'hookflow_template';

function adminUrl(): string {
  const url = process.env.HOOKFLOW_TEST_POSTGRES_ADMIN_URL;
  if (!url) throw new Error('HOOKFLOW_TEST_POSTGRES_ADMIN_URL unset: run the tests through jest (global setup)');
  return url;
}

/** Creates a fresh database and returns its URL. */
export async function createTestDatabase(): Promise<string> {
  const name = `test_${randomBytes(8).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl() });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name} TEMPLATE ${TEMPLATE_DATABASE}`);
  } finally {
    await admin.end();
  }
  return adminUrl().replace(/\/postgres$/, `/${name}`);
}
