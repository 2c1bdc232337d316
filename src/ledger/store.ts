/**
 * Reads of the ledger, for the SDK and the API: lists, attempts, and a webhook as the ledger
 * knows it once Temporal has forgotten it (after the namespace's retention).
 */
import type pg from 'pg';
import type { SendErrorCode } from '../receiver/classify';
import { openJson } from '../temporal/codec';
import type { DeliveryInput, WebhookState, WebhookStatus } from '../delivery/definitions';
import { listQuery, type ListFilter, type ListItem, type ListPage } from './list-query';
import { pageOf } from '../paging';

export interface AttemptSummary {
  number: number;
  trigger: 'scheduled' | 'manual';
  startedAt: string;
  durationMs: number;
  statusCode?: number;
  errorCode?: SendErrorCode;
}

interface WebhookRowOut {
  id: string;
  status: WebhookStatus;
  method: string;
  origin: string;
  tags: Record<string, string>;
  attempt_count: number;
  last_status_code: number | null;
  created_at: Date;
  completed_at: Date | null;
}

const iso = (d: Date): string => d.toISOString();

function listItem(r: WebhookRowOut): ListItem {
  const item: ListItem = {
    id: r.id,
    status: r.status,
    method: r.method,
    origin: r.origin,
    tags: r.tags,
    attemptCount: r.attempt_count,
    createdAt: iso(r.created_at),
  };
  if (r.last_status_code !== null) item.lastStatusCode = r.last_status_code;
  if (r.completed_at) item.completedAt = iso(r.completed_at);
  return item;
}

export class LedgerStore {
  constructor(
    readonly pool: pg.Pool,
    /** The payload key: the ledger's requests are encrypted with it. */
    private readonly encryptionKey: Buffer,
  ) {}

  async list(filter: ListFilter): Promise<ListPage> {
    const { rows } = await this.pool.query<WebhookRowOut>(listQuery(filter));
    return pageOf(rows.map(listItem), filter.limit, (last) => last);
  }

  /** Attempts in order; undefined when the ledger has no such webhook. */
  async attempts(id: string): Promise<AttemptSummary[] | undefined> {
    const { rows } = await this.pool.query<{
      known: boolean;
      number: number | null;
      trigger: 'scheduled' | 'manual';
      started_at: Date;
      duration_ms: number;
      status_code: number | null;
      error_code: SendErrorCode | null;
    }>(
      `SELECT true AS known, a.number, a.trigger, a.started_at, a.duration_ms, a.status_code, a.error_code
         FROM webhooks w LEFT JOIN attempts a ON a.webhook_id = w.id
        WHERE w.id = $1 ORDER BY a.number`,
      [id],
    );
    if (rows.length === 0) return undefined;
    return rows
      .filter((r) => r.number !== null)
      .map((r) => {
        const a: AttemptSummary = { number: r.number!, trigger: r.trigger, startedAt: iso(r.started_at), durationMs: r.duration_ms };
        if (r.status_code !== null) a.statusCode = r.status_code;
        if (r.error_code !== null) a.errorCode = r.error_code;
        return a;
      });
  }

  /** The webhook's request as it was accepted (secrets included: for re-sending only, never shown). */
  async request(id: string): Promise<Omit<DeliveryInput, 'carried'> | undefined> {
    const { rows } = await this.pool.query<{ request: Buffer | null }>('SELECT request FROM webhooks WHERE id = $1', [id]);
    const sealed = rows[0]?.request;
    return sealed ? openJson<Omit<DeliveryInput, 'carried'>>(this.encryptionKey, sealed) : undefined;
  }

  /** The webhook as the ledger holds it, in the shape of a live status read; undefined when unknown. */
  async state(id: string): Promise<WebhookState | undefined> {
    const { rows } = await this.pool.query<
      WebhookRowOut & { next_attempt_at: Date | null; reason: string | null; request: Buffer | null; authority: string }
    >('SELECT * FROM webhooks WHERE id = $1', [id]);
    const row = rows[0];
    if (!row) return undefined;
    const input = row.request ? openJson<DeliveryInput>(this.encryptionKey, row.request) : undefined;
    const state: WebhookState = {
      id: row.id,
      status: row.status,
      // The redacted view, as a live read shows it; before the final row only method and origin are known.
      request: input?.view ?? { method: row.method, url: row.origin, headers: {} },
      tags: row.tags,
      attempts: (await this.attempts(id)) ?? [],
      createdAt: iso(row.created_at),
    };
    if (row.completed_at) state.completedAt = iso(row.completed_at);
    if (row.next_attempt_at) state.nextAttemptAt = iso(row.next_attempt_at);
    if (row.reason) state.reason = row.reason;
    return state;
  }
}
