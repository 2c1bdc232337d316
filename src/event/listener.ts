/**
 * Event listeners: how a feature (event-triggered campaigns, journeys) reacts to custom events.
 *
 * A listener has a stable name and the event names it wants. Each worker polls every listener
 * when events are stored (activities/event/event-feed.ts); a poll claims the listener with a
 * transaction-scoped advisory lock (skipped when another worker holds it), reads the next events
 * after the listener's cursor, calls `handle` and advances the cursor in the same transaction. So:
 * - every new event reaches each listener once, whichever workers run and however often they
 *   restart; a worker that dies mid-batch leaves the transaction to roll back, and the batch is
 *   handled again by whichever worker claims the listener next;
 * - what `handle` writes through `tx` commits with the cursor, so it happens exactly once; what
 *   it does elsewhere (starting a workflow, say) may run again after such a crash and must be
 *   idempotent, e.g. a workflow id derived from the event id;
 * - events reach a listener in the order they were accepted (per recipient, the order of the
 *   calls that sent them; within one call, the order of `events`), one batch at a time;
 * - an event erased with its recipient before a listener read it never reaches it.
 *
 * A handler that throws leaves the cursor where it was: the batch comes again at the next poll.
 * Events are read only once every transaction older than them has ended, so a long transaction
 * elsewhere in the database delays listeners (never loses events).
 */
import type pg from 'pg';
import { InvalidRequestError } from '../errors';
import { ID_PATTERN, ID_RULE, type Attributes } from '../recipient/schema';

export interface ListenedEvent {
  id: string;
  name: string;
  recipientId: string;
  properties: Attributes;
  /** When it happened (the event's `time`), ISO 8601. */
  time: string;
  /** When Hookflow accepted it, ISO 8601. */
  receivedAt: string;
  /** The recipient's attributes when the batch is read (after this event's own attribute changes). */
  recipient: { id: string; attributes: Attributes };
  /**
   * Hookflow-to-Hookflow webhooks that led to this event (0 when an application sent it). A webhook
   * started for it must carry it on (`hops: event.hops` in send / sendTemplated), or a chain of self
   * webhooks could loop for ever: the API refuses a request deeper than HOOKFLOW_MAX_HOPS.
   */
  hops: number;
}

export interface EventListener {
  /** Stable across deployments: the key of the listener's cursor. A new name starts a new cursor. */
  name: string;
  /** Event names it receives, or `all` (a feature whose names change as it is configured, e.g. journeys); read at each poll. */
  events: string[] | 'all';
  /**
   * Called before each poll, for a listener whose event names change at run time (campaigns are
   * defined in PostgreSQL): it reloads `events` here. Such a listener may have no events for a while.
   */
  refresh?(): Promise<void>;
  /** A new listener reads events accepted from its registration on (`now`, default) or every stored event (`beginning`). */
  from?: 'now' | 'beginning';
  /** Called with each batch, in order; `tx` is the transaction that advances the cursor. */
  handle(events: ListenedEvent[], tx: pg.PoolClient): Promise<void>;
}

/** Two-key advisory locks (this class, hash of the name): a key space of their own. */
const LISTENER_LOCK_CLASS = 4_242_005;

export function checkListener(listener: EventListener): void {
  const issues = [];
  if (!ID_PATTERN.test(listener.name)) issues.push({ field: 'name', message: ID_RULE });
  if (listener.events !== 'all' && (!Array.isArray(listener.events) || (listener.events.length === 0 && !listener.refresh))) issues.push({ field: 'events', message: 'must name at least one event' });
  if (issues.length > 0) throw new InvalidRequestError(issues);
}

/** Creates the listener's cursor unless it exists. */
export async function ensureCursor(pool: pg.Pool, listener: EventListener): Promise<void> {
  await pool.query(
    `INSERT INTO event_listeners (name, cursor_xid, cursor_seq)
     VALUES ($1, CASE WHEN $2 = 'beginning' THEN '0'::xid8 ELSE pg_snapshot_xmin(pg_current_snapshot()) END, 0)
     ON CONFLICT (name) DO NOTHING`,
    [listener.name, listener.from ?? 'now'],
  );
}

/** `held`: nothing more to read now, but events are stored that wait for older transactions to end. */
export type Step = 'busy' | 'idle' | 'partial' | 'full' | 'held';

/** The PostgreSQL channel storing events notifies (src/event/store.ts): listeners' workers poll then. */
export const EVENTS_CHANNEL = 'hookflow_events';

interface Row {
  seq: string;
  xid: string;
  id: string;
  name: string;
  recipient_id: string;
  properties: Attributes;
  time: Date;
  received_at: Date;
  attributes: Attributes | null;
  hops: number;
}

/**
 * One batch for one listener, inside `tx` (a transaction already begun): `busy` when another
 * worker holds the listener, `idle` when there was nothing new, `full` when there may be more,
 * `held` when what is left waits for older transactions.
 */
export async function handleNextBatch(tx: pg.PoolClient, listener: EventListener, batchSize: number): Promise<Step> {
  const { rows: lock } = await tx.query<{ got: boolean }>('SELECT pg_try_advisory_xact_lock($1, hashtext($2)) AS got', [LISTENER_LOCK_CLASS, listener.name]);
  if (!lock[0].got) return 'busy';
  const { rows: cursors } = await tx.query<{ xid: string; seq: string }>('SELECT cursor_xid::text AS xid, cursor_seq::text AS seq FROM event_listeners WHERE name = $1', [listener.name]);
  if (cursors.length === 0) return 'busy';
  // Every transaction older than this one has ended: no event below it can still appear.
  const { rows: safe } = await tx.query<{ xmin: string }>('SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS xmin');
  const { rows } = await tx.query<Row>(
    `SELECT e.seq::text, e.xid::text, e.id, e.name, e.recipient_id, e.properties, e.time, e.received_at, e.hops, r.attributes
     FROM events e LEFT JOIN recipients r ON r.id = e.recipient_id
     WHERE ($1::text[] IS NULL OR e.name = ANY($1::text[])) AND (e.xid, e.seq) > ($2::xid8, $3::bigint) AND e.xid < $4::xid8
     ORDER BY e.xid, e.seq
     LIMIT $5`,
    [listener.events === 'all' ? null : listener.events, cursors[0].xid, cursors[0].seq, safe[0].xmin, batchSize],
  );
  if (rows.length > 0) {
    await listener.handle(
      rows.map((r) => ({
        id: r.id,
        name: r.name,
        recipientId: r.recipient_id,
        properties: r.properties,
        time: r.time.toISOString(),
        receivedAt: r.received_at.toISOString(),
        recipient: { id: r.recipient_id, attributes: r.attributes ?? {} },
        hops: r.hops,
      })),
      tx,
    );
  }
  const full = rows.length === batchSize;
  // A partial batch read everything below the safe point: the cursor moves up to it, so the next
  // poll scans only newer events.
  const [xid, seq] = full ? [rows[rows.length - 1].xid, rows[rows.length - 1].seq] : [safe[0].xmin, '0'];
  await tx.query(
    `UPDATE event_listeners SET cursor_xid = $2::xid8, cursor_seq = $3::bigint, updated_at = now()
     WHERE name = $1 AND (cursor_xid, cursor_seq) < ($2::xid8, $3::bigint)`,
    [listener.name, xid, seq],
  );
  if (full) return 'full';
  // Committed events of a transaction newer than one still running: readable once that one ends.
  const { rows: held } = await tx.query<{ held: boolean }>(
    'SELECT EXISTS (SELECT 1 FROM events WHERE xid >= $1::xid8 AND ($2::text[] IS NULL OR name = ANY($2::text[]))) AS held',
    [safe[0].xmin, listener.events === 'all' ? null : listener.events],
  );
  if (held[0].held) return 'held';
  return rows.length > 0 ? 'partial' : 'idle';
}
