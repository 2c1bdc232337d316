/**
 * Settled days of reports (migration 014). A report bucketed by day or hour is cut at the day
 * boundaries of its time zone: the whole days that ended more than SETTLE_MS ago are read from
 * `report_days` — computed once, by the same queries, from the ledger — and only the rest (today,
 * and the partial days at the range's ends) is computed each time. Every number stays exact: each
 * day's rows are that day's own (its percentiles, its distinct recipients), never merged.
 *
 * A day stays true as long as no ledger row of it comes later. Rows come late only after an outage
 * (the worker catches up) or from retention pruning; both forget the days they touch
 * (`forgetDaysFrom`, `forgetDaysBefore`) and bump `report_days_epoch` in their own transaction, and
 * a day computed from a snapshot older than that bump is not stored.
 */
import type pg from 'pg';
import { withTransaction } from '../db/transaction';
import type { Report, ReportRow } from './columns';
import { reportColumns } from './store';
import type { ReportQuery } from './params';

/**
 * A day is stored once it ended this long ago. Ledger rows of a day normally arrive within seconds
 * (batched, plus an attempt's timeout); one whose own time is older than this when it is written
 * is late, and forgets the days from it on.
 */
export const SETTLE_MS = 3_600_000;

type Queryable = Pick<pg.PoolClient, 'query'>;

/** The report shape's key: every parameter but the range and the format. */
function shapeKey(query: ReportQuery): string {
  const filters = Object.entries(query.filters).sort(([a], [b]) => (a < b ? -1 : 1));
  return JSON.stringify([query.timezone, query.bucket, query.groupBy?.column ?? null, filters]);
}

interface Day {
  start: Date;
  end: Date;
}

/**
 * Runs `compute` over the range piece by piece: stored settled days, the others computed (and
 * settled ones stored). A total bucket, or a range without a whole settled day, is one piece.
 */
export async function withSettledDays(pool: pg.Pool, query: ReportQuery, compute: (q: ReportQuery) => Promise<Report>): Promise<Report> {
  if (query.bucket === 'total') return compute(query);
  const { days, epoch } = await settledDays(pool, query);
  if (days.length === 0) return compute(query);
  const key = shapeKey(query);
  const stored = await storedDays(pool, key, days);

  // The range as pieces in time order: runs of days not stored (and the partial ends) computed
  // together, each stored day as it is.
  const pieces: ({ stored: ReportRow[] } | { from: Date; to: Date; settled: Day[] })[] = [];
  let from = query.since;
  let settled: Day[] = [];
  for (const day of days) {
    const rows = stored.get(day.start.getTime());
    if (!rows) {
      settled.push(day);
      continue;
    }
    if (from < day.start) pieces.push({ from, to: day.start, settled });
    pieces.push({ stored: rows });
    from = day.end;
    settled = [];
  }
  if (from < query.until) pieces.push({ from, to: query.until, settled });

  const data: ReportRow[] = [];
  for (const piece of pieces) {
    if ('stored' in piece) {
      data.push(...piece.stored);
      continue;
    }
    // One computation over the whole piece (as fast as before days were stored); each settled day
    // in it is then stored with its own rows, found by their bucket's time.
    const rows = (await compute({ ...query, since: piece.from, until: piece.to })).data;
    for (const day of piece.settled) {
      const own = rows.filter((r) => {
        const at = Date.parse(r.bucket as string);
        return at >= day.start.getTime() && at < day.end.getTime();
      });
      await storeDay(pool, key, day, own, epoch);
    }
    data.push(...rows);
  }
  return { columns: reportColumns(query), data };
}

/** The whole days of the range, in its time zone, that ended SETTLE_MS ago; and the epoch they are read at. */
async function settledDays(pool: pg.Pool, query: ReportQuery): Promise<{ days: Day[]; epoch: string }> {
  return withTransaction(pool, async (tx) => {
    await tx.query(`SELECT set_config('TimeZone', $1, true)`, [query.timezone]);
    const { rows } = await tx.query<{ start: Date; end: Date }>(
      `SELECT d AS start, d + interval '1 day' AS end
         FROM generate_series(date_trunc('day', $1::timestamptz), $2::timestamptz, interval '1 day') d
        WHERE d >= $1 AND d + interval '1 day' <= $2 AND d + interval '1 day' <= now() - $3 * interval '1 millisecond'`,
      [query.since, query.until, SETTLE_MS],
    );
    const epoch = (await tx.query<{ n: string }>('SELECT n::text FROM report_days_epoch')).rows[0].n;
    return { days: rows, epoch };
  });
}

async function storedDays(pool: pg.Pool, key: string, days: Day[]): Promise<Map<number, ReportRow[]>> {
  const { rows } = await pool.query<{ day_start: Date; rows: ReportRow[] }>(
    'SELECT day_start, rows FROM report_days WHERE key = $1 AND day_start = ANY($2::timestamptz[])',
    [key, days.map((d) => d.start)],
  );
  return new Map(rows.map((r) => [r.day_start.getTime(), r.rows]));
}

/**
 * Stores a day computed at `epoch`, unless ledger rows came late since (the epoch moved). FOR SHARE
 * waits for a writer holding the epoch, so its late rows and this day cannot cross unseen.
 */
async function storeDay(pool: pg.Pool, key: string, day: Day, rows: ReportRow[], epoch: string): Promise<void> {
  await withTransaction(pool, async (tx) => {
    const now = (await tx.query<{ n: string }>('SELECT n::text FROM report_days_epoch FOR SHARE')).rows[0].n;
    if (now !== epoch) return;
    await tx.query(
      `INSERT INTO report_days (key, day_start, day_end, rows) VALUES ($1, $2, $3, $4)
       ON CONFLICT (key, day_start) DO UPDATE SET rows = EXCLUDED.rows, day_end = EXCLUDED.day_end, stored_at = now()`,
      [key, day.start, day.end, JSON.stringify(rows)],
    );
  });
}

/** In a ledger writer's transaction: rows as old as `earliest` were written late; the days from it on are forgotten. */
export async function forgetDaysFrom(tx: Queryable, earliest: Date): Promise<void> {
  await tx.query('UPDATE report_days_epoch SET n = n + 1');
  await tx.query('DELETE FROM report_days WHERE day_end > $1', [earliest]);
}

/** After retention pruning: the days that held rows completed before `cutoff` are forgotten. */
export async function forgetDaysBefore(tx: Queryable, cutoff: Date): Promise<void> {
  await tx.query('UPDATE report_days_epoch SET n = n + 1');
  await tx.query('DELETE FROM report_days WHERE day_start < $1', [cutoff]);
}
