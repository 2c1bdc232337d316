/**
 * Cursor pages shared by the list endpoints (webhooks, campaigns, a campaign's dispatches): newest
 * first, keyed by (createdAt, id), so a page is one index range and rows added meanwhile never
 * shift the pages after it. The cursor is opaque to callers.
 */
import { InvalidRequestError, type FieldIssue } from './errors';

export const LIST_LIMIT = { default: 50, max: 500 } as const;

export interface Cursor {
  createdAt: string;
  id: string;
}

export interface Page<T> {
  data: T[];
  /** Absent on the last page. */
  nextCursor?: string;
}

export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify([c.createdAt, c.id])).toString('base64url');
}

export function decodeCursor(raw: string): Cursor | undefined {
  try {
    const [createdAt, id] = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as unknown[];
    if (typeof createdAt !== 'string' || typeof id !== 'string' || Number.isNaN(Date.parse(createdAt))) return undefined;
    return { createdAt, id };
  } catch {
    return undefined;
  }
}

/** A query-string value given once, or undefined; a repeated one is an issue naming the field. */
export function queryText(query: Record<string, unknown>, issues: FieldIssue[]): (field: string) => string | undefined {
  return (field) => {
    const value = query[field];
    if (value === undefined) return undefined;
    if (typeof value !== 'string') {
      issues.push({ field, message: 'must be given once, as a string' });
      return undefined;
    }
    return value;
  };
}

/** `limit` and `cursor` of a list query; each bad one is an issue naming it. */
export function readPage(text: (field: string) => string | undefined, issues: FieldIssue[]): { limit: number; cursor?: string } {
  const page: { limit: number; cursor?: string } = { limit: LIST_LIMIT.default };
  const limit = text('limit');
  if (limit !== undefined) {
    const n = Number(limit);
    if (!/^\d+$/.test(limit) || n < 1 || n > LIST_LIMIT.max) issues.push({ field: 'limit', message: `must be an integer from 1 to ${LIST_LIMIT.max}` });
    else page.limit = n;
  }
  const cursor = text('cursor');
  if (cursor !== undefined) {
    if (decodeCursor(cursor)) page.cursor = cursor;
    else issues.push({ field: 'cursor', message: 'is not a cursor this API gave out' });
  }
  return page;
}

/** A list that takes only `limit` and `cursor`; throws InvalidRequestError naming each bad field. */
export function parsePage(query: Record<string, unknown>): { limit: number; cursor?: string } {
  const issues: FieldIssue[] = [];
  for (const key of Object.keys(query)) if (key !== 'limit' && key !== 'cursor') issues.push({ field: key, message: 'is not a known parameter (limit, cursor)' });
  const page = readPage(queryText(query, issues), issues);
  if (issues.length > 0) throw new InvalidRequestError(issues);
  return page;
}

/** One page from `limit + 1` rows read: the extra row only says that another page follows. */
export function pageOf<T>(rows: T[], limit: number, cursorOf: (row: T) => Cursor): Page<T> {
  const page: Page<T> = { data: rows.slice(0, limit) };
  if (rows.length > limit) page.nextCursor = encodeCursor(cursorOf(page.data[page.data.length - 1]));
  return page;
}
