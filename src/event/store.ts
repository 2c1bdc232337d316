/**
 * Events in PostgreSQL. Ingest stores a call's events and their attribute changes in one
 * statement (so one transaction and one round trip): once it returns the events are durable (the
 * API answers 202 only then), and a listener sees the attributes as they stood after the event.
 */
import type pg from 'pg';
import { EVENTS_CHANNEL } from './listener';
import type { NewEvent } from './schema';

export interface Accepted {
  id: string;
  /** false when an event with this id was stored before: it is not stored or triggered again. */
  created: boolean;
}

/**
 * Events are numbered in the order of the call. Only events stored now (not duplicates) change
 * attributes: per recipient and key, the last value given wins, and null removes the key. Every
 * recipient of a new event exists afterwards (with no attributes if none were given). Recipient
 * rows are locked in id order, so concurrent calls cannot deadlock on them.
 */
const INGEST = `
WITH input AS (
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::jsonb[], $5::timestamptz[], $6::jsonb[], $7::smallint[])
    WITH ORDINALITY AS e(id, name, recipient_id, properties, time, attributes, hops, n)
), created AS (
  INSERT INTO events (id, name, recipient_id, properties, time, hops)
  SELECT id, name, recipient_id, properties, time, hops FROM input ORDER BY n
  ON CONFLICT (id) DO NOTHING
  RETURNING id
), latest AS (
  SELECT DISTINCT ON (i.recipient_id, a.key) i.recipient_id, a.key, a.value
  FROM input i JOIN created c ON c.id = i.id CROSS JOIN LATERAL jsonb_each(i.attributes) AS a(key, value)
  ORDER BY i.recipient_id, a.key, i.n DESC
), patch AS (
  SELECT t.recipient_id AS id,
         coalesce(jsonb_object_agg(l.key, l.value) FILTER (WHERE jsonb_typeof(l.value) <> 'null'), '{}'::jsonb) AS set,
         coalesce(array_agg(l.key) FILTER (WHERE jsonb_typeof(l.value) = 'null'), '{}'::text[]) AS remove
  FROM (SELECT DISTINCT i.recipient_id FROM input i JOIN created c ON c.id = i.id) t
  LEFT JOIN latest l ON l.recipient_id = t.recipient_id
  GROUP BY t.recipient_id
), upserted AS (
  INSERT INTO recipients AS r (id, attributes)
  SELECT id, set FROM patch ORDER BY id
  ON CONFLICT (id) DO UPDATE
    SET attributes = (r.attributes || EXCLUDED.attributes) - (SELECT p.remove FROM patch p WHERE p.id = EXCLUDED.id), updated_at = now()
    WHERE EXCLUDED.attributes <> '{}'::jsonb OR EXISTS (SELECT 1 FROM patch p WHERE p.id = EXCLUDED.id AND cardinality(p.remove) > 0)
  RETURNING 1
), notified AS (
  -- Workers listening for events poll when this commits (once per transaction, however many events).
  SELECT pg_notify('${EVENTS_CHANNEL}', '') FROM (SELECT 1 FROM created LIMIT 1) AS one
)
-- A CTE without data changes runs only if read: the always-true condition reads it.
SELECT id FROM created WHERE (SELECT count(*) FROM notified) >= 0`;

/** Deadlocks are possible only between calls repeating the same event ids in different orders; PostgreSQL breaks them by failing one. */
const DEADLOCK = '40P01';
const ATTEMPTS = 3;

export async function ingestEvents(pool: pg.Pool, events: NewEvent[]): Promise<Accepted[]> {
  // The first of the same id in one call wins, as a repeated call would.
  const first = new Set<NewEvent>();
  const seen = new Set<string>();
  for (const e of events) if (!seen.has(e.id)) (seen.add(e.id), first.add(e));
  const unique = [...first];
  const params = [
    unique.map((e) => e.id),
    unique.map((e) => e.name),
    unique.map((e) => e.recipientId),
    unique.map((e) => JSON.stringify(e.properties)),
    unique.map((e) => e.time),
    unique.map((e) => JSON.stringify(e.attributes ?? {})),
    unique.map((e) => e.hops),
  ];
  for (let attempt = 1; ; attempt++) {
    try {
      const { rows } = await pool.query<{ id: string }>(INGEST, params);
      const created = new Set(rows.map((r) => r.id));
      return events.map((e) => ({ id: e.id, created: first.has(e) && created.has(e.id) }));
    } catch (err) {
      if ((err as { code?: string }).code !== DEADLOCK || attempt >= ATTEMPTS) throw err;
    }
  }
}
