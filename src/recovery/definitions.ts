/**
 * Recovery jobs: what the recovery workflow (workflows/recovery.ts), its activities
 * (activities/recovery/) and the client share. Safe in workflow code (no Node APIs).
 */

/** The workflow type, by name: clients start it without importing workflow code. */
export const RECOVER_WEBHOOKS_WORKFLOW = 'recoverWebhooks';
export type RecoverWebhooksWorkflow = (input: RecoveryInput) => Promise<void>;

export const recoveryWorkflowId = (jobId: string): string => `job:${jobId}`;

export interface RecoveryInput {
  jobId: string;
  /** Webhooks retried per second, at most (HOOKFLOW_RECOVERY_RATE when the job was created). */
  ratePerSecond: number;
}

export const JOB_STATUSES = ['running', 'completed'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

/** What `GET /v1/jobs/:id` answers: `total = done + failed + skipped + pending`. */
export interface JobView {
  id: string;
  kind: 'recover';
  status: JobStatus;
  filter: Record<string, unknown>;
  total: number;
  done: number;
  failed: number;
  skipped: number;
  pending: number;
  createdAt: string;
  completedAt?: string;
}

/** What happened to one webhook of a job. */
export type ItemOutcome = 'done' | 'failed' | 'skipped';

export interface RecoveryActivities {
  /** Retries the next `limit` pending webhooks of the job; how many it took, and whether any are left. */
  recoverBatch(input: { jobId: string; limit: number }): Promise<{ taken: number; more: boolean }>;
  /** Marks the job completed, which lets the same filter start a new job. */
  completeJob(input: { jobId: string }): Promise<void>;
}
