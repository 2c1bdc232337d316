/**
 * Reports computed in PostgreSQL from the ledger (migrations 001, 009, 012, 013 and 015). Aggregates, each
 * over its own event time, so every count lands in the bucket of its own event:
 * sends by acceptance (created_at), delivered/failed and latency by completion (completed_at),
 * errors, retries and attempt durations by attempt start (started_at); unique recipients by the
 * completion of their delivered webhooks, distinct per day (per hour with hour buckets); a journey's
 * step counts by the hour they were recorded. They run in one read-only snapshot, with the session's
 * time zone set to the report's, so day and hour buckets are cut in it.
 */
import type pg from 'pg';
import { InvalidRequestError } from '../errors';
import { DURATION_COLUMNS, LATENCY_COLUMNS, METRIC_COLUMNS, PERCENTILES, STEP_COLUMNS, type Report, type ReportRow, type RowValues, type ValueCounts } from './columns';
import type { ReportQuery } from './params';

/** A bucket's label: its start, RFC 3339 in the session's time zone. */
export const labelOf = (timestamp: string): string => `to_char(${timestamp}, 'YYYY-MM-DD"T"HH24:MI:SSTZH:TZM')`;

/** An attempt that did not deliver: no 2xx, or no answer at all. */
const ATTEMPT_FAILED = `NOT (a.error_code IS NULL AND a.status_code BETWEEN 200 AND 299)`;

interface Part {
  epoch: number;
  label: string;
  g: string | null;
  [k: string]: unknown;
}

/** Filters are columns of both tables: an attempt carries its webhook's campaign, dispatch and journey (migration 013). */
const FILTER_COLUMNS = { campaign: 'campaign_id', dispatch: 'dispatch_id', journey: 'journey_id' } as const;

interface SqlParts {
  values: unknown[];
  sends: string;
  completions: string;
  renders: string;
  attempts: string;
  recipients: string;
  /** With its own values: the since, until and the journey. */
  steps?: { sql: string; values: unknown[] };
}

/** What `aggregate` counts and takes percentiles of. */
interface Aggregate {
  bucket: string;
  group: string;
  /** `FROM … WHERE …` */
  from: string;
  /** Column name → the condition a row is counted under. */
  counts: Record<string, string>;
  /** The value percentiles are taken of, over the rows `when` holds (all without it); named `name`. */
  value: { sql: string; when?: string; name: string };
}

/**
 * Counts per (bucket, group) and the value's percentiles. With `valueCounts`, the value's every
 * distinct value and how often it occurs (`vs`, `ns`, in value order) instead of percentiles:
 * counted per value first, then added up per (bucket, group), in one pass over the rows.
 */
function aggregate(a: Aggregate, valueCounts: boolean): string {
  const counts = Object.entries(a.counts);
  const counted = (cast: string) => counts.map(([name, when]) => `count(*) FILTER (WHERE ${when})${cast} AS ${name}`).join(',\n           ');
  const filter = a.value.when ? ` FILTER (WHERE ${a.value.when})` : '';
  if (!valueCounts) {
    return `
    SELECT ${a.bucket} AS b, ${a.group} AS g,
           ${counted('::int')},
           percentile_disc(ARRAY[${PERCENTILES.join(', ')}]) WITHIN GROUP (ORDER BY ${a.value.sql})${filter} AS ${a.value.name}
      ${a.from}
     GROUP BY 1, 2`;
  }
  return `
    SELECT b, g, ${counts.map(([name]) => `sum(${name})::int AS ${name}`).join(', ')},
           array_agg(v ORDER BY v) FILTER (WHERE n > 0) AS vs, array_agg(n ORDER BY v) FILTER (WHERE n > 0) AS ns
      FROM (SELECT ${a.bucket} AS b, ${a.group} AS g, ${a.value.when ? `CASE WHEN ${a.value.when} THEN ${a.value.sql} END` : a.value.sql} AS v,
                   count(*)${filter}::int AS n,
                   ${counted('')}
              ${a.from}
             GROUP BY 1, 2, 3) c
     GROUP BY 1, 2`;
}

function sqlParts(query: ReportQuery, valueCounts: boolean): SqlParts {
  const values: unknown[] = [query.since, query.until];
  const param = (v: unknown): string => `$${values.push(v)}`;
  const dim = query.groupBy ? query.groupBy.sql(param) : 'NULL::text';
  // The campaign, dispatch and journey filters (`AND …`, or nothing), on the webhook row or on the attempt row.
  const filtered = Object.entries(query.filters).map(([name, id]) => ({ column: FILTER_COLUMNS[name as keyof typeof FILTER_COLUMNS], value: param(id) }));
  const whereOn = (table: 'w' | 'a'): string => filtered.map((f) => ` AND ${table}.${f.column} = ${f.value}`).join('');
  const where = whereOn('w');
  const bucketOf = (column: string): string => (query.bucket === 'total' ? '$1::timestamptz' : `date_trunc('${query.bucket}', ${column})`);
  // Grouped over (bucket, group); the outer select labels the bucket in the session's time zone.
  const wrap = (inner: string): string => `SELECT ${labelOf('b')} AS label, extract(epoch FROM b)::float8 AS epoch, x.* FROM (${inner}) x`;
  const sends = wrap(`
    SELECT ${bucketOf('w.created_at')} AS b, ${dim} AS g, count(*)::int AS sends
      FROM webhooks w
     WHERE w.created_at >= $1 AND w.created_at < $2${where}
     GROUP BY 1, 2`);
  const completions = wrap(
    aggregate(
      {
        bucket: bucketOf('w.completed_at'),
        group: dim,
        from: `FROM webhooks w
     WHERE w.completed_at >= $1 AND w.completed_at < $2 AND w.status IN ('delivered', 'failed')${where}`,
        counts: { delivered: `w.status = 'delivered'`, failed: `w.status = 'failed'` },
        value: { sql: 'round(extract(epoch FROM w.completed_at - w.created_at) * 1000)::bigint', when: `w.status = 'delivered'`, name: 'latency' },
      },
      valueCounts,
    ),
  );
  // A render failure has no attempt: it counts as an error when its webhook fails. Its own query,
  // on its own small index, so that the completions above read only columns a covering index holds.
  const renders = wrap(`
    SELECT ${bucketOf('w.completed_at')} AS b, ${dim} AS g, count(*)::int AS errors_render
      FROM webhooks w
     WHERE w.completed_at >= $1 AND w.completed_at < $2 AND w.status = 'failed' AND w.reason LIKE 'render\\_error%'${where}
     GROUP BY 1, 2`);
  // Distinct per day (per hour with hour buckets); a longer bucket adds up the days, as Braze does.
  const unit = query.bucket === 'hour' ? 'hour' : 'day';
  const recipients = wrap(`
    SELECT ${bucketOf('u.d')} AS b, u.g, sum(u.n)::int AS unique_recipients
      FROM (SELECT date_trunc('${unit}', w.completed_at) AS d, ${dim} AS g, count(DISTINCT w.recipient_id) AS n
              FROM webhooks w
             WHERE w.completed_at >= $1 AND w.completed_at < $2 AND w.status = 'delivered' AND w.recipient_id IS NOT NULL${where}
             GROUP BY 1, 2) u
     GROUP BY 1, 2`);
  // Attempts carry the filters and some groups themselves; other groups need the join to webhooks.
  const attemptDim = query.groupBy?.attemptSql;
  const join = query.groupBy && !attemptDim ? 'JOIN webhooks w ON w.id = a.webhook_id' : '';
  const attempts = wrap(
    aggregate(
      {
        bucket: bucketOf('a.started_at'),
        group: attemptDim ?? dim,
        from: `FROM attempts a ${join}
     WHERE a.started_at >= $1 AND a.started_at < $2${whereOn('a')}`,
        counts: {
          errors: ATTEMPT_FAILED,
          errors4xx: 'a.error_code IS NULL AND a.status_code BETWEEN 400 AND 499 AND a.status_code NOT IN (408, 429)',
          errors5xx: 'a.error_code IS NULL AND a.status_code BETWEEN 500 AND 599',
          errors408or429: 'a.error_code IS NULL AND a.status_code IN (408, 429)',
          errors_timeout: `a.error_code = 'timeout'`,
          errors_network: `a.error_code = 'network'`,
          errors_blocked: `a.error_code = 'blocked'`,
          retries: 'a.number > 1',
        },
        value: { sql: 'a.duration_ms', name: 'duration' },
      },
      valueCounts,
    ),
  );
  // Step counts are kept per UTC hour: a range takes the hours that start within it.
  const steps = query.groupBy?.stepCounts
    ? { values: [query.since, query.until, query.filters.journey], sql: wrap(`
    SELECT ${bucketOf('h.hour')} AS b, h.step_id AS g,
           sum(h.entered)::float8 AS entered, sum(h.proceeded)::float8 AS proceeded, sum(h.exited)::float8 AS exited, sum(h.failed)::float8 AS failed
      FROM journey_step_hours h
     WHERE h.journey_id = $3 AND h.hour >= $1 AND h.hour < $2
     GROUP BY 1, 2`) }
    : undefined;
  return { values, sends, completions, renders, attempts, recipients, ...(steps ? { steps } : {}) };
}

function emptyRow(label: string, query: ReportQuery, g: string | null): ReportRow {
  const row: ReportRow = { bucket: label };
  if (query.groupBy) row[query.groupBy.column] = g;
  for (const c of METRIC_COLUMNS) row[c] = 0;
  if (query.groupBy?.stepCounts) for (const c of STEP_COLUMNS) row[c] = 0;
  // No value, not a made-up 0: a bucket without delivered webhooks has no latency.
  for (const c of [...LATENCY_COLUMNS, ...DURATION_COLUMNS]) row[c] = null;
  return row;
}

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/** A report whose rows come with the exact values behind their percentiles (`runReport`'s `valueCounts`). */
export interface CountedReport extends Report {
  /** Parallel to `data`. */
  values?: RowValues[];
}

/**
 * One report over the range. With `valueCounts`, each row's percentiles are left out and its
 * latencies and attempt durations are given instead, every value with its count: rows of several
 * ranges can then be added up exactly (src/report/totals.ts).
 */
export async function runReport(pool: pg.Pool, query: ReportQuery, options: { valueCounts?: boolean } = {}): Promise<CountedReport> {
  const valueCounts = options.valueCounts === true;
  const { values, sends, completions, renders, attempts, recipients, steps } = sqlParts(query, valueCounts);
  const client = await pool.connect();
  let parts: [Part[], Part[], Part[], Part[], Part[], Part[]];
  try {
    await client.query('BEGIN TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY');
    try {
      await client.query(`SELECT set_config('TimeZone', $1, true)`, [query.timezone]);
    } catch (err) {
      // Node and PostgreSQL ship their own zone databases; one may lack a name the other knows.
      if ((err as { code?: string }).code === '22023') throw new InvalidRequestError([{ field: 'timezone', message: `PostgreSQL does not know the time zone ${query.timezone}` }], 'invalid_report');
      throw err;
    }
    // Reading a webhook by its key costs PostgreSQL's default 4 (a disk seek); the ledger's pages
    // are cached or on SSD. Costed as such, a day's attempts grouped by tag look up their webhooks
    // one by one instead of hashing the whole webhooks table: 0.6 s → 0.28 s over a million webhooks.
    await client.query('SET LOCAL random_page_cost = 1.1');
    parts = [
      (await client.query<Part>(sends, values)).rows,
      (await client.query<Part>(completions, values)).rows,
      (await client.query<Part>(attempts, values)).rows,
      (await client.query<Part>(recipients, values)).rows,
      steps ? (await client.query<Part>(steps.sql, steps.values)).rows : [],
      (await client.query<Part>(renders, values)).rows,
    ];
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }

  const rows = new Map<string, { epoch: number; g: string | null; row: ReportRow; values: RowValues }>();
  const entryOf = (p: Part) => {
    const key = `${p.epoch}\u0000${p.g === null ? '\u0001' : `=${p.g}`}`;
    let entry = rows.get(key);
    if (!entry) rows.set(key, (entry = { epoch: p.epoch, g: p.g, row: emptyRow(p.label, query, p.g), values: { latency: NO_VALUES, duration: NO_VALUES } }));
    return entry;
  };
  const rowOf = (p: Part): ReportRow => entryOf(p).row;
  for (const p of parts[0]) rowOf(p).sends = p.sends as number;
  for (const p of parts[1]) {
    const row = rowOf(p);
    row.delivered = p.delivered as number;
    row.failed = p.failed as number;
    const latency = p.latency as (string | number)[] | null;
    if (latency) LATENCY_COLUMNS.forEach((c, i) => (row[c] = num(latency[i])));
    if (p.vs) entryOf(p).values.latency = valuesOf(p);
  }
  for (const p of parts[2]) {
    const row = rowOf(p);
    row.errors4xx = p.errors4xx as number;
    row.errors5xx = p.errors5xx as number;
    row.errors408or429 = p.errors408or429 as number;
    row.errorsTimeout = p.errors_timeout as number;
    row.errorsNetwork = p.errors_network as number;
    row.errorsBlocked = p.errors_blocked as number;
    row.errors = (row.errors as number) + (p.errors as number);
    row.errorsOther = (p.errors as number) - ['errors4xx', 'errors5xx', 'errors408or429', 'errorsTimeout', 'errorsNetwork', 'errorsBlocked'].reduce((s, c) => s + (row[c] as number), 0);
    row.retries = p.retries as number;
    const duration = p.duration as (string | number)[] | null;
    if (duration) DURATION_COLUMNS.forEach((c, i) => (row[c] = num(duration[i])));
    if (p.vs) entryOf(p).values.duration = valuesOf(p);
  }
  for (const p of parts[3]) rowOf(p).uniqueRecipients = p.unique_recipients as number;
  for (const p of parts[4]) {
    const row = rowOf(p);
    [row.stepEntered, row.stepProceeded, row.stepExited, row.stepFailed] = [p.entered, p.proceeded, p.exited, p.failed].map((v) => Number(v));
  }
  for (const p of parts[5]) {
    const row = rowOf(p);
    row.errorsRender = p.errors_render as number;
    row.errors = (row.errors as number) + (p.errors_render as number);
  }
  const sorted = [...rows.values()].sort((a, b) => a.epoch - b.epoch || compareGroups(a.g, b.g));
  const report: CountedReport = { columns: reportColumns(query), data: sorted.map((e) => e.row) };
  if (valueCounts) report.values = sorted.map((e) => e.values);
  return report;
}

const NO_VALUES: ValueCounts = { values: [], counts: [] };
const valuesOf = (p: Part): ValueCounts => ({ values: (p.vs as (string | number)[]).map(Number), counts: p.ns as number[] });

/** Rows' order within a bucket: by group, the null group last. */
export function compareGroups(a: string | null, b: string | null): number {
  return a === b ? 0 : a === null ? 1 : b === null ? -1 : a < b ? -1 : 1;
}

/** A report's columns: the bucket, the group's column, the numbers, and the step counts where they apply. */
export function reportColumns(query: Pick<ReportQuery, 'groupBy'>): string[] {
  const group = query.groupBy;
  return ['bucket', ...(group ? [group.column] : []), ...METRIC_COLUMNS, ...(group?.stepCounts ? STEP_COLUMNS : [])];
}

export interface RecentFailure {
  id: string;
  host: string;
  statusCode: number | null;
  error: string | null;
  completedAt: string;
}

/** The latest failed webhooks, newest first, with the last status code and the reason they failed. */
export async function recentFailures(pool: pg.Pool, limit: number): Promise<RecentFailure[]> {
  const { rows } = await pool.query<{ id: string; authority: string; last_status_code: number | null; reason: string | null; completed_at: Date }>(
    `SELECT id, authority, last_status_code, reason, completed_at FROM webhooks
      WHERE completed_at IS NOT NULL AND status = 'failed' ORDER BY completed_at DESC LIMIT $1`,
    [limit],
  );
  return rows.map((r) => ({ id: r.id, host: r.authority, statusCode: r.last_status_code, error: r.reason, completedAt: r.completed_at.toISOString() }));
}
