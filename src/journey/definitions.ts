/**
 * What the journey workflow, its activities, the worker's event listener, the SDK and the API
 * share: the definition's shapes, ids, messages, search attributes. Safe to import from workflow
 * code (no Node APIs), and from clients without importing workflow code.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { DeliveryInput, WebhookState } from '../delivery/definitions';

export const RUN_JOURNEY_WORKFLOW = 'runJourney';
/** What a journey's schedule starts: enter the audience, a page at a time. */
export const ENTER_AUDIENCE_WORKFLOW = 'enterJourneyAudience';
export const journeyScheduleId = (journeyId: string): string => `journey-schedule:${journeyId}`;

export interface EnterAudienceInput {
  journeyId: string;
  /** Continue-as-new: the last recipient id entered, and how many so far. */
  afterId?: string;
  entered?: number;
}

/** Search attributes of a run: which journey, which step now (ids only, never the recipient). */
export const JOURNEY_SEARCH_ATTRIBUTES = {
  journey: defineSearchAttributeKey('JourneyId', SearchAttributeType.KEYWORD),
  step: defineSearchAttributeKey('JourneyStep', SearchAttributeType.KEYWORD),
} as const;

/** Bounds of a definition (checked at save and publish). */
export const JOURNEY_LIMITS = {
  steps: 200,
  /** waitForEvent windowSeconds: 31 days. */
  windowSeconds: 31 * 86_400,
  /** delay seconds, and how far ahead `until` may be: 366 days. */
  delaySeconds: 366 * 86_400,
  paths: 20,
  exitOn: 20,
  /** Events a run keeps for its wait steps; older unconsumed ones are dropped first. */
  bufferedEvents: 100,
  /** Event ids a run remembers to take a repeated signal once. */
  seenEvents: 200,
  /** Steps kept in a run's path (the oldest are dropped beyond). */
  pathEntries: 200,
  /** Bytes of one value saved from a webhook's response (`save`), and names per step. */
  savedValueBytes: 1_024,
  savedValues: 20,
} as const;

/** Days of a delay's `daysOfWeek`. */
export const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

export type TemplateRef = { id: string; version?: number };
export type WhereFilter = Record<string, unknown>;

export type JourneyStep =
  | {
      id: string;
      type: 'webhook';
      template?: TemplateRef;
      /** An inline webhook (sent as given, no Liquid). */
      webhook?: Record<string, unknown>;
      next?: string;
      onFailure?: string;
      save?: Record<string, string>;
    }
  | { id: string; type: 'delay'; seconds?: number; until?: string; timeOfDay?: string; timezone?: string; daysOfWeek?: string[]; next?: string }
  | { id: string; type: 'split'; paths: { when: WhereFilter; next: string }[]; else: string }
  | { id: string; type: 'waitForEvent'; windowSeconds: number; paths: { event: string; where?: WhereFilter; next?: string; exit?: boolean }[]; timeout: string }
  | { id: string; type: 'experiment'; paths: { percent: number; next: string }[] }
  | { id: string; type: 'update'; attributes?: Record<string, string>; context?: Record<string, string>; next?: string }
  | { id: string; type: 'trigger'; event?: { name: string; recipientId?: string; properties?: Record<string, unknown> }; journey?: { id: string; recipientId?: string }; next?: string }
  | { id: string; type: 'exit' };

export type StepType = JourneyStep['type'];

export type JourneyEntry = { type: 'event'; event: string; where?: WhereFilter } | { type: 'api' } | { type: 'schedule'; cron: string; timezone?: string; audience: WhereFilter };

export type ReEntry = 'never' | 'afterExit' | { afterSeconds: number };

export interface JourneyDefinition {
  entry: JourneyEntry;
  steps: JourneyStep[];
  exitOn?: { event: string; where?: WhereFilter }[];
  reEntry?: ReEntry;
  /** Webhook steps' requests per minute, shared by all runs of the journey (all versions) across workers. */
  rateLimitPerMinute?: number;
}

/** An event as a run receives it (from the worker's listener). */
export interface JourneyEvent {
  id: string;
  name: string;
  properties: Record<string, unknown>;
  /** When Hookflow accepted it, ISO 8601: a run sees only events accepted from its entry on. */
  receivedAt: string;
  /** The recipient's attributes as the listener read them with the event. */
  attributes: Record<string, unknown>;
}

export type RunStatus = 'running' | 'completed' | 'exited' | 'failed';

export interface PathEntry {
  step: string;
  enteredAt: string;
  leftAt?: string;
  /** What happened: `delivered`, `failed`, `path 2`, `else`, `timeout`, `event purchase`, `exited`… */
  outcome?: string;
}

export interface StepResult {
  statusCode?: number;
  outcome?: 'delivered' | 'failed';
  webhookId?: string;
  [saved: string]: unknown;
}

/** What travels between runs (continue-as-new) and what the run's query shows. */
export interface RunState {
  status: RunStatus;
  currentStep?: string;
  path: PathEntry[];
  context: Record<string, unknown>;
  steps: Record<string, StepResult>;
  attributes: Record<string, unknown>;
  /** The event that entered or last advanced the run. */
  event?: { name: string; properties: Record<string, unknown> };
  /** Events received and not yet consumed by a wait step. */
  inbox: JourneyEvent[];
  /** Ids of the latest events received (a signal repeated after a listener's crash is taken once). */
  seen?: string[];
  /** While in a delay or waitForEvent step: when it ends (ms). */
  waitUntilMs?: number;
  /** Experiment draws, by step id: the path taken (0-based). */
  experiments: Record<string, number>;
  exitReason?: string;
}

export interface RunJourneyInput {
  journeyId: string;
  version: number;
  definition: JourneyDefinition;
  recipient: { id: string; attributes: Record<string, unknown> };
  entry: { properties: Record<string, unknown>; event?: { name: string; properties: Record<string, unknown> } };
  /** When the run entered (the entry event's acceptance, or the API call), ISO 8601. */
  enteredAt: string;
  /** The run's number for this recipient in this journey (1 for the first). */
  n: number;
  /** Continue-as-new: where the previous run stood. */
  carried?: RunState;
}

/** What GET /v1/journeys/:id/runs/:recipientId shows. */
export interface RunView {
  journeyId: string;
  version: number;
  n: number;
  status: RunStatus;
  currentStep?: string;
  path: PathEntry[];
  context: Record<string, unknown>;
  steps: Record<string, StepResult>;
  experiments: Record<string, number>;
  exitReason?: string;
}

export const journeyEventSignal = defineSignal<[JourneyEvent]>('journeyEvent');
export const exitRunSignal = defineSignal<[{ reason: string }]>('exitRun');
export const runQuery = defineQuery<RunView>('run');
/** Moves a run waiting in a delay or waitForEvent step onto another version; answers whether it moved. */
export const migrateUpdate = defineUpdate<{ moved: boolean; reason?: string }, [{ from: number; to: number; definition: JourneyDefinition }]>('migrate');

/** Per-step counters, added to journey_steps. */
export interface StepCounts {
  step: string;
  entered?: number;
  proceeded?: number;
  exited?: number;
  failed?: number;
}

export type PreparedJourneyWebhook = { ok: true; input: DeliveryInput } | { ok: false; reason: string };

export interface JourneyWebhookInput {
  journeyId: string;
  step: string;
  webhookId: string;
  template?: TemplateRef;
  webhook?: Record<string, unknown>;
  variables: TemplateVariables;
}

/** What a journey's Liquid (templates, update steps) can read. */
export interface TemplateVariables {
  recipient: { id: string; attributes: Record<string, unknown> };
  entry: Record<string, unknown>;
  event?: { name: string; properties: Record<string, unknown> };
  steps: Record<string, StepResult>;
  context: Record<string, unknown>;
  journey: { id: string; version: number };
}

/** The journey's activities, implemented in activities/journey/. */
export interface JourneyActivities {
  /** Renders a template (or checks an inline webhook) into a delivery's input; a render failure is recorded in the ledger and returned. */
  prepareJourneyWebhook(input: JourneyWebhookInput): Promise<PreparedJourneyWebhook>;
  /** Renders an update step's Liquid and writes the recipient's attributes; returns the new values. */
  applyJourneyUpdate(input: {
    attributes?: Record<string, string>;
    context?: Record<string, string>;
    variables: TemplateVariables;
  }): Promise<{ attributes: Record<string, unknown>; context: Record<string, unknown>; error?: string }>;
  /** Sends an event or enters another journey. */
  triggerFromJourney(input: {
    eventId: string;
    event?: { name: string; recipientId: string; properties: Record<string, unknown> };
    journey?: { id: string; recipientId: string };
  }): Promise<{ outcome: string }>;
  /** Enters one page of a schedule entry's audience (recipient ids after `afterId`) into the latest version; `entryKey` keeps a retried page from entering twice. */
  enterAudiencePage(input: { journeyId: string; afterId?: string; runKey: string }): Promise<{ lastId?: string; entered: number; done: boolean }>;
  /** Adds step counters and, at the end, the run's final status. */
  recordJourneyProgress(input: { journeyId: string; version: number; counts: StepCounts[]; end?: { workflowId: string; status: RunStatus } }): Promise<void>;
}

/** The child's result, summed up for later steps. */
export function webhookOutcome(state: WebhookState): StepResult {
  const last = state.attempts[state.attempts.length - 1];
  return {
    webhookId: state.id,
    outcome: state.status === 'delivered' ? 'delivered' : 'failed',
    ...(last?.statusCode === undefined ? {} : { statusCode: last.statusCode }),
  };
}
