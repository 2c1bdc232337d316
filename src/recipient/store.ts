/**
 * Recipients in PostgreSQL: attribute merges, reads and erasure. Every write that touches several
 * recipients locks their rows in id order, so two concurrent writers never deadlock.
 */
import type pg from 'pg';
import { withTransaction } from '../db/transaction';
import type { AttributePatch, Attributes, Recipient } from './schema';

type Queryable = Pick<pg.PoolClient, 'query'>;

/**
 * Creates the recipients that do not exist yet and applies each one's patch. Call inside a
 * transaction when it must commit with other writes (events).
 */
export async function applyPatches(db: Queryable, patches: Map<string, AttributePatch>): Promise<void> {
  if (patches.size === 0) return;
  const ids = [...patches.keys()].sort();
  const sets = ids.map((id) => JSON.stringify(patches.get(id)!.set));
  // ON CONFLICT DO UPDATE locks every conflicting row (in this statement's id order), even those
  // its WHERE leaves unchanged, so the removals below touch rows this transaction already holds.
  await db.query(
    `INSERT INTO recipients (id, attributes)
     SELECT p.id, p.attributes FROM unnest($1::text[], $2::jsonb[]) AS p(id, attributes) ORDER BY p.id
     ON CONFLICT (id) DO UPDATE SET attributes = recipients.attributes || EXCLUDED.attributes, updated_at = now()
     WHERE EXCLUDED.attributes <> '{}'::jsonb`,
    [ids, sets],
  );
  const removals = Object.fromEntries(ids.filter((id) => patches.get(id)!.remove.length > 0).map((id) => [id, patches.get(id)!.remove]));
  if (Object.keys(removals).length === 0) return;
  await db.query(
    `UPDATE recipients SET attributes = attributes - ARRAY(SELECT jsonb_array_elements_text($1::jsonb -> id)), updated_at = now()
     WHERE id = ANY($2::text[])`,
    [JSON.stringify(removals), Object.keys(removals)],
  );
}

export async function readRecipient(db: Queryable, id: string): Promise<Recipient | undefined> {
  const { rows } = await db.query<{ id: string; attributes: Attributes; created_at: Date; updated_at: Date }>(
    'SELECT id, attributes, created_at, updated_at FROM recipients WHERE id = $1',
    [id],
  );
  const row = rows[0];
  return row && { id: row.id, attributes: row.attributes, createdAt: row.created_at.toISOString(), updatedAt: row.updated_at.toISOString() };
}

/** Merges into one recipient (creating it) and returns it as stored. */
export async function putRecipient(pool: pg.Pool, id: string, patch: AttributePatch): Promise<Recipient> {
  return withTransaction(pool, async (tx) => {
    await applyPatches(tx, new Map([[id, patch]]));
    return (await readRecipient(tx, id))!;
  });
}

export interface Erasure {
  /** Whether the recipient (its attributes) existed. */
  recipient: boolean;
  /** Events removed. */
  events: number;
}

/**
 * Right to erasure: the recipient's attributes and every event of theirs, in one transaction.
 * Events not yet read by a listener are gone too: nothing is triggered by them after this.
 */
export async function eraseRecipient(pool: pg.Pool, id: string): Promise<Erasure> {
  return withTransaction(pool, async (tx) => {
    const recipient = await tx.query('DELETE FROM recipients WHERE id = $1', [id]);
    const events = await tx.query('DELETE FROM events WHERE recipient_id = $1', [id]);
    return { recipient: (recipient.rowCount ?? 0) > 0, events: events.rowCount ?? 0 };
  });
}
