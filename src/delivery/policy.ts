/**
 * The retry schedule, as data. Defaults follow the reference schedules in PRODUCT.md: a first try
 * at once, then 5 s growing ×4 per attempt up to 10 h apart, ten attempts spanning about 27.6 h
 * (Svix's span), inside a three-day window (the Standard Webhooks example schedule's span).
 */
export interface RetryPolicy {
  /** Attempts in all, the first included. @default 10 */
  maxAttempts: number;
  /** Retry window, from acceptance; no attempt starts after it. @default 259200 (3 days) */
  maxDurationSeconds: number;
  /** Delay before the first retry. @default 5000 */
  initialIntervalMs: number;
  /** Longest delay between two attempts. @default 36000000 (10 h) */
  maxIntervalMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = Object.freeze({
  maxAttempts: 10,
  maxDurationSeconds: 3 * 86_400,
  initialIntervalMs: 5_000,
  maxIntervalMs: 10 * 3_600_000,
});

/** Each backoff delay is this many times the previous one (before jitter). */
export const BACKOFF_MULTIPLIER = 4;
/** Backoff delays are spread by ±20 % so that retries of many webhooks don't arrive together. */
export const BACKOFF_JITTER = 0.2;

export const RETRY_BOUNDS = {
  maxAttempts: [1, 100],
  maxDurationSeconds: [1, 30 * 86_400],
  initialIntervalMs: [10, 86_400_000],
  maxIntervalMs: [10, 86_400_000],
} as const satisfies Record<keyof RetryPolicy, readonly [number, number]>;

/** Per-attempt timeout: Svix and Standard Webhooks use 15-30 s, Braze allows 90 s. */
export const DEFAULT_TIMEOUT_MS = 30_000;
export const TIMEOUT_BOUNDS = [100, 90_000] as const;
