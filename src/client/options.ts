/** What the client SDK takes: connection options, list filters, the caller, and what a send answers. */
import type { Client } from '@temporalio/client';
import type { Config } from '../config';

export interface HookflowOptions {
  /** Temporal frontend. @default TEMPORAL_ADDRESS, else `localhost:<HOOKFLOW_DEV_TEMPORAL_PORT>` */
  address?: string;
  /** @default TEMPORAL_NAMESPACE (`default`) */
  namespace?: string;
  /** Base64 AES-256 key shared with the worker. @default HOOKFLOW_ENCRYPTION_KEY, else the data dir's key */
  encryptionKey?: string;
  /** Use an existing Temporal client (its data converter must hold Hookflow's codec). */
  client?: Client;
  /** Settings; @default loadConfig(process.env) */
  config?: Config;
  /**
   * Hookflow's PostgreSQL, for lists, attempts, recovery and reads after Temporal's retention
   * (sending needs none). @default DATABASE_URL, else the embedded one of a running `npm start`
   */
  databaseUrl?: string;
  /**
   * Ask Temporal to hand each new webhook's first workflow task straight to a worker in this
   * process (eager workflow start), saving a round trip through the task queue. Only useful when
   * `client` runs on the NativeConnection of a Hookflow worker in the same process. @default false
   */
  eagerStart?: boolean;
  /**
   * How long one Temporal call (start, describe, query, pause) may take before it fails as Temporal
   * unreachable (DependencyUnavailableError). `result()` waits without bound; `cancel()` waits three times this long for a worker to carry out the cancel. @default 10000
   */
  callTimeoutMs?: number;
}

/** By then a healthy Temporal has answered long ago; an API caller gets its 503 instead of waiting on retries. */
export const DEFAULT_CALL_TIMEOUT_MS = 10_000;

/** Filters of `list`; see `GET /v1/webhooks`. */
export interface ListOptions extends PageOptions {
  status?: string;
  host?: string;
  tags?: Record<string, string>;
  /** Inclusive. */
  since?: Date | string;
  /** Exclusive. */
  until?: Date | string;
}

/** A page of a list (campaigns, a campaign's dispatches). */
export interface PageOptions {
  /** 1-500. @default 50 */
  limit?: number;
  /** `nextCursor` of the previous page. */
  cursor?: string;
}

/**
 * Page options as the query-string parameters the HTTP API receives; anything else given is kept,
 * so that parsePage names it (the API passes its query string through here).
 */
export function pageQueryOf(options: PageOptions): Record<string, unknown> {
  const query: Record<string, unknown> = { ...options };
  if (typeof options.limit === 'number') query.limit = String(options.limit);
  return query;
}

/** Who asks: a Hookflow-to-Hookflow webhook's request (src/self/credential.ts) is `hops` deep. */
export interface Caller {
  /** Self webhooks that led to this call. @default 0 */
  hops?: number;
}

export interface SendResult {
  id: string;
  /** false when an earlier send with the same idempotency key already created this webhook. */
  created: boolean;
  /** Set when a templated webhook failed to render: it is `failed` at once, with `reason` (`render_error: …`). */
  status?: 'failed';
  reason?: string;
}

/** `list` options as the query-string parameters of `GET /v1/webhooks`. */
export function listQueryOf(options: ListOptions): Record<string, unknown> {
  const query: Record<string, unknown> = {};
  const time = (t: Date | string): string => (t instanceof Date ? t.toISOString() : t);
  if (options.status !== undefined) query.status = options.status;
  if (options.host !== undefined) query.host = options.host;
  if (options.since !== undefined) query.since = time(options.since);
  if (options.until !== undefined) query.until = time(options.until);
  if (options.limit !== undefined) query.limit = String(options.limit);
  if (options.cursor !== undefined) query.cursor = options.cursor;
  for (const [name, value] of Object.entries(options.tags ?? {})) query[`tag.${name}`] = value;
  return query;
}
