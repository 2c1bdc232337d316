/**
 * What one attempt's outcome tells about its whole host. Pure.
 *  - failure: counts against the host's health (network errors, timeouts, 408, 429, 5xx);
 *  - throttleUntilMs: the host asked everyone to wait (429/503 with Retry-After, or a rate limit
 *    used up until its reset), capped at `maxWaitMs`;
 *  - rateLimit: the host's advertised limit per window.
 */
import { isHostFailure, outcomeOf, type ReceiverAnswer } from '../receiver/classify';
import { rateLimitBlockedUntil, readReceiverHints } from '../receiver/hints';
import type { RateLimitPolicy } from './definitions';

export interface HostNews {
  failure: boolean;
  throttleUntilMs?: number;
  rateLimit?: RateLimitPolicy;
}

export function hostNews(result: ReceiverAnswer, nowMs: number, maxWaitMs: number, knownWindowMs?: number): HostNews {
  const news: HostNews = { failure: isHostFailure(outcomeOf(result)) };
  if (result.statusCode === undefined) return news;
  const hints = readReceiverHints(result.responseHeaders ?? {}, nowMs);
  const waits: number[] = [];
  if ((result.statusCode === 429 || result.statusCode === 503) && hints.retryAfterAtMs !== undefined) waits.push(hints.retryAfterAtMs);
  const reset = rateLimitBlockedUntil(hints.rateLimit, nowMs);
  if (reset !== undefined) waits.push(reset);
  const until = Math.min(Math.max(0, ...waits), nowMs + maxWaitMs);
  if (until > nowMs) news.throttleUntilMs = until;
  const limit = hints.rateLimit?.limit;
  if (limit !== undefined && limit > 0) {
    news.rateLimit = { limit, windowMs: windowEstimate(hints.rateLimit?.windowMs, hints.rateLimit?.resetAtMs, nowMs, knownWindowMs) };
  }
  return news;
}

/**
 * The window length, when the host does not state it (only RateLimit-Policy has `w=`): the
 * longest time-to-reset seen so far, in whole seconds, at least one. A window seen from its
 * middle looks shorter than it is, so the estimate only grows.
 */
function windowEstimate(stated: number | undefined, resetAtMs: number | undefined, nowMs: number, knownMs: number | undefined): number {
  if (stated !== undefined) return stated;
  const seen = resetAtMs === undefined ? 1000 : Math.max(1000, Math.ceil((resetAtMs - nowMs) / 1000) * 1000);
  return Math.max(seen, knownMs ?? 0);
}
