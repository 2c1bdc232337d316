/**
 * A journey's schedule entry (`{ type: "schedule", cron, timezone?, audience }`): each firing of
 * the journey's Temporal Schedule starts this workflow, which enters the recipients its audience
 * filter selects into the journey's latest version, a page at a time (an activity per page, keyed
 * so that a retried page enters no one twice), continuing as new when the history grows.
 */
import * as wf from '@temporalio/workflow';
import type { EnterAudienceInput, JourneyActivities } from '../src/journey/definitions';

const { enterAudiencePage } = wf.proxyActivities<JourneyActivities>({
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
});

export async function enterJourneyAudience(input: EnterAudienceInput): Promise<{ entered: number }> {
  let afterId = input.afterId;
  let entered = input.entered ?? 0;
  // One key per firing: the first run's id, kept across continue-as-new.
  const runKey = wf.workflowInfo().firstExecutionRunId;
  for (;;) {
    if (wf.workflowInfo().continueAsNewSuggested) return wf.continueAsNew<typeof enterJourneyAudience>({ journeyId: input.journeyId, ...(afterId ? { afterId } : {}), entered });
    const page = await enterAudiencePage({ journeyId: input.journeyId, ...(afterId ? { afterId } : {}), runKey });
    entered += page.entered;
    if (page.done) return { entered };
    afterId = page.lastId;
  }
}
