/**
 * A report row: flat keys, the same as the CSV columns, in this order. Defined in the README
 * ("Reports and dashboard").
 */

export const METRIC_COLUMNS = [
  'sends',
  'delivered',
  'failed',
  'errors',
  'errors4xx',
  'errors5xx',
  'errors408or429',
  'errorsTimeout',
  'errorsNetwork',
  'errorsBlocked',
  'errorsRender',
  'errorsOther',
  'retries',
  'uniqueRecipients',
  'latencyMsP50',
  'latencyMsP95',
  'latencyMsP99',
  'attemptMsP50',
  'attemptMsP95',
  'attemptMsP99',
] as const;

/** The percentiles every row gives of latency and of attempt duration, and their columns in that order. */
export const PERCENTILES = [0.5, 0.95, 0.99] as const;
export const LATENCY_COLUMNS = ['latencyMsP50', 'latencyMsP95', 'latencyMsP99'] as const;
export const DURATION_COLUMNS = ['attemptMsP50', 'attemptMsP95', 'attemptMsP99'] as const;

/** With groupBy=journeyStep: runs counted at each step, by the hour the run's progress was recorded. */
export const STEP_COLUMNS = ['stepEntered', 'stepProceeded', 'stepExited', 'stepFailed'] as const;

export type MetricColumn = (typeof METRIC_COLUMNS)[number];

/** `bucket` (the bucket's start, RFC 3339 in the report's time zone), the group column if any, then the metrics. */
export type ReportRow = { bucket: string } & Record<string, string | number | null>;

/** Values behind a percentile, exactly: ascending distinct values and how often each occurs. */
export interface ValueCounts {
  values: number[];
  counts: number[];
}

/** A row's latencies (accepted → delivered) and attempt durations, in ms. */
export interface RowValues {
  latency: ValueCounts;
  duration: ValueCounts;
}

export interface Report {
  /** Column order, for CSV. */
  columns: string[];
  data: ReportRow[];
}
