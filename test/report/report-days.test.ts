/**
 * Reports' settled days (src/report/days.ts) against the real PostgreSQL and the real ledger
 * writer: a month bucketed by day answers the same rows whether its days are computed or read back;
 * a month's total added up from its days is the total computed at once; today is never stored; a ledger row written late for a stored day (an outage caught up) is in the
 * next report; retention pruning forgets the days it emptied.
 */
import pg from 'pg';
import { LedgerWriter } from '../../activities/ledger/writer';
import { pruneLedger } from '../../activities/ledger/prune';
import { Hookflow } from '../../src/client/hookflow';
import type { LedgerWebhook } from '../../src/ledger/rows';
import { generateEncryptionKey, parseEncryptionKey } from '../../src/temporal/codec';
import { SETTLE_MS } from '../../src/report/days';
import { parseReportQuery } from '../../src/report/params';
import { runReport } from '../../src/report/store';
import { createTestDatabase } from '../helpers/database';
import { testConfig } from '../helpers/stack';

const DAY = 86_400_000;
let pool: pg.Pool;
let hookflow: Hookflow;
let writer: LedgerWriter;
const writerErrors: unknown[] = [];
/** Midnight UTC six days ago: its five days all ended over a day ago, settled whatever the hour now. */
const start = new Date(Math.floor(Date.now() / DAY) * DAY - 6 * DAY);

const webhook = (id: string, createdAt: Date, status: 'delivered' | 'failed', latencyMs: number, recipient: string): LedgerWebhook => ({
  id,
  seq: 1,
  createdAt: createdAt.toISOString(),
  status,
  method: 'POST',
  origin: 'https://a.example.com',
  authority: 'a.example.com',
  tags: {},
  attemptCount: 1,
  lastStatusCode: status === 'delivered' ? 200 : 500,
  completedAt: new Date(createdAt.getTime() + latencyMs).toISOString(),
  recipientId: recipient,
});

async function store(id: string, createdAt: Date, status: 'delivered' | 'failed', latencyMs: number, recipient = `r-${id}`): Promise<void> {
  await writer.store({
    webhook: webhook(id, createdAt, status, latencyMs, recipient),
    attempts: [{ webhookId: id, number: 1, trigger: 'scheduled', startedAt: createdAt.toISOString(), durationMs: latencyMs, statusCode: status === 'delivered' ? 200 : 500 }],
  });
}

const month = () => hookflow.report({ since: start.toISOString(), until: new Date(start.getTime() + 5 * DAY).toISOString(), bucket: 'day' });
const storedDays = async (): Promise<string[]> =>
  (await pool.query<{ day_start: Date }>('SELECT day_start FROM report_days ORDER BY day_start')).rows.map((r) => r.day_start.toISOString());

beforeAll(async () => {
  const databaseUrl = await createTestDatabase();
  pool = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  writer = new LedgerWriter({ pool, encryptionKey: parseEncryptionKey(generateEncryptionKey()), flushMs: 10, onError: (err) => writerErrors.push(err) });
  hookflow = await Hookflow.connect({ config: testConfig({ databaseUrl }), encryptionKey: generateEncryptionKey() });
  // Each of the five past days: three webhooks (latencies 100, 200 and 300 ms per day number), one
  // failed; and one delivered a minute ago, today.
  for (let d = 0; d < 5; d++) {
    const at = new Date(start.getTime() + d * DAY + 3_600_000);
    await store(`wh_d${d}a`, at, 'delivered', 100 * (d + 1));
    await store(`wh_d${d}b`, new Date(at.getTime() + 60_000), 'delivered', 200 * (d + 1));
    await store(`wh_d${d}c`, new Date(at.getTime() + 120_000), 'failed', 300 * (d + 1));
  }
  await store('wh_today', new Date(Date.now() - 60_000), 'delivered', 50);
  // Two more, 8 and 2 days before the first day: in the longer range only.
  await store('wh_early_a', new Date(start.getTime() - 8 * DAY + 7_200_000), 'delivered', 700);
  await store('wh_early_b', new Date(start.getTime() - 2 * DAY + 7_200_000), 'delivered', 800);
});

afterAll(async () => {
  expect(writerErrors).toEqual([]);
  await writer.stop();
  await hookflow?.close();
  await pool?.end();
});

test('a month by day answers the same rows computed and read back; settled days are stored, today is not', async () => {
  const first = await month();
  expect(await storedDays()).toEqual([0, 1, 2, 3, 4].map((d) => new Date(start.getTime() + d * DAY).toISOString()));
  const again = await month();
  expect(again).toEqual(first);
  // A range up to now: today (and yesterday, in the hour after midnight) is computed, never stored.
  const upToNow = await hookflow.report({ since: start.toISOString(), until: new Date(Date.now() + 60_000).toISOString(), bucket: 'day' });
  expect(upToNow.data.reduce((n, r) => n + (r.sends as number), 0)).toBe(16);
  const { rows } = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM report_days WHERE day_end > now() - $1 * interval \'1 millisecond\'', [SETTLE_MS]);
  expect(rows[0].n).toBe(0);
  const day = (n: number) => first.data.find((r) => r.bucket === new Date(start.getTime() + n * DAY).toISOString().replace('.000Z', '+00:00'));
  // Day 2: latencies 300 and 600 ms delivered (p50 300), 900 ms failed.
  expect(day(2)).toMatchObject({ sends: 3, delivered: 2, failed: 1, uniqueRecipients: 2, latencyMsP50: 300, latencyMsP99: 600 });
  expect(first.data.filter((r) => (r.sends as number) > 0)).toHaveLength(5);
});

test('a total, a longer range by day and a range by hour read back equal the report computed at once, percentiles included', async () => {
  // From just after day 0's first webhook (a partial first day) to a minute from now (today, never stored).
  const range = { since: new Date(start.getTime() + 3_630_000).toISOString(), until: new Date(Date.now() + 60_000).toISOString(), bucket: 'total' };
  const atOnce = (query: Record<string, string>) => runReport(pool, parseReportQuery(query, new Date()));
  // Sixteen settled days, ten of them before the first day: computed a week at a time, two weeks at once.
  const longer = { ...range, since: new Date(start.getTime() - 10 * DAY + 1_800_000).toISOString() };
  // By hour: the settled hours are stored, from day 4's first half hour on.
  const hours = { since: new Date(start.getTime() + 4 * DAY + 1_800_000).toISOString(), until: range.until, bucket: 'hour' };
  const queries = [range, { ...range, groupBy: 'host' }, { ...range, timezone: 'Asia/Tokyo' }, longer, { ...longer, bucket: 'day' }, hours, { ...hours, timezone: 'Asia/Kolkata' }];
  for (const query of queries) {
    const expected = await atOnce(query);
    expect(await hookflow.report(query)).toEqual(expected);
    // Read back from the stored days: the same again.
    expect(await hookflow.report(query)).toEqual(expected);
  }
  // The UTC total's days from the longer range's first whole day to day 4 were stored (day 5, yesterday, only after 01:00).
  const { rows } = await pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM report_days WHERE key = '["UTC","total",null,[]]' AND day_start >= $1 AND day_start < $2`,
    [new Date(start.getTime() - 9 * DAY), new Date(start.getTime() + 5 * DAY)],
  );
  expect(rows[0].n).toBe(14);
  // Hours, each on its own: in UTC at least day 4's 23 whole hours from 01:00 (all ended over a day ago).
  const stored = await pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM report_days WHERE key = '["UTC","hour",null,[]]' AND day_end - day_start = interval '1 hour' AND day_start >= $1 AND day_end <= $2`,
    [new Date(start.getTime() + 4 * DAY), new Date(start.getTime() + 5 * DAY)],
  );
  expect(stored.rows[0].n).toBe(23);
  // By hand: delivered latencies 200 (day 0, after the range's start), 200 400, 300 600, 400 800, 500
  // 1000 (days 1-4), 50 (today): p50 is the 5th of 10, 400; p95 and p99 the 10th, 1000. Attempt
  // durations add the failed ones (300 × day + 1): the 8th of 15, 500.
  const [total] = (await hookflow.report(range)).data;
  expect(total).toMatchObject({ sends: 15, delivered: 10, failed: 5, latencyMsP50: 400, latencyMsP95: 1000, latencyMsP99: 1000, attemptMsP50: 500 });
});

test('a ledger row written late for a stored day is in the next report', async () => {
  await month();
  const before = (await month()).data.find((r) => r.bucket === new Date(start.getTime() + DAY).toISOString().replace('.000Z', '+00:00'))!;
  // An outage caught up: the worker writes a webhook of day 1 now.
  await store('wh_late', new Date(start.getTime() + DAY + 7_200_000), 'delivered', 5_000, 'r-late');
  const after = (await month()).data.find((r) => r.bucket === before.bucket)!;
  expect(after).toMatchObject({ sends: (before.sends as number) + 1, delivered: (before.delivered as number) + 1, uniqueRecipients: (before.uniqueRecipients as number) + 1 });
  expect(after.latencyMsP99).toBe(5_000);
  // Stored again, with it.
  expect(await month()).toEqual(await month());
});

test('retention pruning forgets the days it emptied', async () => {
  await month();
  const cutoff = new Date(start.getTime() + 2 * DAY);
  expect(await pruneLedger(pool, cutoff)).toBeGreaterThan(0);
  const report = await month();
  for (const d of [0, 1]) expect(report.data.find((r) => r.bucket === new Date(start.getTime() + d * DAY).toISOString().replace('.000Z', '+00:00'))).toBeUndefined();
  // Stored again as they are now: empty.
  const { rows } = await pool.query<{ rows: unknown[] }>('SELECT rows FROM report_days WHERE day_start < $1', [cutoff]);
  expect(rows.map((r) => r.rows)).toEqual([[], []]);
});
