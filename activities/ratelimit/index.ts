/** The rate-limit slot a webhook with a shared limit (a journey's rateLimitPerMinute) takes before each attempt. */
import type { RateLimitActivities } from '../../src/ratelimit/definitions';
import type { RateLimitGate } from './gate';

export function createRateLimitActivities(deps: { rateLimits: RateLimitGate; maxHoldMs: number }): RateLimitActivities {
  return {
    async rateLimitSlot({ key, perMinute }) {
      const atMs = await deps.rateLimits.take({ key, limit: perMinute, windowMs: 60_000 }, Date.now() + deps.maxHoldMs);
      if (atMs !== undefined) return { go: true, atMs };
      const hours = Math.round(deps.maxHoldMs / 3_600_000);
      return { go: false, status: 'failed', reason: `rate_limited: ${key}'s rateLimitPerMinute (${perMinute}) would hold this webhook more than ${hours} hours (HOOKFLOW_RATE_LIMIT_MAX_HOLD_MS)` };
    },
  };
}
