/**
 * Shared rate limits (a campaign's or a journey's rateLimitPerMinute): each key
 * has one schedule of send slots, evenly spaced so that no span of the window holds more than its
 * limit (src/breaker/pacer.ts, the same spacing as a host's advertised limit). The schedule's next
 * free slot is a PostgreSQL row, so every worker takes from the same schedule; a worker leases a
 * block of slots at a time for all its waiting webhooks (activities/ratelimit/gate.ts), one short
 * transaction per block, never one message per delivery.
 */
import type pg from 'pg';
import { Pacer } from '../breaker/pacer';
import type { SlotBlock } from '../breaker/definitions';
import { RATE_SLOT_LATENESS_MS } from './definitions';

export interface RateLimit {
  key: string;
  limit: number;
  windowMs: number;
}

/**
 * Milliseconds between two slots of this limit: the window plus a margin, over the limit. Sends
 * that start between their slot and RATE_SLOT_LATENESS_MS after it put at most `limit` in any
 * window as long as the margin exceeds that lateness; twice it covers the network's jitter too.
 * At a minute's scale that is 1 %: the limit is reached to 99 % (594 a minute for 600). A host's
 * own advertised limits keep the pacer's wider margin (src/breaker/pacer.ts). Not rounded to whole
 * milliseconds: 500,000 a minute is a slot every 0.12 ms.
 */
export const slotSpacingMs = (limit: RateLimit): number =>
  (limit.windowMs + Math.max(2 * RATE_SLOT_LATENESS_MS, Math.round(limit.windowMs * 0.01))) / Math.max(1, limit.limit);

/**
 * Leases up to `count` slots of `limit`, none before `nowMs` nor after `toMs`: the block, or
 * undefined when the schedule is full until `toMs`.
 */
export async function leaseSlots(pool: pg.Pool, limit: RateLimit, count: number, nowMs: number, toMs: number): Promise<SlotBlock | undefined> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('INSERT INTO rate_limits (key, next_ms) VALUES ($1, 0) ON CONFLICT (key) DO NOTHING', [limit.key]);
    const { rows } = await client.query<{ next_ms: string }>('SELECT next_ms::text FROM rate_limits WHERE key = $1 FOR UPDATE', [limit.key]);
    const pacer = new Pacer({ nextMs: Number(rows[0].next_ms) });
    const block = pacer.grant(count, slotSpacingMs(limit), nowMs, toMs);
    // Whole milliseconds in the row, rounded up: the next block never starts closer than the spacing.
    if (block) await client.query('UPDATE rate_limits SET next_ms = $2, updated_at = now() WHERE key = $1', [limit.key, Math.ceil(pacer.snapshot().nextMs)]);
    await client.query('COMMIT');
    return block;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

/** When the schedule of `key` has its next free slot (every slot before it is leased), if it has one. */
export async function scheduleEndMs(db: Pick<pg.Pool, 'query'>, key: string): Promise<number | undefined> {
  const { rows } = await db.query<{ next_ms: string }>('SELECT next_ms::text FROM rate_limits WHERE key = $1', [key]);
  return rows.length > 0 ? Number(rows[0].next_ms) : undefined;
}
