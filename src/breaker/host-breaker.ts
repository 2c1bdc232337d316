/**
 * The per-host circuit breaker as a pure state machine; the host workflow is a thin loop around
 * it. Time is always passed in, so the workflow's deterministic clock drives it and tests can too.
 *
 *   closed ──(≥ minRequests in window, failure ratio > threshold)──▶ open
 *   open ──(cooldown over)──▶ half-open ──(probe ok)──▶ closed, waiting webhooks released paced
 *                                       └─(probe failed)──▶ open, cooldown doubled (≤ max)
 *   closed ──(receiver says wait: Retry-After, rate limit used up)──▶ throttled ──(time up)──▶ closed
 *   any ──(operator pause)──▶ paused ──(operator resume or pause ends)──▶ closed
 */
import type { BreakerSettings, HostReport, HostState, HostView, RateLimitPolicy } from '../temporal/host-definitions';

/** Waiting webhooks one host workflow keeps track of; beyond this they wait on their own timer. */
export const MAX_WAITERS = 20_000;
/** Released waiters go out in batches this far apart: one second, so a batch is the per-second rate. */
export const RELEASE_INTERVAL_MS = 1_000;

/** Resumed webhooks per second: the resume rate, or the host's advertised rate if lower, at least 1. */
export function resumePerSecond(resumeRate: number, rateLimit: RateLimitPolicy | undefined): number {
  const advertised = rateLimit ? Math.floor((rateLimit.limit * 1000) / rateLimit.windowMs) : Infinity;
  return Math.max(1, Math.min(resumeRate, advertised));
}
const BUCKETS_PER_WINDOW = 20;

interface Bucket {
  startMs: number;
  requests: number;
  failures: number;
}

export interface BreakerSnapshot {
  state: HostState;
  buckets: Bucket[];
  cooldownMs: number;
  openedAtMs?: number;
  nextProbeAtMs?: number;
  /** End of an operator pause; undefined while paused means until resumed. */
  pausedUntilMs?: number;
  throttledUntilMs?: number;
  waiters: string[];
  probe?: { workflowId: string; sentAtMs: number };
  rateLimit?: RateLimitPolicy;
  lastReportAtMs: number;
  lastReleaseAtMs: number;
}

export interface TickActions {
  /** Waiting webhooks to resume now. */
  release: string[];
  /** The webhook to resume as the half-open probe. */
  probe?: string;
}

const iso = (ms: number | undefined): string | undefined => (ms === undefined ? undefined : new Date(ms).toISOString());

export class HostBreaker {
  private s: BreakerSnapshot;
  private readonly waiting: Set<string>;

  constructor(
    private readonly settings: BreakerSettings,
    snapshot: BreakerSnapshot | undefined,
    nowMs: number,
  ) {
    this.s = snapshot ? { ...snapshot, buckets: snapshot.buckets.map((b) => ({ ...b })), waiters: [...snapshot.waiters] } : {
      state: 'closed',
      buckets: [],
      cooldownMs: settings.cooldownMs,
      waiters: [],
      lastReportAtMs: nowMs,
      lastReleaseAtMs: 0,
    };
    this.waiting = new Set(this.s.waiters);
  }

  get state(): HostState {
    return this.s.state;
  }

  /** Takes one worker's report. Returns true when the host workflow should act now. */
  report(r: HostReport, nowMs: number): boolean {
    const before = this.s.state;
    this.s.lastReportAtMs = nowMs;
    this.count(r.requests, r.failures, nowMs);
    let act = this.addWaiters(r.waiters ?? []);
    if (r.rateLimit) this.s.rateLimit = r.rateLimit;
    if (r.probe && this.s.state === 'half-open' && this.s.probe?.workflowId === r.probe.workflowId) {
      if (r.probe.ok) this.close(nowMs);
      else this.open(nowMs, Math.min(this.s.cooldownMs * 2, this.settings.maxCooldownMs));
    }
    if (r.throttleUntilMs !== undefined && r.throttleUntilMs > nowMs) this.throttle(r.throttleUntilMs);
    if ((this.s.state === 'closed' || this.s.state === 'throttled') && this.tripped(nowMs)) {
      this.open(nowMs, this.settings.cooldownMs);
    }
    act ||= this.s.state !== before;
    return act;
  }

  /** Operator pause, for `durationMs` or until resumed. */
  pause(nowMs: number, durationMs?: number): void {
    this.s.state = 'paused';
    this.s.pausedUntilMs = durationMs === undefined ? undefined : nowMs + durationMs;
    this.s.probe = undefined;
  }

  /** Operator resume: the host is treated as healthy again; waiting webhooks are released paced. */
  resume(nowMs: number): void {
    this.close(nowMs);
  }

  /** Applies time-driven transitions and says which waiting webhooks go now. */
  tick(nowMs: number): TickActions {
    const s = this.s;
    if (s.state === 'paused' && s.pausedUntilMs !== undefined && nowMs >= s.pausedUntilMs) {
      // A wait the receiver asked for during the pause still holds when the pause ends.
      const throttledUntilMs = s.throttledUntilMs;
      this.close(nowMs);
      if (throttledUntilMs !== undefined && throttledUntilMs > nowMs) this.throttle(throttledUntilMs);
    }
    if (s.state === 'throttled' && (s.throttledUntilMs ?? 0) <= nowMs) this.close(nowMs);
    if (s.state === 'open' && (s.nextProbeAtMs ?? 0) <= nowMs) {
      s.state = 'half-open';
      s.probe = undefined;
    }
    if (s.state === 'half-open') {
      if (s.probe && nowMs - s.probe.sentAtMs >= this.settings.probeTimeoutMs) s.probe = undefined;
      if (!s.probe && s.waiters.length > 0) {
        const probe = this.takeWaiters(1)[0];
        s.probe = { workflowId: probe, sentAtMs: nowMs };
        return { release: [], probe };
      }
      return { release: [] };
    }
    if (s.state === 'closed' && s.waiters.length > 0 && nowMs - s.lastReleaseAtMs >= RELEASE_INTERVAL_MS) {
      s.lastReleaseAtMs = nowMs;
      return { release: this.takeWaiters(this.releasePerInterval()) };
    }
    return { release: [] };
  }

  /** When tick() has something to do next, if ever (idle end included). */
  nextWakeMs(): number {
    const s = this.s;
    const times = [s.lastReportAtMs + this.settings.idleMs];
    if (s.state === 'paused' && s.pausedUntilMs !== undefined) times.push(s.pausedUntilMs);
    if (s.state === 'throttled' && s.throttledUntilMs !== undefined) times.push(s.throttledUntilMs);
    if (s.state === 'open' && s.nextProbeAtMs !== undefined) times.push(s.nextProbeAtMs);
    if (s.state === 'half-open' && s.probe) times.push(s.probe.sentAtMs + this.settings.probeTimeoutMs);
    if (s.state === 'closed' && s.waiters.length > 0) times.push(s.lastReleaseAtMs + RELEASE_INTERVAL_MS);
    return Math.min(...times);
  }

  /** Healthy, nobody waiting and no news for idleMs: the workflow may end (a report starts it again). */
  isIdle(nowMs: number): boolean {
    return this.s.state === 'closed' && this.s.waiters.length === 0 && nowMs - this.s.lastReportAtMs >= this.settings.idleMs;
  }

  view(authority: string, nowMs: number): HostView {
    const s = this.s;
    const window = this.windowTotals(nowMs);
    const resumeAtMs =
      s.state === 'open' ? s.nextProbeAtMs : s.state === 'throttled' ? s.throttledUntilMs : s.state === 'paused' ? s.pausedUntilMs : undefined;
    const view: HostView = {
      authority,
      state: s.state,
      window,
      pausedWebhooks: s.waiters.length,
      draining: s.state === 'closed' && s.waiters.length > 0,
      cooldownMs: s.cooldownMs,
    };
    if (s.state === 'open' || s.state === 'half-open') view.openedAt = iso(s.openedAtMs);
    if (s.state === 'open') view.nextProbeAt = iso(s.nextProbeAtMs);
    if (resumeAtMs !== undefined) view.resumeAt = iso(resumeAtMs);
    if (s.rateLimit) view.rateLimit = s.rateLimit;
    return view;
  }

  snapshot(): BreakerSnapshot {
    return { ...this.s, buckets: this.s.buckets.map((b) => ({ ...b })), waiters: [...this.s.waiters] };
  }

  private releasePerInterval(): number {
    return resumePerSecond(this.settings.resumeRate, this.s.rateLimit);
  }

  private takeWaiters(n: number): string[] {
    const taken = this.s.waiters.splice(0, n);
    for (const id of taken) this.waiting.delete(id);
    return taken;
  }

  private addWaiters(ids: string[]): boolean {
    let added = false;
    for (const id of ids) {
      if (this.waiting.has(id) || this.s.probe?.workflowId === id || this.s.waiters.length >= MAX_WAITERS) continue;
      this.waiting.add(id);
      this.s.waiters.push(id);
      added = true;
    }
    return added;
  }

  private open(nowMs: number, cooldownMs: number): void {
    this.s.state = 'open';
    this.s.openedAtMs = nowMs;
    this.s.cooldownMs = cooldownMs;
    this.s.nextProbeAtMs = Math.max(nowMs + cooldownMs, this.s.throttledUntilMs ?? 0);
    this.s.probe = undefined;
  }

  private close(nowMs: number): void {
    this.s.state = 'closed';
    this.s.cooldownMs = this.settings.cooldownMs;
    this.s.openedAtMs = this.s.nextProbeAtMs = this.s.pausedUntilMs = this.s.throttledUntilMs = undefined;
    this.s.probe = undefined;
    // A fresh start: the failures that opened the breaker must not open it again at once.
    this.s.buckets = [];
    // The first release goes out on the next tick rather than a full interval later.
    this.s.lastReleaseAtMs = Math.min(this.s.lastReleaseAtMs, nowMs - RELEASE_INTERVAL_MS);
  }

  private throttle(untilMs: number): void {
    const s = this.s;
    s.throttledUntilMs = Math.max(s.throttledUntilMs ?? 0, untilMs);
    if (s.state === 'closed') s.state = 'throttled';
    if (s.state === 'open') s.nextProbeAtMs = Math.max(s.nextProbeAtMs ?? 0, untilMs);
  }

  private count(requests: number, failures: number, nowMs: number): void {
    if (requests === 0 && failures === 0) return;
    const size = Math.max(100, Math.floor(this.settings.windowMs / BUCKETS_PER_WINDOW));
    const startMs = nowMs - (nowMs % size);
    const last = this.s.buckets[this.s.buckets.length - 1];
    if (last && last.startMs === startMs) {
      last.requests += requests;
      last.failures += failures;
    } else {
      this.s.buckets.push({ startMs, requests, failures });
    }
    this.prune(nowMs);
  }

  private prune(nowMs: number): void {
    const oldest = nowMs - this.settings.windowMs;
    while (this.s.buckets.length > 0 && this.s.buckets[0].startMs < oldest) this.s.buckets.shift();
  }

  /** Read-only: it also serves queries, which must never change workflow state. */
  private windowTotals(nowMs: number): { requests: number; failures: number } {
    const oldest = nowMs - this.settings.windowMs;
    return this.s.buckets
      .filter((b) => b.startMs >= oldest)
      .reduce((t, b) => ({ requests: t.requests + b.requests, failures: t.failures + b.failures }), { requests: 0, failures: 0 });
  }

  private tripped(nowMs: number): boolean {
    const { requests, failures } = this.windowTotals(nowMs);
    return requests >= this.settings.minRequests && failures / requests > this.settings.failureRatio;
  }
}
