/**
 * Recipients' input: the id rule shared by every named resource of campaigns (templates,
 * campaigns, journeys, recipients), and attribute patches.
 *
 * Attributes are JSON values, merged key by key into what is stored; a key set to `null` is
 * removed. Merging is shallow: an object value replaces the stored object whole.
 */
import { z } from 'zod';
import { InvalidRequestError } from '../errors';
import { toFieldIssues } from '../webhook/schema';

export const ID_PATTERN = /^[A-Za-z0-9_.@-]{1,128}$/;
export const ID_RULE = 'must be 1-128 characters of A-Z, a-z, 0-9, _ . @ -';

/** Bytes of one attribute patch (or event's properties) once serialised. */
export const MAX_JSON_OBJECT_BYTES = 65_536;
const MAX_KEYS = 500;

export const recipientIdSchema = z.string({ error: 'must be a string' }).regex(ID_PATTERN, { error: ID_RULE });

/** A JSON object of bounded size, e.g. attributes or event properties. */
export const jsonObjectSchema = z
  .record(z.string().min(1, { error: 'keys must not be empty' }).max(128, { error: 'keys must be at most 128 characters' }), z.json(), {
    error: 'must be a JSON object',
  })
  .refine((o) => Object.keys(o).length <= MAX_KEYS, { error: `must have at most ${MAX_KEYS} keys` })
  .refine((o) => Buffer.byteLength(JSON.stringify(o)) <= MAX_JSON_OBJECT_BYTES, { error: `must be at most ${MAX_JSON_OBJECT_BYTES} bytes as JSON` });

/** A recipient named in an API call (a campaign trigger, a journey entry): merged attributes, and its own `trigger.*`/entry properties. */
export const recipientInCallSchema = z.strictObject({
  id: recipientIdSchema,
  /** Merged into the stored recipient before anything is rendered (null removes a key). */
  attributes: jsonObjectSchema.optional(),
  /** This recipient's own properties, over the call's. */
  properties: jsonObjectSchema.optional(),
});

export const recipientPutSchema = z.strictObject({ attributes: jsonObjectSchema });

export type Attributes = Record<string, unknown>;

export interface Recipient {
  id: string;
  attributes: Attributes;
  createdAt: string;
  updatedAt: string;
}

/** What to change: keys to set, keys to remove (their value was null). */
export interface AttributePatch {
  set: Attributes;
  remove: string[];
}

export function parseRecipientId(id: unknown, field = 'id'): string {
  const parsed = recipientIdSchema.safeParse(id);
  if (!parsed.success) throw new InvalidRequestError([{ field, message: ID_RULE }]);
  return parsed.data;
}

export function parseRecipientPut(input: unknown): Attributes {
  const parsed = recipientPutSchema.safeParse(input ?? {});
  if (!parsed.success) throw new InvalidRequestError(toFieldIssues(parsed.error, input ?? {}, '(recipient)'));
  return parsed.data.attributes as Attributes;
}

/** Writes applied in order, later over earlier: the one patch they amount to. */
export function combinePatches(writes: Attributes[]): AttributePatch {
  const last = new Map<string, unknown>();
  for (const write of writes) for (const [key, value] of Object.entries(write)) last.set(key, value);
  const patch: AttributePatch = { set: {}, remove: [] };
  for (const [key, value] of last) {
    if (value === null) patch.remove.push(key);
    else patch.set[key] = value;
  }
  return patch;
}
