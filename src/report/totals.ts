/**
 * A `bucket=total` report added up from the days of its range (src/report/days.ts), exactly: every
 * count is a sum, unique recipients are the sum of the daily counts (as a total computed at once
 * counts them), and each percentile is taken from the days' value counts merged — the same value
 * PostgreSQL's `percentile_disc` gives over all the range's rows.
 */
import { DURATION_COLUMNS, LATENCY_COLUMNS, METRIC_COLUMNS, PERCENTILES, STEP_COLUMNS, type ReportRow, type RowValues, type ValueCounts } from './columns';
import type { ReportQuery } from './params';
import { compareGroups } from './store';

/** A day's row with the values behind its percentiles. */
export interface CountedRow {
  row: ReportRow;
  values: RowValues;
}

const PERCENTILE_COLUMNS: readonly string[] = [...LATENCY_COLUMNS, ...DURATION_COLUMNS];
const SUMMED = [...METRIC_COLUMNS, ...STEP_COLUMNS].filter((c) => !PERCENTILE_COLUMNS.includes(c));

/** One row per group over all the days, labelled `label` (the range's start), in a total's order. */
export function addUpDays(query: Pick<ReportQuery, 'groupBy'>, label: string, days: CountedRow[]): ReportRow[] {
  const column = query.groupBy?.column;
  const groups = new Map<string | null, { row: ReportRow; latency: ValueCounts[]; duration: ValueCounts[] }>();
  for (const { row, values } of days) {
    const g = column === undefined ? null : (row[column] as string | null);
    let sum = groups.get(g);
    if (!sum) {
      const first: ReportRow = { ...row, bucket: label };
      for (const c of SUMMED) if (c in first) first[c] = 0;
      groups.set(g, (sum = { row: first, latency: [], duration: [] }));
    }
    for (const c of SUMMED) if (c in row) sum.row[c] = (sum.row[c] as number) + (row[c] as number);
    sum.latency.push(values.latency);
    sum.duration.push(values.duration);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => compareGroups(a, b))
    .map(([, { row, latency, duration }]) => {
      assign(row, LATENCY_COLUMNS, merge(latency));
      assign(row, DURATION_COLUMNS, merge(duration));
      return row;
    });
}

function assign(row: ReportRow, columns: readonly string[], all: ValueCounts): void {
  const values = percentiles(all);
  columns.forEach((c, i) => (row[c] = values[i]));
}

/** Several days' value counts as one. */
function merge(parts: ValueCounts[]): ValueCounts {
  const counts = new Map<number, number>();
  for (const part of parts) part.values.forEach((v, i) => counts.set(v, (counts.get(v) ?? 0) + part.counts[i]));
  const values = [...counts.keys()].sort((a, b) => a - b);
  return { values, counts: values.map((v) => counts.get(v)!) };
}

/**
 * `percentile_disc` at each of PERCENTILES: the first value whose position in the sorted rows is
 * at least ceil(p × n) (PostgreSQL's own rule); null without values.
 */
function percentiles({ values, counts }: ValueCounts): (number | null)[] {
  const n = counts.reduce((s, c) => s + c, 0);
  if (n === 0) return PERCENTILES.map(() => null);
  return PERCENTILES.map((p) => {
    const position = Math.max(1, Math.ceil(p * n));
    let seen = 0;
    for (let i = 0; i < values.length; i++) {
      seen += counts[i];
      if (seen >= position) return values[i];
    }
    return values[values.length - 1];
  });
}
