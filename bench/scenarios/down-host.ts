/**
 * Many webhooks to a host that is down, then recovers: what waiting costs the worker, how many
 * requests still reach the host while its breaker is open, and how the queue drains afterwards.
 */
import { closedLoop } from '../lib/load';
import { memoryMb } from '../../src/dev/proc-stats';
import { now, startBenchReceiver } from '../lib/receiver';
import { peakPerWindow } from '../../src/dev/peak';
import { round } from '../lib/stats';
import type { HookflowSystem } from '../lib/systems';
import { hostWorkflowId } from '../../src/breaker/definitions';

export interface DownHostFigures {
  webhooks: number;
  resumeRatePerSec: number;
  /** Worker RSS, the highest sample (every 500 ms) while the webhooks are started and make their first attempts. */
  workerRssWhileStartingMb: number;
  /** The highest sample once (nearly) every webhook waits on the host, until it recovers. */
  workerRssWhileWaitingMb: number;
  /** The highest sample while the queue drains. */
  workerRssWhileDrainingMb: number;
  workerPeakRssMb: number;
  /** Requests that reached the host before its breaker opened (first attempts, mostly). */
  requestsBeforeOpen: number;
  requestsWhileOpen: number;
  secondsObservedOpen: number;
  pausedWebhooksSeen: number;
  drainSeconds: number;
  peakRequestsPerSecondWhileDraining: number;
  hostWorkflowRuns: number;
  hostWorkflowMaxHistory: number;
}

export async function downHost(system: HookflowSystem, count: number, resumeRate: number, log: (s: string) => void): Promise<DownHostFigures> {
  let up = false;
  const receiver = await startBenchReceiver(() => (up ? 200 : 503));
  // The highest RSS sample of each phase.
  const rss = { starting: 0, waiting: 0, draining: 0 };
  let phase: keyof typeof rss = 'starting';
  const sampler = setInterval(() => (rss[phase] = Math.max(rss[phase], memoryMb(system.worker.pid)?.rss ?? 0)), 500);
  try {
    await closedLoop(count, 64, (id) => system.trigger(id, receiver.url), 'down');
    log(`  down-host: ${count} webhooks started, ${receiver.arrivals.length} requests so far`);
    const deadline = now() + 600_000;
    let view = await system.hookflow.hostStatus(receiver.authority);
    // Wait until (nearly) every webhook waits on the host: first attempts done, retries held.
    while (now() < deadline && !(view.state !== 'closed' && view.pausedWebhooks >= count - 2)) {
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      view = await system.hookflow.hostStatus(receiver.authority);
    }
    const pausedWebhooksSeen = view.pausedWebhooks;
    phase = 'waiting';
    const openedAt = Date.parse(view.openedAt ?? new Date().toISOString());
    log(`  down-host: host ${view.state}, ${pausedWebhooksSeen} webhooks paused; holding 15 s more`);
    await new Promise((resolve) => setTimeout(resolve, 15_000));
    up = true;
    phase = 'draining';
    const recoveredAt = now();
    const duringOpen = receiver.arrivals.filter((at) => at > openedAt + 1_000 && at < recoveredAt);
    await receiver.waitForDistinct(count, 1_800_000);
    const lastAt = Math.max(...receiver.firstArrival.values());
    const draining = receiver.arrivals.filter((at) => at >= recoveredAt);

    let runs = 0;
    let maxHistory = 0;
    for await (const run of system.hookflow.client.workflow.list({ query: `WorkflowId = '${hostWorkflowId(system.hookflow.hostQueue, receiver.authority)}'` })) {
      runs += 1;
      // Visibility fills in the length when a run closes; ask the running one directly.
      const length = run.status.name === 'RUNNING' ? (await system.hookflow.client.workflow.getHandle(run.workflowId, run.runId).describe()).historyLength : run.historyLength;
      maxHistory = Math.max(maxHistory, length);
    }
    return {
      webhooks: count,
      resumeRatePerSec: resumeRate,
      workerRssWhileStartingMb: round(rss.starting),
      workerRssWhileWaitingMb: round(rss.waiting),
      workerRssWhileDrainingMb: round(rss.draining),
      workerPeakRssMb: round(memoryMb(system.worker.pid)?.peak ?? 0),
      requestsBeforeOpen: receiver.arrivals.filter((at) => at <= openedAt + 1_000).length,
      requestsWhileOpen: duringOpen.length,
      secondsObservedOpen: round((recoveredAt - openedAt - 1_000) / 1000, 1),
      pausedWebhooksSeen,
      drainSeconds: round((lastAt - recoveredAt) / 1000, 1),
      peakRequestsPerSecondWhileDraining: peakPerWindow(draining, 1_000),
      hostWorkflowRuns: runs,
      hostWorkflowMaxHistory: maxHistory,
    };
  } finally {
    clearInterval(sampler);
    await receiver.close();
  }
}
