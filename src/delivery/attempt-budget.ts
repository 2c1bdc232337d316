/**
 * How many bytes one webhook's attempt records may take. Every attempt is recorded in the delivery
 * workflow's history (its activity result), in its state and result, and in the input of each
 * continue-as-new run; Temporal refuses a payload over 2 MB (and warns from 512 KB) and a history
 * over 50 MB. So a receiver cannot grow them whatever it answers:
 *
 * - response headers: at most 2 KiB per attempt (names and values, at most 64, each value cut at
 *   512 characters), the headers that decide timing (Retry-After, rate limits) kept first;
 * - response body: the first 2 KiB;
 * - error message: at most 512 characters;
 * - the latest 20 attempts keep all of that; older ones keep number, trigger, times, status code
 *   and error only.
 *
 * At the 100-attempt maximum a webhook's record stays under about 130 KiB (20 × ~5 KiB + 80 × ~0.4 KiB).
 */
import type { AttemptRecord } from './definitions';

export const ATTEMPT_BUDGET = {
  headerBytes: 2_048,
  maxHeaders: 64,
  headerValueChars: 512,
  snippetBytes: 2_048,
  errorChars: 512,
  detailedAttempts: 20,
} as const;

/** Headers that decide when the next attempt may go: kept ahead of all others. */
const TIMING_HEADER = /^(retry-after|x-rate-?limit-.*|ratelimit(-.*)?)$/;

/** Response headers within the budget; names lower-cased. */
export function budgetHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const entries = Object.entries(headers).flatMap(([name, value]): [string, string][] =>
    value === undefined ? [] : [[name.toLowerCase(), Array.isArray(value) ? value.join(', ') : value]],
  );
  entries.sort(([a], [b]) => Number(TIMING_HEADER.test(b)) - Number(TIMING_HEADER.test(a)));
  const out: Record<string, string> = {};
  let bytes = 0;
  let count = 0;
  for (const [name, full] of entries) {
    const value = full.length > ATTEMPT_BUDGET.headerValueChars ? full.slice(0, ATTEMPT_BUDGET.headerValueChars) : full;
    const size = name.length + value.length;
    if (count >= ATTEMPT_BUDGET.maxHeaders || bytes + size > ATTEMPT_BUDGET.headerBytes) continue;
    out[name] = value;
    bytes += size;
    count += 1;
  }
  return out;
}

export function budgetError(message: string): string {
  return message.length > ATTEMPT_BUDGET.errorChars ? `${message.slice(0, ATTEMPT_BUDGET.errorChars)}…` : message;
}

/** The record kept for an attempt older than the latest ATTEMPT_BUDGET.detailedAttempts. */
export function compactAttempt(attempt: AttemptRecord): AttemptRecord {
  const { responseHeaders: _headers, responseBodySnippet: _body, extracted: _extracted, ...kept } = attempt;
  return kept;
}

/** `attempts` with all but the latest ATTEMPT_BUDGET.detailedAttempts compacted. */
export function withinBudget(attempts: AttemptRecord[]): AttemptRecord[] {
  const detailedFrom = attempts.length - ATTEMPT_BUDGET.detailedAttempts;
  return attempts.map((a, i) => (i < detailedFrom && (a.responseHeaders || a.responseBodySnippet !== undefined) ? compactAttempt(a) : a));
}
