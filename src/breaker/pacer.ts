/**
 * The host's one schedule of send times ("slots"), shared by every worker: a drain after an
 * outage, a probe and a host's advertised rate limit all take their slots from it, so the host
 * sees the pace whichever worker sends. Slots are evenly spaced so that no span of a policy's
 * window holds more than its limit, with a margin that absorbs a send starting a little after its
 * slot and the network's jitter. Pure; time is passed in.
 */
import type { RateLimitPolicy, SlotBlock } from './definitions';

/** A send may start this long after its slot; later than that the slot is void and the webhook asks again. */
export const SLOT_LATENESS_MS = 50;

/**
 * Sends at slots s, s+d, … can start up to SLOT_LATENESS_MS late and arrive up to as much later
 * again (connection set-up): spacing a window's `limit` slots over the window plus twice that keeps
 * every span of one window at or under the limit, as the host counts arrivals.
 */
export function marginMs(windowMs: number): number {
  return Math.max(2 * SLOT_LATENESS_MS, Math.round(windowMs * 0.05));
}

/** Milliseconds between two slots under every policy at once; 0 without policies. */
export function spacingMs(policies: readonly RateLimitPolicy[]): number {
  return Math.max(0, ...policies.map((p) => Math.ceil((p.windowMs + marginMs(p.windowMs)) / Math.max(1, p.limit))));
}

/** The slot times of a block. */
export function slotTimes(block: SlotBlock): number[] {
  return Array.from({ length: block.count }, (_, i) => block.startMs + i * block.intervalMs);
}

export interface PacerSnapshot {
  /** The earliest time the next slot may have. */
  nextMs: number;
}

export class Pacer {
  private nextMs: number;

  constructor(snapshot?: PacerSnapshot) {
    this.nextMs = snapshot?.nextMs ?? 0;
  }

  /** Up to `count` slots `spacing` apart, none before `fromMs` or after `toMs`; undefined when none fit. */
  grant(count: number, spacing: number, fromMs: number, toMs: number): SlotBlock | undefined {
    const startMs = Math.max(fromMs, this.nextMs);
    if (count < 1 || startMs > toMs) return undefined;
    const fit = spacing > 0 ? Math.floor((toMs - startMs) / spacing) + 1 : count;
    const n = Math.min(count, fit);
    this.nextMs = startMs + n * spacing;
    return { startMs, intervalMs: spacing, count: n };
  }

  snapshot(): PacerSnapshot {
    return { nextMs: this.nextMs };
  }
}
