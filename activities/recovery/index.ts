/**
 * The recovery job's activities: take the next pending webhooks of a job and send each again as
 * the same message (Hookflow.retry), recording what became of it. Safe to run twice: a webhook
 * is retried only while it is still failed, so a batch retried after a crash sends nothing twice.
 */
import type { Client } from '@temporalio/client';
import type pg from 'pg';
import type { Hookflow } from '../../src/client/hookflow';
import { webhookWorkflowId } from '../../src/delivery/definitions';
import { WebhookConflictError, WebhookNotFoundError } from '../../src/errors';
import type { ItemOutcome, RecoveryActivities } from '../../src/recovery/definitions';
import { completeJob, pendingItems, settleItem } from '../../src/recovery/store';
import { inLanes } from '../../src/lanes';

/** Webhooks of one batch retried at once: each is a few Temporal calls. */
const PARALLEL = 8;

export interface RecoveryDeps {
  pool: pg.Pool;
  hookflow: Hookflow;
}

export function createRecoveryActivities(deps: RecoveryDeps): RecoveryActivities {
  return {
    async recoverBatch({ jobId, limit }) {
      const batch = await pendingItems(deps.pool, jobId, limit);
      if (!batch) return { taken: 0, more: false };
      await inLanes(batch.ids, PARALLEL, async (id) => {
        const [outcome, reason] = await recoverOne(deps.hookflow, id, batch.createdAt);
        await settleItem(deps.pool, jobId, id, outcome, reason);
      });
      return { taken: batch.ids.length, more: batch.ids.length === limit };
    },

    async completeJob({ jobId }) {
      await completeJob(deps.pool, jobId);
    },
  };
}

async function recoverOne(hookflow: Hookflow, id: string, jobCreatedAt: Date): Promise<[ItemOutcome, string?]> {
  let status: string;
  try {
    status = (await hookflow.status(id)).status;
  } catch (err) {
    if (err instanceof WebhookNotFoundError) return ['failed', 'no longer known to Temporal or the ledger'];
    throw err;
  }
  if (status === 'failed') {
    try {
      await hookflow.retry(id);
      return ['done'];
    } catch (err) {
      if (err instanceof WebhookConflictError) return ['skipped', 'already pending again'];
      if (err instanceof WebhookNotFoundError) return ['failed', 'its request is no longer kept'];
      throw err;
    }
  }
  // No longer failed. If this job's own earlier try restarted it (the batch is being run again
  // after a crash), its latest run began after the job was created: that counts as done.
  return (await latestRunStart(hookflow.client, id)) >= jobCreatedAt ? ['done'] : ['skipped', `now ${status}`];
}

async function latestRunStart(client: Client, id: string): Promise<Date> {
  try {
    return (await client.workflow.getHandle(webhookWorkflowId(id)).describe()).startTime;
  } catch {
    return new Date(0);
  }
}
