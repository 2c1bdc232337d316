/**
 * The worker's side of the per-host circuit breaker. One per worker process.
 *
 * Before an attempt, `admit` says whether it may go, from a cached view of the host's workflow:
 * a host that is open, half-open, throttled, paused or still draining its queue holds the attempt
 * (the webhook is registered as waiting and its workflow waits for a resume signal), and a host
 * with an advertised rate limit hands out send slots.
 *
 * After an attempt, `record` adds the outcome to this worker's batch for that host. Batches go to
 * the host workflows about once per `reportIntervalMs` as one signal per host, so a healthy host
 * costs a signal per worker per interval, never one per delivery. What must travel at once (a
 * probe's result, a host asking everyone to wait) is flushed immediately, and this worker holds
 * its own sends at once without waiting for the round trip.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { idleHostView } from '../src/breaker/authority';
import { resumePerSecond } from '../src/breaker/host-breaker';
import { hostNews } from '../src/breaker/host-news';
import { SlotLimiter } from '../src/breaker/slot-limiter';
import type { SendAttemptResult } from '../src/temporal/definitions';
import {
  hostCircuitStart,
  hostQuery,
  hostWorkflowId,
  reportSignal,
  type BreakerSettings,
  type HostReport,
  type HostState,
  type HostView,
  type RateLimitPolicy,
} from '../src/temporal/host-definitions';
import type { hostCircuit } from '../workflows/host-circuit';

/** A cached view unused this long is dropped. */
const VIEW_TTL_MS = 60_000;
/** A host whose view cannot be read in time is treated as healthy: the breaker protects, it must not block. */
const QUERY_TIMEOUT_MS = 2_000;
/** Sends due within this much of their slot go now. */
const SLOT_TOLERANCE_MS = 5;

export type Admission =
  | { go: true }
  | { go: false; reason: 'paused'; state: HostState; untilMs?: number }
  | { go: false; reason: 'rate-limit'; slotMs: number };

interface CachedHost {
  view: HostView;
  usedAtMs: number;
  /** This worker saw the host ask to wait until then, before its workflow knew. */
  localUntilMs?: number;
}

export interface HostGateOptions {
  client: Client;
  /** The delivery task queue; host workflows run on its `-hosts` companion. */
  taskQueue: string;
  settings: BreakerSettings;
  reportIntervalMs: number;
  /** Longest wait a host may impose (HOOKFLOW_MAX_RETRY_AFTER_MS). */
  maxWaitMs: number;
  onError?: (err: unknown, what: string) => void;
}

export class HostGate {
  private readonly hosts = new Map<string, CachedHost>();
  private readonly limiters = new Map<string, SlotLimiter>();
  /** Paces webhooks the host workflow released, so they reach the host at the resume rate even when they pile up here. */
  private readonly resumeLimiters = new Map<string, SlotLimiter>();
  private batches = new Map<string, HostReport>();
  private readonly fetching = new Map<string, Promise<HostView>>();
  private timer?: NodeJS.Timeout;
  private flushing?: Promise<void>;
  private flushAgain = false;
  private stopped = false;
  /** Signals sent to host workflows, for tests and benchmarks. */
  reportsSent = 0;

  constructor(private readonly options: HostGateOptions) {}

  start(): void {
    this.timer ??= setInterval(() => void this.flush(), this.options.reportIntervalMs);
    this.timer.unref();
  }

  /** Stops the timer and sends what is still batched. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    this.stopped = true;
    await this.flushing;
    // The worker is gone: send what is batched, but don't query views nobody will use.
    await this.flushOnce(false);
  }

  /**
   * `probe`: the host workflow chose this attempt as its half-open probe; it always goes.
   * `released`: the host workflow released this webhook from its queue; it goes past the queue
   * of others still waiting, unless the host has turned unavailable again meanwhile.
   */
  async admit(authority: string, workflowId: string, ask: { probe?: boolean; released?: boolean; slotMs?: number }): Promise<Admission> {
    if (ask.probe) return { go: true };
    const now = Date.now();
    const host = await this.host(authority, now);
    const view = host.view;
    if (host.localUntilMs !== undefined && host.localUntilMs > now) {
      return this.hold(authority, workflowId, 'throttled', host.localUntilMs);
    }
    if (view.state !== 'closed' || (view.draining && !ask.released)) {
      return this.hold(authority, workflowId, view.state, view.resumeAt ? Date.parse(view.resumeAt) : undefined);
    }
    // Released webhooks go at the resume rate (or the host's advertised rate, if lower), so they
    // reach the host paced even when they pile up in this worker.
    const limiter = ask.released
      ? limiterIn(this.resumeLimiters, authority, { limit: resumePerSecond(this.options.settings.resumeRate, view.rateLimit), windowMs: 1000 })
      : this.limiters.get(authority);
    if (limiter && !(ask.slotMs !== undefined && limiter.holds(ask.slotMs))) {
      const slotMs = limiter.reserve(now);
      if (slotMs > now + SLOT_TOLERANCE_MS) return { go: false, reason: 'rate-limit', slotMs };
    }
    return { go: true };
  }

  record(authority: string, workflowId: string, result: SendAttemptResult, probe: boolean): void {
    const now = Date.now();
    const limiter = this.limiters.get(authority);
    const news = hostNews(result, now, this.options.maxWaitMs, limiter?.windowMs);
    const batch = this.batch(authority);
    batch.requests += 1;
    if (news.failure) batch.failures += 1;
    let urgent = false;
    if (news.rateLimit) batch.rateLimit = news.rateLimit;
    const learnt = news.rateLimit ? limiterIn(this.limiters, authority, news.rateLimit) : limiter;
    // Sends that went without a slot (the one that taught us the limit, a probe) count against it too.
    if (learnt && (learnt !== limiter || probe)) learnt.note(result.startedAtMs);
    if (news.throttleUntilMs !== undefined) {
      batch.throttleUntilMs = Math.max(batch.throttleUntilMs ?? 0, news.throttleUntilMs);
      const host = this.hosts.get(authority);
      if (host) host.localUntilMs = Math.max(host.localUntilMs ?? 0, news.throttleUntilMs);
      urgent = true;
    }
    if (probe) {
      batch.probe = { workflowId, ok: !news.failure };
      urgent = true;
    }
    if (urgent) void this.flush();
  }

  /** The host's view as this worker last saw it (refreshed on first use, then every interval). */
  private async host(authority: string, now: number): Promise<CachedHost> {
    let host = this.hosts.get(authority);
    if (!host) {
      host = { view: await this.refresh(authority), usedAtMs: now };
      this.hosts.set(authority, host);
    }
    host.usedAtMs = now;
    return host;
  }

  /** Reads the host's view; a rate limit other workers learnt becomes this worker's too. */
  private async refresh(authority: string): Promise<HostView> {
    const view = await this.fetchView(authority);
    if (view.rateLimit) limiterIn(this.limiters, authority, view.rateLimit);
    return view;
  }

  private hold(authority: string, workflowId: string, state: HostState, untilMs: number | undefined): Admission {
    const batch = this.batch(authority);
    (batch.waiters ??= []).push(workflowId);
    return untilMs === undefined ? { go: false, reason: 'paused', state } : { go: false, reason: 'paused', state, untilMs };
  }

  private batch(authority: string): HostReport {
    let batch = this.batches.get(authority);
    if (!batch) this.batches.set(authority, (batch = { requests: 0, failures: 0 }));
    return batch;
  }

  /** Sends every batch, then refreshes the views of hosts in use. Overlapping calls coalesce. */
  flush(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.flushing) {
      this.flushAgain = true;
      return this.flushing;
    }
    this.flushing = this.flushOnce().finally(() => {
      this.flushing = undefined;
      if (this.flushAgain) {
        this.flushAgain = false;
        void this.flush();
      }
    });
    return this.flushing;
  }

  private async flushOnce(refresh = true): Promise<void> {
    const batches = this.batches;
    this.batches = new Map();
    const now = Date.now();
    await Promise.all(
      [...batches].map(async ([authority, report]) => {
        try {
          await this.report(authority, report);
        } catch (err) {
          this.options.onError?.(err, `report to ${hostWorkflowId(authority)}`);
          this.merge(authority, report); // try again next interval
        }
      }),
    );
    if (!refresh) return;
    await Promise.all(
      [...this.hosts].map(async ([authority, host]) => {
        if (now - host.usedAtMs > VIEW_TTL_MS) {
          this.hosts.delete(authority);
          this.limiters.delete(authority);
          this.resumeLimiters.delete(authority);
          return;
        }
        const held = host.view.state !== 'closed' || host.view.draining;
        if (!held && !batches.has(authority)) return;
        host.view = await this.refresh(authority);
        if (host.localUntilMs !== undefined && host.localUntilMs <= Date.now()) host.localUntilMs = undefined;
      }),
    );
  }

  private async report(authority: string, report: HostReport): Promise<void> {
    await this.options.client.workflow.signalWithStart<typeof hostCircuit, [HostReport]>('hostCircuit', {
      ...hostCircuitStart(authority, this.options.taskQueue, this.options.settings),
      signal: reportSignal,
      signalArgs: [report],
    });
    this.reportsSent += 1;
  }

  private merge(authority: string, old: HostReport): void {
    const batch = this.batch(authority);
    batch.requests += old.requests;
    batch.failures += old.failures;
    if (old.waiters) (batch.waiters ??= []).push(...old.waiters);
    batch.probe ??= old.probe;
    batch.rateLimit ??= old.rateLimit;
    if (old.throttleUntilMs !== undefined) batch.throttleUntilMs = Math.max(batch.throttleUntilMs ?? 0, old.throttleUntilMs);
  }

  /** One query per host at a time, however many attempts ask at once. */
  private fetchView(authority: string): Promise<HostView> {
    let pending = this.fetching.get(authority);
    if (!pending) {
      pending = this.queryView(authority).finally(() => this.fetching.delete(authority));
      this.fetching.set(authority, pending);
    }
    return pending;
  }

  private async queryView(authority: string): Promise<HostView> {
    const { client } = this.options;
    try {
      // A deadline on the call itself: when the host workflow's last task was on a worker that
      // died, its queries wait for the sticky queue to time out, and attempts must not wait too.
      return await client.withDeadline(Date.now() + QUERY_TIMEOUT_MS, () => client.workflow.getHandle(hostWorkflowId(authority)).query(hostQuery));
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) this.options.onError?.(err, `query ${hostWorkflowId(authority)}`);
      return this.hosts.get(authority)?.view ?? idleHostView(authority);
    }
  }
}

/** The limiter of `authority` in `limiters`, created or set to `policy`. */
function limiterIn(limiters: Map<string, SlotLimiter>, authority: string, policy: RateLimitPolicy): SlotLimiter {
  const limiter = limiters.get(authority);
  if (limiter) {
    limiter.setPolicy(policy);
    return limiter;
  }
  const created = new SlotLimiter(policy);
  limiters.set(authority, created);
  return created;
}
