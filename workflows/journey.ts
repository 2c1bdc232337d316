/**
 * One recipient's run through one journey version: the JSON interpreter, made of the building
 * blocks in workflows/journey/blocks.ts. It carries the version it entered with (publishing changes
 * nothing for it; `migrate` may move it while it waits in a delay or waitForEvent step).
 *
 * Events come by signal from the worker's listener from the first moment of the run and wait in
 * its inbox, so an event sent right after entry reaches the wait step it was meant for. Per-step
 * numbers go to PostgreSQL through a local activity, a few at a time. It continues as new between
 * steps or while waiting, whenever Temporal suggests it, carrying its whole state.
 */
import * as wf from '@temporalio/workflow';
import type { FilterContext } from '../src/filter/match';
import {
  exitRunSignal,
  JOURNEY_LIMITS,
  JOURNEY_SEARCH_ATTRIBUTES,
  migrateUpdate,
  runQuery,
  type JourneyDefinition,
  type JourneyEvent,
  type JourneyStep,
  type RunJourneyInput,
  type RunState,
  type RunView,
  type StepCounts,
  type TemplateVariables,
} from '../src/journey/definitions';
import { delayEndsAt, splitPath, whereMatches } from '../src/journey/steps';
import { delayUntil, drawExperiment, openInbox, recordProgress, sendWebhook, trigger, updateRecipient, waitForEvent } from './journey/blocks';

type Next = { next?: string; outcome: string; failed?: boolean; exit?: string };

export async function runJourney(input: RunJourneyInput): Promise<RunView> {
  let definition: JourneyDefinition = input.definition;
  let version = input.version;
  const state: RunState = input.carried ?? { status: 'running', path: [], context: {}, steps: {}, attributes: input.recipient.attributes, inbox: [], experiments: {} };
  if (!input.carried && input.entry.event) state.event = input.entry.event;
  let exitAsked: string | undefined = state.exitReason;
  let migrated = false;
  const counts = new Map<string, StepCounts>();
  const count = (step: string, what: 'entered' | 'proceeded' | 'exited' | 'failed'): void => {
    const c = counts.get(step) ?? { step };
    c[what] = (c[what] ?? 0) + 1;
    counts.set(step, c);
  };
  const flush = async (end?: { workflowId: string; status: 'completed' | 'exited' | 'failed' }): Promise<void> => {
    const batch = [...counts.values()];
    counts.clear();
    await recordProgress(input.journeyId, version, batch, end);
  };

  const eventOf = (e: JourneyEvent): FilterContext['event'] => ({ name: e.name, properties: e.properties });
  const exitOnMatches = (e: JourneyEvent): boolean =>
    (definition.exitOn ?? []).some((x) => x.event === e.name && whereMatches(x.where, { event: eventOf(e), recipient: { id: input.recipient.id, attributes: e.attributes } }));
  // From the first moment of the run (see the file's comment); exitOn events end it wherever it is.
  state.seen ??= [];
  openInbox(state.inbox, (e) => {
    if (Date.parse(e.receivedAt) < Date.parse(input.enteredAt)) return false;
    if (!exitAsked && exitOnMatches(e)) {
      exitAsked = `event ${e.name}`;
      return false;
    }
    return true;
  }, state.seen);
  wf.setHandler(exitRunSignal, ({ reason }) => void (exitAsked ??= reason));
  const view = (): RunView => ({
    journeyId: input.journeyId,
    version,
    n: input.n,
    status: state.status,
    ...(state.currentStep ? { currentStep: state.currentStep } : {}),
    path: state.path,
    context: state.context,
    steps: state.steps,
    experiments: state.experiments,
    ...(state.exitReason ? { exitReason: state.exitReason } : {}),
  });
  wf.setHandler(runQuery, view);
  wf.setHandler(migrateUpdate, ({ from, to, definition: target }) => {
    if (version !== from) return { moved: false, reason: `the run is on version ${version}` };
    const at = definition.steps.find((s) => s.id === state.currentStep);
    if (state.status !== 'running' || !at || state.waitUntilMs === undefined || (at.type !== 'delay' && at.type !== 'waitForEvent')) {
      return { moved: false, reason: 'the run is not waiting in a delay or waitForEvent step' };
    }
    if (!target.steps.some((s) => s.id === at.id && s.type === at.type)) return { moved: false, reason: `version ${to} has no ${at.type} step ${at.id}` };
    definition = target;
    version = to;
    migrated = true;
    return { moved: true };
  });

  const filterContext = (event = state.event): FilterContext => ({
    ...(event ? { event } : {}),
    recipient: { id: input.recipient.id, attributes: state.attributes },
    entry: input.entry.properties,
    steps: state.steps,
    context: state.context,
  });
  const variables = (): TemplateVariables => ({
    recipient: { id: input.recipient.id, attributes: state.attributes },
    entry: input.entry.properties,
    ...(state.event ? { event: state.event } : {}),
    steps: state.steps,
    context: state.context,
    journey: { id: input.journeyId, version },
  });
  const continueAsNew = async (): Promise<never> => {
    await flush();
    await wf.condition(wf.allHandlersFinished);
    return wf.continueAsNew<typeof runJourney>({ ...input, version, definition, carried: { ...state, ...(exitAsked ? { exitReason: exitAsked } : {}) } });
  };
  const stepById = (id: string): JourneyStep | undefined => definition.steps.find((s) => s.id === id);
  const interrupt = (): boolean => exitAsked !== undefined || migrated || wf.workflowInfo().continueAsNewSuggested;

  /** Runs one step; `undefined` when the run must continue as new in the middle of it. */
  const run = async (step: JourneyStep): Promise<Next | undefined> => {
    switch (step.type) {
      case 'webhook': {
        const result = await sendWebhook({
          journeyId: input.journeyId,
          step: step.id,
          ...(step.template ? { template: step.template } : {}),
          ...(step.webhook ? { webhook: step.webhook } : {}),
          variables: variables(),
          ...(step.save ? { save: step.save } : {}),
        });
        const { reason: _reason, ...kept } = result;
        state.steps[step.id] = kept;
        const failed = result.outcome !== 'delivered';
        return { next: failed && step.onFailure ? step.onFailure : step.next, outcome: result.outcome ?? 'failed', failed };
      }
      case 'delay': {
        state.waitUntilMs ??= delayEndsAt(step, Date.now());
        await flush();
        const elapsed = await delayUntil(state.waitUntilMs, interrupt);
        if (!elapsed) return undefined;
        return { next: step.next, outcome: 'elapsed' };
      }
      case 'waitForEvent': {
        state.waitUntilMs ??= Date.now() + step.windowSeconds * 1000;
        await flush();
        const found = await waitForEvent(state.inbox, () => (stepById(step.id) as typeof step).paths, state.waitUntilMs, {
          since: input.enteredAt,
          context: (e) => filterContext(eventOf(e)),
          interrupt,
        });
        if (found.kind === 'interrupted') return undefined;
        const current = stepById(step.id) as typeof step;
        if (found.kind === 'timeout') return { next: current.timeout, outcome: 'timeout' };
        state.event = eventOf(found.event);
        state.attributes = found.event.attributes;
        const path = current.paths[found.path];
        if (path.exit) return { outcome: `event ${found.event.name}`, exit: `event ${found.event.name} (step ${step.id})` };
        return { next: path.next, outcome: `event ${found.event.name}` };
      }
      case 'split': {
        const path = splitPath(step.paths, filterContext());
        return path < 0 ? { next: step.else, outcome: 'else' } : { next: step.paths[path].next, outcome: `path ${path}` };
      }
      case 'experiment': {
        const path = state.experiments[step.id] ?? drawExperiment(step.paths.map((p) => p.percent));
        state.experiments[step.id] = path;
        return { next: step.paths[path].next, outcome: `path ${path}` };
      }
      case 'update': {
        const done = await updateRecipient(variables(), { ...(step.attributes ? { attributes: step.attributes } : {}), ...(step.context ? { context: step.context } : {}) });
        state.attributes = done.attributes;
        Object.assign(state.context, done.context);
        return done.error ? { next: step.next, outcome: `failed: ${done.error}`, failed: true } : { next: step.next, outcome: 'updated' };
      }
      case 'trigger': {
        const recipientId = (step.event ?? step.journey)!.recipientId ?? input.recipient.id;
        const done = await trigger(
          step.event
            ? { event: { name: step.event.name, recipientId, properties: step.event.properties ?? {} } }
            : { journey: { id: step.journey!.id, recipientId } },
        );
        return { next: step.next, outcome: done.outcome };
      }
      case 'exit':
        return { outcome: 'exit' };
    }
  };

  let stepId: string | undefined = state.currentStep ?? definition.steps[0].id;
  // A carried run stopped inside a step (a wait) resumes it without entering it again.
  let inside = input.carried !== undefined && state.waitUntilMs !== undefined;
  try {
    while (stepId !== undefined && exitAsked === undefined) {
      if (!inside && wf.workflowInfo().continueAsNewSuggested) {
        state.currentStep = stepId;
        await continueAsNew();
      }
      const step = stepById(stepId)!;
      if (!inside) {
        state.currentStep = step.id;
        state.path.push({ step: step.id, enteredAt: new Date().toISOString() });
        if (state.path.length > JOURNEY_LIMITS.pathEntries) state.path.shift();
        count(step.id, 'entered');
        wf.upsertSearchAttributes([{ key: JOURNEY_SEARCH_ATTRIBUTES.step, value: step.id }]);
      }
      inside = false;
      const done = await run(step);
      if (done === undefined) {
        if (exitAsked !== undefined) break;
        if (migrated) {
          // Same step id in the new version: wait on there, with the same deadline.
          migrated = false;
          inside = true;
          continue;
        }
        await continueAsNew();
      }
      state.waitUntilMs = undefined;
      const entry = state.path[state.path.length - 1];
      entry.leftAt = new Date().toISOString();
      entry.outcome = done!.outcome;
      count(step.id, done!.failed ? 'failed' : 'proceeded');
      if (done!.exit) exitAsked = done!.exit;
      stepId = done!.next;
    }
    if (exitAsked !== undefined) {
      const entry = state.path[state.path.length - 1];
      if (entry && !entry.leftAt) {
        entry.leftAt = new Date().toISOString();
        entry.outcome = 'exited';
        count(entry.step, 'exited');
      }
      state.status = 'exited';
      state.exitReason = exitAsked;
    } else {
      state.status = 'completed';
    }
    state.waitUntilMs = undefined;
    state.currentStep = undefined;
    await flush({ workflowId: wf.workflowInfo().workflowId, status: state.status });
    return view();
  } catch (err) {
    if (wf.isCancellation(err)) {
      state.status = 'exited';
      state.exitReason = 'cancelled';
      await wf.CancellationScope.nonCancellable(() => flush({ workflowId: wf.workflowInfo().workflowId, status: 'exited' }));
      return view();
    }
    if (err instanceof wf.ContinueAsNew) throw err;
    state.status = 'failed';
    const at = state.currentStep;
    if (at) count(at, 'failed');
    await flush({ workflowId: wf.workflowInfo().workflowId, status: 'failed' });
    throw err;
  }
}
