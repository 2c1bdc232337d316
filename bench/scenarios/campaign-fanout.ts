/**
 * Campaign fan-out: N recipients of one API-triggered campaign (one `triggerCampaign` call per
 * 10,000) against N single webhooks sent with the SDK (64 in flight), on the same worker, the same
 * Temporal and the same PostgreSQL, one after the other. Deliveries per second from the first call
 * to the N-th first arrival, and the dispatch workflow's history size.
 */
import { closedLoop } from '../lib/load';
import { now, startBenchReceiver } from '../lib/receiver';
import { round } from '../lib/stats';
import type { HookflowSystem } from '../lib/systems';
import { dispatchWorkflowId } from '../../src/campaign/definitions';
import { BENCH_RUN } from '../lib/systems';

export interface FanoutFigures {
  recipients: number;
  singleDeliveriesPerSec: number;
  campaignDeliveriesPerSec: number;
  /** campaign / single. */
  ratio: number;
  /** Runs of the dispatch workflow, and the longest history among them. */
  dispatchRuns: number;
  dispatchMaxHistory: number;
}

const PER_CALL = 10_000;

export async function campaignFanout(system: HookflowSystem, count: number, log: (s: string) => void): Promise<FanoutFigures> {
  const single = await startBenchReceiver();
  const fanout = await startBenchReceiver();
  try {
    const singles = async (): Promise<number> => {
      const start = now();
      await closedLoop(count, 64, (id) => system.trigger(id, single.url), 'single');
      await single.waitForDistinct(count, 1_800_000);
      const seconds = (Math.max(...single.firstArrival.values()) - start) / 1000;
      log(`  campaign-fanout: ${count} single webhooks in ${round(seconds, 2)} s`);
      return seconds;
    };

    const { hookflow } = system;
    const campaignId = `fanout-${BENCH_RUN}`;
    await hookflow.saveTemplate(`${campaignId}-tpl`, { url: fanout.url, headers: { 'x-bench-id': '{{ recipient.id }}' }, body: { id: '{{ recipient.id }}' } });
    await hookflow.putCampaign(campaignId, { template: { id: `${campaignId}-tpl` }, trigger: { type: 'api' } });
    const dispatches: string[] = [];
    const campaign = async (): Promise<number> => {
      const start = now();
      for (let from = 0; from < count; from += PER_CALL) {
        const recipients = Array.from({ length: Math.min(PER_CALL, count - from) }, (_, i) => ({ id: `fan-${from + i}` }));
        dispatches.push((await hookflow.triggerCampaign(campaignId, { recipients })).dispatchId);
      }
      await fanout.waitForDistinct(count, 1_800_000);
      const seconds = (Math.max(...fanout.firstArrival.values()) - start) / 1000;
      log(`  campaign-fanout: ${count} campaign recipients in ${round(seconds, 2)} s`);
      return seconds;
    };
    // BENCH_FANOUT_ORDER=campaign-first swaps the halves, to tell load that changed during the run from the paths' own cost.
    const campaignFirst = process.env.BENCH_FANOUT_ORDER === 'campaign-first';
    let singleSeconds: number;
    let campaignSeconds: number;
    if (campaignFirst) {
      campaignSeconds = await campaign();
      singleSeconds = await singles();
    } else {
      singleSeconds = await singles();
      campaignSeconds = await campaign();
    }
    let runs = 0;
    let maxHistory = 0;
    for (const dispatchId of dispatches) {
      for await (const run of hookflow.client.workflow.list({ query: `WorkflowId = '${dispatchWorkflowId(dispatchId)}'` })) {
        runs += 1;
        maxHistory = Math.max(maxHistory, run.historyLength);
      }
    }
    const singlePerSec = round(count / singleSeconds);
    const campaignPerSec = round(count / campaignSeconds);
    return { recipients: count, singleDeliveriesPerSec: singlePerSec, campaignDeliveriesPerSec: campaignPerSec, ratio: round(campaignPerSec / singlePerSec, 2), dispatchRuns: runs, dispatchMaxHistory: maxHistory };
  } finally {
    await single.close();
    await fanout.close();
  }
}
