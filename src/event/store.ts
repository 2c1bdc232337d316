/**
 * Events in PostgreSQL. Ingest stores a batch and its attribute changes in one transaction: once
 * it commits the events are durable (the API answers 202 only then), and a listener sees the
 * attributes as they stood after the event.
 */
import type pg from 'pg';
import { combinePatches, type AttributePatch, type Attributes } from '../recipient/schema';
import { applyPatches, withTransaction } from '../recipient/store';
import type { NewEvent } from './schema';

export interface Accepted {
  id: string;
  /** false when an event with this id was stored before: it is not stored or triggered again. */
  created: boolean;
}

export async function ingestEvents(pool: pg.Pool, events: NewEvent[]): Promise<Accepted[]> {
  return withTransaction(pool, async (tx) => {
    // The first of the same id in one call wins, as a repeated call would.
    const first = new Set<NewEvent>();
    const seen = new Set<string>();
    for (const e of events) if (!seen.has(e.id)) (seen.add(e.id), first.add(e));
    const unique = [...first];
    // Rows are inserted (and numbered) in the order of the call.
    const { rows } = await tx.query<{ id: string }>(
      `INSERT INTO events (id, name, recipient_id, properties, time)
       SELECT e.id, e.name, e.recipient_id, e.properties, e.time
       FROM unnest($1::text[], $2::text[], $3::text[], $4::jsonb[], $5::timestamptz[]) WITH ORDINALITY AS e(id, name, recipient_id, properties, time, n)
       ORDER BY e.n
       ON CONFLICT (id) DO NOTHING
       RETURNING id`,
      [unique.map((e) => e.id), unique.map((e) => e.name), unique.map((e) => e.recipientId), unique.map((e) => JSON.stringify(e.properties)), unique.map((e) => e.time)],
    );
    const created = new Set(rows.map((r) => r.id));
    // Every recipient of a new event exists after it (with no attributes if none were given);
    // a duplicate changes nothing.
    const writes = new Map<string, Attributes[]>();
    for (const e of unique) {
      if (!created.has(e.id)) continue;
      if (!writes.has(e.recipientId)) writes.set(e.recipientId, []);
      if (e.attributes) writes.get(e.recipientId)!.push(e.attributes);
    }
    const patches = new Map<string, AttributePatch>([...writes].map(([id, w]) => [id, combinePatches(w)]));
    await applyPatches(tx, patches);
    return events.map((e) => ({ id: e.id, created: first.has(e) && created.has(e.id) }));
  });
}
