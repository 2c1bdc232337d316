/**
 * A rate-limited dispatch's pace (src/campaign/pace.ts): it keeps about DISPATCH_AHEAD_MS of its
 * campaign's sends started, whether or not its webhooks have leased their slots yet.
 */
import { DISPATCH_AHEAD_MS, nextPage, pageLimit } from '../../src/campaign/pace';
import { slotSpacingMs } from '../../src/ratelimit/limiter';

const spacing = (perMinute: number): number => slotSpacingMs({ key: 'k', limit: perMinute, windowMs: 60_000 });

test('a page holds the configured size, or the limit’s sends in DISPATCH_AHEAD_MS if fewer, never under 10', () => {
  expect(pageLimit(500, undefined)).toBe(500);
  expect(pageLimit(500, 600)).toBe(Math.ceil(DISPATCH_AHEAD_MS / spacing(600)));
  expect(pageLimit(500, 600)).toBeLessThan(500);
  expect(pageLimit(500, 500_000)).toBe(500);
  expect(pageLimit(500, 10)).toBe(10);
  expect(pageLimit(2, 10)).toBe(2);
});

test('pages of a dispatch whose webhooks have not leased yet still wait: the pace counts what it started', () => {
  const perMinute = 600;
  const size = pageLimit(500, perMinute);
  let now = 1_000_000;
  let pacedUntilMs: number | undefined;
  const started: number[] = [];
  // Five minutes of a worker so loaded that no webhook leases: the schedule stays where it was.
  while (now < 1_000_000 + 300_000) {
    const pace = nextPage(perMinute, { scheduleEndMs: 0, pacedUntilMs, nowMs: now, started: size });
    started.push(now);
    pacedUntilMs = pace.pacedUntilMs;
    now += Math.max(pace.waitMs, 50);
  }
  // Started at the limit's pace, plus DISPATCH_AHEAD_MS: never more webhooks than 5 minutes and 10 s of sends.
  expect(started.length * size).toBeLessThanOrEqual(Math.ceil((300_000 + DISPATCH_AHEAD_MS) / spacing(perMinute)) + size);
  expect(started.length * size).toBeGreaterThanOrEqual(Math.floor(300_000 / spacing(perMinute)));
});

test('slots leased by others (another dispatch, event-triggered webhooks) push the next page back', () => {
  const now = 5_000_000;
  const alone = nextPage(60, { nowMs: now, started: 2 });
  expect(alone.waitMs).toBe(0);
  const behindOthers = nextPage(60, { scheduleEndMs: now + 60_000, nowMs: now, started: 2 });
  expect(behindOthers.waitMs).toBe(Math.ceil(60_000 + 2 * spacing(60) - DISPATCH_AHEAD_MS));
  // Its own pace and the schedule are the same slots counted twice when the webhooks have leased: the later one counts.
  const both = nextPage(60, { scheduleEndMs: now + 20_000, pacedUntilMs: now + 15_000, nowMs: now, started: 0 });
  expect(both.pacedUntilMs).toBe(now + 20_000);
});
