/**
 * The per-host circuit breaker as a pure state machine; the host workflow is a thin loop around
 * it. Time is always passed in, so the workflow's deterministic clock drives it and tests can too.
 *
 *   closed ──(≥ minRequests in window, failure ratio > threshold)──▶ open
 *   open ──(cooldown over)──▶ half-open ──(probe ok)──▶ closed, waiting webhooks released paced
 *                                       └─(probe failed)──▶ open, cooldown doubled (≤ max)
 *   closed ──(receiver says wait: Retry-After, rate limit used up)──▶ throttled ──(time up)──▶ closed
 *   any ──(operator pause)──▶ paused ──(operator resume or pause ends)──▶ closed
 *
 * Beside the state it keeps the waiting webhooks (waiters.ts), the host's one schedule of send
 * slots (pacer.ts) and the workers' leases (leases.ts): a worker sends only on a lease from here,
 * and every paced send — released webhook, probe, or attempt under an advertised rate limit —
 * takes its slot from the one schedule, whichever worker makes it.
 */
import type {
  BreakerSettings,
  HostReport,
  HostState,
  HostView,
  Lease,
  LeaseMode,
  LeaseRequest,
  RateLimitPolicy,
  Release,
  Waiter,
} from './definitions';
import { FailureWindow, type Bucket } from './failure-window';
import { LEASE_CLOCK_SKEW_MS, Leases, type LeasesSnapshot } from './leases';
import { Pacer, slotTimes, spacingMs, type PacerSnapshot } from './pacer';
import { WaiterQueue, type WaitersSnapshot } from './waiters';

/** Released waiters go out in batches this far apart, each batch with the slots of one interval. */
export const RELEASE_INTERVAL_MS = 1_000;
/** A released webhook's slot is at least this far ahead: time for the resume signal to reach it and its attempt to start. */
export const RELEASE_LEAD_MS = 500;
/** Slots leased to a worker reach at most this far ahead, so an attempt never waits long for its slot. */
export const BLOCK_AHEAD_MS = 2_000;
/** A release that failed (Temporal unreachable) is tried again after this, doubling up to the maximum. */
export const RELEASE_RETRY_MS = 1_000;
export const RELEASE_RETRY_MAX_MS = 60_000;

export interface BreakerSnapshot {
  state: HostState;
  buckets: Bucket[];
  cooldownMs: number;
  openedAtMs?: number;
  nextProbeAtMs?: number;
  /** End of an operator pause; undefined while paused means until resumed. */
  pausedUntilMs?: number;
  throttledUntilMs?: number;
  waiters: WaitersSnapshot;
  probe?: Waiter & { sentAtMs: number };
  rateLimit?: RateLimitPolicy;
  lastReportAtMs: number;
  lastReleaseAtMs: number;
  /** Raised by each operator pause. */
  epoch: number;
  /** Closed after being held: sends are paced at the resume rate until the schedule has caught up with now. */
  recovering: boolean;
  pacer: PacerSnapshot;
  leases: LeasesSnapshot;
  /** A run started afresh cannot know leases its predecessor granted: a pause waits until they would have run out. */
  unknownLeasesUntilMs: number;
  releaseRetry?: { atMs: number; delayMs: number };
}

type Scalars = Omit<BreakerSnapshot, 'buckets' | 'waiters' | 'pacer' | 'leases'>;

const iso = (ms: number | undefined): string | undefined => (ms === undefined ? undefined : new Date(ms).toISOString());

export class HostBreaker {
  private readonly s: Scalars;
  private readonly window: FailureWindow;
  private readonly waiters: WaiterQueue;
  private readonly pacer: Pacer;
  private readonly leases: Leases;

  constructor(
    private readonly settings: BreakerSettings,
    snapshot: BreakerSnapshot | undefined,
    nowMs: number,
  ) {
    const { buckets, waiters, pacer, leases, ...scalars } = snapshot ?? {
      state: 'closed',
      buckets: [],
      cooldownMs: settings.cooldownMs,
      waiters: { ids: [], tickets: [] },
      lastReportAtMs: nowMs,
      lastReleaseAtMs: 0,
      epoch: 0,
      recovering: false,
      pacer: { nextMs: 0 },
      leases: {},
      unknownLeasesUntilMs: nowMs + settings.leaseMs + LEASE_CLOCK_SKEW_MS,
    };
    this.s = { ...scalars };
    this.window = new FailureWindow(settings.windowMs, buckets);
    this.waiters = new WaiterQueue(waiters);
    this.pacer = new Pacer(pacer);
    this.leases = new Leases(leases);
  }

  get state(): HostState {
    return this.s.state;
  }

  /** Takes one worker's news. Returns true when the host workflow should act now. */
  report(r: HostReport, nowMs: number): boolean {
    const before = this.s.state;
    this.s.lastReportAtMs = nowMs;
    this.window.count(r.requests, r.failures, nowMs);
    let act = false;
    for (const waiter of r.waiters ?? []) act = this.register(waiter) || act;
    if (r.rateLimit) this.s.rateLimit = r.rateLimit;
    if (r.probe && this.s.state === 'half-open' && this.s.probe?.workflowId === r.probe.workflowId) {
      if (r.probe.ok) this.close(nowMs);
      else this.open(nowMs, Math.min(this.s.cooldownMs * 2, this.settings.maxCooldownMs));
    }
    if (r.throttleUntilMs !== undefined && r.throttleUntilMs > nowMs) this.throttle(r.throttleUntilMs);
    if ((this.s.state === 'closed' || this.s.state === 'throttled') && this.tripped(nowMs)) {
      this.open(nowMs, this.settings.cooldownMs);
    }
    return act || this.s.state !== before;
  }

  /** A worker's lease request: its news, then what it may do until `ttlMs` from now, with send slots if paced. */
  lease(request: LeaseRequest, nowMs: number): { lease: Lease; act: boolean } {
    const act = this.report(request.report, nowMs);
    this.leases.prune(nowMs);
    const mode = this.mode();
    const untilMs = nowMs + request.ttlMs;
    const lease: Lease = { mode, epoch: this.s.epoch, state: this.s.state, untilMs };
    const resumeAtMs = this.resumeAtMs();
    if (resumeAtMs !== undefined) lease.resumeAtMs = resumeAtMs;
    // Paced: slots for the worker's attempts. Draining: only for released webhooks that came too
    // late for their slot (the gate asks for no others), so they need not queue again.
    if ((mode === 'paced' || mode === 'draining') && request.slots > 0) {
      // Not before the free leases of other workers have run out: until then they may send unpaced.
      const from = Math.max(nowMs, this.leases.freeUntil(nowMs, request.workerId));
      // A gate keeps its slots across renewals while the mode stays paced, so they may reach past this lease.
      const block = this.pacer.grant(request.slots, spacingMs(this.policies()), from, nowMs + BLOCK_AHEAD_MS);
      if (block) lease.slots = block;
    }
    this.leases.grant(request.workerId, { epoch: this.s.epoch, sending: mode !== 'held', free: mode === 'free', untilMs });
    return { lease, act };
  }

  /** Operator pause, for `durationMs` or until resumed. Returns its epoch (see pauseSettledAtMs). */
  pause(nowMs: number, durationMs?: number): number {
    this.s.state = 'paused';
    this.s.pausedUntilMs = durationMs === undefined ? undefined : nowMs + durationMs;
    this.s.probe = undefined;
    this.s.epoch += 1;
    return this.s.epoch;
  }

  /** When the pause of `epoch` holds on every worker: the latest end of a lease that still carries older news. */
  pauseSettledAtMs(epoch: number, nowMs: number): number {
    return Math.max(nowMs, this.leases.pendingUntil(epoch, nowMs) ?? 0, this.s.unknownLeasesUntilMs);
  }

  /** Operator resume: the host is treated as healthy again; waiting webhooks are released paced. */
  resume(nowMs: number): void {
    this.close(nowMs);
  }

  /** Applies time-driven transitions and says which waiting webhooks go now, each with its send slot. */
  tick(nowMs: number): Release[] {
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
    this.leases.prune(nowMs);
    if (s.releaseRetry && nowMs < s.releaseRetry.atMs) return [];
    if (s.state === 'half-open') return this.probeIfDue(nowMs);
    if (s.state !== 'closed') return [];
    if (this.waiters.length > 0 && nowMs - s.lastReleaseAtMs >= RELEASE_INTERVAL_MS) return this.releaseBatch(nowMs);
    if (s.recovering && this.waiters.length === 0 && this.pacer.snapshot().nextMs <= nowMs) s.recovering = false;
    return [];
  }

  /** Releasing failed: the webhooks wait again at the front, and the next release waits, longer each time. */
  releaseFailed(releases: readonly Release[], nowMs: number): void {
    if (releases.some((r) => r.resume.probe && r.workflowId === this.s.probe?.workflowId)) this.s.probe = undefined;
    this.waiters.putBack(releases.map((r) => ({ workflowId: r.workflowId, ticket: r.resume.ticket ?? 0 })));
    const delayMs = this.s.releaseRetry ? Math.min(this.s.releaseRetry.delayMs * 2, RELEASE_RETRY_MAX_MS) : RELEASE_RETRY_MS;
    this.s.releaseRetry = { atMs: nowMs + delayMs, delayMs };
  }

  /** Releasing worked; `missing` webhooks no longer exist (a probe among them is chosen again at once). */
  released(missing: readonly string[]): void {
    this.s.releaseRetry = undefined;
    if (this.s.probe && missing.includes(this.s.probe.workflowId)) this.s.probe = undefined;
  }

  /** When tick() has something to do next, if ever (idle end included). */
  nextWakeMs(nowMs: number): number {
    const s = this.s;
    const times = [Math.max(s.lastReportAtMs + this.settings.idleMs, this.leases.latestUntil(nowMs))];
    if (s.releaseRetry) times.push(s.releaseRetry.atMs);
    if (s.state === 'paused' && s.pausedUntilMs !== undefined) times.push(s.pausedUntilMs);
    if (s.state === 'throttled' && s.throttledUntilMs !== undefined) times.push(s.throttledUntilMs);
    if (s.state === 'open' && s.nextProbeAtMs !== undefined) times.push(s.nextProbeAtMs);
    if (s.state === 'half-open' && s.probe) times.push(s.probe.sentAtMs + this.settings.probeTimeoutMs);
    if (s.state === 'closed' && this.waiters.length > 0) times.push(Math.max(s.lastReleaseAtMs + RELEASE_INTERVAL_MS, s.releaseRetry?.atMs ?? 0));
    if (s.state === 'closed' && s.recovering && this.waiters.length === 0) times.push(this.pacer.snapshot().nextMs);
    return Math.min(...times);
  }

  /** Healthy, nobody waiting, no lease out and no news for idleMs: the workflow may end (a report starts it again). */
  isIdle(nowMs: number): boolean {
    const s = this.s;
    return (
      s.state === 'closed' &&
      !s.recovering &&
      this.waiters.length === 0 &&
      nowMs - s.lastReportAtMs >= this.settings.idleMs &&
      this.leases.latestUntil(nowMs) <= nowMs
    );
  }

  /**
   * What a worker may do now. Waiters on a host that is not paced (they waited on a worker's side:
   * a lease that came too late, say) go at the next release, all at once, and hold nobody back.
   */
  mode(): LeaseMode {
    const s = this.s;
    if (s.state === 'half-open') return 'probing';
    if (s.state !== 'closed') return 'held';
    if (!s.recovering && !s.rateLimit) return 'free';
    return this.waiters.length > 0 || s.releaseRetry ? 'draining' : 'paced';
  }

  view(authority: string, nowMs: number): HostView {
    const s = this.s;
    const view: HostView = {
      authority,
      state: s.state,
      window: this.window.totals(nowMs),
      pausedWebhooks: this.waiters.length,
      draining: s.state === 'closed' && this.waiters.length > 0,
      cooldownMs: s.cooldownMs,
    };
    if (s.state === 'open' || s.state === 'half-open') view.openedAt = iso(s.openedAtMs);
    if (s.state === 'open') view.nextProbeAt = iso(s.nextProbeAtMs);
    const resumeAtMs = this.resumeAtMs();
    if (resumeAtMs !== undefined) view.resumeAt = iso(resumeAtMs);
    if (s.rateLimit) view.rateLimit = s.rateLimit;
    return view;
  }

  snapshot(): BreakerSnapshot {
    return {
      ...this.s,
      ...(this.s.probe ? { probe: { ...this.s.probe } } : {}),
      ...(this.s.releaseRetry ? { releaseRetry: { ...this.s.releaseRetry } } : {}),
      buckets: this.window.snapshot(),
      waiters: this.waiters.snapshot(),
      pacer: this.pacer.snapshot(),
      leases: this.leases.snapshot(),
    };
  }

  private resumeAtMs(): number | undefined {
    const s = this.s;
    return s.state === 'open' ? s.nextProbeAtMs : s.state === 'throttled' ? s.throttledUntilMs : s.state === 'paused' ? s.pausedUntilMs : undefined;
  }

  /**
   * The rate limits sends keep to now: the resume rate while the host recovers from being held (the
   * probe, then until the drain's slots are past), and the host's advertised limit.
   */
  private policies(): RateLimitPolicy[] {
    const s = this.s;
    const recovering = s.state === 'half-open' || (s.state === 'closed' && s.recovering);
    return [...(recovering ? [{ limit: this.settings.resumeRate, windowMs: 1_000 }] : []), ...(s.rateLimit ? [s.rateLimit] : [])];
  }

  private probeIfDue(nowMs: number): Release[] {
    const s = this.s;
    if (s.probe && nowMs - s.probe.sentAtMs >= this.settings.probeTimeoutMs) s.probe = undefined;
    if (s.probe || this.waiters.length === 0) return [];
    const from = Math.max(nowMs + RELEASE_LEAD_MS, this.leases.freeUntil(nowMs));
    const block = this.pacer.grant(1, spacingMs(this.policies()), from, Number.MAX_SAFE_INTEGER);
    const [waiter] = this.waiters.take(1);
    s.probe = { ...waiter, sentAtMs: nowMs };
    return [{ workflowId: waiter.workflowId, resume: { ticket: waiter.ticket, probe: true, slotMs: block?.startMs ?? from } }];
  }

  private releaseBatch(nowMs: number): Release[] {
    this.s.lastReleaseAtMs = nowMs;
    const from = Math.max(nowMs + RELEASE_LEAD_MS, this.leases.freeUntil(nowMs));
    const block = this.pacer.grant(this.waiters.length, spacingMs(this.policies()), from, nowMs + RELEASE_LEAD_MS + RELEASE_INTERVAL_MS);
    if (!block) return [];
    const slots = slotTimes(block);
    return this.waiters.take(block.count).map((w, i) => ({ workflowId: w.workflowId, resume: { ticket: w.ticket, slotMs: slots[i] } }));
  }

  /** A webhook waits; the probe itself registering under a newer ticket means it moved on without probing. */
  private register(waiter: Waiter): boolean {
    const probe = this.s.probe;
    if (probe?.workflowId === waiter.workflowId) {
      if (waiter.ticket <= probe.ticket) return false;
      this.s.probe = undefined;
      this.waiters.add(waiter, true);
      return true;
    }
    return this.waiters.add(waiter);
  }

  private open(nowMs: number, cooldownMs: number): void {
    this.s.state = 'open';
    this.s.openedAtMs = nowMs;
    this.s.cooldownMs = cooldownMs;
    this.s.nextProbeAtMs = Math.max(nowMs + cooldownMs, this.s.throttledUntilMs ?? 0);
    this.s.probe = undefined;
  }

  private close(nowMs: number): void {
    const s = this.s;
    s.state = 'closed';
    s.cooldownMs = this.settings.cooldownMs;
    s.openedAtMs = s.nextProbeAtMs = s.pausedUntilMs = s.throttledUntilMs = undefined;
    s.probe = undefined;
    s.recovering = true;
    // A fresh start: the failures that opened the breaker must not open it again at once.
    this.window.clear();
    // The first release goes out on the next tick rather than a full interval later.
    s.lastReleaseAtMs = Math.min(s.lastReleaseAtMs, nowMs - RELEASE_INTERVAL_MS);
  }

  private throttle(untilMs: number): void {
    const s = this.s;
    s.throttledUntilMs = Math.max(s.throttledUntilMs ?? 0, untilMs);
    if (s.state === 'closed') s.state = 'throttled';
    if (s.state === 'open') s.nextProbeAtMs = Math.max(s.nextProbeAtMs ?? 0, untilMs);
  }

  private tripped(nowMs: number): boolean {
    const { requests, failures } = this.window.totals(nowMs);
    return requests >= this.settings.minRequests && failures / requests > this.settings.failureRatio;
  }
}
