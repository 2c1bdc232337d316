/**
 * The SDK's recovery jobs: a durable job that sends matching failed webhooks again, paced (the
 * recoverWebhooks workflow), and its progress from PostgreSQL.
 */
import type { Client } from '@temporalio/client';
import type { Config } from '../config';
import { JobNotFoundError } from '../errors';
import { RECOVER_WEBHOOKS_WORKFLOW, recoveryWorkflowId, type JobView, type RecoverWebhooksWorkflow } from '../recovery/definitions';
import { parseRecoverFilter, type RecoverFilterInput } from '../recovery/filter';
import { createRecoveryJob, jobView } from '../recovery/store';
import type { ClientDatabase } from './database';
import type { TemporalCall } from './webhook-workflows';

export interface RecoveryDeps {
  db: ClientDatabase;
  client: Client;
  config: Pick<Config, 'taskQueue' | 'recoveryRate'>;
  temporal: TemporalCall;
}

export function startRecovery({ db, client, config, temporal }: RecoveryDeps, filter: RecoverFilterInput): Promise<{ job: JobView; created: boolean }> {
  const parsed = parseRecoverFilter(filter);
  return db.run(() =>
    createRecoveryJob(db.pool, parsed, async (jobId) => {
      await temporal(() =>
        client.workflow.start<RecoverWebhooksWorkflow>(RECOVER_WEBHOOKS_WORKFLOW, {
          workflowId: recoveryWorkflowId(jobId),
          taskQueue: config.taskQueue,
          args: [{ jobId, ratePerSecond: config.recoveryRate }],
        }),
      );
    }),
  );
}

export async function recoveryJob(db: ClientDatabase, id: string): Promise<JobView> {
  const view = await db.run(() => jobView(db.pool, id));
  if (!view) throw new JobNotFoundError(id);
  return view;
}
