/**
 * The SDK's recipient and event calls: validated with the shared schemas, stored in PostgreSQL
 * (personal data stays there), a missing recipient a NotFoundError.
 */
import { NotFoundError } from '../errors';
import { parseEvents, type EventInput } from '../event/schema';
import { ingestEvents, type Accepted } from '../event/store';
import { combinePatches, parseRecipientId, parseRecipientPut, type Attributes, type Recipient } from '../recipient/schema';
import { eraseRecipient, putRecipient, readRecipient, type Erasure } from '../recipient/store';
import type { ClientDatabase } from './database';

export function mergeRecipient(db: ClientDatabase, id: string, attributes: Attributes): Promise<Recipient> {
  const recipientId = parseRecipientId(id);
  const patch = combinePatches([parseRecipientPut({ attributes })]);
  return db.run(() => putRecipient(db.pool, recipientId, patch));
}

export async function findRecipient(db: ClientDatabase, id: string): Promise<Recipient> {
  const recipientId = parseRecipientId(id);
  const found = await db.run(() => readRecipient(db.pool, recipientId));
  if (!found) throw new NotFoundError('recipient', recipientId);
  return found;
}

export async function eraseRecipientData(db: ClientDatabase, id: string): Promise<Erasure> {
  const recipientId = parseRecipientId(id);
  const erased = await db.run(() => eraseRecipient(db.pool, recipientId));
  if (!erased.recipient && erased.events === 0) throw new NotFoundError('recipient', recipientId);
  return erased;
}

export function trackEvents(db: ClientDatabase, events: EventInput | { events: EventInput[] }, hops: number): Promise<Accepted[]> {
  const parsed = parseEvents(events, new Date(), hops);
  return db.run(() => ingestEvents(db.pool, parsed));
}
