/**
 * A worker's side of the shared rate limits (src/ratelimit/limiter.ts): webhooks that ask for a
 * send slot of the same key while a lease is on its way wait for the next one, which leases a
 * block of exactly as many slots as are waiting. So a burst of thousands of webhooks costs a few
 * transactions, and no slot is leased for nobody.
 */
import type pg from 'pg';
import { slotTimes } from '../../src/breaker/pacer';
import { RATE_SLOT_FIRST_LEAD_MS } from '../../src/ratelimit/definitions';
import { leaseSlots, type RateLimit } from '../../src/ratelimit/limiter';

/** One lease serves at most this many waiters (the rest wait for the next, straight after). */
const MAX_BLOCK = 1_000;

interface Waiter {
  resolve(atMs: number | undefined): void;
  reject(err: unknown): void;
  toMs: number;
}

export class RateLimitGate {
  private readonly queues = new Map<string, { limit: RateLimit; waiters: Waiter[]; leasing: boolean }>();
  /** Blocks leased (tests and metrics read it). */
  leases = 0;

  constructor(private readonly pool: pg.Pool) {}

  /** The time of this webhook's send slot, or undefined when none is free until `toMs`. */
  take(limit: RateLimit, toMs: number): Promise<number | undefined> {
    let queue = this.queues.get(limit.key);
    if (!queue) this.queues.set(limit.key, (queue = { limit, waiters: [], leasing: false }));
    queue.limit = limit;
    const taken = new Promise<number | undefined>((resolve, reject) => queue.waiters.push({ resolve, reject, toMs }));
    if (!queue.leasing) void this.lease(limit.key);
    return taken;
  }

  private async lease(key: string): Promise<void> {
    const queue = this.queues.get(key)!;
    queue.leasing = true;
    try {
      while (queue.waiters.length > 0) {
        const waiting = queue.waiters.splice(0, MAX_BLOCK);
        const toMs = Math.max(...waiting.map((w) => w.toMs));
        try {
          const block = await leaseSlots(this.pool, queue.limit, waiting.length, Date.now() + RATE_SLOT_FIRST_LEAD_MS, toMs);
          this.leases += 1;
          // Whole milliseconds (the spacing need not be: src/ratelimit/limiter.ts), rounded up so none comes early.
          const slots = block ? slotTimes(block).map(Math.ceil) : [];
          // Earliest deadlines first get the earliest slots; a slot past a waiter's own bound is not used.
          waiting.sort((a, b) => a.toMs - b.toMs);
          for (const w of waiting) {
            const at = slots.length > 0 && slots[0] <= w.toMs ? slots.shift() : undefined;
            w.resolve(at);
          }
        } catch (err) {
          for (const w of waiting) w.reject(err);
        }
      }
    } finally {
      queue.leasing = false;
      if (queue.waiters.length === 0) this.queues.delete(key);
    }
  }
}
