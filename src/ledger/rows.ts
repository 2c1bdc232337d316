/**
 * The ledger's rows: one per webhook and one per attempt, as the delivery workflow hands them to
 * the worker. Pure and deterministic, so the workflow builds them itself.
 */
import type { AttemptRecord, CarriedProgress, DeliveryInput, SendAttemptInput, WebhookState, WebhookStatus } from '../delivery/definitions';
import type { SendErrorCode } from '../receiver/classify';
import { originOf } from '../webhook/redact';

export interface LedgerWebhook {
  id: string;
  /**
   * Orders one webhook's writes: workflow time in ms × 1000 plus a per-run counter. A write with a
   * lower seq than the stored row is dropped, so a late batch never undoes a newer state.
   */
  seq: number;
  createdAt: string;
  status: WebhookStatus;
  method: string;
  /** `scheme://host[:port]`: where the webhook goes, without path or query (which may hold secrets). */
  origin: string;
  authority: string;
  tags: Record<string, string>;
  attemptCount: number;
  lastStatusCode?: number;
  nextAttemptAt?: string;
  completedAt?: string;
  reason?: string;
  /** The template version the webhook was rendered from (reporting groups by it). */
  templateId?: string;
  templateVersion?: number;
  /** A campaign's webhook: which campaign, dispatch and recipient (dispatch counts read these). */
  campaignId?: string;
  dispatchId?: string;
  recipientId?: string;
  /** A journey's webhook: which journey and step (its recipient goes in recipientId). */
  journeyId?: string;
  journeyStep?: string;
}

export interface LedgerAttempt {
  webhookId: string;
  number: number;
  trigger: 'scheduled' | 'manual';
  startedAt: string;
  durationMs: number;
  statusCode?: number;
  errorCode?: SendErrorCode;
}

/** The webhook row for `state`, the delivery workflow's current state. */
export function webhookRow(input: DeliveryInput, state: WebhookState, seq: number): LedgerWebhook {
  const last = state.attempts[state.attempts.length - 1];
  const row: LedgerWebhook = {
    id: input.id,
    seq,
    createdAt: state.createdAt,
    status: state.status,
    method: input.request.method,
    origin: originOf(input.request.url),
    authority: input.authority,
    tags: input.tags,
    attemptCount: last?.number ?? 0,
  };
  const code = [...state.attempts].reverse().find((a) => a.statusCode !== undefined)?.statusCode;
  if (code !== undefined) row.lastStatusCode = code;
  if (state.nextAttemptAt) row.nextAttemptAt = state.nextAttemptAt;
  if (state.completedAt) row.completedAt = state.completedAt;
  if (state.reason) row.reason = state.reason;
  if (input.template) {
    row.templateId = input.template.id;
    row.templateVersion = input.template.version;
  }
  if (input.campaign) {
    row.campaignId = input.campaign.campaignId;
    if (input.campaign.dispatchId) row.dispatchId = input.campaign.dispatchId;
    row.recipientId = input.campaign.recipientId;
  }
  if (input.journey) {
    row.journeyId = input.journey.journeyId;
    row.journeyStep = input.journey.step;
    row.recipientId = input.journey.recipientId;
  }
  return row;
}

export function attemptRow(webhookId: string, attempt: AttemptRecord): LedgerAttempt {
  const row: LedgerAttempt = {
    webhookId,
    number: attempt.number,
    trigger: attempt.trigger,
    startedAt: attempt.startedAt,
    durationMs: attempt.durationMs,
  };
  if (attempt.statusCode !== undefined) row.statusCode = attempt.statusCode;
  if (attempt.errorCode !== undefined) row.errorCode = attempt.errorCode;
  return row;
}

/** What the delivery workflow asks its worker to store. */
export interface LedgerRecord {
  webhook: LedgerWebhook;
  attempts: LedgerAttempt[];
  /**
   * The webhook's final record: stored before the workflow completes (the activity waits for the
   * write), with the whole request, so the ledger always converges to what Temporal holds.
   */
  final?: { input: DeliveryInput };
}

/**
 * What an attempt needs to store its webhook's final record itself when it delivers
 * (src/ledger/settle.ts): the run's input but for the request (the attempt carries it), the
 * delivery's progress so far, and the seq the workflow set aside for that row.
 */
export interface SettleHint {
  input: Omit<DeliveryInput, 'request' | 'carried'>;
  progress: CarriedProgress;
  seq: number;
}

/**
 * A send attempt's input; the first attempt of a run also carries the webhook's row, which the
 * worker lists as the attempt goes, and, in runs that write the ledger, each attempt carries `settle`.
 */
export type LedgeredAttemptInput = SendAttemptInput & { ledger?: LedgerWebhook; settle?: SettleHint };

export interface LedgerActivities {
  recordWebhook(record: LedgerRecord): Promise<void>;
}
