/**
 * The one schema of custom events (`POST /v1/events`, SDK `track`): one event, or `{ events }`
 * with up to 100. An event without an id gets one; the same id sent again is a duplicate, stored
 * and triggered once.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { InvalidRequestError } from '../errors';
import { ID_PATTERN, ID_RULE, jsonObjectSchema, recipientIdSchema, type Attributes } from '../recipient/schema';
import { toFieldIssues } from '../webhook/schema';

export const MAX_EVENTS_PER_CALL = 100;
/** Printable text without control characters: names appear in listings and listener code. */
const EVENT_NAME = /^[^\p{Cc}]{1,255}$/u;

export const eventSchema = z.strictObject({
  id: z.string({ error: 'must be a string' }).regex(ID_PATTERN, { error: ID_RULE }).optional(),
  name: z.string({ error: 'must be a string' }).regex(EVENT_NAME, { error: 'must be 1-255 characters, no control characters' }),
  recipientId: recipientIdSchema,
  properties: jsonObjectSchema.optional(),
  /** Attributes merged into the recipient before anything reacts to the event (null removes a key). */
  attributes: jsonObjectSchema.optional(),
  time: z.iso.datetime({ offset: true, error: 'must be an RFC 3339 time, e.g. 2026-11-28T12:00:00Z' }).optional(),
});

export const eventBatchSchema = z.strictObject({
  events: z
    .array(eventSchema, { error: 'must be an array of events' })
    .min(1, { error: 'must hold at least one event' })
    .max(MAX_EVENTS_PER_CALL, { error: `must hold at most ${MAX_EVENTS_PER_CALL} events` }),
});

export type EventInput = z.input<typeof eventSchema>;

/** An event ready to store. */
export interface NewEvent {
  id: string;
  name: string;
  recipientId: string;
  properties: Attributes;
  attributes?: Attributes;
  /** ISO 8601 in UTC. */
  time: string;
  /** Hookflow-to-Hookflow webhooks that led to it: the `Hookflow-Hops` of the API request that posted it, else 0. */
  hops: number;
}

export function newEventId(): string {
  return `ev_${randomBytes(16).toString('hex')}`;
}

/** One event or `{ events: [...] }`; throws InvalidRequestError naming each bad field (`events.3.name`). `hops`: see NewEvent. */
export function parseEvents(input: unknown, now: Date = new Date(), hops = 0): NewEvent[] {
  const batch = typeof input === 'object' && input !== null && 'events' in input;
  const parsed = (batch ? eventBatchSchema : eventSchema).safeParse(input ?? {});
  if (!parsed.success) throw new InvalidRequestError(toFieldIssues(parsed.error, input ?? {}, batch ? '(events)' : '(event)'));
  const events = batch ? (parsed.data as z.output<typeof eventBatchSchema>).events : [parsed.data as z.output<typeof eventSchema>];
  return events.map((e) => ({
    id: e.id ?? newEventId(),
    name: e.name,
    recipientId: e.recipientId,
    properties: (e.properties ?? {}) as Attributes,
    ...(e.attributes ? { attributes: e.attributes as Attributes } : {}),
    time: (e.time ? new Date(e.time) : now).toISOString(),
    hops,
  }));
}
