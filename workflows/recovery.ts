/**
 * One recovery job = one run of this workflow: it retries the job's webhooks a batch at a time,
 * paced at the job's rate, until none is pending, then marks the job completed. Its items live in
 * PostgreSQL, never in its history, so a job of a million webhooks is a few events per batch.
 */
import * as wf from '@temporalio/workflow';
import type { RecoverWebhooksWorkflow, RecoveryActivities, RecoveryInput } from '../src/recovery/definitions';

/** At most this many webhooks per activity: a batch is quick to redo if a worker dies mid-way. */
const MAX_BATCH = 100;

const { recoverBatch, completeJob } = wf.proxyActivities<RecoveryActivities>({
  startToCloseTimeout: '5m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' },
});

export async function recoverWebhooks(input: RecoveryInput): Promise<void> {
  const batch = Math.max(1, Math.min(MAX_BATCH, input.ratePerSecond));
  for (;;) {
    const startedAt = Date.now();
    const { taken, more } = await recoverBatch({ jobId: input.jobId, limit: batch });
    if (!more) break;
    // `taken` webhooks may go each second at most: wait out the rest of their share.
    const waitMs = (taken / input.ratePerSecond) * 1000 - (Date.now() - startedAt);
    if (waitMs > 0) await wf.sleep(waitMs);
    if (wf.workflowInfo().continueAsNewSuggested) return wf.continueAsNew<RecoverWebhooksWorkflow>(input);
  }
  await completeJob({ jobId: input.jobId });
}
