/**
 * The worker's ledger writer: gathers the rows its delivery workflows hand over and writes them
 * to PostgreSQL in batches, one transaction per batch, idempotently (webhook rows by id and seq,
 * attempts by webhook and number), so a retried activity or a second worker writing the same row
 * changes nothing.
 *
 * Progress rows are written when the next batch goes (every HOOKFLOW_LEDGER_FLUSH_MS); a final row
 * is written at once and its activity waits for the commit, so a webhook's workflow only completes
 * once its final row is stored. When PostgreSQL is down, deliveries go on: progress rows wait in
 * memory (bounded) and final rows fail their activity, which Temporal retries until it is back.
 */
import type pg from 'pg';
import { withTransaction } from '../../src/db/transaction';
import { forgetDaysFrom, SETTLE_MS } from '../../src/report/days';
import { sealJson } from '../../src/temporal/codec';
import type { LedgerAttempt, LedgerRecord, LedgerWebhook } from '../../src/ledger/rows';

/** Progress rows kept while PostgreSQL is unreachable; beyond this, new ones are dropped (final rows never are). */
const MAX_PENDING_WEBHOOKS = 50_000;
const MAX_RETRY_DELAY_MS = 30_000;

interface PendingWebhook {
  row: LedgerWebhook;
  request?: Buffer;
}

interface Batch {
  webhooks: Map<string, PendingWebhook>;
  /** Each with its webhook's row in `webhooks` (merge puts them in together). */
  attempts: Map<string, LedgerAttempt>;
  waiters: { resolve(): void; reject(err: unknown): void }[];
}

export interface LedgerWriterOptions {
  pool: pg.Pool;
  /** The payload key: requests are stored encrypted with it. */
  encryptionKey: Buffer;
  flushMs: number;
  onError(err: unknown, what: string): void;
  /** False (HOOKFLOW_LEDGER_WRITES=false): rows are dropped unwritten, to measure what writing them costs. @default true */
  enabled?: boolean;
}

export class LedgerWriter {
  private batch = emptyBatch();
  private flushing?: Promise<void>;
  private timer?: NodeJS.Timeout;
  private failures = 0;
  /** Progress rows dropped because PostgreSQL was unreachable for long; their final rows still come. */
  dropped = 0;
  /** Batches written. */
  batches = 0;
  /** Rows PostgreSQL refused as data (not as an outage), skipped so that they hold up no other row. */
  rejected = 0;

  constructor(private readonly options: LedgerWriterOptions) {}

  /** Queues a progress record for the next batch. */
  add(record: LedgerRecord): void {
    if (this.options.enabled === false) return;
    if (this.batch.webhooks.size >= MAX_PENDING_WEBHOOKS && !this.batch.webhooks.has(record.webhook.id)) {
      this.dropped += 1;
      return;
    }
    merge(this.batch, record.webhook, record.attempts, record.final ? sealJson(this.options.encryptionKey, record.final.input) : undefined);
    this.schedule(this.options.flushMs);
  }

  /**
   * Writes a record with the next batch (within HOOKFLOW_LEDGER_FLUSH_MS) and resolves once it is
   * committed: final rows share their transactions, as progress rows do.
   */
  store(record: LedgerRecord): Promise<void> {
    if (this.options.enabled === false) return Promise.resolve();
    const committed = new Promise<void>((resolve, reject) => this.batch.waiters.push({ resolve, reject }));
    merge(this.batch, record.webhook, record.attempts, record.final ? sealJson(this.options.encryptionKey, record.final.input) : undefined);
    this.schedule(this.options.flushMs);
    return committed;
  }

  /** Writes what is queued; gives up after `timeoutMs` (the rows' workflows write them again). */
  async stop(timeoutMs = 5_000): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const done = (async () => {
      await this.flushing;
      if (this.batch.webhooks.size + this.batch.attempts.size > 0) await this.flush();
    })();
    await Promise.race([done.catch(() => undefined), new Promise((resolve) => setTimeout(resolve, timeoutMs).unref())]);
  }

  private schedule(delayMs: number): void {
    if (this.flushing) return; // the running flush schedules the next one
    if (this.timer && delayMs > 0) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, delayMs);
  }

  private flush(): Promise<void> {
    const batch = this.batch;
    this.batch = emptyBatch();
    this.flushing = writeIsolating(this.options.pool, batch, (err, id) => {
      this.rejected += 1;
      this.options.onError(err, `ledger row of webhook ${id} refused by PostgreSQL and skipped`);
    }).then(
      () => {
        this.failures = 0;
        this.batches += 1;
        for (const w of batch.waiters) w.resolve();
      },
      (err: unknown) => {
        this.failures += 1;
        this.options.onError(err, 'ledger write');
        for (const w of batch.waiters) w.reject(err);
        // Progress rows go back in the queue (newer ones that came meanwhile win); final rows are
        // written again by their activity's retry.
        for (const { row, request } of batch.webhooks.values()) merge(this.batch, row, [], request);
        for (const a of batch.attempts.values()) this.batch.attempts.set(attemptKey(a), a);
      },
    );
    return this.flushing.finally(() => {
      this.flushing = undefined;
      if (this.batch.webhooks.size + this.batch.attempts.size === 0 && this.batch.waiters.length === 0) return;
      const backoff = this.failures === 0 ? 0 : Math.min(MAX_RETRY_DELAY_MS, 250 * 2 ** this.failures);
      this.schedule(Math.max(backoff, this.options.flushMs));
    });
  }
}

function emptyBatch(): Batch {
  return { webhooks: new Map(), attempts: new Map(), waiters: [] };
}

const attemptKey = (a: LedgerAttempt): string => `${a.webhookId}#${a.number}`;

/** Keeps the newest row of each webhook (PostgreSQL cannot update one row twice in one statement). */
function merge(batch: Batch, row: LedgerWebhook, attempts: LedgerAttempt[], request: Buffer | undefined): void {
  const held = batch.webhooks.get(row.id);
  if (!held || held.row.seq <= row.seq) batch.webhooks.set(row.id, { row, request: request ?? held?.request });
  else if (request && !held.request) held.request = request;
  for (const a of attempts) batch.attempts.set(attemptKey(a), a);
}

/**
 * Writes a batch; when PostgreSQL refuses it for its data (SQLSTATE class 22 or 23, e.g. a NUL
 * character it cannot store) rather than being out of reach, writes each webhook with its attempts
 * on its own and skips only the ones refused. Otherwise one bad row would fail every later batch.
 */
async function writeIsolating(pool: pg.Pool, batch: Batch, skip: (err: unknown, webhookId: string) => void): Promise<void> {
  try {
    await write(pool, batch);
  } catch (err) {
    if (!isDataError(err)) throw err;
    const byWebhook = new Map<string, Batch>();
    const part = (id: string): Batch => byWebhook.get(id) ?? byWebhook.set(id, emptyBatch()).get(id)!;
    for (const [id, pending] of batch.webhooks) part(id).webhooks.set(id, pending);
    for (const [key, a] of batch.attempts) part(a.webhookId).attempts.set(key, a);
    for (const [id, one] of byWebhook) {
      try {
        await write(pool, one);
      } catch (oneErr) {
        if (!isDataError(oneErr)) throw oneErr;
        skip(oneErr, id);
      }
    }
  }
}

function isDataError(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && /^2[23]/.test(code);
}

async function write(pool: pg.Pool, batch: Batch): Promise<void> {
  if (batch.webhooks.size + batch.attempts.size === 0) return;
  await withTransaction(pool, async (tx) => {
    // The earliest day each statement really changed: a webhook row's creation (new or updated:
    // every count of it falls on or after it) and each new attempt's start. One older than
    // SETTLE_MS (a long retry finished, an outage caught up, a recovery sent it again) may change
    // days that reports stored: they are forgotten.
    const earliestOf = async (sql: string, values: unknown[]): Promise<number> =>
      (await tx.query<{ earliest: Date | null }>(sql, values)).rows[0].earliest?.getTime() ?? Infinity;
    const webhooks = batch.webhooks.size > 0 ? await earliestOf(UPSERT_WEBHOOKS, webhookColumns([...batch.webhooks.values()])) : Infinity;
    const attempts = batch.attempts.size > 0 ? await earliestOf(INSERT_ATTEMPTS, attemptColumns([...batch.attempts.values()], batch.webhooks)) : Infinity;
    const earliest = Math.min(webhooks, attempts);
    if (earliest < Date.now() - SETTLE_MS) await forgetDaysFrom(tx, new Date(earliest));
  });
}

const UPSERT_WEBHOOKS = `
WITH written AS (
INSERT INTO webhooks (id, seq, created_at, status, method, origin, authority, tags, attempt_count,
                      last_status_code, next_attempt_at, completed_at, reason, request, template_id, template_version,
                      campaign_id, dispatch_id, recipient_id, journey_id, journey_step)
SELECT * FROM unnest($1::text[], $2::bigint[], $3::timestamptz[], $4::text[], $5::text[], $6::text[],
                     $7::text[], $8::jsonb[], $9::int[], $10::int[], $11::timestamptz[], $12::timestamptz[],
                     $13::text[], $14::bytea[], $15::text[], $16::int[], $17::text[], $18::text[], $19::text[],
                     $20::text[], $21::text[])
ON CONFLICT (id) DO UPDATE SET
  seq = EXCLUDED.seq, status = EXCLUDED.status, tags = EXCLUDED.tags,
  attempt_count = EXCLUDED.attempt_count, last_status_code = EXCLUDED.last_status_code,
  next_attempt_at = EXCLUDED.next_attempt_at, completed_at = EXCLUDED.completed_at,
  reason = EXCLUDED.reason, request = COALESCE(EXCLUDED.request, webhooks.request),
  template_id = COALESCE(EXCLUDED.template_id, webhooks.template_id),
  template_version = COALESCE(EXCLUDED.template_version, webhooks.template_version),
  campaign_id = COALESCE(EXCLUDED.campaign_id, webhooks.campaign_id), dispatch_id = COALESCE(EXCLUDED.dispatch_id, webhooks.dispatch_id),
  recipient_id = COALESCE(EXCLUDED.recipient_id, webhooks.recipient_id),
  journey_id = COALESCE(EXCLUDED.journey_id, webhooks.journey_id), journey_step = COALESCE(EXCLUDED.journey_step, webhooks.journey_step),
  updated_at = now()
WHERE webhooks.seq < EXCLUDED.seq
RETURNING created_at)
SELECT min(created_at) AS earliest FROM written`;

const INSERT_ATTEMPTS = `
WITH written AS (
INSERT INTO attempts (webhook_id, number, trigger, started_at, duration_ms, status_code, error_code, campaign_id, dispatch_id, journey_id, journey_step, authority)
SELECT * FROM unnest($1::text[], $2::int[], $3::text[], $4::timestamptz[], $5::int[], $6::int[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[])
ON CONFLICT (webhook_id, number) DO NOTHING
RETURNING started_at)
SELECT min(started_at) AS earliest FROM written`;

function webhookColumns(rows: PendingWebhook[]): unknown[] {
  const col = <T>(f: (p: PendingWebhook) => T): T[] => rows.map(f);
  return [
    col((p) => p.row.id),
    col((p) => p.row.seq),
    col((p) => p.row.createdAt),
    col((p) => p.row.status),
    col((p) => p.row.method),
    col((p) => p.row.origin),
    col((p) => p.row.authority),
    col((p) => JSON.stringify(p.row.tags)),
    col((p) => p.row.attemptCount),
    col((p) => p.row.lastStatusCode ?? null),
    col((p) => p.row.nextAttemptAt ?? null),
    col((p) => p.row.completedAt ?? null),
    col((p) => p.row.reason ?? null),
    col((p) => p.request ?? null),
    col((p) => p.row.templateId ?? null),
    col((p) => p.row.templateVersion ?? null),
    col((p) => p.row.campaignId ?? null),
    col((p) => p.row.dispatchId ?? null),
    col((p) => p.row.recipientId ?? null),
    col((p) => p.row.journeyId ?? null),
    col((p) => p.row.journeyStep ?? null),
  ];
}

/** The attempts' columns; an attempt is stored with its webhook's campaign, dispatch, journey, step and host, which reports filter and group by. */
function attemptColumns(rows: LedgerAttempt[], webhooks: Map<string, PendingWebhook>): unknown[] {
  const of = (a: LedgerAttempt): LedgerWebhook | undefined => webhooks.get(a.webhookId)?.row;
  return [
    rows.map((a) => a.webhookId),
    rows.map((a) => a.number),
    rows.map((a) => a.trigger),
    rows.map((a) => a.startedAt),
    rows.map((a) => a.durationMs),
    rows.map((a) => a.statusCode ?? null),
    rows.map((a) => a.errorCode ?? null),
    rows.map((a) => of(a)?.campaignId ?? null),
    rows.map((a) => of(a)?.dispatchId ?? null),
    rows.map((a) => of(a)?.journeyId ?? null),
    rows.map((a) => of(a)?.journeyStep ?? null),
    rows.map((a) => of(a)?.authority ?? null),
  ];
}
