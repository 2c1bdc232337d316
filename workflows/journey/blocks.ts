/**
 * Journey building blocks for workflow code: the JSON interpreter (workflows/journey.ts) is made
 * of them, and developers use them in their own Temporal workflows
 * (`import { sendWebhook, waitForEvent, … } from 'hookflow/workflow'`, see workflows/examples/).
 * Deterministic: time and randomness are the workflow's, I/O is in activities (activities/journey/)
 * and in the `deliverWebhook` child, which keeps every delivery guarantee.
 */
import * as wf from '@temporalio/workflow';
import { DELIVER_WEBHOOK_WORKFLOW, SEARCH_ATTRIBUTES, webhookWorkflowId, type DeliverWebhookWorkflow } from '../../src/delivery/definitions';
import type { FilterContext } from '../../src/filter/match';
import {
  JOURNEY_LIMITS,
  journeyEventSignal,
  webhookOutcome,
  type JourneyActivities,
  type JourneyEvent,
  type StepCounts,
  type StepResult,
  type TemplateRef,
  type TemplateVariables,
  type WhereFilter,
} from '../../src/journey/definitions';
import { experimentPath, waitMatch } from '../../src/journey/steps';

export { delayEndsAt, experimentPath, splitPath, whereMatches } from '../../src/journey/steps';
export { journeyEventSignal } from '../../src/journey/definitions';
export type { JourneyEvent, StepResult, TemplateVariables } from '../../src/journey/definitions';

// Short database work (a template read and render, an attribute write, a counter), so local
// activities: no trip through the task queue (entry to first webhook p50 fell from 236 to 164 ms in a
// small run, see bench/README.md, "Journeys"). Retried until it succeeds: a step is never skipped because PostgreSQL was away.
const activities = wf.proxyLocalActivities<JourneyActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
});
const progress = activities;

/**
 * The events this run receives (by signal, from the worker's event listener), from the moment it
 * is called: call it first thing in the workflow, so that an event sent right after entry waits
 * here for the wait step instead of being lost. Keeps the newest `JOURNEY_LIMITS.bufferedEvents`;
 * an event id seen among the latest `JOURNEY_LIMITS.seenEvents` is not taken again.
 */
export function openInbox(inbox: JourneyEvent[] = [], accept: (event: JourneyEvent) => boolean = () => true, seen: string[] = []): JourneyEvent[] {
  wf.setHandler(journeyEventSignal, (event) => {
    if (seen.includes(event.id)) return;
    seen.push(event.id);
    if (seen.length > JOURNEY_LIMITS.seenEvents) seen.shift();
    if (!accept(event)) return;
    inbox.push(event);
    if (inbox.length > JOURNEY_LIMITS.bufferedEvents) inbox.shift();
  });
  return inbox;
}

export interface SendWebhookOptions {
  journeyId: string;
  step: string;
  /** A template version rendered with `variables`, or an inline webhook sent as given. */
  template?: TemplateRef;
  webhook?: Record<string, unknown>;
  variables: TemplateVariables;
  /** `{ name: "$.json.path" }` read from the response body by the send activity (each value up to 1 KiB of JSON). */
  save?: Record<string, string>;
}

/**
 * One webhook, delivered by a `deliverWebhook` child workflow (retries, breaker, ledger); resolves
 * with its final status code and outcome once it is delivered or has failed for good.
 */
export async function sendWebhook(options: SendWebhookOptions): Promise<StepResult & { reason?: string }> {
  const webhookId = `wh_${wf.uuid4().replace(/-/g, '')}`;
  const prepared = await activities.prepareJourneyWebhook({
    journeyId: options.journeyId,
    step: options.step,
    webhookId,
    ...(options.template ? { template: options.template } : {}),
    ...(options.webhook ? { webhook: options.webhook } : {}),
    variables: options.variables,
  });
  if (!prepared.ok) return { webhookId, outcome: 'failed', reason: prepared.reason };
  // `save` is read by the send activity from the whole response body (up to HOOKFLOW_MAX_RESPONSE_BYTES).
  const input = options.save ? { ...prepared.input, extract: options.save } : prepared.input;
  const state = await wf.executeChild<DeliverWebhookWorkflow>(DELIVER_WEBHOOK_WORKFLOW, {
    workflowId: webhookWorkflowId(input.id),
    args: [input],
    typedSearchAttributes: [
      { key: SEARCH_ATTRIBUTES.status, value: 'pending' },
      { key: SEARCH_ATTRIBUTES.host, value: prepared.input.authority },
    ],
    staticSummary: `journey ${options.journeyId}, step ${options.step}`,
    // A delivery under way finishes even if the run is ended from outside.
    parentClosePolicy: 'ABANDON',
  });
  return { ...state.attempts[state.attempts.length - 1]?.extracted, ...webhookOutcome(state) };
}

/** Sleeps until `untilMs`; returns early (false) when `interrupt` becomes true. */
export async function delayUntil(untilMs: number, interrupt: () => boolean = () => false): Promise<boolean> {
  const left = untilMs - Date.now();
  if (left <= 0) return true;
  const interrupted = await wf.condition(interrupt, left);
  return !interrupted;
}

export type WaitResult = { kind: 'event'; event: JourneyEvent; path: number } | { kind: 'timeout' } | { kind: 'interrupted' };

/**
 * Waits until an event of the inbox (accepted at or after `since`) matches one of the ranked
 * paths — it is taken out of the inbox — or until `untilMs` (timeout), or until `interrupt`.
 */
export async function waitForEvent(
  inbox: JourneyEvent[],
  paths: { event: string; where?: WhereFilter }[] | (() => { event: string; where?: WhereFilter }[]),
  untilMs: number,
  options: { since: string; context: (event: JourneyEvent) => FilterContext; interrupt?: () => boolean },
): Promise<WaitResult> {
  const current = (): { event: string; where?: WhereFilter }[] => (typeof paths === 'function' ? paths() : paths);
  let found: { eventIndex: number; path: number } | undefined;
  const look = (): boolean => (found = waitMatch(current(), inbox, options.context, options.since)) !== undefined;
  const interrupt = options.interrupt ?? (() => false);
  if (!look()) {
    const left = Math.max(0, untilMs - Date.now());
    const woke = left > 0 && (await wf.condition(() => interrupt() || look(), left));
    if (!woke) return { kind: 'timeout' };
    if (!found) return { kind: 'interrupted' };
  }
  const [event] = inbox.splice(found!.eventIndex, 1);
  return { kind: 'event', event, path: found!.path };
}

/** An experiment's path for this run: the workflow's random draw, the same on every replay. */
export function drawExperiment(percents: number[]): number {
  return experimentPath(percents, Math.random());
}

/** Renders an update step's Liquid with `variables` and writes the recipient's attributes. */
export async function updateRecipient(variables: TemplateVariables, values: { attributes?: Record<string, string>; context?: Record<string, string> }) {
  return activities.applyJourneyUpdate({ ...values, variables });
}

/** Sends a custom event (as POST /v1/events would), or enters a recipient into a journey. */
export async function trigger(what: { event?: { name: string; recipientId: string; properties: Record<string, unknown> }; journey?: { id: string; recipientId: string } }) {
  return activities.triggerFromJourney({ eventId: `ev_${wf.uuid4().replace(/-/g, '')}`, ...what });
}

/** Adds per-step counters to the journey's numbers in PostgreSQL (never a signal to a shared workflow). */
export async function recordProgress(journeyId: string, version: number, counts: StepCounts[], end?: { workflowId: string; status: 'completed' | 'exited' | 'failed' }): Promise<void> {
  if (counts.length === 0 && !end) return;
  await progress.recordJourneyProgress({ journeyId, version, counts, ...(end ? { end } : {}) });
}
