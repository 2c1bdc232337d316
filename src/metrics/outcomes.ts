/**
 * What the delivery metrics count, read from the rows a delivery workflow hands its worker (the
 * ledger records): pure, so the rules are testable with tables and the same on every worker.
 *
 * A progress record with attempts means the workflow decided to try again: each of its attempts
 * was `retried`. A final record's last attempt decided the outcome (`delivered`, `failed`, or
 * `blocked` when the address was refused), except when the webhook ended without an attempt of its
 * own: cancelled, or its retry window ran out while it waited (that attempt was already `retried`).
 */
import type { LedgerAttempt, LedgerRecord } from '../ledger/rows';

export const OUTCOMES = ['delivered', 'failed', 'retried', 'blocked'] as const;
export type Outcome = (typeof OUTCOMES)[number];
export type DeliveryOutcome = Exclude<Outcome, 'retried'> | 'cancelled';

/** `2xx` … `5xx` (and `1xx`) by the status code; `none` when no HTTP answer came (timeout, network error, blocked, gone). */
export function statusClass(statusCode: number | undefined): string {
  if (statusCode === undefined || statusCode < 100 || statusCode > 599) return 'none';
  return `${Math.floor(statusCode / 100)}xx`;
}

export interface AttemptCount {
  key: string;
  outcome: Outcome;
  statusClass: string;
  durationMs: number;
}

export interface DeliveryCount {
  key: string;
  outcome: DeliveryOutcome;
  statusClass: string;
  /** Trigger to delivery, for a webhook delivered without an operator's retry. */
  latencyMs?: number;
}

/** Reasons the workflow gives when the window ends between attempts (workflows/deliver-webhook.ts): no attempt decided it. */
const ENDED_WAITING = /^retry window end(ed|s) (while|before)/;

const attemptKey = (a: LedgerAttempt): string => `${a.webhookId}/${a.number}`;

export function countsOf(record: LedgerRecord): { attempts: AttemptCount[]; delivery?: DeliveryCount } {
  const { webhook } = record;
  const count = (a: LedgerAttempt, outcome: Outcome): AttemptCount => ({ key: attemptKey(a), outcome, statusClass: statusClass(a.statusCode), durationMs: a.durationMs });
  if (!record.final) return { attempts: record.attempts.map((a) => count(a, 'retried')) };

  const last = record.attempts[record.attempts.length - 1];
  const blocked = last?.errorCode === 'blocked';
  const outcome: DeliveryOutcome = webhook.status === 'delivered' ? 'delivered' : webhook.status === 'cancelled' ? 'cancelled' : blocked ? 'blocked' : 'failed';
  const delivery: DeliveryCount = {
    key: `${webhook.id}/final/${webhook.completedAt ?? webhook.seq}`,
    outcome,
    statusClass: statusClass(last?.statusCode),
  };
  // An operator's retry restarts the story: the time since the trigger would measure the operator.
  if (outcome === 'delivered' && webhook.completedAt && !record.attempts.some((a) => a.trigger === 'manual')) {
    delivery.latencyMs = Math.max(0, Date.parse(webhook.completedAt) - Date.parse(webhook.createdAt));
  }
  const decided = last && outcome !== 'cancelled' && !ENDED_WAITING.test(webhook.reason ?? '');
  return { attempts: decided ? [count(last, outcome as Outcome)] : [], delivery };
}
