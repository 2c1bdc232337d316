/**
 * The worker's side of the per-host circuit breaker: one gate per worker process, in front of
 * every send attempt (a worker service that the send activity asks, not an activity itself).
 *
 * Leases. The gate sends to a host only on a lease from the host's workflow: the host's mode
 * (free, paced, draining, probing or held) as of the gate's last request, acted on until the
 * lease's end (two report intervals). While it sends to a host the gate renews the lease every
 * report interval, and the same message carries its aggregated news (requests, failures, webhooks
 * now waiting, a probe's result), so a healthy host costs one message per worker per interval,
 * never one per delivery. A host this gate has not used for a lease's length is asked again before
 * the next attempt there. An operator's pause is answered once every lease from before it has been
 * renewed or has run out: after that answer no worker starts an attempt to the host.
 *
 * Slots. A paced host (recovering from an outage, or with an advertised rate limit) hands out send
 * times from its one schedule: a released webhook or a probe brings its slot in its resume signal,
 * other attempts take one from the block this gate leased. The attempt waits for its slot here,
 * with a real timer (a workflow timer fires no sooner than one second, which would bunch sends up).
 */
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import {
  hostWorkflowId,
  LEASE_TIMEOUT_MS,
  MAX_SLOT_WAIT_MS,
  type BreakerSettings,
  type HostReport,
  type HostState,
  type Lease,
  type RateLimitPolicy,
  type Waiter,
} from '../../src/breaker/definitions';
import { hostNews } from '../../src/breaker/host-news';
import { SLOT_LATENESS_MS, slotTimes } from '../../src/breaker/pacer';
import type { SendAttemptResult } from '../../src/delivery/definitions';
import { HostChannel } from './host-channel';

export type Admission =
  | { go: true }
  | { go: false; reason: 'paused'; state: HostState; untilMs?: number }
  | { go: false; reason: 'rate-limit' }
  | { go: false; reason: 'deadline'; slotMs: number };

/** What the delivery workflow says about its attempt. */
export interface Ask {
  /** Numbers the attempt; a webhook held here is resumed for this ticket. */
  ticket: number;
  /** The host workflow chose this webhook as its half-open probe. */
  probe?: boolean;
  /** The host workflow released this webhook from its queue. */
  released?: boolean;
  /** The send slot the host workflow gave it. */
  slotMs?: number;
  /** End of the webhook's retry window: a slot after it is no use. */
  deadlineMs?: number;
}

export interface HostGateOptions {
  client: Client;
  /** The host workflows' task queue (src/breaker/definitions.ts hostTaskQueue), which also names them. */
  hostQueue: string;
  settings: BreakerSettings;
  reportIntervalMs: number;
  /** Longest wait a host may impose (HOOKFLOW_MAX_RETRY_AFTER_MS). */
  maxWaitMs: number;
  onError?: (err: unknown, what: string) => void;
}

interface HostEntry {
  key: string;
  lease?: Lease;
  asking?: Promise<Lease | undefined>;
  /** Numbers the lease requests, so an attempt knows whether the one it awaits counted it. */
  asks: number;
  /** Unused slots of this gate's leased blocks, in time order. */
  slots: number[];
  /** News not yet sent. */
  batch: HostReport;
  usedAtMs: number;
  /** Attempts let through since the last lease request: the demand the next block is sized for. */
  admitted: number;
  /** Attempts waiting for the next block. */
  wanting: number;
  /** This worker saw the host ask to wait until then, before its workflow knew. */
  localUntilMs?: number;
  /** The host's advertised limit as this worker last learnt it. */
  rateLimit?: RateLimitPolicy;
}

const GO: Admission = { go: true };
/** A host unused this long is forgotten; its lease ran out long before. */
const FORGET_AFTER_MS = 60_000;
/** Bound on the last reports sent as the worker stops. */
const STOP_REPORT_TIMEOUT_MS = 5_000;

const emptyReport = (): HostReport => ({ requests: 0, failures: 0 });
const hasNews = (r: HostReport): boolean =>
  r.requests > 0 || (r.waiters?.length ?? 0) > 0 || r.probe !== undefined || r.throttleUntilMs !== undefined || r.rateLimit !== undefined;
const isValid = (lease: Lease | undefined): lease is Lease => lease !== undefined && Date.now() < lease.untilMs;
/** Whether a lease lets an attempt with this go-ahead from the host workflow send. */
const allows = (lease: Lease, ask: Ask): boolean =>
  lease.mode === 'probing' ? ask.probe === true : lease.mode !== 'held' && (lease.mode !== 'draining' || ask.released === true);

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(resolve, Math.max(0, ms));
    signal?.addEventListener('abort', () => (clearTimeout(timer), reject(signal.reason)), { once: true });
  });
}

export class HostGate {
  readonly workerId = randomUUID();
  private readonly hosts = new Map<string, HostEntry>();
  private readonly channel: HostChannel;
  private timer?: NodeJS.Timeout;

  constructor(private readonly options: HostGateOptions) {
    this.channel = new HostChannel(options.client, options.hostQueue, options.settings);
  }

  /** Each host this gate knows, with the breaker state of its last lease (for the metrics). */
  hostStates(): { host: string; state: HostState; usedAtMs: number }[] {
    return [...this.hosts.values()].map((h) => ({ host: h.key, state: h.lease?.state ?? 'closed', usedAtMs: h.usedAtMs }));
  }

  /** Messages (lease requests and reports) sent to host workflows, for tests and benchmarks. */
  get messagesSent(): number {
    return this.channel.sent;
  }

  start(): void {
    this.timer ??= setInterval(() => void this.flush(), this.options.reportIntervalMs);
    this.timer.unref();
  }

  /** Stops renewing, and sends what is still batched. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await Promise.all([...this.hosts.values()].map((h) => h.asking));
    // The worker is going: a signal needs no worker to answer it, unlike a lease request.
    const deadline = Date.now() + STOP_REPORT_TIMEOUT_MS;
    await Promise.all(
      [...this.hosts.values()]
        .filter((h) => hasNews(h.batch))
        .map((h) => this.channel.report(h.key, h.batch, deadline).catch((err) => this.options.onError?.(err, `report to ${hostWorkflowId(this.options.hostQueue, h.key)}`))),
    );
  }

  /** Whether this attempt may go now; it may wait here for its send slot first. */
  async admit(key: string, workflowId: string, ask: Ask, signal?: AbortSignal): Promise<Admission> {
    const host = this.entry(key);
    host.usedAtMs = Date.now();
    const waiter = { workflowId, ticket: ask.ticket };
    let lease = await this.current(host);
    // The host workflow sent this webhook its go-ahead itself: that news may be newer than our lease.
    if (lease && (ask.probe || ask.released) && !allows(lease, ask)) lease = await this.current(host, true);
    // No answer from the host workflow in time: hold rather than send on old news (an operator's pause must hold).
    if (!lease) return this.holdOn(host, waiter, host.lease);
    if (host.localUntilMs !== undefined && host.localUntilMs > Date.now()) return this.hold(host, waiter, 'throttled', host.localUntilMs);
    switch (lease.mode) {
      case 'free':
        host.admitted += 1;
        return GO;
      case 'held':
        return this.holdOn(host, waiter, lease);
      case 'probing':
        return ask.probe ? this.atSlot(host, waiter, ask, ask.slotMs, signal) : this.holdOn(host, waiter, lease);
      case 'draining':
        return ask.released ? this.atSlot(host, waiter, ask, ask.slotMs, signal) : this.queue(host, waiter);
      case 'paced':
        if (ask.released && ask.slotMs !== undefined) return this.atSlot(host, waiter, ask, ask.slotMs, signal);
        return this.atBlockSlot(host, waiter, ask, lease, signal);
    }
  }

  /**
   * Makes sure this gate holds a current lease on the host, admitting nothing. An attempt that will
   * wait for a rate-limit slot calls it first, so that its admission after the wait is immediate:
   * waiting for a first lease after the slot would make it late (and several such at once).
   */
  async prepare(key: string): Promise<void> {
    const host = this.entry(key);
    host.usedAtMs = Date.now();
    await this.current(host);
  }

  /** An attempt paced from this gate's block of slots; with none to be had it queues at the host. */
  private async atBlockSlot(host: HostEntry, waiter: Waiter, ask: Ask, lease: Lease, signal?: AbortSignal): Promise<Admission> {
    const slot = await this.blockSlot(host);
    if (slot !== undefined) return this.atSlot(host, waiter, { ...ask, fromBlock: true }, slot, signal);
    // No slot: the host's answer may have changed its mode meanwhile (its pace caught up, or it was paused).
    const now = await this.current(host);
    if (!now || now.mode === 'held' || now.mode === 'probing') return this.holdOn(host, waiter, now ?? lease);
    if (now.mode !== 'free') return this.queue(host, waiter);
    host.admitted += 1;
    return GO;
  }

  /** Adds an attempt's outcome to this worker's news for its host; what must travel at once goes at once. */
  record(key: string, workflowId: string, ticket: number, result: SendAttemptResult, probe: boolean): void {
    const host = this.entry(key);
    const now = Date.now();
    const news = hostNews(result, now, this.options.maxWaitMs, host.rateLimit?.windowMs);
    const batch = host.batch;
    batch.requests += 1;
    if (news.failure) batch.failures += 1;
    let urgent = false;
    if (news.rateLimit) {
      urgent = news.rateLimit.limit !== host.rateLimit?.limit || news.rateLimit.windowMs !== host.rateLimit?.windowMs;
      batch.rateLimit = host.rateLimit = news.rateLimit;
    }
    if (news.throttleUntilMs !== undefined) {
      batch.throttleUntilMs = Math.max(batch.throttleUntilMs ?? 0, news.throttleUntilMs);
      host.localUntilMs = Math.max(host.localUntilMs ?? 0, news.throttleUntilMs);
      urgent = true;
    }
    if (probe) {
      batch.probe = { workflowId, ticket, ok: !news.failure };
      urgent = true;
    }
    // A limit learnt just now: this worker's lease may still say "send freely". Its next attempt
    // waits for the answer to the report below instead (other workers learn at their next renewal).
    if (news.rateLimit && urgent && host.lease?.mode === 'free') host.lease = undefined;
    if (urgent) void this.ask(host);
  }

  /** Renews the lease of every host in use and sends all news. Runs every report interval. */
  async flush(): Promise<void> {
    const now = Date.now();
    const asks: Promise<unknown>[] = [];
    for (const host of this.hosts.values()) {
      if (hasNews(host.batch) || now - host.usedAtMs < this.options.settings.leaseMs) asks.push(this.ask(host));
      else if (now - host.usedAtMs > FORGET_AFTER_MS && !host.asking) this.hosts.delete(host.key);
    }
    await Promise.all(asks);
  }

  private entry(key: string): HostEntry {
    let host = this.hosts.get(key);
    if (!host) {
      host = { key, asks: 0, slots: [], batch: emptyReport(), usedAtMs: Date.now(), admitted: 0, wanting: 0 };
      this.hosts.set(key, host);
    }
    return host;
  }

  /** A lease to act on now: the one held if still valid (unless `force`), else a fresh one; undefined if none came in time. */
  private async current(host: HostEntry, force = false): Promise<Lease | undefined> {
    if (!force && isValid(host.lease)) return host.lease;
    const lease = await this.ask(host);
    if (isValid(lease) || !lease) return lease;
    // The answer came after its own end (a busy host workflow or worker): ask once more before holding.
    const again = await this.ask(host);
    return isValid(again) ? again : undefined;
  }

  /** One lease request per host at a time, carrying the news batched so far. */
  private ask(host: HostEntry): Promise<Lease | undefined> {
    if (host.asking) return host.asking;
    const report = host.batch;
    host.batch = emptyReport();
    const now = Date.now();
    this.dropLateSlots(host, now);
    // While the host drains its queue only released webhooks that came too late for their slot want one.
    const slots = host.lease?.mode === 'draining' ? host.wanting : Math.max(0, host.admitted + host.wanting - host.slots.length);
    host.admitted = 0;
    host.asks += 1;
    const request = { workerId: this.workerId, ttlMs: this.options.settings.leaseMs, slots, report };
    host.asking = this.channel
      .lease(host.key, request, now + LEASE_TIMEOUT_MS)
      .then(
        (lease) => {
          host.lease = lease;
          // Slots stay good while the host paces (paced, or draining its queue); otherwise they are void.
          if (lease.mode !== 'paced' && lease.mode !== 'draining') host.slots = [];
          else if (lease.slots) host.slots.push(...slotTimes(lease.slots));
          return lease;
        },
        (err: unknown) => {
          this.options.onError?.(err, `lease from ${hostWorkflowId(this.options.hostQueue, host.key)}`);
          this.merge(host, report);
          return undefined;
        },
      )
      .finally(() => (host.asking = undefined));
    return host.asking;
  }

  /** A slot from this gate's block, asking the host for more if it has none left. */
  private async blockSlot(host: HostEntry): Promise<number | undefined> {
    const first = this.takeSlot(host);
    if (first !== undefined) return first;
    host.wanting += 1;
    // Requests numbered above this one are sent with this attempt counted in `wanting`.
    const counted = host.asks;
    try {
      for (;;) {
        const joined = host.asking ? host.asks : host.asks + 1;
        await this.ask(host);
        const slot = this.takeSlot(host);
        // Done when a slot came, or when a request that counted this attempt came back without one.
        if (slot !== undefined || joined > counted) return slot;
      }
    } finally {
      host.wanting -= 1;
    }
  }

  private takeSlot(host: HostEntry): number | undefined {
    this.dropLateSlots(host, Date.now());
    return host.slots.shift();
  }

  private dropLateSlots(host: HostEntry, nowMs: number): void {
    while (host.slots.length > 0 && host.slots[0] + SLOT_LATENESS_MS < nowMs) host.slots.shift();
  }

  /** Waits for the attempt's slot, then checks that the host still lets it go. */
  private async atSlot(host: HostEntry, waiter: Waiter, ask: Ask & { fromBlock?: boolean }, slotMs: number | undefined, signal?: AbortSignal): Promise<Admission> {
    if (slotMs !== undefined) {
      const now = Date.now();
      // Too late for the slot the host gave it (a busy worker): a fresh one from the same schedule
      // rather than a place at the back of the queue. Sending late would crowd the next slot.
      if (slotMs + SLOT_LATENESS_MS < now && !ask.fromBlock && host.lease?.mode !== 'probing') {
        return this.atBlockSlot(host, waiter, ask, host.lease as Lease, signal);
      }
      if (slotMs + SLOT_LATENESS_MS < now || slotMs - now > MAX_SLOT_WAIT_MS) return this.queue(host, waiter);
      if (ask.deadlineMs !== undefined && slotMs > ask.deadlineMs) return { go: false, reason: 'deadline', slotMs };
      await sleep(slotMs - now, signal);
      // The host may have been paused while this attempt waited.
      const lease = await this.current(host);
      if (!lease || lease.mode === 'held' || (lease.mode === 'probing' && !ask.probe)) return this.holdOn(host, waiter, lease ?? host.lease);
      if (Date.now() > slotMs + SLOT_LATENESS_MS) return this.queue(host, waiter);
    }
    host.admitted += 1;
    return GO;
  }

  private queue(host: HostEntry, waiter: Waiter): Admission {
    (host.batch.waiters ??= []).push(waiter);
    return { go: false, reason: 'rate-limit' };
  }

  private holdOn(host: HostEntry, waiter: Waiter, lease: Lease | undefined): Admission {
    return this.hold(host, waiter, lease?.state ?? 'closed', lease?.resumeAtMs);
  }

  private hold(host: HostEntry, waiter: Waiter, state: HostState, untilMs: number | undefined): Admission {
    (host.batch.waiters ??= []).push(waiter);
    return untilMs === undefined ? { go: false, reason: 'paused', state } : { go: false, reason: 'paused', state, untilMs };
  }

  /** News whose request failed goes with the next one. */
  private merge(host: HostEntry, old: HostReport): void {
    const batch = host.batch;
    batch.requests += old.requests;
    batch.failures += old.failures;
    if (old.waiters) (batch.waiters ??= []).unshift(...old.waiters);
    batch.probe ??= old.probe;
    batch.rateLimit ??= old.rateLimit;
    if (old.throttleUntilMs !== undefined) batch.throttleUntilMs = Math.max(batch.throttleUntilMs ?? 0, old.throttleUntilMs);
  }
}
