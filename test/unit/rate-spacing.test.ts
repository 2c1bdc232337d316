/**
 * A shared rate limit's slot spacing: sends that start anywhere from their slot to
 * RATE_SLOT_LATENESS_MS after it (and arrive as much later again) never put more than the limit in
 * any window [t, t + window), and the schedule offers 99 % of the limit.
 */
import { peakPerWindow } from '../../src/dev/peak';
import { RATE_SLOT_LATENESS_MS } from '../../src/ratelimit/definitions';
import { slotSpacingMs } from '../../src/ratelimit/limiter';
import { prng } from '../helpers/prng';

test.each([10, 120, 600, 6_000, 500_000])('%i a minute: never more in any minute, 99 %% of it offered', (perMinute) => {
  const limit = { key: 'k', limit: perMinute, windowMs: 60_000 };
  const spacing = slotSpacingMs(limit);
  expect(60_000 / spacing).toBeGreaterThanOrEqual(perMinute * 0.99 - 1);
  const random = prng(perMinute);
  const slots = Math.min(3 * perMinute, 20_000);
  // The worst case: each send as late as it may start, plus as much again on the way, or on time.
  const arrivals = Array.from({ length: slots }, (_, i) => i * spacing + (random() < 0.5 ? 0 : 2 * RATE_SLOT_LATENESS_MS * random()));
  expect(peakPerWindow(arrivals, 60_000)).toBeLessThanOrEqual(perMinute);
});
