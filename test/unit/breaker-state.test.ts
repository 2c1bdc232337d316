/**
 * src/breaker/host-breaker.ts: the per-host circuit breaker as a pure state machine. Time is
 * passed in explicitly; nothing here sleeps or talks to Temporal.
 */
import { HostBreaker, MAX_WAITERS, RELEASE_INTERVAL_MS, type BreakerSnapshot } from '../../src/breaker/host-breaker';
import type { BreakerSettings, HostReport, RateLimitPolicy } from '../../src/temporal/host-definitions';

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
};

const iso = (ms: number): string => new Date(ms).toISOString();
const ids = (n: number, from = 1): string[] => Array.from({ length: n }, (_, i) => `wf-${from + i}`);

function fresh(): HostBreaker {
  return new HostBreaker(settings, undefined, NOW);
}

/** A breaker opened at NOW by 20 failures out of 20, with these webhooks waiting. */
function opened(waiters: string[] = []): HostBreaker {
  const b = fresh();
  b.report({ requests: 20, failures: 20, waiters }, NOW);
  expect(b.state).toBe('open');
  return b;
}

/** Opened at NOW, half-open at NOW + cooldown with the first waiter out as the probe. */
function probing(waiters: string[] = ids(5)): { b: HostBreaker; probe: string; atMs: number } {
  const b = opened(waiters);
  const atMs = NOW + settings.cooldownMs;
  const { probe } = b.tick(atMs);
  expect(b.state).toBe('half-open');
  expect(probe).toBe(waiters[0]);
  return { b, probe: probe as string, atMs };
}

/** Ticks once per release interval from `fromMs` until nobody waits; the batches released. */
function drain(b: HostBreaker, fromMs: number, maxTicks = 100): string[][] {
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

  test('after a successful probe the waiters go out in batches of resumeRate, one batch per release interval', () => {
    expect(RELEASE_INTERVAL_MS).toBe(1_000);
    const { b, probe, atMs } = probing(ids(46));
    const closedAt = atMs + 500;
    b.report({ requests: 1, failures: 0, probe: { workflowId: probe, ok: true } }, closedAt);
    expect(b.view(HOST, closedAt)).toMatchObject({ state: 'closed', pausedWebhooks: 45, draining: true });

    // The first batch goes at once, not a full interval later.
    expect(b.tick(closedAt).release).toEqual(ids(20, 2));
    expect(b.view(HOST, closedAt)).toMatchObject({ pausedWebhooks: 25, draining: true });
    expect(b.tick(closedAt + 1).release).toEqual([]);
    expect(b.tick(closedAt + RELEASE_INTERVAL_MS - 1).release).toEqual([]);
    expect(b.tick(closedAt + RELEASE_INTERVAL_MS).release).toEqual(ids(20, 22));
    expect(b.view(HOST, closedAt + RELEASE_INTERVAL_MS).draining).toBe(true);
    expect(b.tick(closedAt + 2 * RELEASE_INTERVAL_MS).release).toEqual(ids(5, 42));
    expect(b.view(HOST, closedAt + 2 * RELEASE_INTERVAL_MS)).toMatchObject({ pausedWebhooks: 0, draining: false });
    expect(b.tick(closedAt + 3 * RELEASE_INTERVAL_MS)).toEqual({ release: [] });
  });

  test('the release batch is the smaller of resumeRate and the advertised limit per second', () => {
    const { b, probe, atMs } = probing(ids(31));
    b.report({ requests: 1, failures: 0, probe: { workflowId: probe, ok: true }, rateLimit: { limit: 10, windowMs: 1_000 } }, atMs);
    expect(drain(b, atMs).map((batch) => batch.length)).toEqual([10, 10, 10]);
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
    expect(b.tick(until).release).toEqual(ids(20));
    expect(b.state).toBe('closed');
    expect(b.view(HOST, until)).toMatchObject({ draining: true, pausedWebhooks: 5 });
    expect(b.view(HOST, until).resumeAt).toBeUndefined();
    expect(b.tick(until + RELEASE_INTERVAL_MS - 1).release).toEqual([]);
    expect(b.tick(until + RELEASE_INTERVAL_MS).release).toEqual(ids(5, 21));
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
    expect(b.tick(tenDays).release).toEqual(ids(20));
    expect(b.tick(tenDays + 999).release).toEqual([]);
    expect(b.tick(tenDays + 1_000).release).toEqual(ids(10, 21));
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

  test('waiters reported to a closed host are released on the next tick, paced', () => {
    const b = fresh();
    b.report({ requests: 0, failures: 0, waiters: ids(21) }, NOW);
    expect(b.view(HOST, NOW).draining).toBe(true);
    expect(b.tick(NOW).release).toEqual(ids(20));
    expect(b.tick(NOW + 500).release).toEqual([]);
    expect(b.tick(NOW + 1_000).release).toEqual(['wf-21']);
  });
});

describe('release pace follows the advertised rate limit', () => {
  test.each([
    [{ limit: 10, windowMs: 1_000 }, 10],
    [{ limit: 100, windowMs: 1_000 }, 20], // resumeRate is the ceiling
    [{ limit: 600, windowMs: 60_000 }, 10],
    [{ limit: 5, windowMs: 500 }, 10],
    [{ limit: 1, windowMs: 5_000 }, 1], // less than one a second rounds up to at least one
    [{ limit: 3, windowMs: 3_600_000 }, 1],
  ] as [RateLimitPolicy, number][])('with %o released webhooks go %i per tick', (rateLimit, perTick) => {
    const b = fresh();
    b.report({ requests: 1, failures: 0, rateLimit, waiters: ids(50) }, NOW);
    expect(b.view(HOST, NOW).rateLimit).toEqual(rateLimit);
    expect(b.tick(NOW).release).toHaveLength(perTick);
    expect(b.tick(NOW + RELEASE_INTERVAL_MS).release).toHaveLength(perTick);
  });

  test('without an advertised limit the pace is resumeRate', () => {
    const b = fresh();
    b.report({ requests: 0, failures: 0, waiters: ids(50) }, NOW);
    expect(b.tick(NOW).release).toHaveLength(settings.resumeRate);
  });

  test('the latest advertised limit wins', () => {
    const b = fresh();
    b.report({ requests: 1, failures: 0, rateLimit: { limit: 10, windowMs: 1_000 } }, NOW);
    b.report({ requests: 1, failures: 0, rateLimit: { limit: 4, windowMs: 1_000 }, waiters: ids(10) }, NOW + 1);
    expect(b.tick(NOW + 1).release).toHaveLength(4);
  });
});

describe('what report() returns: whether the workflow must act now', () => {
  const cases: [string, boolean, () => HostBreaker, HostReport][] = [
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
  ] as [string, () => HostBreaker][])('a breaker that is %s is never idle', (state, setup) => {
    const b = setup();
    expect(b.state).toBe(state);
    expect(b.isIdle(NOW + 10 * settings.idleMs)).toBe(false);
  });
});

/** Runs the same steps on both breakers and expects the same outcome of each. */
function expectSameBehaviour(a: HostBreaker, b: HostBreaker, fromMs: number): void {
  const steps: ((x: HostBreaker, t: number) => unknown)[] = [
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
  function busy(): { b: HostBreaker; t: number } {
    const b = fresh();
    b.report({ requests: 20, failures: 20, waiters: ids(40), rateLimit: { limit: 5, windowMs: 1_000 } }, NOW);
    const { probe } = b.tick(NOW + 60_000);
    b.report({ requests: 1, failures: 1, probe: { workflowId: probe as string, ok: false } }, NOW + 61_000);
    b.report({ requests: 4, failures: 1, waiters: ['wf-extra'] }, NOW + 62_000);
    return { b, t: NOW + 62_000 };
  }

  test('a breaker rebuilt from a serialised snapshot looks the same', () => {
    const { b, t } = busy();
    const rebuilt = new HostBreaker(settings, JSON.parse(JSON.stringify(b.snapshot())) as BreakerSnapshot, t + 5);
    expect(rebuilt.state).toBe('open');
    expect(rebuilt.view(HOST, t)).toEqual(b.view(HOST, t));
    // The 20 failures that opened it are a window old by now; the probe's and later counts remain.
    expect(rebuilt.view(HOST, t)).toMatchObject({ cooldownMs: 120_000, pausedWebhooks: 40, window: { requests: 5, failures: 2 } });
    expect(rebuilt.nextWakeMs()).toBe(b.nextWakeMs());
    expect(rebuilt.snapshot()).toEqual(b.snapshot());
  });

  test('a breaker rebuilt from a serialised snapshot behaves the same from then on', () => {
    const { b, t } = busy();
    const rebuilt = new HostBreaker(settings, JSON.parse(JSON.stringify(b.snapshot())) as BreakerSnapshot, t);
    expectSameBehaviour(b, rebuilt, t);
  });

  test('the window totals carry over: a closed breaker near its threshold opens after the same report', () => {
    const b = fresh();
    b.report({ requests: 19, failures: 19 }, NOW);
    const rebuilt = new HostBreaker(settings, JSON.parse(JSON.stringify(b.snapshot())) as BreakerSnapshot, NOW + 10);
    expect(rebuilt.report({ requests: 1, failures: 1 }, NOW + 1_000)).toBe(true);
    expect(rebuilt.state).toBe('open');
  });

  test('duplicate waiters are still recognised after a rebuild', () => {
    const { b, t } = busy();
    const rebuilt = new HostBreaker(settings, JSON.parse(JSON.stringify(b.snapshot())) as BreakerSnapshot, t);
    expect(rebuilt.report({ requests: 0, failures: 0, waiters: ['wf-2', 'wf-extra'] }, t + 1)).toBe(false);
    expect(rebuilt.view(HOST, t + 1).pausedWebhooks).toBe(40);
  });

  test('a probe out at snapshot time is still the probe after a rebuild', () => {
    const { b, probe, atMs } = probing(ids(3));
    const rebuilt = new HostBreaker(settings, JSON.parse(JSON.stringify(b.snapshot())) as BreakerSnapshot, atMs + 10);
    expect(rebuilt.tick(atMs + 20)).toEqual({ release: [] });
    expect(rebuilt.report({ requests: 1, failures: 0, probe: { workflowId: probe, ok: true } }, atMs + 30)).toBe(true);
    expect(rebuilt.state).toBe('closed');
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
    const b = new HostBreaker(settings, a.snapshot(), NOW);
    a.report({ requests: 9, failures: 9 }, NOW + 1);
    expect(b.view(HOST, NOW + 1).window).toEqual({ requests: 10, failures: 10 });
    // b has seen 11 failures of 11, below minRequests; it must stay closed.
    b.report({ requests: 1, failures: 1 }, NOW + 2);
    expect(b.state).toBe('closed');
  });
});

describe('view() never changes state', () => {
  test.each([
    ['closed with counts in the window', (): HostBreaker => { const b = fresh(); b.report({ requests: 19, failures: 19 }, NOW); return b; }],
    ['open with waiters', (): HostBreaker => opened(ids(30))],
    ['half-open with a probe out', (): HostBreaker => probing(ids(30)).b],
    ['throttled', (): HostBreaker => { const b = fresh(); b.report({ requests: 1, failures: 1, throttleUntilMs: NOW + 65_000, waiters: ids(30) }, NOW); return b; }],
    ['paused for a while', (): HostBreaker => { const b = opened(ids(30)); b.pause(NOW, 90_000); return b; }],
  ])('%s: viewing it at later and later times, then ticking, is the same as only ticking', (_title, setup) => {
    const viewed = setup();
    const untouched = setup();
    for (const later of [1_000, 59_999, 60_000, 61_000, 65_000, 90_000, 200_000, 10 * 86_400_000]) viewed.view(HOST, NOW + later);
    expect(viewed.snapshot()).toEqual(untouched.snapshot());
    expectSameBehaviour(untouched, viewed, NOW + 1_000);
  });
});
