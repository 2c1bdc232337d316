/**
 * The host workflow's hands: resumes waiting delivery workflows with a signal each, carrying the
 * ticket of the attempt they wait on and their send slot. Run as one local activity per paced
 * batch, so releasing 10,000 webhooks costs the host workflow a few hundred history events instead
 * of two per webhook, and never 2,000 outgoing signals at once.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { resumeSignal, type Release } from '../../src/breaker/definitions';

const PARALLEL_SIGNALS = 32;

/** Signals every release; answers the webhooks that no longer exist. Throws if Temporal fails otherwise (the host workflow tries again later). */
export async function releaseWaiters(client: Client, releases: readonly Release[]): Promise<{ missing: string[] }> {
  const missing: string[] = [];
  for (let i = 0; i < releases.length; i += PARALLEL_SIGNALS) {
    await Promise.all(
      releases.slice(i, i + PARALLEL_SIGNALS).map(async ({ workflowId, resume }) => {
        try {
          await client.workflow.getHandle(workflowId).signal(resumeSignal, resume);
        } catch (err) {
          // The webhook ended meanwhile (delivered elsewhere, cancelled, or its window ran out).
          if (!(err instanceof WorkflowNotFoundError)) throw err;
          missing.push(workflowId);
        }
      }),
    );
  }
  return { missing };
}
