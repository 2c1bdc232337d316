/**
 * The standard measurement of one system: sustained throughput over N deliveries, then
 * trigger-to-receipt latency at half that rate, CPU per 1,000 deliveries, peak worker memory and
 * history events per first-try delivery.
 */
import { closedLoop, openLoop } from './load';
import { cpuSeconds, memoryMb } from '../../src/dev/proc-stats';
import { now, startBenchReceiver } from './receiver';
import { latencySummary, round } from './stats';
import type { System } from './systems';

export interface Figures {
  deliveries: number;
  deliveriesPerSec: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  latencyRate: number;
  cpuSecondsPer1000: number;
  /** The same, per process (worker, Temporal server, …). */
  cpuSecondsPer1000ByProcess: number[];
  peakRssMb?: number;
  historyEventsPerDelivery?: number;
}

export interface MeasureOptions {
  count: number;
  inFlight: number;
  /** Most latency samples (at half the measured rate). */
  latencyCount: number;
  log: (line: string) => void;
}

const WARMUP = 50;

export async function measure(system: System, options: MeasureOptions): Promise<Figures> {
  const receiver = await startBenchReceiver();
  try {
    await closedLoop(WARMUP, 10, (id) => system.trigger(id, receiver.url), 'warm');
    await receiver.waitForDistinct(WARMUP, 60_000);

    const groups = system.pids();
    const pids = groups.flat();
    const cpuBefore = pids.map(cpuSeconds);
    const startedAt = await closedLoop(options.count, options.inFlight, (id) => system.trigger(id, receiver.url), 'tput');
    await receiver.waitForDistinct(WARMUP + options.count, 600_000);
    const lastAt = Math.max(...[...receiver.firstArrival].filter(([id]) => id.startsWith('tput-')).map(([, at]) => at));
    const cpuByPid = new Map(pids.map((pid, i) => [pid, cpuSeconds(pid) - cpuBefore[i]]));
    const cpuByProcess = groups.map((group) => group.reduce((sum, pid) => sum + (cpuByPid.get(pid) ?? 0), 0));
    const cpu = cpuByProcess.reduce((a, b) => a + b, 0);
    const deliveriesPerSec = options.count / ((lastAt - startedAt) / 1000);
    options.log(`  ${system.name}: ${options.count} deliveries at ${round(deliveriesPerSec)}/s, ${round(cpu, 2)} CPU s`);

    const rate = Math.max(1, Math.floor(deliveriesPerSec / 2));
    const latencyCount = Math.min(options.latencyCount, Math.max(100, rate * 15));
    const scheduled = await openLoop(latencyCount, rate, (id) => system.trigger(id, receiver.url), 'lat');
    await receiver.waitForDistinct(WARMUP + options.count + latencyCount, 600_000);
    const latencies = [...scheduled].map(([id, at]) => receiver.firstArrival.get(id)! - at);
    const latency = latencySummary(latencies);
    options.log(`  ${system.name}: latency at ${rate}/s over ${latencyCount}: p50 ${latency.p50Ms} ms, p99 ${latency.p99Ms} ms`);

    const figures: Figures = {
      deliveries: options.count,
      deliveriesPerSec: round(deliveriesPerSec),
      ...latency,
      latencyRate: rate,
      cpuSecondsPer1000: round((cpu / options.count) * 1000, 2),
      // Per group: the worker(s), the Temporal server, Hookflow's PostgreSQL.
      cpuSecondsPer1000ByProcess: cpuByProcess.map((c) => round((c / options.count) * 1000, 2)),
    };
    const workerPid = system.workerPid?.();
    const memory = workerPid ? memoryMb(workerPid) : undefined;
    if (memory) figures.peakRssMb = round(memory.peak);
    if (system.historyEvents) {
      const sample = Array.from({ length: 20 }, (_, i) => `tput-${Math.floor((i * options.count) / 20)}`);
      figures.historyEventsPerDelivery = round(await system.historyEvents(sample), 2);
    }
    return figures;
  } finally {
    await receiver.close();
  }
}

export { now };
