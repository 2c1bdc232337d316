/**
 * The circuit breaker's workflow, one per receiving host (`host:<host key>`, workflow type
 * `hostCircuit`). Workers' gates lease from it what they may send and bring their aggregated news
 * in the same update; it decides the host's state (src/breaker/host-breaker.ts) and resumes waiting
 * delivery workflows, one probe or one paced batch at a time.
 *
 * History stays bounded: it continues as new when Temporal suggests it, carrying its state, and
 * ends when the host has been healthy and quiet for a while (the next lease request starts it again).
 * It never fails because Temporal could not be reached: a release that fails is tried again later.
 */
import * as wf from '@temporalio/workflow';
import {
  controlProblem,
  controlUpdate,
  HOST_STATE_ATTRIBUTE,
  hostQuery,
  leaseUpdate,
  reportSignal,
  type BreakerActivities,
  type HostCircuitInput,
  type HostCircuitWorkflow,
  type Release,
} from '../src/breaker/definitions';
import { HostBreaker, type BreakerSnapshot } from '../src/breaker/host-breaker';

const { releaseWaiters } = wf.proxyLocalActivities<BreakerActivities>({
  startToCloseTimeout: '60s',
  // A couple of quick tries inside the workflow task; beyond that the breaker backs off (releaseFailed).
  retry: { maximumAttempts: 2, initialInterval: '500ms' },
});

export async function hostCircuit(input: HostCircuitInput): Promise<void> {
  const host = new HostBreaker(input.settings, input.carried as BreakerSnapshot | undefined, Date.now());
  let wake = false;

  wf.setHandler(reportSignal, (report) => {
    if (host.report(report, Date.now())) wake = true;
  });
  wf.setHandler(
    leaseUpdate,
    (request) => {
      const { lease, act } = host.lease(request, Date.now());
      if (act) wake = true;
      return lease;
    },
    {
      validator: (request) => {
        if (typeof request?.workerId !== 'string' || !(request.ttlMs > 0)) throw new Error('lease: workerId and a positive ttlMs are required');
      },
    },
  );
  wf.setHandler(
    controlUpdate,
    async (control) => {
      if (control.action === 'resume') host.resume(Date.now());
      else {
        const epoch = host.pause(Date.now(), control.durationMs);
        // Answer once every worker that may have been sending has taken the news (renewed its
        // lease) or its lease has run out: from then on the pause holds everywhere.
        const settled = (): boolean => host.pauseSettledAtMs(epoch, Date.now()) <= Date.now();
        if (!settled()) await wf.condition(settled, Math.max(1, host.pauseSettledAtMs(epoch, Date.now()) - Date.now()));
      }
      wake = true;
      return host.view(input.authority, Date.now());
    },
    {
      validator: (control) => {
        const problem = controlProblem(control);
        if (problem) throw new Error(problem);
      },
    },
  );
  wf.setHandler(hostQuery, () => host.view(input.authority, Date.now()));

  let published: string | undefined;
  for (;;) {
    const releases = host.tick(Date.now());
    if (releases.length > 0) await release(host, releases);
    if (host.state !== published) {
      wf.upsertSearchAttributes([{ key: HOST_STATE_ATTRIBUTE, value: host.state }]);
      published = host.state;
    }
    if (host.isIdle(Date.now())) break;
    if (wf.workflowInfo().continueAsNewSuggested) {
      await wf.condition(wf.allHandlersFinished);
      await wf.continueAsNew<HostCircuitWorkflow>({ ...input, carried: host.snapshot() });
    }
    wake = false;
    // Reports alone don't wake the loop, so the history check must: a paused host still receiving
    // lease requests would otherwise grow its history until the next timer.
    await wf.condition(() => wake || wf.workflowInfo().continueAsNewSuggested, Math.max(1, host.nextWakeMs(Date.now()) - Date.now()));
  }
}

/** Resumes the released webhooks; if Temporal cannot be reached, they wait again and the breaker retries later. */
async function release(host: HostBreaker, releases: Release[]): Promise<void> {
  try {
    const { missing } = await releaseWaiters({ releases });
    host.released(missing);
  } catch (err) {
    // Whatever the activity's failure (its own error, a timeout), the breaker keeps its waiters.
    if (wf.isCancellation(err)) throw err;
    const cause = (err as { cause?: Error }).cause ?? (err as Error);
    wf.log.warn('releasing waiting webhooks failed; trying again later', { count: releases.length, error: `${(err as Error).name}: ${cause.message}` });
    host.releaseFailed(releases, Date.now());
  }
}
