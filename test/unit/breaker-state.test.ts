/**
 * src/breaker/host-breaker.ts: the per-host circuit breaker as a pure state machine. Time is
 * passed in explicitly; nothing here sleeps or talks to Temporal.
 *
 * Most cases speak through `Breaker`, a thin adapter that registers webhooks by id (ticket 1) and
 * reads a tick as `{ release, probe }`; the sections on tickets, slots and leases use HostBreaker directly.
 */
import type { BreakerSettings, HostReport, LeaseRequest, RateLimitPolicy, Release } from '../../src/breaker/definitions';
import {
  BLOCK_AHEAD_MS,
  HostBreaker,
  RELEASE_INTERVAL_MS,
  RELEASE_LEAD_MS,
  RELEASE_RETRY_MAX_MS,
  RELEASE_RETRY_MS,
  type BreakerSnapshot,
} from '../../src/breaker/host-breaker';
import { LEASE_CLOCK_SKEW_MS } from '../../src/breaker/leases';
import { slotTimes, spacingMs } from '../../src/breaker/pacer';
import { MAX_WAITERS } from '../../src/breaker/waiters';
import { peakPerWindow as peak } from '../../src/dev/peak';

/** A whole minute, so the breaker's 3 s count buckets start exactly here. */
const NOW = Date.parse('2026-10-21T07:28:00Z');
const HOST = 'api.example.com';
const settings: BreakerSettings = {
  windowMs: 60_000,
  minRequests: 20,
  failureRatio: 0.5,
  cooldownMs: 60_000,
  maxCooldownMs: 600_000,
  resumeRate: 20,
  probeTimeoutMs: 120_000,
  idleMs: 600_000,
  leaseMs: 2_000,
};
/** Released per release interval at the resume rate: the first batch, then the ones after it. */
const FIRST_BATCH = Math.floor(RELEASE_INTERVAL_MS / spacingMs([{ limit: settings.resumeRate, windowMs: 1_000 }])) + 1;

const iso = (ms: number): string => new Date(ms).toISOString();
const ids = (n: number, from = 1): string[] => Array.from({ length: n }, (_, i) => `wf-${from + i}`);

type Report = Omit<HostReport, 'waiters'> & { waiters?: string[] };

/** HostBreaker with webhooks named by id alone (ticket 1), and ticks read as `{ release, probe }`. */
class Breaker {
  constructor(readonly b: HostBreaker) {}
  get state() {
    return this.b.state;
  }
  report(r: Report, nowMs: number): boolean {
    return this.b.report({ ...r, waiters: r.waiters?.map((workflowId) => ({ workflowId, ticket: 1 })) }, nowMs);
  }
  tick(nowMs: number): { release: string[]; probe?: string } {
    const released = this.b.tick(nowMs);
    const probe = released.find((r) => r.resume.probe)?.workflowId;
    const release = released.filter((r) => !r.resume.probe).map((r) => r.workflowId);
    return probe === undefined ? { release } : { release, probe };
  }
  pause(nowMs: number, durationMs?: number): number {
    return this.b.pause(nowMs, durationMs);
  }
  resume(nowMs: number): void {
    this.b.resume(nowMs);
  }
  view(authority: string, nowMs: number) {
    return this.b.view(authority, nowMs);
  }
  nextWakeMs(nowMs = NOW): number {
    return this.b.nextWakeMs(nowMs);
  }
  isIdle(nowMs: number): boolean {
    return this.b.isIdle(nowMs);
  }
  snapshot(): BreakerSnapshot {
    return this.b.snapshot();
  }
}

function fresh(): Breaker {
  return new Breaker(new HostBreaker(settings, undefined, NOW));
}

/** A host that was paused and resumed at NOW: recovering, so its sends keep to the resume rate. */
function recovered(): HostBreaker {
  const h = new HostBreaker(settings, undefined, NOW - 60_000);
  h.pause(NOW - 1_000);
  h.resume(NOW);
  return h;
}

function rebuilt(from: Breaker, nowMs: number): Breaker {
  return new Breaker(new HostBreaker(settings, JSON.parse(JSON.stringify(from.snapshot())) as BreakerSnapshot, nowMs));
}

/** A breaker opened at NOW by 20 failures out of 20, with these webhooks waiting. */
function opened(waiters: string[] = []): Breaker {
  const b = fresh();
  b.report({ requests: 20, failures: 20, waiters }, NOW);
  expect(b.state).toBe('open');
  return b;
}

/** Opened at NOW, half-open at NOW + cooldown with the first waiter out as the probe. */
function probing(waiters: string[] = ids(5)): { b: Breaker; probe: string; atMs: number } {
  const b = opened(waiters);
  const atMs = NOW + settings.cooldownMs;
  const { probe } = b.tick(atMs);
  expect(b.state).toBe('half-open');
  expect(probe).toBe(waiters[0]);
  return { b, probe: probe as string, atMs };
}

/** Ticks once per release interval from `fromMs` until nobody waits; the batches released. */
function drain(b: Breaker, fromMs: number, maxTicks = 100): string[][] {
  const batches: string[][] = [];
  for (let i = 0; i < maxTicks && b.view(HOST, fromMs).pausedWebhooks > 0; i++) {
    batches.push(b.tick(fromMs + i * RELEASE_INTERVAL_MS).release);
  }
  return batches;
}


describe('opening the breaker', () => {
  test.each([
    [19, 19, 'closed'], // below minRequests, even at 100 % failures
    [20, 10, 'closed'], // exactly 50 %: not more than the ratio
    [20, 11, 'open'],
    [20, 20, 'open'],
    [100, 50, 'closed'],
    [100, 51, 'open'],
    [20, 0, 'closed'],
    [1000, 499, 'closed'],
  ])('%i requests with %i failures in the window leave the breaker %s', (requests, failures, expected) => {
    const b = fresh();
    b.report({ requests, failures }, NOW);
    expect(b.state).toBe(expected);
  });

  test('reports from several workers add up within the window', () => {
    const b = fresh();
    b.report({ requests: 10, failures: 10 }, NOW);
    b.report({ requests: 5, failures: 5 }, NOW + 10_000);
    expect(b.state).toBe('closed');
    b.report({ requests: 5, failures: 5 }, NOW + 40_000);
    expect(b.state).toBe('open');
  });

  test('successes in the window dilute the failures', () => {
    const b = fresh();
    b.report({ requests: 15, failures: 15 }, NOW);
    b.report({ requests: 15, failures: 0 }, NOW + 1_000);
    expect(b.state).toBe('closed');
    expect(b.view(HOST, NOW + 1_000).window).toEqual({ requests: 30, failures: 15 });
  });

  test.each([
    ['just inside the window', settings.windowMs - 1, 'open', { requests: 38, failures: 38 }],
    ['exactly one window later', settings.windowMs, 'open', { requests: 38, failures: 38 }],
    ['one window and 1 ms later', settings.windowMs + 1, 'closed', { requests: 19, failures: 19 }],
    ['much later', 10 * settings.windowMs, 'closed', { requests: 19, failures: 19 }],
  ])('19 failures at t and 19 more %s (+%i ms) leave the breaker %s', (_title, laterMs, expected, window) => {
    const b = fresh();
    b.report({ requests: 19, failures: 19 }, NOW);
    b.report({ requests: 19, failures: 19 }, NOW + laterMs);
    expect(b.state).toBe(expected);
    expect(b.view(HOST, NOW + laterMs).window).toEqual(window);
  });

  test('the view leaves out reports older than the window without any new report', () => {
    const b = fresh();
    b.report({ requests: 7, failures: 3 }, NOW);
    expect(b.view(HOST, NOW + 30_000).window).toEqual({ requests: 7, failures: 3 });
    expect(b.view(HOST, NOW + settings.windowMs + 1).window).toEqual({ requests: 0, failures: 0 });
  });

  test('a report that opens the breaker asks the workflow to act', () => {
    const b = fresh();
    expect(b.report({ requests: 20, failures: 20 }, NOW)).toBe(true);
  });
});

describe('while open', () => {
  test('the view shows when it opened, when the probe goes and when sending resumes', () => {
    const b = opened(ids(3));
    expect(b.view(HOST, NOW + 1_000)).toEqual({
      authority: HOST,
      state: 'open',
      window: { requests: 20, failures: 20 },
      openedAt: iso(NOW),
      nextProbeAt: iso(NOW + 60_000),
      resumeAt: iso(NOW + 60_000),
      pausedWebhooks: 3,
      draining: false,
      cooldownMs: 60_000,
    });
  });

  test('a tick before the cooldown is over does nothing', () => {
    const b = opened(ids(3));
    expect(b.tick(NOW + 1)).toEqual({ release: [] });
    expect(b.tick(NOW + 59_999)).toEqual({ release: [] });
    expect(b.state).toBe('open');
    expect(b.view(HOST, NOW + 59_999).pausedWebhooks).toBe(3);
  });

  test('more failures while open do not move the probe time', () => {
    const b = opened(ids(1));
    expect(b.report({ requests: 50, failures: 50 }, NOW + 30_000)).toBe(false);
    expect(b.view(HOST, NOW + 30_000).nextProbeAt).toBe(iso(NOW + 60_000));
  });

  test('after the cooldown a tick half-opens the breaker and sends exactly one probe, the first waiter', () => {
    const b = opened(['wf-a', 'wf-b', 'wf-c']);
    expect(b.tick(NOW + 60_000)).toEqual({ release: [], probe: 'wf-a' });
    expect(b.state).toBe('half-open');
    const view = b.view(HOST, NOW + 60_000);
    expect(view.pausedWebhooks).toBe(2);
    expect(view.openedAt).toBe(iso(NOW));
    expect(view.nextProbeAt).toBeUndefined();
    expect(view.resumeAt).toBeUndefined();
  });

  test('waiters reported one by one while open are probed in the order they came', () => {
    const b = opened();
    b.report({ requests: 0, failures: 0, waiters: ['wf-x'] }, NOW + 1_000);
    b.report({ requests: 0, failures: 0, waiters: ['wf-y'] }, NOW + 2_000);
    expect(b.tick(NOW + 60_000).probe).toBe('wf-x');
  });

  test('a late tick half-opens all the same', () => {
    const b = opened(ids(2));
    expect(b.tick(NOW + 5 * 60_000).probe).toBe('wf-1');
  });

  test('with nobody waiting the breaker half-opens without a probe, and probes the first webhook to come', () => {
    const b = opened();
    expect(b.tick(NOW + 60_000)).toEqual({ release: [] });
    expect(b.state).toBe('half-open');
    expect(b.tick(NOW + 61_000)).toEqual({ release: [] });
    expect(b.report({ requests: 0, failures: 0, waiters: ['wf-late'] }, NOW + 62_000)).toBe(true);
    expect(b.tick(NOW + 62_000)).toEqual({ release: [], probe: 'wf-late' });
  });

  test('a second tick while the probe is out chooses nothing', () => {
    const { b, atMs } = probing(ids(5));
    expect(b.tick(atMs)).toEqual({ release: [] });
    expect(b.tick(atMs + 1_000)).toEqual({ release: [] });
    expect(b.tick(atMs + settings.probeTimeoutMs - 1)).toEqual({ release: [] });
    expect(b.view(HOST, atMs).pausedWebhooks).toBe(4);
  });
});

describe('the half-open probe', () => {
  test('a successful probe closes the breaker, resets the cooldown and clears the window', () => {
    const { b, probe, atMs } = probing(ids(5));
    expect(b.report({ requests: 1, failures: 0, probe: { workflowId: probe, ok: true } }, atMs + 500)).toBe(true);
    expect(b.state).toBe('closed');
    const view = b.view(HOST, atMs + 500);
    expect(view.cooldownMs).toBe(settings.cooldownMs);
    expect(view.window).toEqual({ requests: 0, failures: 0 });
    expect(view.openedAt).toBeUndefined();
    expect(view.nextProbeAt).toBeUndefined();
    expect(view.resumeAt).toBeUndefined();
  });

  test('after a successful probe the waiters go out in order, one batch per release interval, never more than resumeRate a second', () => {
    const { b, probe, atMs } = probing(ids(46));
    const closedAt = atMs + 500;
    b.report({ requests: 1, failures: 0, probe: { workflowId: probe, ok: true } }, closedAt);
    expect(b.view(HOST, closedAt)).toMatchObject({ state: 'closed', pausedWebhooks: 45, draining: true });

    // The first batch goes at once, not a full interval later.
    const first = b.tick(closedAt).release;
    expect(first).toEqual(ids(FIRST_BATCH, 2));
    expect(b.tick(closedAt + 1).release).toEqual([]);
    expect(b.tick(closedAt + RELEASE_INTERVAL_MS - 1).release).toEqual([]);
    const second = b.tick(closedAt + RELEASE_INTERVAL_MS).release;
    expect(second[0]).toBe(`wf-${2 + FIRST_BATCH}`);
    expect(second.length).toBeLessThanOrEqual(settings.resumeRate);
    const rest = drain(b, closedAt + 2 * RELEASE_INTERVAL_MS);
    expect([first, second, ...rest].flat()).toEqual(ids(45, 2));
    expect(b.view(HOST, closedAt + 9 * RELEASE_INTERVAL_MS)).toMatchObject({ pausedWebhooks: 0, draining: false });
  });

  test('the probe and the released webhooks take their slots from one schedule: no second holds more than resumeRate', () => {
    const h = new HostBreaker(settings, undefined, NOW);
    h.report({ requests: 20, failures: 20, waiters: ids(60).map((workflowId) => ({ workflowId, ticket: 1 })) }, NOW);
    const atMs = NOW + settings.cooldownMs;
    const [probe] = h.tick(atMs);
    expect(probe.resume).toEqual({ ticket: 1, probe: true, slotMs: atMs + RELEASE_LEAD_MS });
    h.report({ requests: 1, failures: 0, probe: { workflowId: probe.workflowId, ok: true } }, atMs + 200);
    const released: Release[] = [];
    for (let t = atMs + 200; released.length < 59; t += RELEASE_INTERVAL_MS) released.push(...h.tick(t));
    const slots = [probe, ...released].map((r) => r.resume.slotMs as number);
    expect(slots).toEqual([...slots].sort((a, b) => a - b));
    expect(peak(slots, 1_000)).toBeLessThanOrEqual(settings.resumeRate);
    expect(released.map((r) => r.workflowId)).toEqual(ids(59, 2));
    expect(released.every((r) => r.resume.ticket === 1 && r.resume.probe === undefined)).toBe(true);
  });

  test('released webhooks get slots at least RELEASE_LEAD_MS ahead, evenly spaced', () => {
    const h = recovered();
    h.report({ requests: 0, failures: 0, waiters: ids(5).map((workflowId) => ({ workflowId, ticket: 3 })) }, NOW);
    const slots = h.tick(NOW).map((r) => r.resume.slotMs as number);
    const spacing = spacingMs([{ limit: settings.resumeRate, windowMs: 1_000 }]);
    expect(slots).toEqual([0, 1, 2, 3, 4].map((i) => NOW + RELEASE_LEAD_MS + i * spacing));
  });

  test('the release pace is the smaller of resumeRate and the advertised limit', () => {
    const { b, probe, atMs } = probing(ids(31));
    b.report({ requests: 1, failures: 0, probe: { workflowId: probe, ok: true }, rateLimit: { limit: 10, windowMs: 1_000 } }, atMs);
    const batches = drain(b, atMs);
    expect(batches.flat()).toHaveLength(30);
    expect(Math.max(...batches.map((batch) => batch.length))).toBeLessThanOrEqual(10);
  });

  test('a failed probe opens the breaker again with the cooldown doubled', () => {
    const { b, probe, atMs } = probing(ids(5));
    const failedAt = atMs + 2_000;
    expect(b.report({ requests: 1, failures: 1, probe: { workflowId: probe, ok: false } }, failedAt)).toBe(true);
    expect(b.view(HOST, failedAt)).toMatchObject({
      state: 'open',
      cooldownMs: 120_000,
      openedAt: iso(failedAt),
      nextProbeAt: iso(failedAt + 120_000),
      resumeAt: iso(failedAt + 120_000),
    });
    expect(b.tick(failedAt + 119_999)).toEqual({ release: [] });
    expect(b.tick(failedAt + 120_000)).toEqual({ release: [], probe: 'wf-2' });
  });

  test('the cooldown doubles with each failed probe up to maxCooldownMs: 60 s, 120 s, 240 s, 480 s, 600 s, 600 s', () => {
    const b = opened(ids(10));
    const cooldowns = [b.view(HOST, NOW).cooldownMs];
    let t = NOW;
    for (let i = 0; i < 5; i++) {
      t += b.view(HOST, t).cooldownMs;
      const { probe } = b.tick(t);
      expect(probe).toBe(`wf-${i + 1}`);
      t += 1_000;
      b.report({ requests: 1, failures: 1, probe: { workflowId: probe as string, ok: false } }, t);
      const view = b.view(HOST, t);
      expect(view.state).toBe('open');
      expect(view.nextProbeAt).toBe(iso(t + view.cooldownMs));
      cooldowns.push(view.cooldownMs);
    }
    expect(cooldowns).toEqual([60_000, 120_000, 240_000, 480_000, 600_000, 600_000]);
  });

  test('a successful probe after several failures resets the cooldown, so the next opening waits 60 s again', () => {
    const b = opened(ids(10));
    let t = NOW;
    for (let i = 0; i < 3; i++) {
      t += b.view(HOST, t).cooldownMs;
      const { probe } = b.tick(t);
      b.report({ requests: 1, failures: 1, probe: { workflowId: probe as string, ok: false } }, t);
    }
    expect(b.view(HOST, t).cooldownMs).toBe(480_000);
    t += 480_000;
    const { probe } = b.tick(t);
    b.report({ requests: 1, failures: 0, probe: { workflowId: probe as string, ok: true } }, t);
    expect(b.view(HOST, t).cooldownMs).toBe(60_000);
    // Failures from before the close do not count; new ones open it again with the base cooldown.
    t += 1_000;
    b.report({ requests: 20, failures: 20 }, t);
    expect(b.view(HOST, t)).toMatchObject({ state: 'open', cooldownMs: 60_000, nextProbeAt: iso(t + 60_000) });
  });

  test('a probe result from a different workflow is ignored', () => {
    const { b, atMs } = probing(ids(5));
    expect(b.report({ requests: 1, failures: 0, probe: { workflowId: 'wf-3', ok: true } }, atMs + 100)).toBe(false);
    expect(b.state).toBe('half-open');
    expect(b.report({ requests: 1, failures: 1, probe: { workflowId: 'someone-else', ok: false } }, atMs + 200)).toBe(false);
    expect(b.state).toBe('half-open');
    expect(b.view(HOST, atMs + 200).cooldownMs).toBe(60_000);
  });

  test('a probe result that arrives when the breaker is not half-open is ignored', () => {
    const b = opened(ids(3));
    expect(b.report({ requests: 1, failures: 0, probe: { workflowId: 'wf-1', ok: true } }, NOW + 1_000)).toBe(false);
    expect(b.state).toBe('open');
  });

  test('a probe that does not report within probeTimeoutMs is given up and the next waiter is chosen', () => {
    const { b, atMs } = probing(['wf-a', 'wf-b', 'wf-c']);
    expect(b.tick(atMs + settings.probeTimeoutMs - 1)).toEqual({ release: [] });
    expect(b.tick(atMs + settings.probeTimeoutMs)).toEqual({ release: [], probe: 'wf-b' });
    const t = atMs + settings.probeTimeoutMs + 10;
    // The timed-out probe's late answer no longer decides anything; the new probe's does.
    expect(b.report({ requests: 1, failures: 0, probe: { workflowId: 'wf-a', ok: true } }, t)).toBe(false);
    expect(b.state).toBe('half-open');
    expect(b.report({ requests: 1, failures: 0, probe: { workflowId: 'wf-b', ok: true } }, t)).toBe(true);
    expect(b.state).toBe('closed');
    expect(b.tick(t).release).toEqual(['wf-c']);
  });

  test('the probe, once out, is not taken back as a waiter', () => {
    const { b, probe, atMs } = probing(ids(3));
    expect(b.report({ requests: 0, failures: 0, waiters: [probe] }, atMs + 10)).toBe(false);
    expect(b.view(HOST, atMs + 10).pausedWebhooks).toBe(2);
  });
});

describe('throttling: the receiver asked everyone to wait', () => {
  test('a closed host is throttled until the time asked, then closes and releases the waiters paced', () => {
    const b = fresh();
    const until = NOW + 5_000;
    expect(b.report({ requests: 1, failures: 1, throttleUntilMs: until }, NOW)).toBe(true);
    expect(b.state).toBe('throttled');
    expect(b.view(HOST, NOW)).toMatchObject({ state: 'throttled', resumeAt: iso(until), draining: false });
    b.report({ requests: 0, failures: 0, waiters: ids(25) }, NOW + 100);

    expect(b.tick(until - 1)).toEqual({ release: [] });
    expect(b.state).toBe('throttled');
    expect(b.tick(until).release).toEqual(ids(FIRST_BATCH));
    expect(b.state).toBe('closed');
    expect(b.view(HOST, until)).toMatchObject({ draining: true, pausedWebhooks: 25 - FIRST_BATCH });
    expect(b.view(HOST, until).resumeAt).toBeUndefined();
    expect(b.tick(until + RELEASE_INTERVAL_MS - 1).release).toEqual([]);
    expect(b.tick(until + RELEASE_INTERVAL_MS).release).toEqual(ids(25 - FIRST_BATCH, FIRST_BATCH + 1));
  });

  test.each([
    ['now', NOW],
    ['in the past', NOW - 1_000],
  ])('a throttle time of %s is no throttle', (_title, throttleUntilMs) => {
    const b = fresh();
    expect(b.report({ requests: 1, failures: 0, throttleUntilMs }, NOW)).toBe(false);
    expect(b.state).toBe('closed');
  });

  test('a second throttle extends the first but never shortens it', () => {
    const b = fresh();
    b.report({ requests: 1, failures: 1, throttleUntilMs: NOW + 5_000 }, NOW);
    b.report({ requests: 1, failures: 1, throttleUntilMs: NOW + 3_000 }, NOW + 100);
    expect(b.view(HOST, NOW + 100).resumeAt).toBe(iso(NOW + 5_000));
    b.report({ requests: 1, failures: 1, throttleUntilMs: NOW + 8_000 }, NOW + 200);
    expect(b.view(HOST, NOW + 200).resumeAt).toBe(iso(NOW + 8_000));
    b.tick(NOW + 5_000);
    expect(b.state).toBe('throttled');
    b.tick(NOW + 8_000);
    expect(b.state).toBe('closed');
  });

  test('a throttle while open pushes the probe later', () => {
    const b = opened(ids(2));
    b.report({ requests: 1, failures: 1, throttleUntilMs: NOW + 90_000 }, NOW + 1_000);
    expect(b.state).toBe('open');
    expect(b.view(HOST, NOW + 1_000)).toMatchObject({ nextProbeAt: iso(NOW + 90_000), resumeAt: iso(NOW + 90_000) });
    expect(b.tick(NOW + 60_000)).toEqual({ release: [] });
    expect(b.state).toBe('open');
    expect(b.tick(NOW + 90_000)).toEqual({ release: [], probe: 'wf-1' });
  });

  test('a throttle while open never pulls the probe earlier', () => {
    const b = opened(ids(2));
    b.report({ requests: 1, failures: 1, throttleUntilMs: NOW + 30_000 }, NOW + 1_000);
    expect(b.view(HOST, NOW + 1_000).nextProbeAt).toBe(iso(NOW + 60_000));
    expect(b.tick(NOW + 30_000)).toEqual({ release: [] });
    expect(b.state).toBe('open');
  });

  test('a host that fails enough while throttled opens, and probes no earlier than the throttle end', () => {
    const b = fresh();
    b.report({ requests: 20, failures: 20, throttleUntilMs: NOW + 120_000 }, NOW);
    expect(b.view(HOST, NOW)).toMatchObject({ state: 'open', nextProbeAt: iso(NOW + 120_000), cooldownMs: 60_000 });
  });

  test('a throttled host that stays under the failure ratio stays throttled', () => {
    const b = fresh();
    b.report({ requests: 1, failures: 1, throttleUntilMs: NOW + 5_000 }, NOW);
    b.report({ requests: 30, failures: 10 }, NOW + 1_000);
    expect(b.state).toBe('throttled');
  });
});

describe('operator pause and resume', () => {
  test('a pause without duration holds everything until resumed', () => {
    const b = fresh();
    b.pause(NOW);
    expect(b.state).toBe('paused');
    const view = b.view(HOST, NOW);
    expect(view.resumeAt).toBeUndefined();
    expect(view.draining).toBe(false);
    b.report({ requests: 0, failures: 0, waiters: ids(30) }, NOW + 1_000);
    const tenDays = NOW + 10 * 86_400_000;
    expect(b.tick(tenDays)).toEqual({ release: [] });
    expect(b.state).toBe('paused');
    expect(b.view(HOST, tenDays).pausedWebhooks).toBe(30);

    b.resume(tenDays);
    expect(b.state).toBe('closed');
    expect(b.tick(tenDays).release).toEqual(ids(FIRST_BATCH));
    expect(b.tick(tenDays + 999).release).toEqual([]);
    expect(b.tick(tenDays + 1_000).release).toEqual(ids(30 - FIRST_BATCH, FIRST_BATCH + 1));
  });

  test('a timed pause shows its end and ends by itself', () => {
    const b = fresh();
    b.report({ requests: 0, failures: 0, waiters: ids(3) }, NOW);
    b.pause(NOW, 30_000);
    expect(b.view(HOST, NOW)).toMatchObject({ state: 'paused', resumeAt: iso(NOW + 30_000), pausedWebhooks: 3 });
    expect(b.tick(NOW + 29_999)).toEqual({ release: [] });
    expect(b.state).toBe('paused');
    expect(b.tick(NOW + 30_000).release).toEqual(ids(3));
    expect(b.state).toBe('closed');
  });

  test('a pause while open drops the probe time; resume closes the breaker with the cooldown reset', () => {
    const { b, probe, atMs } = probing(ids(4));
    b.report({ requests: 1, failures: 1, probe: { workflowId: probe, ok: false } }, atMs);
    expect(b.view(HOST, atMs).cooldownMs).toBe(120_000);
    b.pause(atMs + 1_000);
    const view = b.view(HOST, atMs + 1_000);
    expect(view).toMatchObject({ state: 'paused', cooldownMs: 120_000 });
    expect(view.nextProbeAt).toBeUndefined();
    expect(view.openedAt).toBeUndefined();
    expect(b.tick(atMs + 1_000 + 120_000)).toEqual({ release: [] });
    b.resume(atMs + 200_000);
    expect(b.view(HOST, atMs + 200_000)).toMatchObject({ state: 'closed', cooldownMs: 60_000, window: { requests: 0, failures: 0 }, draining: true });
    expect(b.tick(atMs + 200_000).release).toEqual(ids(3, 2));
  });

  test('a pause during half-open drops the probe: its answer no longer closes the breaker', () => {
    const { b, probe, atMs } = probing(ids(3));
    b.pause(atMs + 100);
    b.report({ requests: 1, failures: 0, probe: { workflowId: probe, ok: true } }, atMs + 200);
    expect(b.state).toBe('paused');
  });

  // BUG (judgement call): close() at the end of a timed pause wipes throttledUntilMs, so a
  // Retry-After that arrived during the pause and reaches past its end is forgotten and the
  // waiters go out before the receiver's time. A throttle while open is kept (nextProbeAt).
  test('a receiver throttle that outlasts a timed pause still holds the host when the pause ends', () => {
    const b = fresh();
    b.report({ requests: 0, failures: 0, waiters: ids(3) }, NOW);
    b.pause(NOW, 10_000);
    b.report({ requests: 1, failures: 1, throttleUntilMs: NOW + 60_000 }, NOW + 1_000);
    expect(b.tick(NOW + 10_000)).toEqual({ release: [] });
    expect(b.state).toBe('throttled');
    expect(b.view(HOST, NOW + 10_000).resumeAt).toBe(iso(NOW + 60_000));
  });

  test('failures reported while paused do not open the breaker', () => {
    const b = fresh();
    b.pause(NOW);
    expect(b.report({ requests: 100, failures: 100 }, NOW + 1)).toBe(false);
    expect(b.state).toBe('paused');
  });
});

describe('waiting webhooks', () => {
  test('a webhook reported twice waits once, and they leave in the order they came', () => {
    const b = opened(['a', 'b', 'a']);
    expect(b.report({ requests: 0, failures: 0, waiters: ['b', 'c', 'c'] }, NOW + 1)).toBe(true);
    expect(b.report({ requests: 0, failures: 0, waiters: ['a', 'c'] }, NOW + 2)).toBe(false);
    expect(b.view(HOST, NOW + 2).pausedWebhooks).toBe(3);
    b.resume(NOW + 3);
    expect(b.tick(NOW + 3).release).toEqual(['a', 'b', 'c']);
  });

  test('a released webhook that has to wait again is taken again', () => {
    const b = fresh();
    b.report({ requests: 0, failures: 0, waiters: ['a'] }, NOW);
    expect(b.tick(NOW).release).toEqual(['a']);
    expect(b.report({ requests: 0, failures: 0, waiters: ['a'] }, NOW + 10)).toBe(true);
    expect(b.view(HOST, NOW + 10).pausedWebhooks).toBe(1);
  });

  test(`no more than MAX_WAITERS (${MAX_WAITERS}) webhooks are kept waiting`, () => {
    const b = opened();
    const many: string[] = [];
    for (let i = 0; i < MAX_WAITERS + 10; i++) many.push(`wf-${i}`);
    b.report({ requests: 0, failures: 0, waiters: many }, NOW + 1);
    expect(b.view(HOST, NOW + 1).pausedWebhooks).toBe(MAX_WAITERS);
    expect(b.report({ requests: 0, failures: 0, waiters: ['one-more'] }, NOW + 2)).toBe(false);
    expect(b.view(HOST, NOW + 2).pausedWebhooks).toBe(MAX_WAITERS);
    // The first ones are kept, the overflow is not.
    expect(b.tick(NOW + 60_000).probe).toBe('wf-0');
  });

  test('waiters reported to a recovering host are released on the next tick, paced', () => {
    const b = new Breaker(recovered());
    b.report({ requests: 0, failures: 0, waiters: ids(21) }, NOW);
    expect(b.view(HOST, NOW).draining).toBe(true);
    expect(b.tick(NOW).release).toEqual(ids(FIRST_BATCH));
    expect(b.tick(NOW + 500).release).toEqual([]);
    expect(b.tick(NOW + 1_000).release).toEqual(ids(21 - FIRST_BATCH, FIRST_BATCH + 1));
  });

  test('waiters on a host that was never held (a lease that came late, say) all go on the next tick, and hold nobody back', () => {
    // Pacing them at the resume rate once held a healthy host to 4 requests a second under a burst.
    const h = new HostBreaker(settings, undefined, NOW);
    h.report({ requests: 0, failures: 0, waiters: ids(300).map((workflowId) => ({ workflowId, ticket: 1 })) }, NOW);
    expect(h.mode()).toBe('free');
    expect(h.tick(NOW).map((r) => r.workflowId)).toEqual(ids(300));
    expect(h.mode()).toBe('free');
  });
});

describe('release pace follows the advertised rate limit', () => {
  test.each([
    [{ limit: 10, windowMs: 1_000 }, 10, 1_000],
    [{ limit: 100, windowMs: 1_000 }, 20, 1_000], // resumeRate is the ceiling
    [{ limit: 600, windowMs: 60_000 }, 10, 1_000],
    [{ limit: 5, windowMs: 500 }, 5, 500],
    [{ limit: 1, windowMs: 5_000 }, 1, 5_000],
    [{ limit: 3, windowMs: 3_600_000 }, 3, 3_600_000],
  ] as [RateLimitPolicy, number, number][])('recovering with %o, no span of %i ms… holds more released webhooks than allowed', (rateLimit, perSpan, spanMs) => {
    const h = recovered();
    h.report({ requests: 1, failures: 0, rateLimit, waiters: ids(40).map((workflowId) => ({ workflowId, ticket: 1 })) }, NOW);
    expect(h.view(HOST, NOW).rateLimit).toEqual(rateLimit);
    const slots: number[] = [];
    for (let t = NOW; slots.length < 12 && t < NOW + 5 * 3_600_000; t += RELEASE_INTERVAL_MS) slots.push(...h.tick(t).map((r) => r.resume.slotMs as number));
    expect(slots.length).toBeGreaterThan(0);
    expect(peak(slots, spanMs)).toBeLessThanOrEqual(perSpan);
    expect(peak(slots, 1_000)).toBeLessThanOrEqual(settings.resumeRate);
  });

  test('without an advertised limit the pace is resumeRate', () => {
    const b = new Breaker(recovered());
    b.report({ requests: 0, failures: 0, waiters: ids(50) }, NOW);
    expect(b.tick(NOW).release).toHaveLength(FIRST_BATCH);
    expect(FIRST_BATCH).toBeLessThanOrEqual(settings.resumeRate);
  });

  test('the latest advertised limit wins', () => {
    const b = fresh();
    b.report({ requests: 1, failures: 0, rateLimit: { limit: 10, windowMs: 1_000 } }, NOW);
    b.report({ requests: 1, failures: 0, rateLimit: { limit: 4, windowMs: 1_000 }, waiters: ids(10) }, NOW + 1);
    expect(b.tick(NOW + 1).release).toHaveLength(4);
  });
});

describe('what report() returns: whether the workflow must act now', () => {
  const cases: [string, boolean, () => Breaker, Report][] = [
    ['a plain healthy report', false, fresh, { requests: 50, failures: 0 }],
    ['failures that do not open the breaker', false, fresh, { requests: 20, failures: 10 }],
    ['an empty report', false, fresh, { requests: 0, failures: 0 }],
    ['an advertised rate limit alone', false, fresh, { requests: 1, failures: 0, rateLimit: { limit: 10, windowMs: 1_000 } }],
    ['a new waiter', true, fresh, { requests: 0, failures: 0, waiters: ['wf-new'] }],
    ['failures that open the breaker', true, fresh, { requests: 20, failures: 11 }],
    ['a throttle', true, fresh, { requests: 1, failures: 1, throttleUntilMs: NOW + 5_000 }],
    ['failures while already open', false, () => opened(), { requests: 20, failures: 20 }],
    ['a waiter already waiting', false, () => opened(['wf-1']), { requests: 0, failures: 0, waiters: ['wf-1'] }],
  ];
  test.each(cases)('%s → %s', (_title, expected, setup, report) => {
    const b = setup();
    expect(b.report(report, NOW + 100)).toBe(expected);
  });
});

describe('nextWakeMs: the earliest time tick() has something to do', () => {
  test('a fresh healthy breaker wakes at the idle end, counted from the last report', () => {
    const b = fresh();
    expect(b.nextWakeMs()).toBe(NOW + settings.idleMs);
    b.report({ requests: 5, failures: 0 }, NOW + 5_000);
    expect(b.nextWakeMs()).toBe(NOW + 5_000 + settings.idleMs);
  });

  test('an open breaker wakes for its probe', () => {
    expect(opened(ids(1)).nextWakeMs()).toBe(NOW + settings.cooldownMs);
  });

  test('a half-open breaker with a probe out wakes when the probe times out', () => {
    const { b, atMs } = probing(ids(2));
    expect(b.nextWakeMs()).toBe(atMs + settings.probeTimeoutMs);
  });

  test('a throttled breaker wakes at the throttle end', () => {
    const b = fresh();
    b.report({ requests: 1, failures: 1, throttleUntilMs: NOW + 7_000 }, NOW);
    expect(b.nextWakeMs()).toBe(NOW + 7_000);
  });

  test('a timed pause wakes at its end; an open-ended one only at the idle end', () => {
    const timed = fresh();
    timed.pause(NOW, 30_000);
    expect(timed.nextWakeMs()).toBe(NOW + 30_000);
    const open = fresh();
    open.pause(NOW);
    expect(open.nextWakeMs()).toBe(NOW + settings.idleMs);
  });

  test('a draining breaker wakes for its next release', () => {
    const { b, probe, atMs } = probing(ids(50));
    b.report({ requests: 1, failures: 0, probe: { workflowId: probe, ok: true } }, atMs);
    expect(b.nextWakeMs()).toBeLessThanOrEqual(atMs); // the first batch is due now
    b.tick(atMs);
    expect(b.nextWakeMs()).toBe(atMs + RELEASE_INTERVAL_MS);
  });

  test('the earliest pending time wins: a throttle longer than the idle time wakes at the idle end', () => {
    const b = fresh();
    b.report({ requests: 1, failures: 1, throttleUntilMs: NOW + 2 * settings.idleMs }, NOW);
    expect(b.nextWakeMs()).toBe(NOW + settings.idleMs);
  });

  test('ticking at nextWakeMs does what was pending', () => {
    const b = opened(ids(2));
    expect(b.tick(b.nextWakeMs()).probe).toBe('wf-1');
    const t = b.nextWakeMs();
    expect(b.tick(t).probe).toBe('wf-2'); // the first probe timed out
  });
});

describe('isIdle: the workflow may end', () => {
  test('a closed breaker with nobody waiting is idle once idleMs passed since the last report', () => {
    const b = fresh();
    expect(b.isIdle(NOW + settings.idleMs - 1)).toBe(false);
    expect(b.isIdle(NOW + settings.idleMs)).toBe(true);
    b.report({ requests: 1, failures: 0 }, NOW + 100_000);
    expect(b.isIdle(NOW + settings.idleMs)).toBe(false);
    expect(b.isIdle(NOW + 100_000 + settings.idleMs)).toBe(true);
  });

  test('a breaker with webhooks waiting is never idle', () => {
    const b = fresh();
    b.report({ requests: 0, failures: 0, waiters: ['wf-1'] }, NOW);
    expect(b.isIdle(NOW + 10 * settings.idleMs)).toBe(false);
  });

  test.each([
    ['open', () => opened()],
    ['paused', () => { const b = fresh(); b.pause(NOW); return b; }],
    ['throttled', () => { const b = fresh(); b.report({ requests: 1, failures: 1, throttleUntilMs: NOW + 100 * settings.idleMs }, NOW); return b; }],
    ['half-open', () => { const b = opened(); b.tick(NOW + settings.cooldownMs); return b; }],
  ] as [string, () => Breaker][])('a breaker that is %s is never idle', (state, setup) => {
    const b = setup();
    expect(b.state).toBe(state);
    expect(b.isIdle(NOW + 10 * settings.idleMs)).toBe(false);
  });
});

/** Runs the same steps on both breakers and expects the same outcome of each. */
function expectSameBehaviour(a: Breaker, b: Breaker, fromMs: number): void {
  const steps: ((x: Breaker, t: number) => unknown)[] = [
    (x, t) => x.report({ requests: 3, failures: 2, waiters: ['late-1'] }, t),
    (x, t) => x.tick(t),
    (x, t) => x.tick(t + 60_000),
    (x, t) => x.tick(t + 120_000),
    (x, t) => x.report({ requests: 1, failures: 1, probe: { workflowId: 'wf-2', ok: false } }, t + 121_000),
    (x, t) => x.tick(t + 400_000),
    (x, t) => x.report({ requests: 1, failures: 0, probe: { workflowId: 'wf-3', ok: true } }, t + 401_000),
    (x, t) => x.report({ requests: 12, failures: 9, waiters: ['late-2'] }, t + 401_500),
    (x, t) => x.tick(t + 402_000),
    (x, t) => x.tick(t + 403_000),
    (x, t) => x.tick(t + 404_000),
    (x, t) => x.report({ requests: 12, failures: 9 }, t + 405_000),
    (x) => x.nextWakeMs(),
    (x, t) => x.isIdle(t + 405_000 + settings.idleMs),
  ];
  for (const step of steps) {
    expect(step(b, fromMs)).toEqual(step(a, fromMs));
    expect(b.view(HOST, fromMs)).toEqual(a.view(HOST, fromMs));
  }
  expect(b.snapshot()).toEqual(a.snapshot());
}

describe('snapshot: what continue-as-new carries', () => {
  /** Open with a doubled cooldown, waiters in order, an advertised limit and counts in the window. */
  function busy(): { b: Breaker; t: number } {
    const b = fresh();
    b.report({ requests: 20, failures: 20, waiters: ids(40), rateLimit: { limit: 5, windowMs: 1_000 } }, NOW);
    const { probe } = b.tick(NOW + 60_000);
    b.report({ requests: 1, failures: 1, probe: { workflowId: probe as string, ok: false } }, NOW + 61_000);
    b.report({ requests: 4, failures: 1, waiters: ['wf-extra'] }, NOW + 62_000);
    return { b, t: NOW + 62_000 };
  }

  test('a breaker rebuilt from a serialised snapshot looks the same', () => {
    const { b, t } = busy();
    const copy = rebuilt(b, t + 5);
    expect(copy.state).toBe('open');
    expect(copy.view(HOST, t)).toEqual(b.view(HOST, t));
    // The 20 failures that opened it are a window old by now; the probe's and later counts remain.
    expect(copy.view(HOST, t)).toMatchObject({ cooldownMs: 120_000, pausedWebhooks: 40, window: { requests: 5, failures: 2 } });
    expect(copy.nextWakeMs()).toBe(b.nextWakeMs());
    expect(copy.snapshot()).toEqual(b.snapshot());
  });

  test('a breaker rebuilt from a serialised snapshot behaves the same from then on', () => {
    const { b, t } = busy();
    expectSameBehaviour(b, rebuilt(b, t), t);
  });

  test('the window totals carry over: a closed breaker near its threshold opens after the same report', () => {
    const b = fresh();
    b.report({ requests: 19, failures: 19 }, NOW);
    const copy = rebuilt(b, NOW + 10);
    expect(copy.report({ requests: 1, failures: 1 }, NOW + 1_000)).toBe(true);
    expect(copy.state).toBe('open');
  });

  test('duplicate waiters are still recognised after a rebuild', () => {
    const { b, t } = busy();
    const copy = rebuilt(b, t);
    expect(copy.report({ requests: 0, failures: 0, waiters: ['wf-2', 'wf-extra'] }, t + 1)).toBe(false);
    expect(copy.view(HOST, t + 1).pausedWebhooks).toBe(40);
  });

  test('a probe out at snapshot time is still the probe after a rebuild', () => {
    const { b, probe, atMs } = probing(ids(3));
    const copy = rebuilt(b, atMs + 10);
    expect(copy.tick(atMs + 20)).toEqual({ release: [] });
    expect(copy.report({ requests: 1, failures: 0, probe: { workflowId: probe, ok: true } }, atMs + 30)).toBe(true);
    expect(copy.state).toBe('closed');
  });

  // BUG: snapshot() copies the bucket array but not the bucket objects, so a later report that
  // falls in the same count bucket changes a snapshot already taken (and any breaker built from it).
  test('a snapshot is a value: later reports to the breaker do not change it', () => {
    const b = fresh();
    b.report({ requests: 10, failures: 10 }, NOW);
    const snap = b.snapshot();
    const before = JSON.stringify(snap);
    b.report({ requests: 9, failures: 9 }, NOW + 1);
    expect(JSON.stringify(snap)).toBe(before);
  });

  test('a breaker rebuilt from an unserialised snapshot does not see the original’s later reports', () => {
    const a = fresh();
    a.report({ requests: 10, failures: 10 }, NOW);
    const b = new Breaker(new HostBreaker(settings, a.snapshot(), NOW));
    a.report({ requests: 9, failures: 9 }, NOW + 1);
    expect(b.view(HOST, NOW + 1).window).toEqual({ requests: 10, failures: 10 });
    // b has seen 11 failures of 11, below minRequests; it must stay closed.
    b.report({ requests: 1, failures: 1 }, NOW + 2);
    expect(b.state).toBe('closed');
  });
});

describe('view() never changes state', () => {
  test.each([
    ['closed with counts in the window', (): Breaker => { const b = fresh(); b.report({ requests: 19, failures: 19 }, NOW); return b; }],
    ['open with waiters', (): Breaker => opened(ids(30))],
    ['half-open with a probe out', (): Breaker => probing(ids(30)).b],
    ['throttled', (): Breaker => { const b = fresh(); b.report({ requests: 1, failures: 1, throttleUntilMs: NOW + 65_000, waiters: ids(30) }, NOW); return b; }],
    ['paused for a while', (): Breaker => { const b = opened(ids(30)); b.pause(NOW, 90_000); return b; }],
  ])('%s: viewing it at later and later times, then ticking, is the same as only ticking', (_title, setup) => {
    const viewed = setup();
    const untouched = setup();
    for (const later of [1_000, 59_999, 60_000, 61_000, 65_000, 90_000, 200_000, 10 * 86_400_000]) viewed.view(HOST, NOW + later);
    expect(viewed.snapshot()).toEqual(untouched.snapshot());
    expectSameBehaviour(untouched, viewed, NOW + 1_000);
  });
});

describe('tickets: a resume answers the attempt its webhook is waiting on', () => {
  const w = (workflowId: string, ticket: number) => ({ workflowId, ticket });

  test('a webhook registered again under a newer ticket keeps its place and is released with the newer ticket', () => {
    const h = new HostBreaker(settings, undefined, NOW);
    h.pause(NOW);
    h.report({ requests: 0, failures: 0, waiters: [w('a', 1), w('b', 1)] }, NOW);
    expect(h.report({ requests: 0, failures: 0, waiters: [w('a', 3)] }, NOW + 1)).toBe(true);
    expect(h.report({ requests: 0, failures: 0, waiters: [w('a', 2)] }, NOW + 2)).toBe(false);
    h.resume(NOW + 3);
    expect(h.tick(NOW + 3).map((r) => [r.workflowId, r.resume.ticket])).toEqual([
      ['a', 3],
      ['b', 1],
    ]);
  });

  test('the probe registering under a newer ticket moved on without probing: it is chosen again at once, first', () => {
    const h = new HostBreaker(settings, undefined, NOW);
    h.report({ requests: 20, failures: 20, waiters: [w('a', 1), w('b', 1)] }, NOW);
    const [probe] = h.tick(NOW + settings.cooldownMs);
    expect(probe).toMatchObject({ workflowId: 'a', resume: { ticket: 1, probe: true } });
    // A late duplicate of the probe's own registration changes nothing.
    expect(h.report({ requests: 0, failures: 0, waiters: [w('a', 1)] }, NOW + settings.cooldownMs + 10)).toBe(false);
    expect(h.report({ requests: 0, failures: 0, waiters: [w('a', 2)] }, NOW + settings.cooldownMs + 20)).toBe(true);
    const [again] = h.tick(NOW + settings.cooldownMs + 20);
    expect(again).toMatchObject({ workflowId: 'a', resume: { ticket: 2, probe: true } });
  });

  test('a probe that no longer exists is replaced at the next tick, not after probeTimeoutMs', () => {
    const h = new HostBreaker(settings, undefined, NOW);
    h.report({ requests: 20, failures: 20, waiters: [w('gone', 1), w('b', 1)] }, NOW);
    const t = NOW + settings.cooldownMs;
    expect(h.tick(t)[0].workflowId).toBe('gone');
    h.released(['gone']);
    expect(h.tick(t + 1)).toMatchObject([{ workflowId: 'b', resume: { probe: true } }]);
  });
});

describe('a release that fails', () => {
  const w = (workflowId: string) => ({ workflowId, ticket: 1 });

  test('puts the webhooks back at the front, in order, and retries after 1 s, doubling up to 60 s', () => {
    const h = recovered();
    h.report({ requests: 0, failures: 0, waiters: ids(3).map(w) }, NOW);
    let t = NOW;
    const delays: number[] = [];
    for (let i = 0; i < 8; i++) {
      const batch = h.tick(t);
      expect(batch.map((r) => r.workflowId)).toEqual(ids(3));
      h.releaseFailed(batch, t);
      expect(h.mode()).toBe('draining');
      expect(h.tick(t + 1)).toEqual([]);
      const next = h.nextWakeMs(t);
      delays.push(next - t);
      t = next;
    }
    expect(delays).toEqual([RELEASE_RETRY_MS, 2_000, 4_000, 8_000, 16_000, 32_000, RELEASE_RETRY_MAX_MS, RELEASE_RETRY_MAX_MS]);
    expect(h.view(HOST, t).pausedWebhooks).toBe(3);
    h.report({ requests: 0, failures: 0, waiters: [w('late')] }, t);
    const batch = h.tick(t);
    h.released([]);
    expect(batch.map((r) => r.workflowId)).toEqual([...ids(3), 'late']);
    expect(h.mode()).toBe('paced');
  });

  test('a failed probe release gives the probe up, and the next tick after the back-off probes again', () => {
    const h = new HostBreaker(settings, undefined, NOW);
    h.report({ requests: 20, failures: 20, waiters: ['a', 'b'].map(w) }, NOW);
    const t = NOW + settings.cooldownMs;
    const first = h.tick(t);
    h.releaseFailed(first, t);
    expect(h.tick(t + RELEASE_RETRY_MS - 1)).toEqual([]);
    expect(h.tick(t + RELEASE_RETRY_MS)).toMatchObject([{ workflowId: 'a', resume: { probe: true } }]);
  });

  test('the retry state survives a rebuild from a snapshot', () => {
    const h = new HostBreaker(settings, undefined, NOW);
    h.report({ requests: 0, failures: 0, waiters: ids(2).map(w) }, NOW);
    h.releaseFailed(h.tick(NOW), NOW);
    const copy = new HostBreaker(settings, JSON.parse(JSON.stringify(h.snapshot())), NOW + 10);
    expect(copy.tick(NOW + 10)).toEqual([]);
    expect(copy.tick(NOW + RELEASE_RETRY_MS).map((r) => r.workflowId)).toEqual(ids(2));
  });
});

describe('leases: what each worker may do, and when a pause holds everywhere', () => {
  const ask = (workerId: string, slots = 0): LeaseRequest => ({ workerId, ttlMs: settings.leaseMs, slots, report: { requests: 0, failures: 0 } });
  /** A breaker whose fresh-run caution is over (as after a continue-as-new). */
  const settled = (): HostBreaker => {
    const h = new HostBreaker(settings, undefined, NOW - 60_000);
    h.tick(NOW);
    return h;
  };

  test.each([
    ['closed', (): HostBreaker => settled(), 'free'],
    ['closed with an advertised limit', (): HostBreaker => { const h = settled(); h.report({ requests: 1, failures: 0, rateLimit: { limit: 10, windowMs: 1_000 } }, NOW); return h; }, 'paced'],
    ['recovering with webhooks waiting', (): HostBreaker => { const h = recovered(); h.report({ requests: 0, failures: 0, waiters: [{ workflowId: 'a', ticket: 1 }] }, NOW); return h; }, 'draining'],
    ['recovering, nobody waiting', (): HostBreaker => recovered(), 'paced'],
    ['closed, never held, with webhooks waiting', (): HostBreaker => { const h = settled(); h.report({ requests: 0, failures: 0, waiters: [{ workflowId: 'a', ticket: 1 }] }, NOW); return h; }, 'free'],
    ['open', (): HostBreaker => { const h = settled(); h.report({ requests: 20, failures: 20 }, NOW); return h; }, 'held'],
    ['paused', (): HostBreaker => { const h = settled(); h.pause(NOW); return h; }, 'held'],
    ['throttled', (): HostBreaker => { const h = settled(); h.report({ requests: 1, failures: 1, throttleUntilMs: NOW + 5_000 }, NOW); return h; }, 'held'],
    ['half-open', (): HostBreaker => { const h = settled(); h.report({ requests: 20, failures: 20 }, NOW); h.tick(NOW + settings.cooldownMs); return h; }, 'probing'],
  ] as [string, () => HostBreaker, string][])('a host that is %s leases mode %s', (_title, setup, mode) => {
    const h = setup();
    const { lease } = h.lease(ask('w1'), NOW + settings.cooldownMs);
    expect(lease.mode).toBe(mode);
    expect(lease.untilMs).toBe(NOW + settings.cooldownMs + settings.leaseMs);
  });

  test('a pause settles when every worker that could send has renewed, or when its lease runs out', () => {
    const h = settled();
    h.lease(ask('w1'), NOW);
    h.lease(ask('w2'), NOW + 500);
    const epoch = h.pause(NOW + 600);
    const w2Ends = NOW + 500 + settings.leaseMs + LEASE_CLOCK_SKEW_MS;
    expect(h.pauseSettledAtMs(epoch, NOW + 600)).toBe(w2Ends);
    // w2 took the news: it is now held, and only w1's old lease remains.
    expect(h.lease(ask('w2'), NOW + 700).lease).toMatchObject({ mode: 'held', epoch });
    expect(h.pauseSettledAtMs(epoch, NOW + 700)).toBe(NOW + settings.leaseMs + LEASE_CLOCK_SKEW_MS);
    h.lease(ask('w1'), NOW + 800);
    expect(h.pauseSettledAtMs(epoch, NOW + 800)).toBe(NOW + 800);
  });

  test('held leases from before a pause do not delay it, and a lease that ran out does not either', () => {
    const h = settled();
    h.report({ requests: 20, failures: 20 }, NOW);
    h.lease(ask('held-one'), NOW);
    const free = settled();
    free.lease(ask('w1'), NOW);
    expect(h.pauseSettledAtMs(h.pause(NOW + 1), NOW + 1)).toBe(NOW + 1);
    const later = NOW + settings.leaseMs + LEASE_CLOCK_SKEW_MS;
    expect(free.pauseSettledAtMs(free.pause(later), later)).toBe(later);
  });

  test('a run started afresh cannot know its predecessor’s leases: its first pause waits a lease length', () => {
    const h = new HostBreaker(settings, undefined, NOW);
    expect(h.pauseSettledAtMs(h.pause(NOW + 100), NOW + 100)).toBe(NOW + settings.leaseMs + LEASE_CLOCK_SKEW_MS);
    const carried = new HostBreaker(settings, JSON.parse(JSON.stringify(settled().snapshot())), NOW);
    expect(carried.pauseSettledAtMs(carried.pause(NOW), NOW)).toBe(NOW);
  });

  test('paced leases carry slots from the host’s one schedule, shared by every worker, never past BLOCK_AHEAD_MS', () => {
    const h = settled();
    h.report({ requests: 1, failures: 0, rateLimit: { limit: 10, windowMs: 1_000 } }, NOW);
    const slots: number[] = [];
    for (let t = NOW; t < NOW + 10_000; t += 250) {
      for (const worker of ['w1', 'w2', 'w3']) {
        const { lease } = h.lease(ask(worker, 5), t);
        if (lease.slots) {
          expect(lease.slots.startMs).toBeGreaterThanOrEqual(t);
          expect(lease.slots.startMs + (lease.slots.count - 1) * lease.slots.intervalMs).toBeLessThanOrEqual(t + BLOCK_AHEAD_MS);
          slots.push(...slotTimes(lease.slots));
        }
      }
    }
    expect(new Set(slots).size).toBe(slots.length);
    expect(peak(slots, 1_000)).toBeLessThanOrEqual(10);
    expect(slots.length).toBeGreaterThan(80);
  });

  test('while draining, slots a worker asks for (for released webhooks that came late) come from the releases’ schedule', () => {
    const h = recovered();
    h.report({ requests: 0, failures: 0, waiters: ids(30).map((workflowId) => ({ workflowId, ticket: 1 })) }, NOW);
    const released = h.tick(NOW).map((r) => r.resume.slotMs as number);
    const { lease } = h.lease(ask('w1', 2), NOW + 100);
    expect(lease.mode).toBe('draining');
    const extra = slotTimes(lease.slots!);
    expect(extra).toHaveLength(2);
    expect(extra[0]).toBeGreaterThan(Math.max(...released));
    expect(peak([...released, ...extra], 1_000)).toBeLessThanOrEqual(settings.resumeRate);
  });

  test('the first paced slot waits for other workers’ free leases to run out', () => {
    const h = settled();
    h.lease(ask('w1'), NOW);
    h.report({ requests: 1, failures: 0, rateLimit: { limit: 10, windowMs: 1_000 } }, NOW + 100);
    const { lease } = h.lease(ask('w2', 3), NOW + 100);
    expect(lease.mode).toBe('paced');
    expect(lease.slots).toBeUndefined(); // w1 may send unpaced beyond the block's reach
    const { lease: later } = h.lease(ask('w2', 3), NOW + 2_000);
    expect(later.slots?.startMs).toBe(NOW + settings.leaseMs + LEASE_CLOCK_SKEW_MS);
  });

  test('a host with a lease out is not idle, even with no news for idleMs; after the lease ends it is', () => {
    const h = settled();
    const leaseEnds = NOW + 2 * settings.idleMs + LEASE_CLOCK_SKEW_MS;
    h.lease({ ...ask('w1'), ttlMs: 2 * settings.idleMs }, NOW);
    expect(h.isIdle(NOW + settings.idleMs)).toBe(false);
    expect(h.nextWakeMs(NOW + settings.idleMs)).toBe(leaseEnds);
    expect(h.isIdle(leaseEnds)).toBe(true);
  });
});
