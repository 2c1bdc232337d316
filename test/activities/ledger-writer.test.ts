/**
 * The ledger writer against the real PostgreSQL: a row PostgreSQL refuses for its data is skipped
 * and reported, and holds up none of the rows batched with it.
 */
import pg from 'pg';
import { LedgerWriter } from '../../activities/ledger/writer';
import type { LedgerWebhook } from '../../src/ledger/rows';
import { generateEncryptionKey, parseEncryptionKey } from '../../src/temporal/codec';
import { createTestDatabase } from '../helpers/database';

let pool: pg.Pool;
beforeAll(async () => {
  pool = new pg.Pool({ connectionString: await createTestDatabase(), max: 2 });
});
afterAll(() => pool.end());

const row = (id: string, tags: Record<string, string>): LedgerWebhook => ({
  id,
  seq: 1,
  createdAt: new Date().toISOString(),
  status: 'delivered',
  method: 'POST',
  origin: 'https://example.com',
  authority: 'example.com',
  tags,
  attemptCount: 1,
  lastStatusCode: 200,
  completedAt: new Date().toISOString(),
});

test('a row PostgreSQL cannot store is skipped and reported; the rows batched with it are written', async () => {
  const errors: string[] = [];
  const writer = new LedgerWriter({
    pool,
    encryptionKey: parseEncryptionKey(generateEncryptionKey()),
    flushMs: 20,
    onError: (_err, what) => errors.push(what),
  });
  const attempt = (webhookId: string) => ({ webhookId, number: 1, trigger: 'scheduled' as const, startedAt: new Date().toISOString(), durationMs: 5, statusCode: 200 });
  // jsonb cannot hold U+0000: PostgreSQL refuses this row as data (SQLSTATE 22P05).
  const stored = Promise.all([
    writer.store({ webhook: row('wh_good_1', { a: 'x' }), attempts: [attempt('wh_good_1')] }),
    writer.store({ webhook: row('wh_bad', { a: 'nul\u0000here' }), attempts: [attempt('wh_bad')] }),
    writer.store({ webhook: row('wh_good_2', {}), attempts: [attempt('wh_good_2')] }),
  ]);
  await expect(stored).resolves.toBeDefined();
  const { rows } = await pool.query<{ id: string }>('SELECT id FROM webhooks ORDER BY id');
  expect(rows.map((r) => r.id)).toEqual(['wh_good_1', 'wh_good_2']);
  const attempts = await pool.query<{ webhook_id: string }>('SELECT webhook_id FROM attempts ORDER BY webhook_id');
  expect(attempts.rows.map((r) => r.webhook_id)).toEqual(['wh_good_1', 'wh_good_2']);
  expect(writer.rejected).toBe(1);
  expect(errors).toEqual(['ledger row of webhook wh_bad refused by PostgreSQL and skipped']);

  // The next batch is not held up either.
  await writer.store({ webhook: row('wh_after', {}), attempts: [] });
  expect((await pool.query('SELECT 1 FROM webhooks WHERE id = $1', ['wh_after'])).rowCount).toBe(1);
  await writer.stop();
});
