/**
 * Every run of a workflow, first to latest, followed through its histories: the latest run's
 * start event names the first run, and each run's last event names the next. Temporal writes
 * histories before it answers, so unlike a visibility listing this never lags on a busy machine.
 */
import type { Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';

export type History = temporal.api.history.v1.IHistory;

export async function runHistories(client: Client, workflowId: string): Promise<History[]> {
  const latest = await client.workflow.getHandle(workflowId).fetchHistory();
  const first = latest.events?.[0]?.workflowExecutionStartedEventAttributes?.firstExecutionRunId ?? undefined;
  const histories: History[] = [];
  for (let runId: string | undefined = first; runId; ) {
    const history: History = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    histories.push(history);
    const events = history.events ?? [];
    runId = events[events.length - 1]?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
  }
  return histories;
}
