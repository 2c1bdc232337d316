/**
 * src/delivery/attempt-budget.ts and its use in DeliveryLog: whatever a receiver answers, a
 * webhook's attempt records stay far below Temporal's payload (2 MB, warned from 512 KB) and
 * history limits.
 */
import { ATTEMPT_BUDGET, budgetHeaders } from '../../src/delivery/attempt-budget';
import { DeliveryLog } from '../../src/delivery/delivery-log';
import type { DeliveryInput, SendAttemptResult } from '../../src/delivery/definitions';

const NOW = Date.parse('2026-10-21T07:28:00Z');
const bytes = (value: unknown): number => Buffer.byteLength(JSON.stringify(value));

/** 64 headers of 4 KiB each, Retry-After last. */
function hugeHeaders(): Record<string, string> {
  const headers: Record<string, string> = {};
  for (let i = 0; i < 63; i++) headers[`X-Padding-${i}`] = 'v'.repeat(4_096);
  headers['Retry-After'] = '1';
  return headers;
}

describe('response headers', () => {
  test('64 headers of 4 KiB are cut to the header budget, names lower-cased', () => {
    const kept = budgetHeaders(hugeHeaders());
    const size = Object.entries(kept).reduce((n, [k, v]) => n + k.length + v.length, 0);
    expect(size).toBeLessThanOrEqual(ATTEMPT_BUDGET.headerBytes);
    for (const [name, value] of Object.entries(kept)) {
      expect(name).toBe(name.toLowerCase());
      expect(value.length).toBeLessThanOrEqual(ATTEMPT_BUDGET.headerValueChars);
    }
  });

  test('the headers that decide timing are kept first, however many others come before them', () => {
    const kept = budgetHeaders({ ...hugeHeaders(), 'X-RateLimit-Remaining': '0', 'RateLimit-Reset': '5' });
    expect(kept).toMatchObject({ 'retry-after': '1', 'x-ratelimit-remaining': '0', 'ratelimit-reset': '5' });
  });

  test('a few ordinary headers are kept whole, and a list-valued one is joined', () => {
    expect(budgetHeaders({ 'Content-Type': 'text/plain', 'Set-Cookie': ['a=1', 'b=2'], Gone: undefined })).toEqual({
      'content-type': 'text/plain',
      'set-cookie': 'a=1, b=2',
    });
  });
});

describe('a webhook answered 100 times with 64 large headers and a 64 KiB body', () => {
  const input: DeliveryInput = {
    id: 'wh_00000000000000000000000000000001',
    authority: 'example.com',
    request: { method: 'POST', url: 'https://example.com/', headers: {} },
    view: { method: 'POST', url: 'https://example.com/', headers: {} },
    retry: { maxAttempts: 100, maxDurationSeconds: 86_400, initialIntervalMs: 1_000, maxIntervalMs: 1_000 },
    timeoutMs: 1_000,
    tags: {},
    maxRetryAfterMs: 36_000_000,
    sendActivity: 'local',
  };
  // What the send activity returns for such an answer: headers and body already cut at the source.
  const result = (i: number): SendAttemptResult => ({
    startedAtMs: NOW + i * 1_000,
    durationMs: 5,
    statusCode: 500,
    responseHeaders: budgetHeaders(hugeHeaders()),
    responseBodySnippet: `${'x'.repeat(ATTEMPT_BUDGET.snippetBytes)}…`,
  });

  test('its state, result and continue-as-new input stay under 150 KiB; each attempt result under 5 KiB', () => {
    const log = new DeliveryLog(input, NOW);
    for (let i = 0; i < 100; i++) {
      expect(bytes(result(i))).toBeLessThan(5 * 1024);
      log.record(result(i), NOW + i * 1_000, 0.5);
    }
    expect(log.state().attempts).toHaveLength(100);
    expect(bytes(log.state())).toBeLessThan(150 * 1024);
    expect(bytes({ ...input, carried: log.carry() })).toBeLessThan(150 * 1024);
  });

  test('the latest attempts keep their headers and body; older ones keep number, times, status and error', () => {
    const log = new DeliveryLog(input, NOW);
    for (let i = 0; i < 100; i++) log.record(result(i), NOW + i * 1_000, 0.5);
    const attempts = log.state().attempts;
    const detailed = attempts.filter((a) => a.responseHeaders !== undefined);
    expect(detailed.map((a) => a.number)).toEqual(Array.from({ length: ATTEMPT_BUDGET.detailedAttempts }, (_, i) => 81 + i));
    expect(attempts[0]).toEqual({
      number: 1,
      trigger: 'scheduled',
      startedAt: new Date(NOW).toISOString(),
      durationMs: 5,
      statusCode: 500,
      error: 'receiver error',
      nextAttemptAt: attempts[0].nextAttemptAt,
    });
  });
});
