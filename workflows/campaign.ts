/**
 * One campaign dispatch (an API trigger call, or one scheduled run) = one run of this workflow:
 * it starts its recipients' webhooks a page at a time until none is left. The recipients live in
 * PostgreSQL, never in its history (they are personal data, and a dispatch may have 100,000), so a
 * page costs a few events; it continues as new every MAX_PAGES_PER_RUN pages. Each webhook is a
 * workflow of its own (not a child), so this one's history never grows with the webhooks'.
 */
import * as wf from '@temporalio/workflow';
import { campaignChangedSignal, type CampaignActivities, type DispatchCampaignWorkflow, type DispatchInput } from '../src/campaign/definitions';

/** At most about 2,500 events per run (a paced page adds a timer): far from Temporal's history limits. */
const MAX_PAGES_PER_RUN = 200;
/** A paused dispatch looks again this often even if no resume signal came. */
const PAUSE_RECHECK = '1m';

const { createScheduledDispatch, dispatchPage, completeDispatch } = wf.proxyActivities<CampaignActivities>({
  startToCloseTimeout: '10m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' },
});

export async function dispatchCampaign(input: DispatchInput): Promise<void> {
  const dispatchId = input.dispatchId ?? (await createScheduledDispatch({ campaignId: input.campaignId, runKey: wf.workflowInfo().workflowId }));
  if (dispatchId === undefined) return;
  let changed = false;
  wf.setHandler(campaignChangedSignal, () => void (changed = true));
  let pacedUntilMs = input.pacedUntilMs;
  for (let pages = 0; ; pages++) {
    const page = await dispatchPage({ dispatchId, limit: input.pageSize, ...(input.hops ? { hops: input.hops } : {}), ...(pacedUntilMs ? { pacedUntilMs } : {}) });
    pacedUntilMs = page.pacedUntilMs ?? pacedUntilMs;
    if (page.state === 'done') break;
    if (page.state === 'paused' || page.nextPageInMs) {
      // A pause, or a rate limit whose slots run far ahead (src/campaign/pace.ts); a resume or stop wakes it early.
      changed = false;
      await wf.condition(() => changed, page.nextPageInMs ?? PAUSE_RECHECK);
    }
    if (pages + 1 >= MAX_PAGES_PER_RUN || wf.workflowInfo().continueAsNewSuggested) {
      await wf.condition(wf.allHandlersFinished);
      return wf.continueAsNew<DispatchCampaignWorkflow>({ ...input, dispatchId, ...(pacedUntilMs ? { pacedUntilMs } : {}) });
    }
  }
  await completeDispatch({ dispatchId });
}
