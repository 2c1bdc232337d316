/**
 * The pure decisions of a journey's steps, shared by the JSON interpreter (workflows/journey.ts)
 * and the building blocks developers use in their own workflows: when a delay ends, which path a
 * split, a wait or an experiment takes, what a `save` reads from a response. Time and randomness
 * come in as arguments (the workflow's own, so replays decide the same).
 */
import { matches, type FilterContext } from '../filter/match';
import { parseFilter, type Filter } from '../filter/parse';
import { DAYS, JOURNEY_LIMITS, type JourneyEvent, type JourneyStep, type WhereFilter } from './definitions';

type DelayStep = Extract<JourneyStep, { type: 'delay' }>;

/** When a delay step ends (ms); `now` or earlier means go on at once. */
export function delayEndsAt(step: DelayStep, nowMs: number): number {
  if (step.seconds !== undefined) return nowMs + step.seconds * 1000;
  if (step.until !== undefined) return Math.max(nowMs, Date.parse(step.until));
  const [hh, mm] = step.timeOfDay!.split(':').map(Number);
  const zone = step.timezone!;
  const days: readonly string[] = step.daysOfWeek ?? DAYS;
  // The first local HH:MM at or after now on an allowed day, within the next 8 days.
  for (let d = 0; d <= 8; d++) {
    const local = localDate(nowMs + d * 86_400_000, zone);
    const at = zonedToUtc(local.year, local.month, local.day, hh, mm, zone);
    if (at >= nowMs && days.includes(DAYS[new Date(Date.UTC(local.year, local.month - 1, local.day)).getUTCDay()])) return at;
  }
  return nowMs;
}

function localDate(ms: number, zone: string): { year: number; month: number; day: number; hour: number; minute: number } {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric' }).formatToParts(new Date(ms));
  const get = (type: string): number => Number(parts.find((p) => p.type === type)?.value);
  return { year: get('year'), month: get('month'), day: get('day'), hour: get('hour'), minute: get('minute') };
}

function offsetMs(ms: number, zone: string): number {
  const l = localDate(ms, zone);
  return Date.UTC(l.year, l.month - 1, l.day, l.hour, l.minute) - Math.floor(ms / 60_000) * 60_000;
}

function zonedToUtc(year: number, month: number, day: number, hh: number, mm: number, zone: string): number {
  const guess = Date.UTC(year, month - 1, day, hh, mm);
  const first = guess - offsetMs(guess, zone);
  const second = guess - offsetMs(first, zone);
  return second;
}

/** The experiment path for a draw in [0, 1). */
export function experimentPath(percents: number[], draw: number): number {
  let edge = 0;
  for (let i = 0; i < percents.length; i++) {
    edge += percents[i] / 100;
    if (draw < edge) return i;
  }
  // Rounding: the last path with a share takes what is left.
  for (let i = percents.length - 1; i >= 0; i--) if (percents[i] > 0) return i;
  return percents.length - 1;
}

// By the definition's own objects, so a cache that goes with the runs holding them.
const parsed = new WeakMap<WhereFilter, Filter>();
/** Whether a (validated) filter matches. */
export function whereMatches(where: WhereFilter | undefined, context: FilterContext): boolean {
  if (where === undefined) return true;
  let filter = parsed.get(where);
  if (!filter) {
    filter = parseFilter(where, { roots: ['event', 'recipient', 'entry', 'steps', 'context'] });
    parsed.set(where, filter);
  }
  return matches(filter, context);
}

/** The first split path whose filter matches (its index), or -1 for `else`. */
export function splitPath(paths: { when: WhereFilter }[], context: FilterContext): number {
  return paths.findIndex((p) => whereMatches(p.when, context));
}

/**
 * The first event in the inbox that one of the paths takes, with the path: events in the order
 * they came, paths ranked. Only events accepted at or after `sinceIso` count.
 */
export function waitMatch(
  paths: { event: string; where?: WhereFilter }[],
  inbox: JourneyEvent[],
  context: (event: JourneyEvent) => FilterContext,
  sinceIso: string,
): { eventIndex: number; path: number } | undefined {
  const since = Date.parse(sinceIso);
  for (let i = 0; i < inbox.length; i++) {
    const event = inbox[i];
    if (Date.parse(event.receivedAt) < since) continue;
    const path = paths.findIndex((p) => p.event === event.name && whereMatches(p.where, context(event)));
    if (path >= 0) return { eventIndex: i, path };
  }
  return undefined;
}

/** A value of a JSON response body at `$.a.b[0]`, if the body is JSON and the value small enough to keep. */
export function readJsonPath(body: string | undefined, path: string): unknown {
  if (body === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return undefined;
  }
  for (const [, key, index] of path.slice(1).matchAll(/\.([A-Za-z0-9_-]+)|\[(\d+)\]/g)) {
    if (key !== undefined) {
      if (typeof value !== 'object' || value === null || Array.isArray(value) || !Object.hasOwn(value, key)) return undefined;
      value = (value as Record<string, unknown>)[key];
    } else {
      if (!Array.isArray(value)) return undefined;
      value = value[Number(index)];
    }
  }
  if (value === undefined) return undefined;
  return JSON.stringify(value).length <= JOURNEY_LIMITS.savedValueBytes ? value : undefined;
}
