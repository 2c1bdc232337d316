/**
 * `GET /v1/reports` parameters (and the SDK's `report`), parsed with field-named errors:
 * groupBy, the campaign / dispatch / journey filters, since, until, bucket, timezone, format.
 */
import { InvalidRequestError, type FieldIssue } from '../errors';
import { queryText } from '../paging';
import { TEMPLATE_ID } from '../template/schema';
import { DIMENSIONS, TAG_NAME, type Dimension } from './dimensions';

export const BUCKETS = ['hour', 'day', 'total'] as const;
export type Bucket = (typeof BUCKETS)[number];

/** Report only the webhooks of one campaign, dispatch or journey (given together, all must hold). */
export const FILTERS = ['campaign', 'dispatch', 'journey'] as const;
export type ReportFilters = Partial<Record<(typeof FILTERS)[number], string>>;

export interface ReportQuery {
  groupBy?: Dimension;
  filters: ReportFilters;
  /** Inclusive. */
  since: Date;
  /** Exclusive. */
  until: Date;
  bucket: Bucket;
  /** IANA time zone the buckets are cut in. */
  timezone: string;
  format: 'json' | 'csv';
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Default span when `since` is not given: a day of hours, or 30 days. */
const DEFAULT_SPAN: Record<Bucket, number> = { hour: DAY, day: 30 * DAY, total: 30 * DAY };
/** Longest span per bucket: bounds the rows one answer holds (~9,000 per group). */
const MAX_SPAN: Record<Bucket, number> = { hour: 366 * DAY, day: 3660 * DAY, total: 3660 * DAY };

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;
const KNOWN = ['groupBy', ...FILTERS, 'since', 'until', 'bucket', 'timezone', 'format'];
/** Campaign and journey ids follow the template id rule; dispatch ids are made by Hookflow (`dp_…`). */
const FILTER_VALUE = /^[A-Za-z0-9_.@:-]{1,160}$/;

/** Whether `zone` is an IANA time zone this Node knows (PostgreSQL is asked again when it runs). */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return /^[A-Za-z0-9_+\-/]{1,64}$/.test(zone);
  } catch {
    return false;
  }
}

export function parseReportQuery(query: Record<string, unknown>, now = new Date()): ReportQuery {
  const issues: FieldIssue[] = [];
  const text = queryText(query, issues);
  for (const key of Object.keys(query)) {
    if (!KNOWN.includes(key)) issues.push({ field: key, message: `is not a known parameter (${KNOWN.join(', ')})` });
  }

  let groupBy: Dimension | undefined;
  const group = text('groupBy');
  if (group !== undefined) {
    const [name, ...rest] = group.split('.');
    const argument = rest.length > 0 ? rest.join('.') : undefined;
    const dimension = Object.hasOwn(DIMENSIONS, name) ? DIMENSIONS[name] : undefined;
    if (!dimension) issues.push({ field: 'groupBy', message: `must be one of ${Object.keys(DIMENSIONS).map((d) => (d === 'tag' ? 'tag.<name>' : d)).join(', ')}` });
    else if (!dimension.available) issues.push({ field: 'groupBy', message: `${name} is not available yet: ${dimension.why}` });
    else if (name === 'tag' && (argument === undefined || !TAG_NAME.test(argument))) issues.push({ field: 'groupBy', message: 'tag.<name> needs a tag name of 1-64 letters, digits or _.:-' });
    else if (name !== 'tag' && argument !== undefined) issues.push({ field: 'groupBy', message: `${name} takes no .<argument>` });
    else groupBy = dimension.make(argument);
  }

  const filters: ReportFilters = {};
  for (const name of FILTERS) {
    const value = text(name);
    if (value === undefined) continue;
    const pattern = name === 'dispatch' ? FILTER_VALUE : TEMPLATE_ID;
    if (pattern.test(value)) filters[name] = value;
    else issues.push({ field: name, message: `must be a ${name} id (${name === 'dispatch' ? '1-160' : '1-128'} letters, digits or ${name === 'dispatch' ? '_.@:-' : '_.@-'})` });
  }
  if (groupBy?.needs && !filters[groupBy.needs] && !issues.some((i) => i.field === groupBy?.needs)) {
    issues.push({ field: 'groupBy', message: `${groupBy.column} needs ${groupBy.needs}=<id>: the steps of one ${groupBy.needs}` });
  }

  let bucket: Bucket = 'day';
  const b = text('bucket');
  if (b !== undefined) {
    if ((BUCKETS as readonly string[]).includes(b)) bucket = b as Bucket;
    else issues.push({ field: 'bucket', message: `must be one of ${BUCKETS.join(', ')}` });
  }

  const time = (field: 'since' | 'until'): Date | undefined => {
    const value = text(field);
    if (value === undefined) return undefined;
    const at = new Date(value);
    if (!RFC3339.test(value) || Number.isNaN(at.getTime())) {
      issues.push({ field, message: 'must be an RFC 3339 time, e.g. 2026-11-28T12:00:00Z' });
      return undefined;
    }
    return at;
  };
  const until = time('until') ?? now;
  const since = time('since') ?? new Date(until.getTime() - DEFAULT_SPAN[bucket]);
  if (since.getTime() >= until.getTime()) issues.push({ field: 'since', message: 'must be before until' });
  else if (until.getTime() - since.getTime() > MAX_SPAN[bucket]) issues.push({ field: 'since', message: `the range may span at most ${MAX_SPAN[bucket] / DAY} days with bucket=${bucket}` });

  const timezone = text('timezone') ?? 'UTC';
  if (!isTimeZone(timezone)) issues.push({ field: 'timezone', message: 'must be an IANA time zone, e.g. Europe/Paris or UTC' });

  let format: 'json' | 'csv' = 'json';
  const f = text('format');
  if (f !== undefined) {
    if (f === 'json' || f === 'csv') format = f;
    else issues.push({ field: 'format', message: 'must be json or csv' });
  }

  if (issues.length > 0) throw new InvalidRequestError(issues, 'invalid_report');
  return { ...(groupBy ? { groupBy } : {}), filters, since, until, bucket, timezone, format };
}
