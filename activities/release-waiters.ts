/**
 * The host workflow's hands: resumes waiting delivery workflows with a signal each. Run as one
 * local activity per paced batch, so releasing 10,000 webhooks costs the host workflow a few
 * hundred history events instead of two per webhook, and never 2,000 outgoing signals at once.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { resumeSignal } from '../src/temporal/host-definitions';

const PARALLEL_SIGNALS = 32;

export async function releaseWaiters(client: Client, workflowIds: string[], probe: boolean): Promise<number> {
  let delivered = 0;
  for (let i = 0; i < workflowIds.length; i += PARALLEL_SIGNALS) {
    await Promise.all(
      workflowIds.slice(i, i + PARALLEL_SIGNALS).map(async (id) => {
        try {
          await client.workflow.getHandle(id).signal(resumeSignal, { probe });
          delivered += 1;
        } catch (err) {
          // The webhook ended meanwhile (cancelled, or its window ran out): nothing to resume.
          if (!(err instanceof WorkflowNotFoundError)) throw err;
        }
      }),
    );
  }
  return delivered;
}
