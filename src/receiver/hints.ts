/**
 * What a receiver's response headers say about when to call it next. Pure; used by the delivery
 * workflow (per-webhook timing) and the worker's host gate (host-wide pacing). A malformed header
 * only loses its own hint, it never throws.
 */

export type Headers = Readonly<Record<string, string | undefined>>;

export interface RateLimitHint {
  /** Requests allowed per window. */
  limit?: number;
  /** Requests left in the current window. */
  remaining?: number;
  /** When the window resets (epoch ms). */
  resetAtMs?: number;
  /** Window length, when the receiver states it (RateLimit-Policy `w=`). */
  windowMs?: number;
}

export interface ReceiverHints {
  /** Earliest time (epoch ms) the receiver asked to be called again through Retry-After. */
  retryAfterAtMs?: number;
  rateLimit?: RateLimitHint;
}

const DIGITS = /^\s*(\d+)\s*$/;
const NUMBER = /^\s*(\d+(?:\.\d+)?)\s*$/;

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const IMF_FIXDATE = /^[A-Za-z]{3}, (\d{2}) ([A-Za-z]{3}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT$/;
const RFC850_DATE = /^[A-Za-z]+, (\d{2})-([A-Za-z]{3})-(\d{2}) (\d{2}):(\d{2}):(\d{2}) GMT$/;
const ASCTIME_DATE = /^[A-Za-z]{3} ([A-Za-z]{3}) ([ \d]\d) (\d{2}):(\d{2}):(\d{2}) (\d{4})$/;

function utc(year: number, month: string, day: string, h: string, m: string, s: string): number | undefined {
  const mon = MONTHS.indexOf(month.toLowerCase());
  if (mon < 0) return undefined;
  const ms = Date.UTC(year, mon, Number(day), Number(h), Number(m), Number(s));
  return Number.isNaN(ms) ? undefined : ms;
}

/** The three HTTP-date formats of RFC 9110 §5.6.7, and nothing looser. */
export function parseHttpDate(value: string, nowMs: number): number | undefined {
  const v = value.trim();
  let m = IMF_FIXDATE.exec(v);
  if (m) return utc(Number(m[3]), m[2], m[1], m[4], m[5], m[6]);
  m = RFC850_DATE.exec(v);
  if (m) {
    // A two-digit year more than 50 years ahead means the century before (RFC 9110).
    const thisYear = new Date(nowMs).getUTCFullYear();
    let year = thisYear - (thisYear % 100) + Number(m[3]);
    if (year > thisYear + 50) year -= 100;
    return utc(year, m[2], m[1], m[4], m[5], m[6]);
  }
  m = ASCTIME_DATE.exec(v);
  if (m) return utc(Number(m[6]), m[1], m[2].trim(), m[3], m[4], m[5]);
  return undefined;
}

/** Retry-After is delta-seconds (`120`) or an HTTP-date (RFC 9110 §10.2.3); anything else is ignored. */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined;
  const seconds = DIGITS.exec(value);
  if (seconds) return nowMs + Number(seconds[1]) * 1000;
  const at = parseHttpDate(value, nowMs);
  return at === undefined ? undefined : Math.max(at, nowMs);
}

/**
 * A reset value is seconds-from-now in some APIs and epoch seconds in others (GitHub, Twitter).
 * Tell them apart by size: no window lasts 30 years, and no epoch second is that small.
 */
export function resetToEpochMs(value: number, nowMs: number): number {
  if (value >= 1e12) return Math.max(value, nowMs); // epoch milliseconds
  if (value >= 1e9) return Math.max(value * 1000, nowMs); // epoch seconds
  return nowMs + value * 1000; // seconds from now
}

function num(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const m = NUMBER.exec(value);
  return m ? Number(m[1]) : undefined;
}

/** The first header present among several spellings (keys are lower case). */
function pick(headers: Headers, ...names: string[]): string | undefined {
  for (const name of names) if (headers[name] !== undefined) return headers[name];
  return undefined;
}

/**
 * Reads `key=value` parameters from the IETF RateLimit headers, in both the early drafts
 * (`limit=10, remaining=0, reset=3`, `10;w=1`) and the structured-field drafts (`"default";r=0;t=3`,
 * `"default";q=10;w=1`).
 */
function structuredParams(value: string | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  if (!value) return out;
  // With several policies listed, the first occurrence of each parameter wins.
  for (const part of value.split(/[;,]/)) {
    const [k, v] = part.split('=').map((s) => s.trim());
    const key = v === undefined ? 'limit' : k.toLowerCase(); // a bare number is the limit
    const n = num(v ?? k);
    if (n !== undefined && out[key] === undefined) out[key] = n;
  }
  return out;
}

export function parseRateLimit(headers: Headers, nowMs: number): RateLimitHint | undefined {
  const structured = structuredParams(headers['ratelimit']);
  const policy = structuredParams(headers['ratelimit-policy'] ?? headers['x-ratelimit-policy']);
  const limit =
    num(pick(headers, 'x-rate-limit-limit', 'x-ratelimit-limit', 'ratelimit-limit')) ??
    structured.limit ??
    structured.q ??
    policy.q ??
    policy.limit;
  const remaining =
    num(pick(headers, 'x-rate-limit-remaining', 'x-ratelimit-remaining', 'ratelimit-remaining')) ??
    structured.remaining ??
    structured.r;
  // The IETF headers always count reset in seconds from now; the X- ones may be epoch seconds.
  const xReset = num(pick(headers, 'x-rate-limit-reset', 'x-ratelimit-reset'));
  const ietfReset = num(headers['ratelimit-reset']) ?? structured.reset ?? structured.t;
  const resetAtMs =
    xReset !== undefined ? resetToEpochMs(xReset, nowMs) : ietfReset !== undefined ? nowMs + ietfReset * 1000 : undefined;
  const windowSeconds = policy.w ?? structured.w;
  const hint: RateLimitHint = {};
  if (limit !== undefined) hint.limit = limit;
  if (remaining !== undefined) hint.remaining = remaining;
  if (resetAtMs !== undefined) hint.resetAtMs = resetAtMs;
  if (windowSeconds !== undefined && windowSeconds > 0) hint.windowMs = windowSeconds * 1000;
  return Object.keys(hint).length > 0 ? hint : undefined;
}

/** Lower-cases header names so lookups don't depend on how the receiver spelled them. */
export function lowerCaseHeaders(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined) out[k.toLowerCase()] = v;
  return out;
}

export function readReceiverHints(headers: Headers, nowMs: number): ReceiverHints {
  const lower = lowerCaseHeaders(headers);
  const hints: ReceiverHints = {};
  const retryAfterAtMs = parseRetryAfter(lower['retry-after'], nowMs);
  if (retryAfterAtMs !== undefined) hints.retryAfterAtMs = retryAfterAtMs;
  const rateLimit = parseRateLimit(lower, nowMs);
  if (rateLimit) hints.rateLimit = rateLimit;
  return hints;
}

/** When the rate limit says no request may go before the window resets: that time, else undefined. */
export function rateLimitBlockedUntil(hint: RateLimitHint | undefined, nowMs: number): number | undefined {
  if (!hint || hint.remaining === undefined || hint.remaining > 0 || hint.resetAtMs === undefined) return undefined;
  return hint.resetAtMs > nowMs ? hint.resetAtMs : undefined;
}
