/**
 * The ledger writer against the real PostgreSQL: a row PostgreSQL refuses for its data is skipped
 * and reported, and holds up none of the rows batched with it; attempts carry their webhook's
 * campaign, dispatch, journey and step.
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

test('an attempt is stored with its webhook\'s campaign, dispatch, journey, step and host, which reports filter and group attempts by', async () => {
  const writer = new LedgerWriter({ pool, encryptionKey: parseEncryptionKey(generateEncryptionKey()), flushMs: 20, onError: () => undefined });
  const attempt = (webhookId: string) => ({ webhookId, number: 1, trigger: 'scheduled' as const, startedAt: new Date().toISOString(), durationMs: 5, statusCode: 503 });
  await Promise.all([
    writer.store({ webhook: { ...row('wh_campaign', {}), campaignId: 'spring', dispatchId: 'dp_1', recipientId: 'u1' }, attempts: [attempt('wh_campaign')] }),
    writer.store({ webhook: { ...row('wh_journey', {}), journeyId: 'onboard', journeyStep: 'welcome', recipientId: 'u2' }, attempts: [attempt('wh_journey')] }),
    writer.store({ webhook: { ...row('wh_plain', {}), authority: 'plain.example.com' }, attempts: [attempt('wh_plain')] }),
  ]);
  const { rows } = await pool.query(
    `SELECT webhook_id, campaign_id, dispatch_id, journey_id, journey_step, authority FROM attempts WHERE webhook_id IN ('wh_campaign', 'wh_journey', 'wh_plain') ORDER BY webhook_id`,
  );
  expect(rows).toEqual([
    { webhook_id: 'wh_campaign', campaign_id: 'spring', dispatch_id: 'dp_1', journey_id: null, journey_step: null, authority: 'example.com' },
    { webhook_id: 'wh_journey', campaign_id: null, dispatch_id: null, journey_id: 'onboard', journey_step: 'welcome', authority: 'example.com' },
    { webhook_id: 'wh_plain', campaign_id: null, dispatch_id: null, journey_id: null, journey_step: null, authority: 'plain.example.com' },
  ]);
  await writer.stop();
});
