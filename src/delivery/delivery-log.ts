/**
 * The record of one webhook's delivery: every attempt as data, the status, and the decision after
 * each attempt. Pure, so the workflow stays a thin loop and the rules are testable with tables.
 */
import type {
  AttemptRecord,
  CarriedProgress,
  DeliveryInput,
  SendAttemptResult,
  WaitingFor,
  WebhookState,
  WebhookStatus,
} from './definitions';
import { classify, FAILURES, outcomeOf } from '../receiver/classify';
import { withinBudget } from './attempt-budget';
import { readReceiverHints } from '../receiver/hints';
import { nextAttempt } from './retry-timing';

export type AfterAttempt = { done: true } | { done: false; atMs: number };

const iso = (ms: number): string => new Date(ms).toISOString();

export class DeliveryLog {
  status: WebhookStatus = 'pending';
  private records: AttemptRecord[];
  private readonly createdAt: string;
  private readonly deadlineMs: number;
  /** Index in `attempts` of the current retry window's first attempt (a manual retry starts a new window). */
  private readonly windowStart: number;
  private manualNext: boolean;
  private completedAt?: string;
  private nextAttemptAt?: string;
  private waitingFor?: WaitingFor;
  private reason?: string;

  constructor(
    private readonly input: DeliveryInput,
    nowMs: number,
  ) {
    const carried = input.carried;
    this.records = carried ? [...carried.attempts] : [];
    this.createdAt = carried?.createdAt ?? iso(nowMs);
    this.deadlineMs = carried?.deadlineMs ?? nowMs + input.retry.maxDurationSeconds * 1000;
    this.windowStart = carried?.windowStart ?? 0;
    this.manualNext = carried?.manual ?? false;
    if (carried?.deadlineMs !== undefined && this.attempts.length > 0) this.status = 'retrying';
  }

  get attempts(): readonly AttemptRecord[] {
    return this.records;
  }

  get deadline(): number {
    return this.deadlineMs;
  }

  /** Records an attempt's result and decides what comes next. `random` is uniform in [0, 1). */
  record(result: SendAttemptResult, workflowNowMs: number, random: number): AfterAttempt {
    // The workflow clock may still read the time the attempt began (a local activity finishes
    // inside the same workflow task); decisions are taken from when the answer came.
    const nowMs = Math.max(workflowNowMs, result.startedAtMs + result.durationMs);
    const verdict = classify(outcomeOf(result));
    const attempt: AttemptRecord = {
      // Numbers go on from the last attempt: a manual retry carries only the latest attempts.
      number: (this.attempts[this.attempts.length - 1]?.number ?? 0) + 1,
      trigger: this.manualNext ? 'manual' : 'scheduled',
      startedAt: iso(result.startedAtMs),
      durationMs: result.durationMs,
    };
    if (result.statusCode !== undefined) attempt.statusCode = result.statusCode;
    else attempt.errorCode = result.errorCode ?? 'internal';
    if (!verdict.delivered) {
      const what = FAILURES[verdict.failure].describe;
      attempt.error = result.errorMessage ? `${what}: ${result.errorMessage}` : what;
    }
    if (result.responseHeaders) attempt.responseHeaders = result.responseHeaders;
    if (result.responseBodySnippet !== undefined) attempt.responseBodySnippet = result.responseBodySnippet;
    if (result.extracted) attempt.extracted = result.extracted;
    // Older attempts shed their headers and body, so the record stays within its byte budget.
    this.records = withinBudget([...this.records, attempt]);
    this.manualNext = false;

    if (verdict.delivered) return this.finish('delivered', nowMs);
    const decision = nextAttempt({
      attempts: this.attempts.length - this.windowStart,
      policy: this.input.retry,
      failure: verdict.failure,
      hints: readReceiverHints(result.responseHeaders ?? {}, nowMs),
      nowMs,
      deadlineMs: this.deadlineMs,
      maxRetryAfterMs: this.input.maxRetryAfterMs,
      random,
    });
    if (!decision.retry) return this.finish('failed', nowMs, decision.reason);
    this.status = 'retrying';
    this.nextAttemptAt = attempt.nextAttemptAt = iso(decision.atMs);
    return { done: false, atMs: decision.atMs };
  }

  /** Fails the webhook without a further attempt (the retry window ended while it waited). */
  expire(nowMs: number, reason: string): void {
    this.finish('failed', nowMs, reason);
  }

  cancel(nowMs: number, reason = 'cancelled on request'): void {
    this.finish('cancelled', nowMs, reason);
  }

  /** Marks the webhook as waiting: for its host (breaker open, throttled, paused by an operator) or for a send slot. */
  pause(untilMs: number | undefined, waitingFor: WaitingFor): void {
    this.status = 'paused';
    this.waitingFor = waitingFor;
    this.nextAttemptAt = untilMs === undefined ? undefined : iso(untilMs);
  }

  resume(): void {
    this.status = this.attempts.length > 0 ? 'retrying' : 'pending';
    this.waitingFor = undefined;
  }

  private finish(status: 'delivered' | 'failed' | 'cancelled', nowMs: number, reason?: string): AfterAttempt {
    this.status = status;
    this.completedAt = iso(nowMs);
    this.nextAttemptAt = undefined;
    this.waitingFor = undefined;
    this.reason = reason;
    return { done: true };
  }

  get lastStatusCode(): number | undefined {
    for (let i = this.attempts.length - 1; i >= 0; i--) {
      const code = this.attempts[i].statusCode;
      if (code !== undefined) return code;
    }
    return undefined;
  }

  state(): WebhookState {
    const state: WebhookState = {
      id: this.input.id,
      status: this.status,
      request: this.input.view,
      tags: this.input.tags,
      attempts: this.records,
      createdAt: this.createdAt,
    };
    if (this.completedAt) state.completedAt = this.completedAt;
    if (this.nextAttemptAt) state.nextAttemptAt = this.nextAttemptAt;
    if (this.waitingFor) state.waitingFor = this.waitingFor;
    if (this.reason) state.reason = this.reason;
    return state;
  }

  /** Progress for continue-as-new: same window, same attempts. */
  carry(): CarriedProgress {
    return {
      createdAt: this.createdAt,
      attempts: this.records,
      deadlineMs: this.deadlineMs,
      windowStart: this.windowStart,
      manual: this.manualNext,
    };
  }
}
