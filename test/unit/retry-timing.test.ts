/**
 * src/delivery/retry-timing.ts: when the next attempt goes, if at all; and the default schedule
 * of src/delivery/policy.ts.
 */
import type { FailureKind } from '../../src/receiver/classify';
import { DEFAULT_RETRY, type RetryPolicy } from '../../src/delivery/policy';
import { backoffDelayMs, nextAttempt, receiverEarliestMs, type RetryContext } from '../../src/delivery/retry-timing';

const NOW = Date.parse('2026-10-21T07:28:00Z');
const HOUR = 3_600_000;
const policy: RetryPolicy = { maxAttempts: 10, maxDurationSeconds: 3 * 86_400, initialIntervalMs: 1_000, maxIntervalMs: 60_000 };
/** Just under 1: the largest value Math.random() can return. */
const ALMOST_ONE = 1 - Number.EPSILON;

function ctx(overrides: Partial<RetryContext> = {}): RetryContext {
  return {
    attempts: 1,
    policy,
    failure: 'receiver-error',
    hints: {},
    nowMs: NOW,
    deadlineMs: NOW + policy.maxDurationSeconds * 1000,
    maxRetryAfterMs: 10 * HOUR,
    random: 0.5,
    ...overrides,
  };
}

describe('exponential backoff', () => {
  test.each([
    [1, 1_000],
    [2, 4_000],
    [3, 16_000],
    [4, 60_000], // 64 000 capped
    [5, 60_000],
    [50, 60_000],
  ])('after attempt %i the nominal delay (random 0.5) is %i ms', (attempts, expected) => {
    expect(backoffDelayMs(attempts, policy, 0.5)).toBe(expected);
  });

  test.each([1, 2, 3, 4, 10])('after attempt %i the jitter keeps the delay within ±20 % of nominal', (attempts) => {
    const nominal = backoffDelayMs(attempts, policy, 0.5);
    expect(backoffDelayMs(attempts, policy, 0)).toBe(Math.round(nominal * 0.8));
    const high = backoffDelayMs(attempts, policy, ALMOST_ONE);
    expect(high).toBeLessThanOrEqual(Math.round(nominal * 1.2));
    expect(high).toBeGreaterThan(Math.round(nominal * 1.19));
    for (let i = 0; i <= 20; i++) {
      const d = backoffDelayMs(attempts, policy, (i / 20) * ALMOST_ONE);
      expect(d).toBeGreaterThanOrEqual(Math.round(nominal * 0.8));
      expect(d).toBeLessThanOrEqual(Math.round(nominal * 1.2));
    }
  });

  test('the delay grows with the random number, so jitter spreads retries', () => {
    expect(backoffDelayMs(2, policy, 0.1)).toBeLessThan(backoffDelayMs(2, policy, 0.9));
  });

  test('nextAttempt schedules the backoff delay from now', () => {
    expect(nextAttempt(ctx({ attempts: 2, random: 0.5 }))).toEqual({ retry: true, atMs: NOW + 4_000, basis: 'backoff' });
    expect(nextAttempt(ctx({ attempts: 2, random: 0 }))).toEqual({ retry: true, atMs: NOW + 3_200, basis: 'backoff' });
  });
});

describe('when not to retry', () => {
  test.each([
    ['redirect', 'redirect not followed'],
    ['rejected', 'rejected by the receiver'],
    ['gone', 'endpoint gone (410)'],
    ['blocked', 'address not allowed'],
  ] as [FailureKind, string][])('a %s failure stops at once with "%s"', (failure, reason) => {
    expect(nextAttempt(ctx({ failure, attempts: 1 }))).toEqual({ retry: false, reason });
  });

  test.each([
    ['receiver-error', 'receiver error; all 10 attempts used'],
    ['rate-limited', 'rate limited (429); all 10 attempts used'],
    ['timeout', 'attempt timed out; all 10 attempts used'],
    ['network', 'receiver not reachable; all 10 attempts used'],
  ] as [FailureKind, string][])('a %s failure on the last attempt stops with "%s"', (failure, reason) => {
    expect(nextAttempt(ctx({ failure, attempts: 10 }))).toEqual({ retry: false, reason });
  });

  test('the attempt before the last one is still retried', () => {
    expect(nextAttempt(ctx({ attempts: 9 })).retry).toBe(true);
  });

  test('maxAttempts 1 means no retry at all', () => {
    expect(nextAttempt(ctx({ policy: { ...policy, maxAttempts: 1 } }))).toEqual({ retry: false, reason: 'receiver error; all 1 attempts used' });
  });

  test('a backoff that would land past the deadline fails with "retry window ended"', () => {
    expect(nextAttempt(ctx({ attempts: 2, deadlineMs: NOW + 3_999 }))).toEqual({ retry: false, reason: 'receiver error; retry window ended' });
  });

  test('a backoff that lands exactly on the deadline is still made', () => {
    expect(nextAttempt(ctx({ attempts: 2, deadlineMs: NOW + 4_000 }))).toEqual({ retry: true, atMs: NOW + 4_000, basis: 'backoff' });
  });
});

describe('the receiver decides when', () => {
  test('Retry-After wins over a shorter backoff', () => {
    expect(nextAttempt(ctx({ hints: { retryAfterAtMs: NOW + 30_000 } }))).toEqual({ retry: true, atMs: NOW + 30_000, basis: 'retry-after' });
  });

  test('Retry-After wins over a longer backoff too: the receiver named its time', () => {
    expect(nextAttempt(ctx({ attempts: 4, hints: { retryAfterAtMs: NOW + 2_000 } }))).toEqual({
      retry: true,
      atMs: NOW + 2_000,
      basis: 'retry-after',
    });
  });

  test('a Retry-After of now (or earlier) is no hint: backoff applies', () => {
    expect(nextAttempt(ctx({ hints: { retryAfterAtMs: NOW } }))).toEqual({ retry: true, atMs: NOW + 1_000, basis: 'backoff' });
    expect(receiverEarliestMs({ retryAfterAtMs: NOW - 5 }, NOW)).toBeUndefined();
  });

  test('the rate-limit reset is used when remaining is 0', () => {
    expect(nextAttempt(ctx({ hints: { rateLimit: { remaining: 0, resetAtMs: NOW + 20_000 } } }))).toEqual({
      retry: true,
      atMs: NOW + 20_000,
      basis: 'rate-limit-reset',
    });
  });

  test('the rate-limit reset is ignored while requests remain', () => {
    expect(nextAttempt(ctx({ hints: { rateLimit: { limit: 10, remaining: 3, resetAtMs: NOW + 20_000 } } }))).toEqual({
      retry: true,
      atMs: NOW + 1_000,
      basis: 'backoff',
    });
  });

  test.each([
    ['Retry-After is later', NOW + 30_000, NOW + 20_000, { atMs: NOW + 30_000, basis: 'retry-after' }],
    ['the reset is later', NOW + 20_000, NOW + 30_000, { atMs: NOW + 30_000, basis: 'rate-limit-reset' }],
    ['both are the same', NOW + 20_000, NOW + 20_000, { atMs: NOW + 20_000, basis: 'retry-after' }],
  ])('with both, the later one is used (%s)', (_title, retryAfterAtMs, resetAtMs, expected) => {
    const hints = { retryAfterAtMs, rateLimit: { remaining: 0, resetAtMs } };
    expect(receiverEarliestMs(hints, NOW)).toEqual(expected);
    expect(nextAttempt(ctx({ hints }))).toEqual({ retry: true, ...expected });
  });

  test('a wait beyond maxRetryAfterMs fails the webhook with a message naming both figures', () => {
    expect(nextAttempt(ctx({ hints: { retryAfterAtMs: NOW + 86_400_000 } }))).toEqual({
      retry: false,
      reason: 'receiver error; receiver asked to wait 86400 s, longer than the 36000 s honoured (HOOKFLOW_MAX_RETRY_AFTER_MS)',
    });
  });

  test('a rate-limit reset beyond maxRetryAfterMs fails the same way', () => {
    expect(nextAttempt(ctx({ failure: 'rate-limited', maxRetryAfterMs: 60_000, hints: { rateLimit: { remaining: 0, resetAtMs: NOW + 61_500 } } }))).toEqual({
      retry: false,
      reason: 'rate limited (429); receiver asked to wait 62 s, longer than the 60 s honoured (HOOKFLOW_MAX_RETRY_AFTER_MS)',
    });
  });

  test('a wait of exactly maxRetryAfterMs is honoured', () => {
    expect(nextAttempt(ctx({ maxRetryAfterMs: 60_000, hints: { retryAfterAtMs: NOW + 60_000 } }))).toEqual({
      retry: true,
      atMs: NOW + 60_000,
      basis: 'retry-after',
    });
  });

  test('a wait past the end of the retry window fails instead of calling early', () => {
    expect(nextAttempt(ctx({ deadlineMs: NOW + 10_000, hints: { retryAfterAtMs: NOW + 10_001 } }))).toEqual({
      retry: false,
      reason: 'receiver error; receiver asked to wait 11 s, past the end of the retry window',
    });
  });

  test('a receiver hint does not revive a non-retryable failure or a used-up webhook', () => {
    const hints = { retryAfterAtMs: NOW + 5_000 };
    expect(nextAttempt(ctx({ failure: 'rejected', hints }))).toEqual({ retry: false, reason: 'rejected by the receiver' });
    expect(nextAttempt(ctx({ attempts: 10, hints }))).toEqual({ retry: false, reason: 'receiver error; all 10 attempts used' });
  });
});

describe('the default schedule', () => {
  test('defaults: 10 attempts, 3-day window, 5 s first delay, 10 h longest', () => {
    expect(DEFAULT_RETRY).toEqual({ maxAttempts: 10, maxDurationSeconds: 259_200, initialIntervalMs: 5_000, maxIntervalMs: 36_000_000 });
  });

  test('the nine nominal delays of 10 attempts sum to about 27.6 h, as policy.ts claims', () => {
    const delays = Array.from({ length: DEFAULT_RETRY.maxAttempts - 1 }, (_, i) => backoffDelayMs(i + 1, DEFAULT_RETRY, 0.5));
    // 5 s, 20 s, 80 s, 320 s, 1280 s, 5120 s, 20480 s, 36000 s (capped), 36000 s
    expect(delays).toEqual([5_000, 20_000, 80_000, 320_000, 1_280_000, 5_120_000, 20_480_000, 36_000_000, 36_000_000]);
    const hours = delays.reduce((a, b) => a + b, 0) / HOUR;
    expect(hours).toBeCloseTo(27.59, 1);
    expect(Math.abs(hours - 27.6) / 27.6).toBeLessThan(0.03);
  });

  test('every default retry, even with the largest jitter, falls inside the 3-day window', () => {
    let at = NOW;
    const deadlineMs = NOW + DEFAULT_RETRY.maxDurationSeconds * 1000;
    for (let attempts = 1; attempts < DEFAULT_RETRY.maxAttempts; attempts++) {
      const decision = nextAttempt(ctx({ attempts, policy: DEFAULT_RETRY, nowMs: at, deadlineMs, random: ALMOST_ONE }));
      if (!decision.retry) throw new Error(`attempt ${attempts}: ${decision.reason}`);
      at = decision.atMs;
    }
    expect(nextAttempt(ctx({ attempts: 10, policy: DEFAULT_RETRY, nowMs: at, deadlineMs }))).toEqual({
      retry: false,
      reason: 'receiver error; all 10 attempts used',
    });
    expect(at - NOW).toBeLessThan(1.2 * 27.6 * HOUR);
  });
});
