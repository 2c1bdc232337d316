/**
 * The filter of `POST /v1/webhooks/recover` (and the SDK's `recover`): which finished webhooks to
 * send again. Parsed with field-named errors, normalised, and hashed so that the same filter posted
 * twice names the same job.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { InvalidRequestError } from '../errors';
import { hostKeyOfAuthority } from '../net/host-key';
import { toFieldIssues } from '../webhook/schema';

export const recoverFilterSchema = z
  .object({
    status: z.literal('failed', { error: 'must be "failed": only failed webhooks are recovered' }),
    host: z.string().optional(),
    since: z.iso.datetime({ offset: true, error: 'must be an RFC 3339 time, e.g. 2026-11-28T12:00:00Z' }).optional(),
    until: z.iso.datetime({ offset: true, error: 'must be an RFC 3339 time, e.g. 2026-11-28T12:00:00Z' }).optional(),
    tags: z.record(z.string().max(64), z.string().max(256)).optional(),
  })
  .strict();

export type RecoverFilterInput = z.input<typeof recoverFilterSchema>;

/** A normalised filter: host as its host key, times as ISO strings in UTC. */
export interface RecoverFilter {
  status: 'failed';
  host?: string;
  since?: string;
  until?: string;
  tags?: Record<string, string>;
}

export function parseRecoverFilter(input: unknown): RecoverFilter {
  const parsed = recoverFilterSchema.safeParse(input ?? {});
  if (!parsed.success) throw new InvalidRequestError(toFieldIssues(parsed.error, input ?? {}, '(filter)'));
  const { status, host, since, until, tags } = parsed.data;
  const filter: RecoverFilter = { status };
  if (host !== undefined) {
    try {
      filter.host = hostKeyOfAuthority(host);
    } catch {
      throw new InvalidRequestError([{ field: 'host', message: 'must be a host[:port] authority' }]);
    }
  }
  if (since !== undefined) filter.since = new Date(since).toISOString();
  if (until !== undefined) filter.until = new Date(until).toISOString();
  if (tags !== undefined && Object.keys(tags).length > 0) filter.tags = tags;
  return filter;
}

/** The same filter, however it was written (key order, time zone, host spelling), hashes the same. */
export function filterHash(filter: RecoverFilter): string {
  const tags = filter.tags ? Object.fromEntries(Object.entries(filter.tags).sort(([a], [b]) => a.localeCompare(b))) : undefined;
  const canonical = JSON.stringify([filter.status, filter.host ?? null, filter.since ?? null, filter.until ?? null, tags ?? null]);
  return createHash('sha256').update(canonical).digest('hex');
}
