/**
 * Journeys for the SDK (and through it the API) and for the worker's listener and activities:
 * save and publish definitions, enter recipients (re-entry rules), hand events to waiting runs,
 * read and exit runs, migrate waiting runs to another version.
 *
 * A run is one `runJourney` workflow, id `journey:<journeyId>:<hash of recipientId>` (plus `:<n>`
 * when `reEntry: { afterSeconds }` lets runs overlap). Its row in journey_runs is written in the
 * transaction that starts it, under a per-recipient advisory lock, so two entries of the same
 * recipient at once enter once.
 */
import { ScheduleNotFoundError, WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import type pg from 'pg';
import type { Config } from '../config';
import { InvalidRequestError, NotFoundError, type FieldIssue } from '../errors';
import { z } from 'zod';
import { combinePatches, ID_PATTERN, ID_RULE, recipientInCallSchema, type Attributes } from '../recipient/schema';
import { withTransaction } from '../db/transaction';
import { applyPatches, readRecipient } from '../recipient/store';
import { checkTemplateId } from '../template/schema';
import { toFieldIssues } from '../webhook/schema';
import type { TemplateService } from '../template/service';
import {
  ENTER_AUDIENCE_WORKFLOW,
  exitRunSignal,
  journeyScheduleId,
  journeyEventSignal,
  JOURNEY_SEARCH_ATTRIBUTES,
  migrateUpdate,
  RUN_JOURNEY_WORKFLOW,
  runQuery,
  type JourneyDefinition,
  type JourneyEvent,
  type RunJourneyInput,
  type RunView,
} from './definitions';
import { migrateSchema, parseJourney, templateRefs } from './schema';
import { JourneyStore, recipientKey, type PublishedJourney } from './store';
import { inLanes } from '../lanes';

/** Two-key advisory locks (this class, hash of journey and recipient key): a key space of their own. */
const ENTRY_LOCK_CLASS = 4_242_011;
const MAX_ENTRIES_PER_CALL = 1_000;
/** Runs asked at once by migrate. */
const MIGRATE_CONCURRENCY = 20;
/** Entries of one API call made at once (each holds a pooled connection while it starts its run). */
const ENTRY_LANES = 4;

export interface EntryResult {
  recipientId: string;
  entered: boolean;
  /** The run's number for this recipient (1 for the first), when it entered. */
  run?: number;
  /** Why it did not enter (re-entry rule, already in the journey). */
  reason?: string;
}

export interface JourneyView {
  id: string;
  draft: JourneyDefinition;
  createdAt: string;
  updatedAt: string;
  versions: { version: number; publishedAt: string; definition: JourneyDefinition }[];
  counts: Awaited<ReturnType<JourneyStore['counts']>>;
}

export interface EnterRecipient {
  id: string;
  attributes?: Attributes;
  properties?: Attributes;
}

export class JourneyService {
  readonly store: JourneyStore;

  constructor(
    readonly pool: pg.Pool,
    private readonly client: Client,
    private readonly config: Pick<Config, 'taskQueue' | 'maxBodyBytes'>,
    private readonly templates: TemplateService,
    /** Start runs eagerly on this process's worker (the worker's own listener and activities: its client shares the worker's connection). */
    private readonly eagerStart = false,
  ) {
    this.store = new JourneyStore(pool);
  }

  /** Validates (400 naming step and field) and saves the draft. */
  async save(id: string, input: unknown): Promise<{ id: string; created: boolean }> {
    checkJourneyId(id);
    const definition = await this.validate(input);
    const { created } = await this.store.saveDraft(id, definition);
    return { id, created };
  }

  /** Validates the draft again (its templates may be gone) and makes it the next version. */
  async publish(id: string): Promise<{ id: string; version: number }> {
    checkJourneyId(id);
    const found = await this.store.draft(id);
    if (!found) throw new NotFoundError('journey', id);
    const definition = await this.validate(found.draft);
    const version = await this.store.publish(id, definition);
    await this.syncSchedule(id, definition);
    return { id, version };
  }

  /**
   * A schedule entry is a Temporal Schedule (`journey-schedule:<id>`) whose firings start
   * `enterJourneyAudience`; publishing a version replaces it, or removes it when the new version's
   * entry is not a schedule. A firing while the previous one still enters is skipped.
   */
  private async syncSchedule(id: string, definition: JourneyDefinition): Promise<void> {
    const scheduleId = journeyScheduleId(id);
    try {
      await this.client.schedule.getHandle(scheduleId).delete();
    } catch (err) {
      if (!(err instanceof ScheduleNotFoundError)) throw err;
    }
    const entry = definition.entry;
    if (entry.type !== 'schedule') return;
    await this.client.schedule.create({
      scheduleId,
      spec: { cronExpressions: [entry.cron], ...(entry.timezone ? { timezone: entry.timezone } : {}) },
      action: { type: 'startWorkflow', workflowType: ENTER_AUDIENCE_WORKFLOW, args: [{ journeyId: id }], taskQueue: this.config.taskQueue },
      policies: { overlap: 'SKIP' },
    });
  }

  async get(id: string): Promise<JourneyView> {
    checkJourneyId(id);
    const found = await this.store.draft(id);
    if (!found) throw new NotFoundError('journey', id);
    const versions = await this.store.versions(id);
    return {
      id,
      draft: found.draft,
      createdAt: found.createdAt.toISOString(),
      updatedAt: found.updatedAt.toISOString(),
      versions: versions.map((v) => ({ version: v.version, publishedAt: v.publishedAt.toISOString(), definition: v.definition })),
      counts: await this.store.counts(id),
    };
  }

  /** `POST /v1/journeys/:id/entries`: enters each recipient into the latest published version (API entry). */
  async enter(id: string, input: unknown): Promise<{ version: number; entries: EntryResult[] }> {
    checkJourneyId(id);
    const recipients = parseEntries(input);
    const journey = await this.store.version(id);
    if (!journey) throw new InvalidRequestError([{ field: 'id', message: `journey ${id} has no published version: publish it first` }], 'not_published');
    // A few at a time: each entry is a short transaction and a workflow start, and one by one a
    // call of 1,000 outlasted its deadline on a loaded machine. The same recipient twice in a call
    // still enters in turn: the entry lock orders them.
    const entries = await inLanes(recipients, ENTRY_LANES, (r) => this.enterOne(journey, r, { enteredAt: new Date() }));
    return { version: journey.version, entries };
  }

  /**
   * Enters one recipient into a published version, unless its re-entry rule says no. `entryKey`
   * (an event id, a trigger's id) makes a repeated call enter once.
   */
  async enterOne(journey: PublishedJourney, recipient: EnterRecipient, how: { enteredAt: Date; event?: { name: string; properties: Attributes }; entryKey?: string }): Promise<EntryResult> {
    if (recipient.attributes) await applyPatches(this.pool, new Map([[recipient.id, combinePatches([recipient.attributes])]]));
    const attributes = (await readRecipient(this.pool, recipient.id))?.attributes ?? {};
    const key = recipientKey(recipient.id);
    const reEntry = journey.definition.reEntry ?? 'afterExit';
    const refused = (reason: string): EntryResult => ({ recipientId: recipient.id, entered: false, reason });
    class AlreadyRunning extends Error {}
    try {
      return await withTransaction(this.pool, async (tx) => {
        await tx.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [ENTRY_LOCK_CLASS, `${journey.id}/${key}`]);
        const latest = await this.store.latestRun(tx, journey.id, key);
        if (latest && reEntry === 'never') return refused('reEntry is never: the recipient entered this journey before');
        if (latest && typeof reEntry === 'object' && latest.enteredAt.getTime() + reEntry.afterSeconds * 1000 > how.enteredAt.getTime()) {
          return refused(`reEntry afterSeconds ${reEntry.afterSeconds}: the last entry was ${latest.enteredAt.toISOString()}`);
        }
        const n = (latest?.n ?? 0) + 1;
        const workflowId = `journey:${journey.id}:${key}${typeof reEntry === 'object' ? `:${n}` : ''}`;
        const added = await this.store.addRun(tx, { journeyId: journey.id, key, n, workflowId, version: journey.version, enteredAt: how.enteredAt, ...(how.entryKey ? { entryKey: how.entryKey } : {}) });
        if (!added) return refused(`already entered by ${how.entryKey}`);
        const input: RunJourneyInput = {
          journeyId: journey.id,
          version: journey.version,
          definition: journey.definition,
          recipient: { id: recipient.id, attributes },
          entry: { properties: recipient.properties ?? {}, ...(how.event ? { event: how.event } : {}) },
          enteredAt: how.enteredAt.toISOString(),
          n,
        };
        try {
          await this.client.workflow.start(RUN_JOURNEY_WORKFLOW, {
            taskQueue: this.config.taskQueue,
            workflowId,
            args: [input],
            // afterExit: a new run once the last one closed; a run still going refuses the entry.
            workflowIdReusePolicy: 'ALLOW_DUPLICATE',
            workflowIdConflictPolicy: 'FAIL',
            typedSearchAttributes: [
              { key: JOURNEY_SEARCH_ATTRIBUTES.journey, value: journey.id },
              { key: JOURNEY_SEARCH_ATTRIBUTES.step, value: journey.definition.steps[0].id },
            ],
            staticSummary: `journey ${journey.id} v${journey.version}, run ${n}`,
            requestEagerStart: this.eagerStart,
          });
        } catch (err) {
          if (err instanceof WorkflowExecutionAlreadyStartedError) throw new AlreadyRunning();
          throw err;
        }
        return { recipientId: recipient.id, entered: true, run: n };
      });
    } catch (err) {
      if (err instanceof AlreadyRunning) return refused('the recipient is in this journey now (reEntry afterExit)');
      throw err;
    }
  }

  /** Hands an event to the recipient's running runs of a journey (a run that has ended is skipped). */
  async signalRuns(db: Pick<pg.PoolClient, 'query'>, journeyId: string, recipientId: string, event: JourneyEvent): Promise<number> {
    let signalled = 0;
    for (const workflowId of await this.store.runningWorkflows(db, journeyId, recipientKey(recipientId))) {
      try {
        await this.client.workflow.getHandle(workflowId).signal(journeyEventSignal, event);
        signalled++;
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) throw err;
      }
    }
    return signalled;
  }

  /** The recipient's latest run of the journey. */
  async run(id: string, recipientId: string): Promise<RunView> {
    const workflowId = await this.latestWorkflow(id, recipientId);
    try {
      return await this.client.workflow.getHandle(workflowId).query(runQuery);
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw new NotFoundError('journey run', `${id}/${recipientId}`);
      throw err;
    }
  }

  /** Ends the recipient's running run wherever it is. */
  async exitRun(id: string, recipientId: string): Promise<{ exited: boolean }> {
    checkJourneyId(id);
    checkRecipient(recipientId);
    const running = await this.store.runningWorkflows(this.pool, id, recipientKey(recipientId));
    if (running.length === 0) throw new NotFoundError('running journey run', `${id}/${recipientId}`);
    for (const workflowId of running) {
      try {
        await this.client.workflow.getHandle(workflowId).signal(exitRunSignal, { reason: 'exited by the API' });
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) throw err;
      }
    }
    return { exited: true };
  }

  /** Moves runs of `from` that wait in a delay or waitForEvent step whose id `to` also has onto `to`. */
  async migrate(id: string, input: unknown): Promise<{ moved: number; stayed: number }> {
    checkJourneyId(id);
    const parsed = migrateSchema.safeParse(input ?? {});
    if (!parsed.success) throw new InvalidRequestError(toFieldIssues(parsed.error, input ?? {}, '(migrate)').map((i) => (i.message === 'is required' ? { ...i, message: 'must be a published version number' } : i)));
    const { from, to } = parsed.data;
    const target = await this.store.version(id, to);
    if (!target) throw new InvalidRequestError([{ field: 'to', message: `journey ${id} has no version ${to}` }]);
    if (!(await this.store.version(id, from))) throw new InvalidRequestError([{ field: 'from', message: `journey ${id} has no version ${from}` }]);
    const runs = await this.store.runsOfVersion(id, from);
    let moved = 0;
    for (let i = 0; i < runs.length; i += MIGRATE_CONCURRENCY) {
      await Promise.all(
        runs.slice(i, i + MIGRATE_CONCURRENCY).map(async (workflowId) => {
          try {
            const answer = await this.client.workflow.getHandle(workflowId).executeUpdate(migrateUpdate, { args: [{ from, to, definition: target.definition }] });
            if (!answer.moved) return;
            await this.store.moveRun(id, workflowId, from, to);
            moved++;
          } catch (err) {
            // A run that closed meanwhile stays where it was.
            if (!(err instanceof WorkflowNotFoundError)) throw err;
          }
        }),
      );
    }
    return { moved, stayed: runs.length - moved };
  }

  private async latestWorkflow(id: string, recipientId: string): Promise<string> {
    checkJourneyId(id);
    checkRecipient(recipientId);
    const latest = await this.store.latestRun(this.pool, id, recipientKey(recipientId));
    if (!latest) throw new NotFoundError('journey run', `${id}/${recipientId}`);
    return latest.workflowId;
  }

  private async validate(input: unknown): Promise<JourneyDefinition> {
    const engine = this.templates.engine;
    const definition = parseJourney(input, {
      maxBodyBytes: this.config.maxBodyBytes,
      checkLiquid: (source) => {
        try {
          engine.parse(source);
          return undefined;
        } catch (err) {
          return `Liquid: ${(err as Error).message}`;
        }
      },
    });
    const issues: FieldIssue[] = [];
    for (const { field, ref } of templateRefs(definition)) {
      const found = await this.templates.store.version(ref.id, ref.version);
      if (!found) issues.push({ field, message: ref.version === undefined ? `names no template (${ref.id})` : `template ${ref.id} has no version ${ref.version}` });
    }
    if (issues.length > 0) throw new InvalidRequestError(issues, 'invalid_journey');
    return definition;
  }
}

export function checkJourneyId(id: string): void {
  checkTemplateId(id);
}

function checkRecipient(id: string): void {
  if (!ID_PATTERN.test(id)) throw new InvalidRequestError([{ field: 'recipientId', message: ID_RULE }]);
}

/** `POST /v1/journeys/:id/entries` `{ recipients }`: each recipient as in a campaign's trigger call. */
const entriesSchema = z.strictObject({ recipients: z.array(recipientInCallSchema).min(1).max(MAX_ENTRIES_PER_CALL) });

function parseEntries(input: unknown): EnterRecipient[] {
  const result = entriesSchema.safeParse(input);
  if (!result.success) throw new InvalidRequestError(toFieldIssues(result.error, input, 'recipients'));
  return result.data.recipients as EnterRecipient[];
}
