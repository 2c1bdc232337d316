/**
 * src/receiver/hints.ts: what a receiver's response headers say about when to call it next.
 * The clock is fixed so every expectation is an exact epoch-ms figure.
 */
import {
  parseRateLimit,
  parseRetryAfter,
  rateLimitBlockedUntil,
  readReceiverHints,
  resetToEpochMs,
  type RateLimitHint,
} from '../../src/receiver/hints';

const NOW = Date.parse('2026-10-21T07:28:00Z');

describe('Retry-After', () => {
  test.each([
    ['0', NOW],
    ['1', NOW + 1_000],
    ['120', NOW + 120_000],
    [' 120 ', NOW + 120_000],
    ['86400', NOW + 86_400_000],
  ])('delta-seconds %j means now + that many seconds', (value, expected) => {
    expect(parseRetryAfter(value, NOW)).toBe(expected);
  });

  test('an IMF-fixdate in the future is taken as is', () => {
    expect(parseRetryAfter('Wed, 21 Oct 2026 07:30:00 GMT', NOW)).toBe(NOW + 120_000);
  });

  test('the asctime date format is understood', () => {
    expect(parseRetryAfter('Wed Oct 21 07:30:00 2026', NOW)).toBe(NOW + 120_000);
  });

  // RFC 9110 §5.6.7: a recipient MUST accept all three HTTP-date formats, the obsolete RFC 850 one included.
  test('the obsolete RFC 850 date format (two-digit year) is understood', () => {
    expect(parseRetryAfter('Wednesday, 21-Oct-26 07:30:00 GMT', NOW)).toBe(NOW + 120_000);
  });

  test('a date in the past clamps to now', () => {
    expect(parseRetryAfter('Sun, 06 Nov 1994 08:49:37 GMT', NOW)).toBe(NOW);
    expect(parseRetryAfter('Wed, 21 Oct 2026 07:27:59 GMT', NOW)).toBe(NOW);
  });

  test.each(['soon', '1.5', '', '   ', '-3', '+3', '3s', '0x10', 'Wed, 99 Foo', 'Wed, 99 Foo 2026', 'tomorrow'])(
    'the malformed value %j is ignored',
    (value) => {
      expect(parseRetryAfter(value, NOW)).toBeUndefined();
    },
  );

  // The code's own comment promises garbage is ignored rather than guessed at; Date.parse reads any
  // word followed by a year as 1 January of that year.
  test('a word followed by a year ("retry in 2030") is ignored, not read as 1 January 2030', () => {
    expect(parseRetryAfter('retry in 2030', NOW)).toBeUndefined();
  });

  test('an absent header gives no hint', () => {
    expect(parseRetryAfter(undefined, NOW)).toBeUndefined();
    expect(readReceiverHints({}, NOW)).toEqual({});
  });

  test.each(['Retry-After', 'retry-after', 'RETRY-AFTER', 'rEtRy-AfTeR'])('the header name %s is found in any case', (name) => {
    expect(readReceiverHints({ [name]: '5' }, NOW)).toEqual({ retryAfterAtMs: NOW + 5_000 });
  });

  test('a malformed Retry-After loses only its own hint, not the rate limit', () => {
    expect(readReceiverHints({ 'retry-after': 'soon', 'x-rate-limit-remaining': '0', 'x-rate-limit-reset': '7' }, NOW)).toEqual({
      rateLimit: { remaining: 0, resetAtMs: NOW + 7_000 },
    });
  });
});

describe('resetToEpochMs', () => {
  test.each([
    ['seconds from now', 0, NOW],
    ['seconds from now', 3, NOW + 3_000],
    ['seconds from now', 1.5, NOW + 1_500],
    ['seconds from now', 3_600, NOW + 3_600_000],
    ['seconds from now (just under the epoch-seconds threshold)', 999_999_999, NOW + 999_999_999_000],
    ['epoch seconds', (NOW + 60_000) / 1000, NOW + 60_000],
    ['epoch seconds at the threshold', 1e9, NOW],
    ['epoch seconds in the past (clamped to now)', (NOW - 60_000) / 1000, NOW],
    ['epoch milliseconds', NOW + 60_000, NOW + 60_000],
    ['epoch milliseconds in the past (clamped to now)', NOW - 60_000, NOW],
  ])('%s: %d → %d', (_kind, value, expected) => {
    expect(resetToEpochMs(value, NOW)).toBe(expected);
  });
});

describe('X-Rate-Limit-* and X-RateLimit-*', () => {
  test.each([
    ['X-Rate-Limit-Limit', 'X-Rate-Limit-Remaining', 'X-Rate-Limit-Reset'],
    ['x-rate-limit-limit', 'x-rate-limit-remaining', 'x-rate-limit-reset'],
    ['X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset'],
    ['x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset'],
    ['X-RATELIMIT-LIMIT', 'X-RATELIMIT-REMAINING', 'X-RATELIMIT-RESET'],
  ])('%s / %s / %s are read', (limit, remaining, reset) => {
    expect(readReceiverHints({ [limit]: '100', [remaining]: '0', [reset]: '30' }, NOW)).toEqual({
      rateLimit: { limit: 100, remaining: 0, resetAtMs: NOW + 30_000 },
    });
  });

  test.each([
    ['seconds from now', '30', NOW + 30_000],
    ['epoch seconds', String((NOW + 45_000) / 1000), NOW + 45_000],
    ['epoch milliseconds', String(NOW + 45_000), NOW + 45_000],
  ])('a reset given as %s is converted to epoch ms', (_kind, reset, expected) => {
    expect(readReceiverHints({ 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': reset }, NOW).rateLimit?.resetAtMs).toBe(expected);
  });

  test('a malformed value is left out, the others are kept', () => {
    expect(readReceiverHints({ 'x-rate-limit-limit': 'many', 'x-rate-limit-remaining': '-1', 'x-rate-limit-reset': '5' }, NOW)).toEqual({
      rateLimit: { resetAtMs: NOW + 5_000 },
    });
  });

  test('nothing recognisable gives no rate-limit hint', () => {
    expect(parseRateLimit({ 'x-rate-limit-limit': 'lots' }, NOW)).toBeUndefined();
    expect(readReceiverHints({ 'content-type': 'text/plain' }, NOW)).toEqual({});
  });
});

describe('IETF RateLimit headers', () => {
  test('RateLimit-Limit / RateLimit-Remaining / RateLimit-Reset: reset is seconds from now', () => {
    expect(readReceiverHints({ 'RateLimit-Limit': '10', 'RateLimit-Remaining': '0', 'RateLimit-Reset': '3' }, NOW)).toEqual({
      rateLimit: { limit: 10, remaining: 0, resetAtMs: NOW + 3_000 },
    });
  });

  test('RateLimit-Reset is always seconds from now, even when it is large', () => {
    expect(readReceiverHints({ 'ratelimit-remaining': '0', 'ratelimit-reset': '2000000000' }, NOW).rateLimit?.resetAtMs).toBe(
      NOW + 2_000_000_000_000,
    );
  });

  test('RateLimit: limit=10, remaining=0, reset=3 (early draft, one header)', () => {
    expect(readReceiverHints({ RateLimit: 'limit=10, remaining=0, reset=3' }, NOW)).toEqual({
      rateLimit: { limit: 10, remaining: 0, resetAtMs: NOW + 3_000 },
    });
  });

  test('RateLimit: "default";r=0;t=3 with RateLimit-Policy: "default";q=10;w=1 (structured fields)', () => {
    expect(readReceiverHints({ RateLimit: '"default";r=0;t=3', 'RateLimit-Policy': '"default";q=10;w=1' }, NOW)).toEqual({
      rateLimit: { limit: 10, remaining: 0, resetAtMs: NOW + 3_000, windowMs: 1_000 },
    });
  });

  test('RateLimit-Policy: 10;w=1 gives the limit and the window', () => {
    expect(readReceiverHints({ 'RateLimit-Policy': '10;w=1' }, NOW)).toEqual({ rateLimit: { limit: 10, windowMs: 1_000 } });
  });

  test('with several policies listed, the first one wins', () => {
    expect(readReceiverHints({ 'RateLimit-Policy': '10;w=1, 1000;w=3600' }, NOW)).toEqual({ rateLimit: { limit: 10, windowMs: 1_000 } });
  });

  test('a window of 0 seconds is not reported', () => {
    expect(readReceiverHints({ 'RateLimit-Policy': '10;w=0' }, NOW)).toEqual({ rateLimit: { limit: 10 } });
  });

  test('the X- headers win over the IETF ones when both are given', () => {
    expect(
      readReceiverHints(
        { 'x-ratelimit-limit': '5', 'x-ratelimit-remaining': '1', 'x-ratelimit-reset': '9', RateLimit: 'limit=10, remaining=0, reset=3' },
        NOW,
      ),
    ).toEqual({ rateLimit: { limit: 5, remaining: 1, resetAtMs: NOW + 9_000 } });
  });

  test('Retry-After and RateLimit together give both hints', () => {
    expect(readReceiverHints({ 'Retry-After': '4', RATELIMIT: 'limit=10, remaining=0, reset=3' }, NOW)).toEqual({
      retryAfterAtMs: NOW + 4_000,
      rateLimit: { limit: 10, remaining: 0, resetAtMs: NOW + 3_000 },
    });
  });
});

describe('rateLimitBlockedUntil', () => {
  const rows: [string, RateLimitHint | undefined, number | undefined][] = [
    ['no hint', undefined, undefined],
    ['remaining 0 and a future reset: blocked until the reset', { remaining: 0, resetAtMs: NOW + 3_000 }, NOW + 3_000],
    ['remaining 1: not blocked', { remaining: 1, resetAtMs: NOW + 3_000 }, undefined],
    ['remaining unknown: not blocked', { limit: 10, resetAtMs: NOW + 3_000 }, undefined],
    ['remaining 0 without a reset: not blocked', { remaining: 0 }, undefined],
    ['remaining 0 and a reset now: not blocked', { remaining: 0, resetAtMs: NOW }, undefined],
    ['remaining 0 and a reset in the past: not blocked', { remaining: 0, resetAtMs: NOW - 1 }, undefined],
  ];

  test.each(rows)('%s', (_title, hint, expected) => {
    expect(rateLimitBlockedUntil(hint, NOW)).toBe(expected);
  });

  test('works on what readReceiverHints returns', () => {
    const hints = readReceiverHints({ 'X-RateLimit-Remaining': '0', 'X-RateLimit-Reset': String((NOW + 10_000) / 1000) }, NOW);
    expect(rateLimitBlockedUntil(hints.rateLimit, NOW)).toBe(NOW + 10_000);
  });
});
