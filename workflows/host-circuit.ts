/**
 * One long-lived workflow per receiving host (`host:<authority>`): the circuit breaker. Workers
 * report aggregated outcomes to it by signal; it decides the host's state (src/breaker) and
 * resumes waiting delivery workflows, one probe or one paced batch at a time.
 *
 * History stays bounded: it continues as new when Temporal suggests it, carrying its state, and
 * ends when the host has been healthy and quiet for a while (the next report starts it again).
 */
import * as wf from '@temporalio/workflow';
import type { createActivities } from '../activities';
import { HostBreaker, type BreakerSnapshot } from '../src/breaker/host-breaker';
import {
  controlUpdate,
  HOST_STATE_ATTRIBUTE,
  hostQuery,
  reportSignal,
  type HostCircuitInput,
} from '../src/temporal/host-definitions';

const { releaseWaiters } = wf.proxyLocalActivities<ReturnType<typeof createActivities>>({
  startToCloseTimeout: '60s',
  retry: { maximumAttempts: 3 },
});

export async function hostCircuit(input: HostCircuitInput): Promise<void> {
  const breaker = new HostBreaker(input.settings, input.carried as BreakerSnapshot | undefined, Date.now());
  let wake = false;

  wf.setHandler(reportSignal, (report) => {
    if (breaker.report(report, Date.now())) wake = true;
  });
  wf.setHandler(controlUpdate, (control) => {
    if (control.action === 'pause') breaker.pause(Date.now(), control.durationMs);
    else breaker.resume(Date.now());
    wake = true;
    return breaker.view(input.authority, Date.now());
  });
  wf.setHandler(hostQuery, () => breaker.view(input.authority, Date.now()));

  let published: string | undefined;
  for (;;) {
    const { release, probe } = breaker.tick(Date.now());
    if (probe) await releaseWaiters({ workflowIds: [probe], probe: true });
    if (release.length > 0) await releaseWaiters({ workflowIds: release, probe: false });
    if (breaker.state !== published) {
      wf.upsertSearchAttributes([{ key: HOST_STATE_ATTRIBUTE, value: breaker.state }]);
      published = breaker.state;
    }
    if (breaker.isIdle(Date.now())) break;
    if (wf.workflowInfo().continueAsNewSuggested) {
      await wf.condition(wf.allHandlersFinished);
      await wf.continueAsNew<typeof hostCircuit>({ ...input, carried: breaker.snapshot() });
    }
    wake = false;
    // Reports alone don't wake the loop, so the history check must: a paused host still receiving
    // reports would otherwise grow its history until the next timer.
    await wf.condition(() => wake || wf.workflowInfo().continueAsNewSuggested, Math.max(1, breaker.nextWakeMs() - Date.now()));
  }
}
