/**
 * src/breaker/slot-limiter.ts: one worker's send times ("slots") for a rate-limited host, so that
 * no span of one window (plus margin) holds more than the advertised limit.
 */
import { SlotLimiter } from '../../src/breaker/slot-limiter';
import { prng } from '../helpers/prng';
import type { RateLimitPolicy } from '../../src/temporal/host-definitions';

const NOW = Date.parse('2026-10-21T07:28:00Z');

/** The largest number of slots found in any half-open interval [s, s + span). */
function busiestSpan(slots: number[], span: number): number {
  const sorted = [...slots].sort((a, b) => a - b);
  let most = 0;
  let first = 0;
  for (let last = 0; last < sorted.length; last++) {
    while (sorted[last] - sorted[first] >= span) first++;
    most = Math.max(most, last - first + 1);
  }
  return most;
}

describe('the span', () => {
  test.each([
    [100, 200], // margin at least 100 ms
    [1_000, 1_100],
    [2_000, 2_100],
    [2_010, 2_111], // 5 % of 2 010 is 100.5, rounded
    [5_000, 5_250],
    [60_000, 63_000],
  ])('a window of %i ms gives a span of %i ms (window plus max(100 ms, 5 %))', (windowMs, span) => {
    expect(new SlotLimiter({ limit: 10, windowMs }).span).toBe(span);
  });
});

describe('reserving slots', () => {
  test('the first `limit` sends at the same time go now; the next one waits one span', () => {
    const limiter = new SlotLimiter({ limit: 10, windowMs: 1_000 });
    const span = limiter.span;
    for (let i = 0; i < 10; i++) expect(limiter.reserve(NOW)).toBe(NOW);
    expect(limiter.reserve(NOW)).toBe(NOW + span);
  });

  test('a burst of three windows’ worth is spread over three spans', () => {
    const limiter = new SlotLimiter({ limit: 10, windowMs: 1_000 });
    const slots = Array.from({ length: 30 }, () => limiter.reserve(NOW));
    expect(slots).toEqual([...Array(10).fill(NOW), ...Array(10).fill(NOW + 1_100), ...Array(10).fill(NOW + 2_200)]);
  });

  test('a slot is never before the time asked', () => {
    const limiter = new SlotLimiter({ limit: 3, windowMs: 1_000 });
    for (let t = NOW; t < NOW + 10_000; t += 137) expect(limiter.reserve(t)).toBeGreaterThanOrEqual(t);
  });

  test('once the span has passed the full limit is available again', () => {
    const limiter = new SlotLimiter({ limit: 10, windowMs: 1_000 });
    for (let i = 0; i < 10; i++) limiter.reserve(NOW);
    expect(limiter.reserve(NOW + 1_099)).toBe(NOW + 1_100);
    const fresh = new SlotLimiter({ limit: 10, windowMs: 1_000 });
    for (let i = 0; i < 10; i++) fresh.reserve(NOW);
    for (let i = 0; i < 10; i++) expect(fresh.reserve(NOW + 1_100)).toBe(NOW + 1_100);
    expect(fresh.reserve(NOW + 1_100)).toBe(NOW + 2_200);
  });

  test('sends spread over the window only wait for the oldest one to leave the span', () => {
    const limiter = new SlotLimiter({ limit: 3, windowMs: 1_000 });
    expect(limiter.reserve(NOW)).toBe(NOW);
    expect(limiter.reserve(NOW + 300)).toBe(NOW + 300);
    expect(limiter.reserve(NOW + 600)).toBe(NOW + 600);
    expect(limiter.reserve(NOW + 700)).toBe(NOW + 1_100);
    expect(limiter.reserve(NOW + 800)).toBe(NOW + 1_400);
  });

  test.each([
    [{ limit: 10, windowMs: 1_000 }, 1, 400],
    [{ limit: 10, windowMs: 1_000 }, 2, 50],
    [{ limit: 1, windowMs: 1_000 }, 3, 900],
    [{ limit: 5, windowMs: 5_000 }, 4, 2_000],
    [{ limit: 3, windowMs: 2_500 }, 5, 1_000],
    [{ limit: 100, windowMs: 60_000 }, 6, 500],
    [{ limit: 7, windowMs: 100 }, 7, 30],
  ] as [RateLimitPolicy, number, number][])(
    'property: with %o (seed %i, gaps up to %i ms) no span holds more than `limit` of 200 slots',
    (policy, seed, maxGapMs) => {
      const random = prng(seed);
      const limiter = new SlotLimiter(policy);
      const slots: number[] = [];
      let t = NOW;
      for (let i = 0; i < 200; i++) {
        t += Math.floor(random() * maxGapMs);
        const slot = limiter.reserve(t);
        expect(slot).toBeGreaterThanOrEqual(t);
        slots.push(slot);
      }
      expect(busiestSpan(slots, limiter.span)).toBeLessThanOrEqual(policy.limit);
      // The limiter does not hold back more than it must: under a saturating load the limit is reached.
      if (maxGapMs * policy.limit < policy.windowMs) expect(busiestSpan(slots, limiter.span)).toBe(policy.limit);
    },
  );
});

describe('holding slots', () => {
  test('handed-out slots are held; other times are not', () => {
    const limiter = new SlotLimiter({ limit: 2, windowMs: 1_000 });
    const a = limiter.reserve(NOW);
    const b = limiter.reserve(NOW + 10);
    const c = limiter.reserve(NOW + 20);
    expect([a, b, c]).toEqual([NOW, NOW + 10, NOW + 1_100]);
    expect(limiter.holds(a)).toBe(true);
    expect(limiter.holds(b)).toBe(true);
    expect(limiter.holds(c)).toBe(true);
    expect(limiter.holds(NOW + 20)).toBe(false);
    expect(limiter.holds(NOW + 1_101)).toBe(false);
  });

  test('a future slot stays held until its webhook comes back, even if others reserve meanwhile', () => {
    const limiter = new SlotLimiter({ limit: 1, windowMs: 1_000 });
    limiter.reserve(NOW);
    const later = limiter.reserve(NOW);
    expect(later).toBe(NOW + 1_100);
    limiter.reserve(NOW + 1_000);
    expect(limiter.holds(later)).toBe(true);
  });

  test('slots age out once a later reservation finds them a span old', () => {
    const limiter = new SlotLimiter({ limit: 5, windowMs: 1_000 });
    const old = [limiter.reserve(NOW), limiter.reserve(NOW + 100)];
    expect(old.every((s) => limiter.holds(s))).toBe(true);
    const much = NOW + 3_600_000;
    expect(limiter.reserve(much)).toBe(much);
    expect(limiter.holds(old[0])).toBe(false);
    expect(limiter.holds(old[1])).toBe(false);
    expect(limiter.holds(much)).toBe(true);
  });
});

describe('changing the policy', () => {
  test('a lower limit takes effect at the next reservation', () => {
    const limiter = new SlotLimiter({ limit: 10, windowMs: 1_000 });
    for (let i = 0; i < 5; i++) expect(limiter.reserve(NOW)).toBe(NOW);
    limiter.setPolicy({ limit: 3, windowMs: 1_000 });
    expect(limiter.reserve(NOW)).toBe(NOW + 1_100);
    expect(limiter.reserve(NOW)).toBe(NOW + 1_100);
    expect(limiter.reserve(NOW)).toBe(NOW + 1_100);
    expect(limiter.reserve(NOW)).toBe(NOW + 2_200);
  });

  test('a higher limit lets sends go at once again', () => {
    const limiter = new SlotLimiter({ limit: 2, windowMs: 1_000 });
    limiter.reserve(NOW);
    limiter.reserve(NOW);
    expect(limiter.reserve(NOW)).toBe(NOW + 1_100);
    limiter.setPolicy({ limit: 10, windowMs: 1_000 });
    expect(limiter.reserve(NOW + 1)).toBe(NOW + 1);
  });

  test('a longer window lengthens the span', () => {
    const limiter = new SlotLimiter({ limit: 1, windowMs: 1_000 });
    limiter.reserve(NOW);
    limiter.setPolicy({ limit: 1, windowMs: 10_000 });
    expect(limiter.span).toBe(10_500);
    expect(limiter.reserve(NOW + 2_000)).toBe(NOW + 10_500);
  });
});

describe('noting sends that went without a reservation', () => {
  test('a noted send counts against the limit', () => {
    const limiter = new SlotLimiter({ limit: 2, windowMs: 1_000 });
    limiter.note(NOW);
    expect(limiter.reserve(NOW + 10)).toBe(NOW + 10);
    expect(limiter.reserve(NOW + 20)).toBe(NOW + 1_100);
  });

  test('a send noted late is put in time order, so the wait counts from the oldest send', () => {
    const limiter = new SlotLimiter({ limit: 2, windowMs: 1_000 });
    expect(limiter.reserve(NOW + 500)).toBe(NOW + 500);
    limiter.note(NOW);
    expect(limiter.reserve(NOW + 600)).toBe(NOW + 1_100);
    expect(limiter.reserve(NOW + 600)).toBe(NOW + 1_600);
  });

  test('noted sends age out like slots', () => {
    const limiter = new SlotLimiter({ limit: 1, windowMs: 1_000 });
    limiter.note(NOW);
    expect(limiter.reserve(NOW + 1_100)).toBe(NOW + 1_100);
  });
});
