/**
 * Hookflow's own Prometheus metrics (prom-client), recorded on the worker as its delivery
 * workflows hand over their ledger records (activities/ledger), never from workflow code.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { HOST_STATES } from '../breaker/definitions';
import type { LedgerRecord } from '../ledger/rows';
import { countsOf } from './outcomes';
import { boundedHostStates, OTHER_HOSTS, type HostStateSource } from './host-states';

/** Keys of records counted lately: a record handed over twice (a retried activity) is counted once. */
const REMEMBERED = 20_000;

export const METRIC_NAMES = {
  attempts: 'hookflow_attempts_total',
  deliveries: 'hookflow_deliveries_total',
  attemptDuration: 'hookflow_attempt_duration_seconds',
  deliveryLatency: 'hookflow_delivery_latency_seconds',
  breakerHosts: 'hookflow_breaker_hosts',
} as const;

export class DeliveryMetrics {
  private readonly attempts: Counter<'outcome' | 'status_class'>;
  private readonly deliveries: Counter<'outcome' | 'status_class'>;
  private readonly attemptDuration: Histogram<'status_class'>;
  private readonly latency: Histogram;
  private readonly seen = new Set<string>();

  constructor(registry: Registry) {
    const registers = [registry];
    this.attempts = new Counter({
      name: METRIC_NAMES.attempts,
      help: 'HTTP attempts by outcome (delivered, retried, failed, blocked) and status class (2xx…5xx, none when no answer came)',
      labelNames: ['outcome', 'status_class'],
      registers,
    });
    this.deliveries = new Counter({
      name: METRIC_NAMES.deliveries,
      help: 'Webhooks finished, by outcome (delivered, failed, blocked, cancelled) and the status class of their last attempt',
      labelNames: ['outcome', 'status_class'],
      registers,
    });
    this.attemptDuration = new Histogram({
      name: METRIC_NAMES.attemptDuration,
      help: 'Duration of one HTTP attempt, from sending to the end of the answer (or the error)',
      labelNames: ['status_class'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 90],
      registers,
    });
    this.latency = new Histogram({
      name: METRIC_NAMES.deliveryLatency,
      help: 'Time from a webhook being triggered to its delivery (retries and waits included; webhooks delivered by a manual retry are left out)',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 3600, 21600, 86400, 259200],
      registers,
    });
  }

  /** Counts what a ledger record tells: attempts decided, and the outcome of a finished webhook. */
  observe(record: LedgerRecord): void {
    const { attempts, delivery } = countsOf(record);
    for (const a of attempts) {
      if (!this.first(a.key)) continue;
      this.attempts.inc({ outcome: a.outcome, status_class: a.statusClass });
      this.attemptDuration.observe({ status_class: a.statusClass }, a.durationMs / 1000);
    }
    if (delivery && this.first(delivery.key)) {
      this.deliveries.inc({ outcome: delivery.outcome, status_class: delivery.statusClass });
      if (delivery.latencyMs !== undefined) this.latency.observe(delivery.latencyMs / 1000);
    }
  }

  private first(key: string): boolean {
    if (this.seen.has(key)) return false;
    this.seen.add(key);
    // A Set iterates in insertion order: the oldest key goes first.
    if (this.seen.size > REMEMBERED) this.seen.delete(this.seen.values().next().value as string);
    return true;
  }
}

/**
 * `hookflow_breaker_hosts{host, state}`: hosts in each breaker state as this worker's last lease
 * from each saw them. At most `maxHosts` hosts are named (those not closed first, then the most
 * recently used); the rest are summed under `host="(other)"`, so the series stay bounded.
 */
export function registerBreakerMetrics(registry: Registry, source: HostStateSource, maxHosts: number): void {
  new Gauge<'host' | 'state'>({
    name: METRIC_NAMES.breakerHosts,
    help: `Hosts in each breaker state (closed, open, half-open, throttled, paused) as this worker last saw them; beyond the ${maxHosts} named hosts (HOOKFLOW_METRICS_HOSTS), the rest are counted under host="(other)"`,
    labelNames: ['host', 'state'],
    registers: [registry],
    collect() {
      this.reset();
      for (const { host, state, count } of boundedHostStates(source(), maxHosts)) {
        // Every state of a named host, so a host leaving a state shows a 0 rather than a gap.
        if (host !== OTHER_HOSTS) for (const s of HOST_STATES) this.set({ host, state: s }, s === state ? 1 : 0);
        else this.set({ host, state }, count);
      }
    },
  });
}
