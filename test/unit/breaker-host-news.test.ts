/**
 * src/breaker/host-news.ts: what one attempt's outcome tells about its whole host — a failure
 * against its health, a host-wide wait, an advertised rate limit.
 */
import { hostNews } from '../../src/breaker/host-news';
import type { SendErrorCode } from '../../src/receiver/classify';
import type { SendAttemptResult } from '../../src/delivery/definitions';

const NOW = Date.parse('2026-10-21T07:28:00Z');
const MAX_WAIT = 10 * 60_000;

function status(statusCode: number, responseHeaders: Record<string, string> = {}): SendAttemptResult {
  return { startedAtMs: NOW - 50, durationMs: 50, statusCode, responseHeaders };
}

function error(errorCode: SendErrorCode): SendAttemptResult {
  return { startedAtMs: NOW - 50, durationMs: 50, errorCode };
}

describe('what counts as a failure of the host', () => {
  test.each([
    [200, false],
    [204, false],
    [301, false],
    [400, false],
    [404, false],
    [410, false],
    [408, true],
    [429, true],
    [500, true],
    [502, true],
    [503, true],
    [504, true],
    [529, true],
  ])('status %i → failure %s', (code, failure) => {
    expect(hostNews(status(code), NOW, MAX_WAIT)).toEqual({ failure });
  });

  test.each([
    ['network', true],
    ['timeout', true],
    ['blocked', false],
    ['internal', false],
  ] as [SendErrorCode, boolean][])('error %s (no response) → failure %s', (code, failure) => {
    expect(hostNews(error(code), NOW, MAX_WAIT)).toEqual({ failure });
  });

  test('a result with neither status nor error code is a worker error, not the host’s fault', () => {
    const result: SendAttemptResult = { startedAtMs: NOW, durationMs: 1 };
    expect(hostNews(result, NOW, MAX_WAIT)).toEqual({ failure: false });
  });
});

describe('when the host asks everyone to wait', () => {
  test.each([
    [429, true],
    [503, true],
    [500, false], // only 429 and 503 pause the whole host
    [502, false],
    [200, false],
    [404, false],
  ])('status %i with Retry-After: 5 → host-wide wait: %s', (code, throttled) => {
    const news = hostNews(status(code, { 'Retry-After': '5' }), NOW, MAX_WAIT);
    expect(news.throttleUntilMs).toBe(throttled ? NOW + 5_000 : undefined);
  });

  test('429 with Retry-After: 5 is a failure that throttles the host until now + 5 s', () => {
    expect(hostNews(status(429, { 'Retry-After': '5' }), NOW, MAX_WAIT)).toEqual({ failure: true, throttleUntilMs: NOW + 5_000 });
  });

  test('Retry-After as an HTTP-date is honoured', () => {
    const news = hostNews(status(503, { 'retry-after': 'Wed, 21 Oct 2026 07:29:00 GMT' }), NOW, MAX_WAIT);
    expect(news.throttleUntilMs).toBe(NOW + 60_000);
  });

  test('a Retry-After of 0 or in the past is no wait', () => {
    expect(hostNews(status(429, { 'Retry-After': '0' }), NOW, MAX_WAIT).throttleUntilMs).toBeUndefined();
    expect(hostNews(status(429, { 'Retry-After': 'Wed, 21 Oct 2026 07:00:00 GMT' }), NOW, MAX_WAIT).throttleUntilMs).toBeUndefined();
  });

  test('a malformed Retry-After is ignored', () => {
    expect(hostNews(status(429, { 'Retry-After': 'soon' }), NOW, MAX_WAIT)).toEqual({ failure: true });
  });

  test('a used-up rate limit throttles the host until the reset even though this attempt was delivered', () => {
    const news = hostNews(status(200, { 'X-Rate-Limit-Remaining': '0', 'X-Rate-Limit-Reset': '3' }), NOW, MAX_WAIT);
    expect(news).toEqual({ failure: false, throttleUntilMs: NOW + 3_000 });
  });

  test.each([
    ['X-RateLimit-*', { 'X-RateLimit-Remaining': '0', 'X-RateLimit-Reset': '3' }],
    ['epoch seconds', { 'X-Rate-Limit-Remaining': '0', 'X-Rate-Limit-Reset': String((NOW + 3_000) / 1000) }],
    ['IETF RateLimit', { RateLimit: 'limit=10, remaining=0, reset=3' }],
  ])('the used-up rate limit is read from %s headers too', (_title, headers) => {
    expect(hostNews(status(200, headers), NOW, MAX_WAIT).throttleUntilMs).toBe(NOW + 3_000);
  });

  test('a rate limit with requests remaining is no wait', () => {
    const news = hostNews(status(200, { 'X-Rate-Limit-Remaining': '1', 'X-Rate-Limit-Reset': '3' }), NOW, MAX_WAIT);
    expect(news.throttleUntilMs).toBeUndefined();
  });

  test('with both Retry-After and a rate-limit reset the later one wins', () => {
    const headers = { 'Retry-After': '5', 'X-Rate-Limit-Remaining': '0', 'X-Rate-Limit-Reset': '8' };
    expect(hostNews(status(429, headers), NOW, MAX_WAIT).throttleUntilMs).toBe(NOW + 8_000);
    const other = { 'Retry-After': '9', 'X-Rate-Limit-Remaining': '0', 'X-Rate-Limit-Reset': '2' };
    expect(hostNews(status(429, other), NOW, MAX_WAIT).throttleUntilMs).toBe(NOW + 9_000);
  });

  test.each([
    ['Retry-After', 429, { 'Retry-After': '3600' }],
    ['a rate-limit reset', 200, { 'X-Rate-Limit-Remaining': '0', 'X-Rate-Limit-Reset': '3600' }],
  ])('a wait asked through %s is capped at maxWaitMs', (_title, code, headers) => {
    expect(hostNews(status(code, headers), NOW, 60_000).throttleUntilMs).toBe(NOW + 60_000);
  });

  test('a network error carries no headers and no wait', () => {
    expect(hostNews({ ...error('network'), responseHeaders: { 'Retry-After': '5' } }, NOW, MAX_WAIT)).toEqual({ failure: true });
  });
});

describe('the advertised rate limit', () => {
  test('X-Rate-Limit-Limit: 10 with a reset 0.4 s away is 10 per second', () => {
    const news = hostNews(status(200, { 'X-Rate-Limit-Limit': '10', 'X-Rate-Limit-Remaining': '4', 'X-Rate-Limit-Reset': '0.4' }), NOW, MAX_WAIT);
    expect(news).toEqual({ failure: false, rateLimit: { limit: 10, windowMs: 1_000 } });
  });

  test('RateLimit-Policy: 100;w=60 is 100 per minute', () => {
    const news = hostNews(status(200, { 'RateLimit-Policy': '100;w=60' }), NOW, MAX_WAIT);
    expect(news.rateLimit).toEqual({ limit: 100, windowMs: 60_000 });
  });

  test('a stated window is taken as stated, even if shorter than the window known so far', () => {
    const news = hostNews(status(200, { 'RateLimit-Policy': '100;w=60' }), NOW, MAX_WAIT, 120_000);
    expect(news.rateLimit).toEqual({ limit: 100, windowMs: 60_000 });
  });

  test.each([
    ['no reset', {}, undefined, 1_000],
    ['a reset 0.4 s away', { 'X-Rate-Limit-Reset': '0.4' }, undefined, 1_000],
    ['a reset 2.3 s away', { 'X-Rate-Limit-Reset': '2.3' }, undefined, 3_000],
    ['a reset 30 s away', { 'X-Rate-Limit-Reset': '30' }, undefined, 30_000],
    ['a reset 2 s away, 5 s known', { 'X-Rate-Limit-Reset': '2' }, 5_000, 5_000],
    ['a reset 10 s away, 5 s known', { 'X-Rate-Limit-Reset': '10' }, 5_000, 10_000],
    ['no reset, 60 s known', {}, 60_000, 60_000],
  ] as [string, Record<string, string>, number | undefined, number][])(
    'the window is estimated from the time to reset in whole seconds and never shrinks (%s → %i ms)',
    (_title, headers, knownWindowMs, windowMs) => {
      const news = hostNews(status(200, { 'X-Rate-Limit-Limit': '10', ...headers }), NOW, MAX_WAIT, knownWindowMs);
      expect(news.rateLimit).toEqual({ limit: 10, windowMs });
    },
  );

  test('a limit of 0 is no usable rate limit', () => {
    expect(hostNews(status(200, { 'X-Rate-Limit-Limit': '0' }), NOW, MAX_WAIT).rateLimit).toBeUndefined();
  });

  test('a 429 with both a limit and a Retry-After reports the limit and the wait', () => {
    const news = hostNews(status(429, { 'Retry-After': '2', 'X-RateLimit-Limit': '50', 'X-RateLimit-Remaining': '0', 'X-RateLimit-Reset': '1' }), NOW, MAX_WAIT);
    expect(news).toEqual({ failure: true, throttleUntilMs: NOW + 2_000, rateLimit: { limit: 50, windowMs: 1_000 } });
  });
});
