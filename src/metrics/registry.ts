/**
 * One Prometheus registry per Hookflow process: the process's own metrics (CPU, memory, event
 * loop), the worker's delivery and breaker metrics when a worker runs in it, and the Temporal
 * SDK's runtime metrics (src/metrics/temporal-runtime.ts), all in one exposition.
 */
import { collectDefaultMetrics, Registry } from 'prom-client';
import { DeliveryMetrics, registerBreakerMetrics } from './delivery-metrics';
import type { HostStateSource } from './host-states';
import type { TemporalRuntimeMetrics } from './temporal-runtime';

export class HookflowMetrics {
  readonly registry = new Registry();
  readonly deliveries: DeliveryMetrics;

  constructor(
    private readonly options: { maxHosts: number; temporal?: TemporalRuntimeMetrics },
  ) {
    collectDefaultMetrics({ register: this.registry });
    this.deliveries = new DeliveryMetrics(this.registry);
  }

  /** The worker's breaker view; one worker per process registers it. */
  watchHosts(source: HostStateSource): void {
    registerBreakerMetrics(this.registry, source, this.options.maxHosts);
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The text exposition: Hookflow's metrics, then the Temporal runtime's (prefixed `temporal_`). */
  async text(): Promise<string> {
    const own = await this.registry.metrics();
    const temporal = this.options.temporal ? await this.options.temporal.text() : '';
    return temporal ? `${own}\n${temporal}` : own;
  }
}
