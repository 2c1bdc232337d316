/**
 * When the next attempt goes, if at all. Pure: the delivery workflow passes its own clock and a
 * random number from the workflow's seeded generator, so replays decide the same.
 *
 * Order of precedence: the receiver's Retry-After, then its rate-limit reset, then exponential
 * backoff with jitter. A receiver's wish is never cut short: if honouring it would pass the cap or
 * the retry window, the webhook fails instead of calling early.
 */
import { FAILURES, type FailureKind } from '../receiver/classify';
import { BACKOFF_JITTER, BACKOFF_MULTIPLIER, type RetryPolicy } from './policy';
import { rateLimitBlockedUntil, type ReceiverHints } from '../receiver/hints';

export interface RetryContext {
  /** Attempts made so far, the one just judged included (1-based). */
  attempts: number;
  policy: RetryPolicy;
  failure: FailureKind;
  hints: ReceiverHints;
  nowMs: number;
  /** End of the retry window (epoch ms). */
  deadlineMs: number;
  /** Longest wait a receiver may ask for (HOOKFLOW_MAX_RETRY_AFTER_MS). */
  maxRetryAfterMs: number;
  /** Uniform in [0, 1). */
  random: number;
}

export type RetryDecision =
  | { retry: true; atMs: number; basis: 'retry-after' | 'rate-limit-reset' | 'backoff' }
  | { retry: false; reason: string };

export function backoffDelayMs(attempts: number, policy: RetryPolicy, random: number): number {
  const base = Math.min(policy.initialIntervalMs * BACKOFF_MULTIPLIER ** (attempts - 1), policy.maxIntervalMs);
  const spread = 1 - BACKOFF_JITTER + 2 * BACKOFF_JITTER * random;
  return Math.round(base * spread);
}

/** The earliest time the receiver allows, from its headers; undefined when it didn't say. */
export function receiverEarliestMs(hints: ReceiverHints, nowMs: number): { atMs: number; basis: 'retry-after' | 'rate-limit-reset' } | undefined {
  const retryAfter = hints.retryAfterAtMs !== undefined && hints.retryAfterAtMs > nowMs ? hints.retryAfterAtMs : undefined;
  const reset = rateLimitBlockedUntil(hints.rateLimit, nowMs);
  if (retryAfter === undefined && reset === undefined) return undefined;
  if (reset === undefined || (retryAfter !== undefined && retryAfter >= reset)) return { atMs: retryAfter!, basis: 'retry-after' };
  return { atMs: reset, basis: 'rate-limit-reset' };
}

export function nextAttempt(ctx: RetryContext): RetryDecision {
  const rule = FAILURES[ctx.failure];
  if (!rule.retryable) return { retry: false, reason: rule.describe };
  if (ctx.attempts >= ctx.policy.maxAttempts) {
    return { retry: false, reason: `${rule.describe}; all ${ctx.policy.maxAttempts} attempts used` };
  }
  const asked = receiverEarliestMs(ctx.hints, ctx.nowMs);
  if (asked) {
    const waitSeconds = Math.ceil((asked.atMs - ctx.nowMs) / 1000);
    if (asked.atMs - ctx.nowMs > ctx.maxRetryAfterMs) {
      return {
        retry: false,
        reason: `${rule.describe}; receiver asked to wait ${waitSeconds} s, longer than the ${Math.round(ctx.maxRetryAfterMs / 1000)} s honoured (HOOKFLOW_MAX_RETRY_AFTER_MS)`,
      };
    }
    if (asked.atMs > ctx.deadlineMs) {
      return { retry: false, reason: `${rule.describe}; receiver asked to wait ${waitSeconds} s, past the end of the retry window` };
    }
    return { retry: true, atMs: asked.atMs, basis: asked.basis };
  }
  const atMs = ctx.nowMs + backoffDelayMs(ctx.attempts, ctx.policy, ctx.random);
  if (atMs > ctx.deadlineMs) return { retry: false, reason: `${rule.describe}; retry window ended` };
  return { retry: true, atMs, basis: 'backoff' };
}
