/**
 * The one schema of a journey definition (`PUT /v1/journeys/:id`, SDK `saveJourney`), checked at
 * save and again at publish. Every problem is reported at once, each naming the step by its id and
 * the field: `steps.welcome.next: names no step (unknown-step)`.
 *
 * Rules beyond the shape: the steps form a graph that only moves forward (no cycle) from the first
 * step, every step reachable, at most 200 steps; filters are the shared filter language
 * (src/filter) with the journey's roots; windows and delays within bounds. What needs the database
 * (templates exist) is checked by the service with `templateRefs`.
 */
import { z } from 'zod';
import { RATE_LIMIT_BOUNDS } from '../ratelimit/definitions';
import { InvalidRequestError, type FieldIssue } from '../errors';
import { parseFilter, type Root } from '../filter/parse';
import { ID_PATTERN, ID_RULE } from '../recipient/schema';
import { parseWebhook } from '../webhook/schema';
import { DAYS, JOURNEY_LIMITS, type JourneyDefinition, type JourneyStep, type TemplateRef } from './definitions';

const STEP_TYPES = ['webhook', 'delay', 'split', 'waitForEvent', 'experiment', 'update', 'trigger', 'exit'] as const;
const TIME_OF_DAY = /^([01]\d|2[0-3]):[0-5]\d$/;
/** `$`, `$.a.b`, `$.items[0].id`. */
const JSON_PATH = /^\$(\.[A-Za-z0-9_-]+|\[\d{1,4}\])*$/;
const NAME = /^[A-Za-z0-9_]{1,64}$/;
/** Five fields of cron characters (Temporal parses the expression itself when the schedule is made). */
const CRON = /^[\d*/,A-Za-z?#LW-]+( [\d*/,A-Za-z?#LW-]+){4}$/;
const EVENT_NAME = /^[^\p{Cc}]{1,255}$/u;
const RUN_ROOTS: Root[] = ['event', 'recipient', 'entry', 'steps', 'context'];
const EVENT_ROOTS: Root[] = ['event', 'recipient'];

type Raw = Record<string, unknown>;
const isObject = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v);

export interface ParseJourneyOptions {
  maxBodyBytes: number;
  /** Checks one Liquid source (update steps); returns the problem, if any. */
  checkLiquid?: (source: string) => string | undefined;
}

/** Throws InvalidRequestError naming every problem; returns the definition as given (validated). */
export function parseJourney(input: unknown, options: ParseJourneyOptions): JourneyDefinition {
  const issues: FieldIssue[] = [];
  const issue = (field: string, message: string): void => void issues.push({ field, message });
  if (!isObject(input)) throw new InvalidRequestError([{ field: '(journey)', message: 'must be a JSON object { entry, steps, exitOn?, reEntry?, rateLimitPerMinute? }' }], 'invalid_journey');
  for (const key of Object.keys(input)) {
    if (!['entry', 'steps', 'exitOn', 'reEntry', 'rateLimitPerMinute'].includes(key)) issue(key, 'is not a known field');
  }
  const filter = (value: unknown, field: string, roots: Root[]): void => {
    try {
      parseFilter(value, { field, roots });
    } catch (err) {
      if (!(err instanceof InvalidRequestError)) throw err;
      issues.push(...err.issues);
    }
  };
  const eventName = (value: unknown, field: string): void => {
    if (typeof value !== 'string' || !EVENT_NAME.test(value)) issue(field, 'must be an event name: 1-255 characters, no control characters');
  };

  // entry
  const entry = input.entry;
  if (!isObject(entry)) issue('entry', 'is required: { type: "event", event, where? }, { type: "api" } or { type: "schedule", cron, timezone?, audience }');
  else if (entry.type === 'event') {
    allowOnly(entry, ['type', 'event', 'where'], 'entry', issue);
    eventName(entry.event, 'entry.event');
    if (entry.where !== undefined) filter(entry.where, 'entry.where', EVENT_ROOTS);
  } else if (entry.type === 'api') {
    allowOnly(entry, ['type'], 'entry', issue);
  } else if (entry.type === 'schedule') {
    allowOnly(entry, ['type', 'cron', 'timezone', 'audience'], 'entry', issue);
    if (typeof entry.cron !== 'string' || !CRON.test(entry.cron.trim())) issue('entry.cron', 'must be a cron expression of 5 fields, e.g. "0 9 * * mon" (minute hour day-of-month month day-of-week)');
    if (entry.timezone !== undefined && (typeof entry.timezone !== 'string' || !validTimezone(entry.timezone))) issue('entry.timezone', 'must be an IANA time zone such as Europe/Paris');
    filter(entry.audience, 'entry.audience', ['recipient']);
  } else issue('entry.type', 'must be "event", "api" or "schedule"');

  // exitOn
  if (input.exitOn !== undefined) {
    if (!Array.isArray(input.exitOn) || input.exitOn.length > JOURNEY_LIMITS.exitOn) issue('exitOn', `must be an array of up to ${JOURNEY_LIMITS.exitOn} { event, where? }`);
    else
      input.exitOn.forEach((e, i) => {
        if (!isObject(e)) return issue(`exitOn.${i}`, 'must be { event, where? }');
        allowOnly(e, ['event', 'where'], `exitOn.${i}`, issue);
        eventName(e.event, `exitOn.${i}.event`);
        if (e.where !== undefined) filter(e.where, `exitOn.${i}.where`, EVENT_ROOTS);
      });
  }

  // rateLimitPerMinute: shared by every webhook step of every run, across workers (src/ratelimit)
  const perMinute = input.rateLimitPerMinute;
  const [minRate, maxRate] = RATE_LIMIT_BOUNDS;
  if (perMinute !== undefined && (!Number.isInteger(perMinute) || (perMinute as number) < minRate || (perMinute as number) > maxRate)) {
    issue('rateLimitPerMinute', `must be an integer from ${minRate} to ${maxRate}`);
  }

  // reEntry
  const reEntry = input.reEntry;
  if (reEntry !== undefined && reEntry !== 'never' && reEntry !== 'afterExit') {
    const after = isObject(reEntry) ? reEntry.afterSeconds : undefined;
    if (!isObject(reEntry) || Object.keys(reEntry).length !== 1 || !Number.isInteger(after) || (after as number) < 1 || (after as number) > JOURNEY_LIMITS.delaySeconds) {
      issue('reEntry', `must be "never", "afterExit" or { afterSeconds } with 1 to ${JOURNEY_LIMITS.delaySeconds} seconds`);
    }
  }

  // steps
  const steps = input.steps;
  if (!Array.isArray(steps) || steps.length === 0) {
    issue('steps', 'is required: a non-empty array of steps');
    throw new InvalidRequestError(issues, 'invalid_journey');
  }
  if (steps.length > JOURNEY_LIMITS.steps) issue('steps', `has ${steps.length} steps, more than the ${JOURNEY_LIMITS.steps} allowed`);
  const ids = new Map<string, number>();
  steps.forEach((s, i) => {
    const id = isObject(s) && typeof s.id === 'string' && ID_PATTERN.test(s.id) ? s.id : undefined;
    if (!id) return issue(`steps.${i}.id`, ID_RULE);
    if (ids.has(id)) return issue(`steps.${id}.id`, `is used by two steps (${ids.get(id)} and ${i})`);
    ids.set(id, i);
  });
  const edges = new Map<string, { field: string; to: string }[]>();
  steps.forEach((s, i) => {
    if (!isObject(s)) return issue(`steps.${i}`, 'must be an object { id, type, … }');
    const at = typeof s.id === 'string' && ids.get(s.id) === i ? `steps.${s.id}` : `steps.${i}`;
    const out: { field: string; to: string }[] = [];
    if (typeof s.id === 'string') edges.set(s.id, out);
    const next = (value: unknown, field: string, required: boolean): void => {
      if (value === undefined) {
        if (required) issue(`${at}.${field}`, 'is required: the id of a step');
        return;
      }
      if (typeof value !== 'string') return issue(`${at}.${field}`, 'must be the id of a step');
      if (!ids.has(value)) return issue(`${at}.${field}`, `names no step ('${value.slice(0, 128)}')`);
      out.push({ field: `${at}.${field}`, to: value });
    };
    const paths = (min: number): Raw[] => {
      if (!Array.isArray(s.paths) || s.paths.length < min || s.paths.length > JOURNEY_LIMITS.paths) {
        issue(`${at}.paths`, `must be an array of ${min} to ${JOURNEY_LIMITS.paths} paths`);
        return [];
      }
      return s.paths.map((p, j) => {
        if (!isObject(p)) issue(`${at}.paths.${j}`, 'must be an object');
        return isObject(p) ? p : {};
      });
    };
    switch (s.type) {
      case 'webhook': {
        allowOnly(s, ['id', 'type', 'template', 'webhook', 'next', 'onFailure', 'save'], at, issue);
        if ((s.template === undefined) === (s.webhook === undefined)) issue(`${at}.template`, 'give either template { id, version? } or webhook { url, … }, not both or neither');
        if (s.template !== undefined) {
          const t = s.template;
          if (!isObject(t) || typeof t.id !== 'string' || !ID_PATTERN.test(t.id)) issue(`${at}.template.id`, ID_RULE);
          else if (t.version !== undefined && (!Number.isInteger(t.version) || (t.version as number) < 1)) issue(`${at}.template.version`, 'must be a positive integer');
          else allowOnly(t, ['id', 'version'], `${at}.template`, issue);
        }
        if (s.webhook !== undefined) {
          try {
            parseWebhook(s.webhook, { maxBodyBytes: options.maxBodyBytes });
          } catch (err) {
            if (!(err instanceof InvalidRequestError)) throw err;
            for (const x of err.issues) issue(`${at}.webhook.${x.field}`, x.message);
          }
        }
        if (s.save !== undefined) {
          if (!isObject(s.save) || Object.keys(s.save).length > JOURNEY_LIMITS.savedValues) issue(`${at}.save`, `must be { name: "$.json.path" } with up to ${JOURNEY_LIMITS.savedValues} names`);
          else
            for (const [name, path] of Object.entries(s.save)) {
              if (!NAME.test(name)) issue(`${at}.save.${name}`, 'names must be 1-64 of A-Z a-z 0-9 _');
              else if (['statusCode', 'outcome', 'webhookId'].includes(name)) issue(`${at}.save.${name}`, 'is a name the step sets itself');
              else if (typeof path !== 'string' || !JSON_PATH.test(path)) issue(`${at}.save.${name}`, 'must be a JSON path such as $.user.id or $.items[0].id');
            }
        }
        next(s.next, 'next', false);
        next(s.onFailure, 'onFailure', false);
        break;
      }
      case 'delay': {
        allowOnly(s, ['id', 'type', 'seconds', 'until', 'timeOfDay', 'timezone', 'daysOfWeek', 'next'], at, issue);
        const kinds = ['seconds', 'until', 'timeOfDay'].filter((k) => s[k] !== undefined);
        if (kinds.length !== 1) issue(`${at}.seconds`, 'give exactly one of seconds, until, or timeOfDay (with timezone)');
        if (s.seconds !== undefined && (!Number.isInteger(s.seconds) || (s.seconds as number) < 0 || (s.seconds as number) > JOURNEY_LIMITS.delaySeconds)) {
          issue(`${at}.seconds`, `must be an integer from 0 to ${JOURNEY_LIMITS.delaySeconds} (366 days)`);
        }
        if (s.until !== undefined && (typeof s.until !== 'string' || !/^\d{4}-\d\d-\d\dT/.test(s.until) || Number.isNaN(Date.parse(s.until)))) {
          issue(`${at}.until`, 'must be an ISO 8601 time, e.g. 2026-12-01T09:00:00Z');
        }
        if (s.timeOfDay !== undefined) {
          if (typeof s.timeOfDay !== 'string' || !TIME_OF_DAY.test(s.timeOfDay)) issue(`${at}.timeOfDay`, 'must be HH:MM (24-hour)');
          if (typeof s.timezone !== 'string' || !validTimezone(s.timezone)) issue(`${at}.timezone`, 'is required with timeOfDay: an IANA time zone such as Europe/Paris');
          if (s.daysOfWeek !== undefined && (!Array.isArray(s.daysOfWeek) || s.daysOfWeek.length === 0 || s.daysOfWeek.some((d) => !(DAYS as readonly unknown[]).includes(d)))) {
            issue(`${at}.daysOfWeek`, `must be a non-empty array of ${DAYS.join(', ')}`);
          }
        } else if (s.timezone !== undefined || s.daysOfWeek !== undefined) issue(`${at}.timezone`, 'goes only with timeOfDay');
        next(s.next, 'next', false);
        break;
      }
      case 'split':
        allowOnly(s, ['id', 'type', 'paths', 'else'], at, issue);
        paths(1).forEach((p, j) => {
          allowOnly(p, ['when', 'next'], `${at}.paths.${j}`, issue);
          filter(p.when, `${at}.paths.${j}.when`, RUN_ROOTS);
          next(p.next, `paths.${j}.next`, true);
        });
        next(s.else, 'else', true);
        break;
      case 'waitForEvent':
        allowOnly(s, ['id', 'type', 'windowSeconds', 'paths', 'timeout'], at, issue);
        if (!Number.isInteger(s.windowSeconds) || (s.windowSeconds as number) < 1 || (s.windowSeconds as number) > JOURNEY_LIMITS.windowSeconds) {
          issue(`${at}.windowSeconds`, `must be an integer from 1 to ${JOURNEY_LIMITS.windowSeconds} (31 days)`);
        }
        paths(1).forEach((p, j) => {
          allowOnly(p, ['event', 'where', 'next', 'exit'], `${at}.paths.${j}`, issue);
          eventName(p.event, `${at}.paths.${j}.event`);
          if (p.where !== undefined) filter(p.where, `${at}.paths.${j}.where`, RUN_ROOTS);
          if (p.exit !== undefined && typeof p.exit !== 'boolean') issue(`${at}.paths.${j}.exit`, 'must be true or false');
          if (p.exit === true && p.next !== undefined) issue(`${at}.paths.${j}.next`, 'goes nowhere after exit: true');
          next(p.next, `paths.${j}.next`, p.exit !== true);
        });
        next(s.timeout, 'timeout', true);
        break;
      case 'experiment': {
        allowOnly(s, ['id', 'type', 'paths'], at, issue);
        const list = paths(2);
        let total = 0;
        list.forEach((p, j) => {
          allowOnly(p, ['percent', 'next'], `${at}.paths.${j}`, issue);
          if (typeof p.percent !== 'number' || !Number.isFinite(p.percent) || p.percent < 0 || p.percent > 100) issue(`${at}.paths.${j}.percent`, 'must be a number from 0 to 100');
          else total += p.percent;
          next(p.next, `paths.${j}.next`, true);
        });
        if (list.length > 0 && Math.abs(total - 100) > 1e-9) issue(`${at}.paths`, `percents must add up to 100 (they add up to ${total})`);
        break;
      }
      case 'update': {
        allowOnly(s, ['id', 'type', 'attributes', 'context', 'next'], at, issue);
        if (s.attributes === undefined && s.context === undefined) issue(`${at}.attributes`, 'give attributes, context or both: { name: "liquid" }');
        for (const field of ['attributes', 'context'] as const) {
          const values = s[field];
          if (values === undefined) continue;
          if (!isObject(values) || Object.keys(values).length === 0) {
            issue(`${at}.${field}`, 'must be a non-empty object { name: "liquid" }');
            continue;
          }
          for (const [name, source] of Object.entries(values)) {
            if (name.length === 0 || name.length > 128) issue(`${at}.${field}.${name}`, 'names must be 1-128 characters');
            else if (typeof source !== 'string') issue(`${at}.${field}.${name}`, 'must be a Liquid string, e.g. "{{ context.count | default: 0 | plus: 1 }}"');
            else {
              const problem = options.checkLiquid?.(source);
              if (problem) issue(`${at}.${field}.${name}`, problem);
            }
          }
        }
        next(s.next, 'next', false);
        break;
      }
      case 'trigger': {
        allowOnly(s, ['id', 'type', 'event', 'journey', 'next'], at, issue);
        if ((s.event === undefined) === (s.journey === undefined)) issue(`${at}.event`, 'give either event { name, recipientId?, properties? } or journey { id, recipientId? }');
        if (s.event !== undefined) {
          if (!isObject(s.event)) issue(`${at}.event`, 'must be { name, recipientId?, properties? }');
          else {
            allowOnly(s.event, ['name', 'recipientId', 'properties'], `${at}.event`, issue);
            eventName(s.event.name, `${at}.event.name`);
            if (s.event.recipientId !== undefined && (typeof s.event.recipientId !== 'string' || !ID_PATTERN.test(s.event.recipientId))) issue(`${at}.event.recipientId`, ID_RULE);
            if (s.event.properties !== undefined && !isObject(s.event.properties)) issue(`${at}.event.properties`, 'must be a JSON object');
          }
        }
        if (s.journey !== undefined) {
          if (!isObject(s.journey) || typeof s.journey.id !== 'string' || !ID_PATTERN.test(s.journey.id)) issue(`${at}.journey.id`, ID_RULE);
          else {
            allowOnly(s.journey, ['id', 'recipientId'], `${at}.journey`, issue);
            if (s.journey.recipientId !== undefined && (typeof s.journey.recipientId !== 'string' || !ID_PATTERN.test(s.journey.recipientId))) issue(`${at}.journey.recipientId`, ID_RULE);
          }
        }
        next(s.next, 'next', false);
        break;
      }
      case 'exit':
        allowOnly(s, ['id', 'type'], at, issue);
        break;
      default:
        issue(`${at}.type`, `must be one of ${STEP_TYPES.join(', ')}`);
    }
  });

  if (issues.length === 0) graphIssues(steps as JourneyStep[], edges, issue);
  if (issues.length > 0) throw new InvalidRequestError(issues, 'invalid_journey');
  return input as unknown as JourneyDefinition;
}

/** Every step reachable from the first, and no way back to a step already passed. */
function graphIssues(steps: JourneyStep[], edges: Map<string, { field: string; to: string }[]>, issue: (field: string, message: string) => void): void {
  const state = new Map<string, 'open' | 'done'>();
  const visit = (id: string): void => {
    state.set(id, 'open');
    for (const edge of edges.get(id) ?? []) {
      if (state.get(edge.to) === 'open') issue(edge.field, `leads back to step ${edge.to}: a cycle (steps only move forward)`);
      else if (!state.has(edge.to)) visit(edge.to);
    }
    state.set(id, 'done');
  };
  visit(steps[0].id);
  for (const s of steps) if (!state.has(s.id)) issue(`steps.${s.id}`, `is unreachable from the first step (${steps[0].id})`);
}

function allowOnly(o: Raw, keys: string[], at: string, issue: (field: string, message: string) => void): void {
  for (const key of Object.keys(o)) if (!keys.includes(key)) issue(`${at}.${key}`, 'is not a known field');
}

function validTimezone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** The templates a definition names, with where (for the service's existence check). */
export function templateRefs(definition: JourneyDefinition): { field: string; ref: TemplateRef }[] {
  return definition.steps.flatMap((s) => (s.type === 'webhook' && s.template ? [{ field: `steps.${s.id}.template`, ref: s.template }] : []));
}

/** Event names the runs of a definition react to (wait steps and exitOn). */
export function listenedEvents(definition: JourneyDefinition): string[] {
  const names = new Set<string>();
  for (const e of definition.exitOn ?? []) names.add(e.event);
  for (const s of definition.steps) if (s.type === 'waitForEvent') for (const p of s.paths) names.add(p.event);
  return [...names];
}

/** A version number: positive, and within PostgreSQL's integer (larger ones are no version). */
const versionNumber = z.number({ error: 'must be a published version number' }).refine((n) => Number.isInteger(n) && n >= 1 && n <= 2_147_483_647, { error: 'must be a published version number' });

/** `POST /v1/journeys/:id/migrate`. */
export const migrateSchema = z.strictObject({ from: versionNumber, to: versionNumber }).refine((m) => m.from !== m.to, { path: ['to'], error: 'must differ from from' });
