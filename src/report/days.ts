/**
 * Settled days of reports (migration 014). A report is cut at the day boundaries of its time zone
 * (at the hours, with hour buckets): the whole days (hours) that ended more than SETTLE_MS ago are
 * read from `report_days` — computed once, by the same queries, from the ledger — and only the rest
 * (the last ones, and the partial ones at the range's ends) is computed each time. Every number
 * stays exact: a report bucketed by day or hour takes each day's (hour's) rows as they are (its
 * percentiles, its distinct recipients); a total adds its days up from their counts and the exact
 * values behind their percentiles (src/report/totals.ts).
 *
 * A day stays true as long as no ledger row of it comes later. Rows come late only after an outage
 * (the worker catches up) or from retention pruning; both forget the days they touch
 * (`forgetDaysFrom`, `forgetDaysBefore`) and bump `report_days_epoch` in their own transaction, and
 * a day computed from a snapshot older than that bump is not stored.
 */
import type pg from 'pg';
import { withTransaction } from '../db/transaction';
import { inLanes } from '../lanes';
import type { Report, ReportRow } from './columns';
import { labelOf, reportColumns, runReport } from './store';
import type { ReportQuery } from './params';
import { addUpDays, type CountedRow } from './totals';

/**
 * A day is stored once it ended this long ago. Ledger rows of a day normally arrive within seconds
 * (batched, plus an attempt's timeout); one whose own time is older than this when it is written
 * is late, and forgets the days from it on.
 */
export const SETTLE_MS = 3_600_000;

/**
 * Days (hours) not stored yet are computed a week at a time, two such pieces at once: a month's
 * first report then runs on two connections (PostgreSQL's own parallel scans leave the sorting and
 * aggregating after them to one process).
 */
const PIECE_UNITS = { day: 7, hour: 7 * 24 };
const PIECE_LANES = 2;

type Queryable = Pick<pg.PoolClient, 'query'>;

/** The report shape's key: every parameter but the range and the format. */
function shapeKey(query: ReportQuery): string {
  const filters = Object.entries(query.filters).sort(([a], [b]) => (a < b ? -1 : 1));
  return JSON.stringify([query.timezone, query.bucket, query.groupBy?.column ?? null, filters]);
}

/** A day of the range in its time zone, or an hour with hour buckets: the unit a report's rows are stored by. */
interface Day {
  start: Date;
  end: Date;
}

const unitOf = (query: ReportQuery): 'day' | 'hour' => (query.bucket === 'hour' ? 'hour' : 'day');

/** The report: its settled days read back (or computed and stored), the rest computed. */
export async function answerReport(pool: pg.Pool, query: ReportQuery): Promise<Report> {
  const columns = reportColumns(query);
  if (query.bucket !== 'total') {
    const rows = await overDays<ReportRow>(pool, query, (q) => runReport(pool, q).then((r) => r.data), (row) => row.bucket);
    return rows ? { columns, data: rows.items } : runReport(pool, query);
  }
  // A total's days are computed by day, each row with the values behind its percentiles.
  const counted = async (q: ReportQuery): Promise<CountedRow[]> => {
    const report = await runReport(pool, { ...q, bucket: 'day' }, { valueCounts: true });
    return report.data.map((row, i) => ({ row, values: report.values![i] }));
  };
  const days = await overDays<CountedRow>(pool, query, counted, (c) => c.row.bucket);
  return days ? { columns, data: addUpDays(query, days.label, days.items) } : runReport(pool, query);
}

/**
 * Runs `compute` over the range piece by piece: stored settled days, the others computed (and
 * settled ones stored, each with the items whose `dayOf` falls in it). Undefined for a range
 * without a whole settled day; with the range's start labelled in its time zone.
 */
async function overDays<T>(
  pool: pg.Pool,
  query: ReportQuery,
  compute: (q: ReportQuery) => Promise<T[]>,
  dayOf: (item: T) => string,
): Promise<{ items: T[]; label: string } | undefined> {
  const { days, epoch, label } = await settledDays(pool, query);
  if (days.length === 0) return undefined;
  const key = shapeKey(query);
  const stored = await storedDays<T>(pool, key, days);

  // The range as pieces in time order: each stored day as it is; runs of days not stored (and the
  // partial ends) computed together, up to PIECE_UNITS settled days (hours) a piece.
  type Computed = { from: Date; to: Date; settled: Day[]; items?: T[] };
  const pieces: ({ stored: T[] } | Computed)[] = [];
  let from = query.since;
  let settled: Day[] = [];
  const span = PIECE_UNITS[unitOf(query)];
  const computeUpTo = (to: Date): void => {
    for (; settled.length > span; settled = settled.slice(span)) {
      const end = settled[span - 1].end;
      pieces.push({ from, to: end, settled: settled.slice(0, span) });
      from = end;
    }
    if (from < to) pieces.push({ from, to, settled });
  };
  for (const day of days) {
    const rows = stored.get(day.start.getTime());
    if (!rows) {
      settled.push(day);
      continue;
    }
    computeUpTo(day.start);
    pieces.push({ stored: rows });
    from = day.end;
    settled = [];
  }
  computeUpTo(query.until);

  const computed = pieces.filter((p): p is Computed => !('stored' in p));
  await inLanes(computed, PIECE_LANES, async (piece) => {
    piece.items = await compute({ ...query, since: piece.from, until: piece.to });
    await storeDays(pool, key, ownItems(piece.settled, piece.items, dayOf), epoch);
  });
  return { items: pieces.flatMap((p) => ('stored' in p ? p.stored : p.items!)), label };
}

/** Each settled day with its own items, found by their bucket's time (items and days both in time order). */
function ownItems<T>(days: Day[], items: T[], dayOf: (item: T) => string): { day: Day; items: T[] }[] {
  const own = days.map((day) => ({ day, items: [] as T[] }));
  let d = 0;
  for (const item of items) {
    const at = Date.parse(dayOf(item));
    while (d < own.length && own[d].day.end.getTime() <= at) d++;
    if (d === own.length) break;
    if (at >= own[d].day.start.getTime()) own[d].items.push(item);
  }
  return own;
}

/** The whole days (hours) of the range, in its time zone, that ended SETTLE_MS ago; the epoch they are read at; the range's start as a bucket label. */
async function settledDays(pool: pg.Pool, query: ReportQuery): Promise<{ days: Day[]; epoch: string; label: string }> {
  const unit = unitOf(query);
  return withTransaction(pool, async (tx) => {
    await tx.query(`SELECT set_config('TimeZone', $1, true)`, [query.timezone]);
    const { rows } = await tx.query<{ start: Date; end: Date }>(
      `SELECT d AS start, d + interval '1 ${unit}' AS end
         FROM generate_series(date_trunc('${unit}', $1::timestamptz), $2::timestamptz, interval '1 ${unit}') d
        WHERE d >= $1 AND d + interval '1 ${unit}' <= $2 AND d + interval '1 ${unit}' <= now() - $3 * interval '1 millisecond'`,
      [query.since, query.until, SETTLE_MS],
    );
    const epoch = (await tx.query<{ n: string }>('SELECT n::text FROM report_days_epoch')).rows[0].n;
    const label = (await tx.query<{ label: string }>(`SELECT ${labelOf('$1::timestamptz')} AS label`, [query.since])).rows[0].label;
    return { days: rows, epoch, label };
  });
}

async function storedDays<T>(pool: pg.Pool, key: string, days: Day[]): Promise<Map<number, T[]>> {
  const { rows } = await pool.query<{ day_start: Date; rows: T[] }>(
    'SELECT day_start, rows FROM report_days WHERE key = $1 AND day_start = ANY($2::timestamptz[])',
    [key, days.map((d) => d.start)],
  );
  return new Map(rows.map((r) => [r.day_start.getTime(), r.rows]));
}

/**
 * Stores days computed at `epoch`, unless ledger rows came late since (the epoch moved). FOR SHARE
 * waits for a writer holding the epoch, so its late rows and these days cannot cross unseen.
 */
async function storeDays(pool: pg.Pool, key: string, days: { day: Day; items: unknown[] }[], epoch: string): Promise<void> {
  if (days.length === 0) return;
  await withTransaction(pool, async (tx) => {
    const now = (await tx.query<{ n: string }>('SELECT n::text FROM report_days_epoch FOR SHARE')).rows[0].n;
    if (now !== epoch) return;
    await tx.query(
      `INSERT INTO report_days (key, day_start, day_end, rows)
       SELECT $1, * FROM unnest($2::timestamptz[], $3::timestamptz[], $4::json[])
       ON CONFLICT (key, day_start) DO UPDATE SET rows = EXCLUDED.rows, day_end = EXCLUDED.day_end, stored_at = now()`,
      [key, days.map((d) => d.day.start), days.map((d) => d.day.end), days.map((d) => JSON.stringify(d.items))],
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
