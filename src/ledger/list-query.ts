/**
 * The ledger's list filter (`GET /v1/webhooks?status=&host=&tag.<name>=&since=&until=&limit=&cursor=`
 * and the SDK's `list`): parsed with field-named errors, and turned into one keyset-paginated query
 * that the indexes of migration 001 answer without scanning.
 */
import { InvalidRequestError, type FieldIssue } from '../errors';
import { hostKeyOfAuthority } from '../net/host-key';
import { WEBHOOK_STATUSES, type WebhookStatus } from '../delivery/definitions';
import { decodeCursor, LIST_LIMIT, queryText, readPage, type Page } from '../paging';

export interface ListFilter {
  status?: WebhookStatus;
  /** Host authority, as WebhookHost shows it. */
  host?: string;
  tags?: Record<string, string>;
  /** Inclusive. */
  since?: Date;
  /** Exclusive. */
  until?: Date;
  limit: number;
  cursor?: string;
}

export interface ListItem {
  id: string;
  status: WebhookStatus;
  method: string;
  origin: string;
  tags: Record<string, string>;
  attemptCount: number;
  lastStatusCode?: number;
  createdAt: string;
  completedAt?: string;
}

export type ListPage = Page<ListItem>;

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;
const KNOWN = new Set(['status', 'host', 'since', 'until', 'limit', 'cursor']);

/** Parses query-string style parameters (`tag.<name>` for tags); throws InvalidRequestError naming each bad field. */
export function parseListFilter(query: Record<string, unknown>): ListFilter {
  const issues: FieldIssue[] = [];
  const text = queryText(query, issues);
  const filter: ListFilter = { limit: LIST_LIMIT.default };
  for (const key of Object.keys(query)) {
    if (!KNOWN.has(key) && !/^tag\.[A-Za-z0-9_.:-]{1,64}$/.test(key)) issues.push({ field: key, message: 'is not a known filter (status, host, tag.<name>, since, until, limit, cursor)' });
  }
  const status = text('status');
  if (status !== undefined) {
    if ((WEBHOOK_STATUSES as readonly string[]).includes(status)) filter.status = status as WebhookStatus;
    else issues.push({ field: 'status', message: `must be one of ${WEBHOOK_STATUSES.join(', ')}` });
  }
  const host = text('host');
  if (host !== undefined) {
    try {
      filter.host = hostKeyOfAuthority(host);
    } catch {
      issues.push({ field: 'host', message: 'must be a host[:port] authority' });
    }
  }
  for (const [field, key] of [['since', 'since'], ['until', 'until']] as const) {
    const value = text(field);
    if (value === undefined) continue;
    const at = new Date(value);
    if (!RFC3339.test(value) || Number.isNaN(at.getTime())) issues.push({ field, message: 'must be an RFC 3339 time, e.g. 2026-11-28T12:00:00Z' });
    else filter[key] = at;
  }
  Object.assign(filter, readPage(text, issues));
  const tags = Object.entries(query).filter(([k]) => k.startsWith('tag.'));
  for (const [key] of tags) {
    const value = text(key);
    if (value !== undefined) (filter.tags ??= {})[key.slice(4)] = value;
  }
  if (issues.length > 0) throw new InvalidRequestError(issues);
  return filter;
}

/** The webhook columns a filter constrains (status, host, tags, created range); the same for listing and recovering. */
export type WebhookMatch = Pick<ListFilter, 'status' | 'host' | 'tags'> & { since?: Date | string; until?: Date | string };

/** SQL conditions on `webhooks` for `match`, with `param` adding each value. */
export function matchWebhooks(match: WebhookMatch, param: (v: unknown) => string): string[] {
  const where: string[] = [];
  if (match.status) where.push(`status = ${param(match.status)}`);
  if (match.host) where.push(`authority = ${param(match.host)}`);
  if (match.tags) where.push(`tags @> ${param(JSON.stringify(match.tags))}::jsonb`);
  if (match.since) where.push(`created_at >= ${param(match.since)}`);
  if (match.until) where.push(`created_at < ${param(match.until)}`);
  return where;
}

/** The SQL and parameters of one page (one row more than the limit, to know whether another page follows). */
export function listQuery(filter: ListFilter): { text: string; values: unknown[] } {
  const values: unknown[] = [];
  const param = (v: unknown): string => `$${values.push(v)}`;
  const where = matchWebhooks(filter, param);
  const cursor = filter.cursor ? decodeCursor(filter.cursor) : undefined;
  if (cursor) where.push(`(created_at, id) < (${param(cursor.createdAt)}::timestamptz, ${param(cursor.id)})`);
  return {
    text: `SELECT id, status, method, origin, tags, attempt_count, last_status_code, created_at, completed_at
           FROM webhooks ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
           ORDER BY created_at DESC, id DESC LIMIT ${param(filter.limit + 1)}`,
    values,
  };
}
