/**
 * Migrations merged from parallel branches arrive out of order: a database that already ran
 * 008_gone_endpoints must still get 007_encryption_key_check when it upgrades, not refuse to start.
 */
import pg from 'pg';
import { migrate } from '../../src/db/migrate';
import { createTestDatabase } from '../helpers/database';

test('a migration numbered below one already applied is applied on the next start', async () => {
  const url = await createTestDatabase();
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  try {
    // As a database migrated before 007 existed: 008 applied, 007 not.
    await db.query("DELETE FROM hookflow_migrations WHERE name = '007_encryption_key_check'");
    await db.query('DROP TABLE encryption_key_check');
    expect(await migrate(url)).toEqual(['007_encryption_key_check']);
    const { rows } = await db.query("SELECT to_regclass('encryption_key_check') AS t");
    expect(rows[0].t).toBe('encryption_key_check');
    expect(await migrate(url)).toEqual([]);
  } finally {
    await db.end();
  }
});
