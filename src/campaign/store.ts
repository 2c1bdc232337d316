/**
 * Campaigns, their dispatches and their recipients in PostgreSQL. A dispatch's recipients are
 * rows numbered in order; the dispatch workflow takes them a page at a time by `outcome IS NULL`,
 * so a page done again after a crash takes the same rows and starts nothing twice.
 */
import type pg from 'pg';
import type { Attributes } from '../recipient/schema';
import { withTransaction } from '../db/transaction';
import { applyPatches } from '../recipient/store';
import { combinePatches } from '../recipient/schema';
import { decodeCursor, pageOf, type Page } from '../paging';
import type { Campaign, CampaignRecipient, CampaignStatus, CampaignView, DispatchCounts, DispatchSummary } from './schema';

type Queryable = Pick<pg.PoolClient, 'query'>;

interface CampaignRow {
  id: string;
  template_id: string;
  template_version: number | null;
  trigger: Campaign['trigger'];
  rate_limit_per_minute: number | null;
  re_eligibility_seconds: number | null;
  status: CampaignStatus;
  created_at: Date;
  updated_at: Date;
}

const toView = (r: CampaignRow): CampaignView => ({
  id: r.id,
  template: { id: r.template_id, ...(r.template_version === null ? {} : { version: r.template_version }) },
  trigger: r.trigger,
  ...(r.rate_limit_per_minute === null ? {} : { rateLimitPerMinute: r.rate_limit_per_minute }),
  ...(r.re_eligibility_seconds === null ? {} : { reEligibilitySeconds: r.re_eligibility_seconds }),
  status: r.status,
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
});

/** Creates or replaces a campaign's definition (its status stays); `created` says which. */
export async function saveCampaign(db: Queryable, id: string, c: Campaign): Promise<{ view: CampaignView; created: boolean }> {
  const { rows } = await db.query<CampaignRow & { created: boolean }>(
    `INSERT INTO campaigns AS c (id, template_id, template_version, trigger, rate_limit_per_minute, re_eligibility_seconds)
     VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (id) DO UPDATE SET template_id = EXCLUDED.template_id, template_version = EXCLUDED.template_version,
       trigger = EXCLUDED.trigger, rate_limit_per_minute = EXCLUDED.rate_limit_per_minute,
       re_eligibility_seconds = EXCLUDED.re_eligibility_seconds, updated_at = now()
     RETURNING *, (xmax = 0) AS created`,
    [id, c.template.id, c.template.version ?? null, JSON.stringify(c.trigger), c.rateLimitPerMinute ?? null, c.reEligibilitySeconds ?? null],
  );
  return { view: toView(rows[0]), created: rows[0].created };
}

export async function readCampaign(db: Queryable, id: string): Promise<CampaignView | undefined> {
  const { rows } = await db.query<CampaignRow>('SELECT * FROM campaigns WHERE id = $1', [id]);
  return rows[0] && toView(rows[0]);
}

/** A list page asked for: `limit` rows (newest first) after the page that `cursor` ended. */
interface PageAsk {
  limit: number;
  cursor?: string;
}

/** Keyset condition and values after `cursor` on (created_at, id), newest first. */
function after(page: PageAsk, values: unknown[], prefix = 'WHERE'): string {
  const c = page.cursor ? decodeCursor(page.cursor) : undefined;
  if (!c) return '';
  values.push(c.createdAt, c.id);
  return `${prefix} (created_at, id) < ($${values.length - 1}::timestamptz, $${values.length})`;
}

/** Full precision: a row's own created_at (microseconds), so the next page starts right after it. */
const CURSOR_AT = `to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cursor_at`;

export async function listCampaigns(db: Queryable, page: PageAsk): Promise<Page<CampaignView>> {
  const values: unknown[] = [];
  const where = after(page, values);
  values.push(page.limit + 1);
  const { rows } = await db.query<CampaignRow & { cursor_at: string }>(`SELECT *, ${CURSOR_AT} FROM campaigns ${where} ORDER BY created_at DESC, id DESC LIMIT $${values.length}`, values);
  const found = pageOf(rows, page.limit, (r) => ({ createdAt: r.cursor_at, id: r.id }));
  return { ...found, data: found.data.map(toView) };
}

export async function listDispatches(db: Queryable, campaignId: string, page: PageAsk): Promise<Page<DispatchSummary>> {
  const values: unknown[] = [campaignId];
  const where = after(page, values, 'AND');
  values.push(page.limit + 1);
  const { rows } = await db.query<{ id: string; template_id: string; template_version: number; total: number; status: string; created_at: Date; completed_at: Date | null; cursor_at: string }>(
    `SELECT id, template_id, template_version, total, status, created_at, completed_at, ${CURSOR_AT} FROM campaign_dispatches
      WHERE campaign_id = $1 ${where} ORDER BY created_at DESC, id DESC LIMIT $${values.length}`,
    values,
  );
  const found = pageOf(rows, page.limit, (r) => ({ createdAt: r.cursor_at, id: r.id }));
  return {
    ...found,
    data: found.data.map((r) => ({
      id: r.id,
      template: { id: r.template_id, version: r.template_version },
      total: r.total,
      status: r.status,
      createdAt: r.created_at.toISOString(),
      ...(r.completed_at ? { completedAt: r.completed_at.toISOString() } : {}),
    })),
  };
}

export async function setCampaignStatus(db: Queryable, id: string, status: CampaignStatus): Promise<CampaignView | undefined> {
  const { rows } = await db.query<CampaignRow>('UPDATE campaigns SET status = $2, updated_at = now() WHERE id = $1 RETURNING *', [id, status]);
  return rows[0] && toView(rows[0]);
}

/** Active event campaigns listening to any of these event names. */
export async function eventCampaigns(db: Queryable, names: string[]): Promise<CampaignView[]> {
  const { rows } = await db.query<CampaignRow>(
    `SELECT * FROM campaigns WHERE trigger ->> 'type' = 'event' AND trigger ->> 'event' = ANY($1::text[]) AND status = 'active' ORDER BY id`,
    [names],
  );
  return rows.map(toView);
}

/** The event names active event campaigns listen to. */
export async function listenedEventNames(db: Queryable): Promise<string[]> {
  const { rows } = await db.query<{ name: string }>(`SELECT DISTINCT trigger ->> 'event' AS name FROM campaigns WHERE trigger ->> 'type' = 'event' AND status = 'active'`);
  return rows.map((r) => r.name);
}

export interface NewDispatch {
  id: string;
  campaignId: string;
  template: { id: string; version: number };
  properties: Attributes;
  recipients?: CampaignRecipient[];
  audienceWhere?: unknown;
  workflowId: string;
}

/**
 * Stores a dispatch and its recipients (merging the attributes given into the recipients), in one
 * transaction; `created: false` with the stored total when a dispatch with this id exists.
 */
export async function createDispatch(pool: pg.Pool, d: NewDispatch): Promise<{ created: boolean; total: number }> {
  return withTransaction(pool, async (tx) => {
    const total = d.recipients?.length ?? 0;
    const inserted = await tx.query(
      `INSERT INTO campaign_dispatches (id, campaign_id, template_id, template_version, properties, audience_where, total, workflow_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO NOTHING`,
      [d.id, d.campaignId, d.template.id, d.template.version, JSON.stringify(d.properties), d.audienceWhere === undefined ? null : JSON.stringify(d.audienceWhere), total, d.workflowId],
    );
    if (inserted.rowCount === 0) {
      const { rows } = await tx.query<{ total: number }>('SELECT total FROM campaign_dispatches WHERE id = $1', [d.id]);
      return { created: false, total: rows[0].total };
    }
    if (d.recipients && d.recipients.length > 0) {
      await tx.query(
        `INSERT INTO campaign_dispatch_recipients (dispatch_id, n, recipient_id, properties)
         SELECT $1, r.n, r.id, r.properties FROM unnest($2::text[], $3::jsonb[]) WITH ORDINALITY AS r(id, properties, n)`,
        [d.id, d.recipients.map((r) => r.id), d.recipients.map((r) => (r.properties ? JSON.stringify(r.properties) : null))],
      );
      // Attributes given with the call are the recipients' own from now on, as Braze's API-triggered sends do.
      const byId = new Map<string, Attributes[]>();
      for (const r of d.recipients) if (r.attributes) byId.set(r.id, [...(byId.get(r.id) ?? []), r.attributes as Attributes]);
      await applyPatches(tx, new Map([...byId].map(([id, writes]) => [id, combinePatches(writes)])));
    }
    return { created: true, total };
  });
}

export interface DispatchRow {
  id: string;
  campaignId: string;
  template: { id: string; version: number };
  properties: Attributes;
  audienceWhere?: unknown;
  status: string;
}

export async function readDispatch(db: Queryable, id: string): Promise<DispatchRow | undefined> {
  const { rows } = await db.query<{ id: string; campaign_id: string; template_id: string; template_version: number; properties: Attributes; audience_where: unknown; status: string }>(
    'SELECT id, campaign_id, template_id, template_version, properties, audience_where, status FROM campaign_dispatches WHERE id = $1',
    [id],
  );
  const r = rows[0];
  return (
    r && {
      id: r.id,
      campaignId: r.campaign_id,
      template: { id: r.template_id, version: r.template_version },
      properties: r.properties,
      ...(r.audience_where === null ? {} : { audienceWhere: r.audience_where }),
      status: r.status,
    }
  );
}

/** Appends audience members (selected in id order) to a dispatch: numbered after the last. */
export async function appendAudience(db: Queryable, dispatchId: string, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await db.query(
    `WITH last AS (SELECT coalesce(max(n), 0) AS n FROM campaign_dispatch_recipients WHERE dispatch_id = $1)
     INSERT INTO campaign_dispatch_recipients (dispatch_id, n, recipient_id)
     SELECT $1, last.n + r.i, r.id FROM last, unnest($2::text[]) WITH ORDINALITY AS r(id, i)`,
    [dispatchId, ids],
  );
  await db.query('UPDATE campaign_dispatches SET total = total + $2 WHERE id = $1', [dispatchId, ids.length]);
}

/** The last recipient id appended to an audience dispatch ('' before the first). */
export async function lastAudienceId(db: Queryable, dispatchId: string): Promise<string> {
  const { rows } = await db.query<{ recipient_id: string }>('SELECT recipient_id FROM campaign_dispatch_recipients WHERE dispatch_id = $1 ORDER BY n DESC LIMIT 1', [dispatchId]);
  return rows[0]?.recipient_id ?? '';
}

export interface PendingRecipient {
  n: number;
  id: string;
  attributes: Attributes;
  properties?: Attributes;
}

/** The next recipients of a dispatch not yet handled, with their stored attributes. */
export async function pendingRecipients(db: Queryable, dispatchId: string, limit: number): Promise<PendingRecipient[]> {
  const { rows } = await db.query<{ n: number; recipient_id: string; properties: Attributes | null; attributes: Attributes | null }>(
    `SELECT d.n, d.recipient_id, d.properties, r.attributes
     FROM campaign_dispatch_recipients d LEFT JOIN recipients r ON r.id = d.recipient_id
     WHERE d.dispatch_id = $1 AND d.outcome IS NULL ORDER BY d.n LIMIT $2`,
    [dispatchId, limit],
  );
  return rows.map((r) => ({ n: r.n, id: r.recipient_id, attributes: r.attributes ?? {}, ...(r.properties ? { properties: r.properties } : {}) }));
}

export async function settleRecipients(db: Queryable, dispatchId: string, outcomes: { n: number; outcome: 'started' | 'skipped' }[]): Promise<void> {
  if (outcomes.length === 0) return;
  await db.query(
    `UPDATE campaign_dispatch_recipients d SET outcome = o.outcome
     FROM unnest($2::int[], $3::text[]) AS o(n, outcome) WHERE d.dispatch_id = $1 AND d.n = o.n`,
    [dispatchId, outcomes.map((o) => o.n), outcomes.map((o) => o.outcome)],
  );
}

/** A stopped campaign's dispatch: its recipients not yet handled are cancelled. */
export async function cancelRest(db: Queryable, dispatchId: string): Promise<void> {
  await db.query(`UPDATE campaign_dispatch_recipients SET outcome = 'cancelled' WHERE dispatch_id = $1 AND outcome IS NULL`, [dispatchId]);
}

export async function completeDispatch(db: Queryable, dispatchId: string, status: 'done' | 'stopped'): Promise<void> {
  await db.query(`UPDATE campaign_dispatches SET status = $2, completed_at = now() WHERE id = $1 AND status = 'running'`, [dispatchId, status]);
}

/**
 * reEligibilitySeconds: which of these recipients may get this campaign now. Each one eligible is
 * recorded as getting it with its webhook id, so a page done again finds its own record and still
 * counts it eligible (the webhook id is the same).
 */
export async function claimEligible(db: Queryable, campaignId: string, seconds: number, wanted: { recipientId: string; webhookId: string }[]): Promise<Set<string>> {
  if (wanted.length === 0) return new Set();
  // One claim per recipient in one statement (a recipient twice in a page: the first claim only).
  const first = new Map<string, string>();
  for (const w of wanted) if (!first.has(w.recipientId)) first.set(w.recipientId, w.webhookId);
  const { rows } = await db.query<{ webhook_id: string }>(
    `INSERT INTO campaign_receipts AS c (campaign_id, recipient_id, sent_at, webhook_id)
     SELECT $1, w.recipient_id, now(), w.webhook_id FROM unnest($2::text[], $3::text[]) AS w(recipient_id, webhook_id) ORDER BY w.recipient_id
     ON CONFLICT (campaign_id, recipient_id) DO UPDATE SET sent_at = now(), webhook_id = EXCLUDED.webhook_id
       WHERE c.webhook_id = EXCLUDED.webhook_id OR c.sent_at <= now() - make_interval(secs => $4::double precision)
     RETURNING webhook_id`,
    [campaignId, [...first.keys()], [...first.values()], seconds],
  );
  return new Set(rows.map((r) => r.webhook_id));
}

export async function dispatchCounts(db: Queryable, campaignId: string, dispatchId: string): Promise<DispatchCounts | undefined> {
  const { rows } = await db.query<Record<string, string>>(
    `SELECT d.total::text,
       (SELECT count(*) FROM campaign_dispatch_recipients WHERE dispatch_id = d.id AND outcome = 'started')::text AS started,
       (SELECT count(*) FROM campaign_dispatch_recipients WHERE dispatch_id = d.id AND outcome = 'skipped')::text AS skipped,
       (SELECT count(*) FROM campaign_dispatch_recipients WHERE dispatch_id = d.id AND outcome = 'cancelled')::text AS unsent,
       (SELECT count(*) FROM webhooks WHERE dispatch_id = d.id AND status = 'delivered')::text AS delivered,
       (SELECT count(*) FROM webhooks WHERE dispatch_id = d.id AND status = 'failed')::text AS failed,
       (SELECT count(*) FROM webhooks WHERE dispatch_id = d.id AND status = 'cancelled')::text AS cancelled
     FROM campaign_dispatches d WHERE d.id = $1 AND d.campaign_id = $2`,
    [dispatchId, campaignId],
  );
  const r = rows[0];
  if (!r) return undefined;
  const n = (k: string): number => Number(r[k]);
  const counts = { total: n('total'), started: n('started'), delivered: n('delivered'), failed: n('failed'), cancelled: n('cancelled') + n('unsent'), skipped: n('skipped') };
  return { ...counts, pending: Math.max(0, counts.total - counts.delivered - counts.failed - counts.cancelled - counts.skipped) };
}

/** Workflow ids of a campaign's dispatches still running. */
export async function runningDispatchWorkflows(db: Queryable, campaignId: string): Promise<string[]> {
  const { rows } = await db.query<{ workflow_id: string }>(`SELECT workflow_id FROM campaign_dispatches WHERE campaign_id = $1 AND status = 'running'`, [campaignId]);
  return rows.map((r) => r.workflow_id);
}

/**
 * Ids of a campaign's webhooks the ledger lists as waiting (between attempts, or for a send slot),
 * a page at a time. One listed `pending` may be in its first request right now: it is left to the
 * campaign gate of its next attempt, so a stop never cancels a request already on its way.
 */
export async function liveCampaignWebhooks(db: Queryable, campaignId: string, afterId: string, limit: number): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    `SELECT id FROM webhooks WHERE campaign_id = $1 AND status IN ('retrying', 'paused') AND id > $2 ORDER BY id LIMIT $3`,
    [campaignId, afterId, limit],
  );
  return rows.map((r) => r.id);
}
