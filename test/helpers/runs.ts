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

/** The local activities of `type` a run recorded (one marker each); other markers (patches, other activities) are left out. */
export function localActivitiesIn(run: History, type: string): number {
  return (run.events ?? []).filter((e) => {
    const marker = e.markerRecordedEventAttributes;
    if (marker?.markerName !== 'core_local_activity') return false;
    const data = marker.details?.data?.payloads?.[0]?.data;
    return data ? Buffer.from(data).toString('utf8').includes(`"${type}"`) : false;
  }).length;
}
