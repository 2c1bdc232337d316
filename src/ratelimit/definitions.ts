/** What a webhook's workflow asks of a shared rate limit (src/ratelimit/limiter.ts) before each attempt. */

/** A rate shared by the webhooks of one sender, e.g. `journey:<id>` for a journey's rateLimitPerMinute. */
export interface SharedRateLimit {
  key: string;
  perMinute: number;
}

export type RateLimitAnswer = { go: true; atMs?: number } | { go: false; status: 'failed'; reason: string };

export interface RateLimitActivities {
  /** The webhook's send slot, or a failure when none comes within HOOKFLOW_RATE_LIMIT_MAX_HOLD_MS. */
  rateLimitSlot(input: SharedRateLimit): Promise<RateLimitAnswer>;
}

/**
 * How late after its rate-limit slot a request may still start; a later start asks for another
 * slot. The slots' spacing (src/ratelimit/limiter.ts) holds the limit over any window with this lateness.
 */
export const RATE_SLOT_LATENESS_MS = 250;

/**
 * How far ahead of the lease its first slot comes at the earliest. The answer still has to reach
 * the workflow and the send activity has to start: a slot at the very moment of the lease was
 * missed on a loaded worker (seen at 370 ms in test/integration/campaigns.test.ts), and a missed
 * slot sends its webhook to the back of the schedule.
 */
export const RATE_SLOT_FIRST_LEAD_MS = 1_000;

/** Bounds of every rateLimitPerMinute (campaigns and journeys). */
export const RATE_LIMIT_BOUNDS = [10, 500_000] as const;
