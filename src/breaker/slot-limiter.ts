/**
 * Keeps one worker's sends to a host within the host's advertised rate limit by handing out send
 * times ("slots"): no span of one window holds more than `limit` of them. A webhook told to wait
 * comes back at its slot and claims it. Pure; time is passed in.
 *
 * The span is the window plus a margin, because a webhook sent at its slot reaches the host a few
 * milliseconds later by a varying amount, and the host counts arrivals, not our slots.
 */
import type { RateLimitPolicy } from '../temporal/host-definitions';

export class SlotLimiter {
  private slots: number[] = [];

  constructor(private policy: RateLimitPolicy) {}

  setPolicy(policy: RateLimitPolicy): void {
    this.policy = policy;
  }

  get windowMs(): number {
    return this.policy.windowMs;
  }

  get span(): number {
    return this.policy.windowMs + Math.max(100, Math.round(this.policy.windowMs * 0.05));
  }

  /** The earliest time at or after `nowMs` a send may go; that time is taken. */
  reserve(nowMs: number): number {
    this.prune(nowMs);
    const { limit } = this.policy;
    const n = this.slots.length;
    const at = n >= limit ? Math.max(nowMs, this.slots[n - limit] + this.span) : nowMs;
    this.note(at);
    return at;
  }

  /** Counts a send at `atMs`: a reserved slot, or a send that went without one (a probe, or the one that taught the limit). */
  note(atMs: number): void {
    const i = this.slots.findIndex((s) => s > atMs);
    this.slots.splice(i === -1 ? this.slots.length : i, 0, atMs);
  }

  /** True when `slotMs` was handed out here and is still held (the webhook came back for it). */
  holds(slotMs: number): boolean {
    return this.slots.includes(slotMs);
  }

  private prune(nowMs: number): void {
    const oldest = nowMs - this.span;
    while (this.slots.length > 0 && this.slots[0] <= oldest) this.slots.shift();
  }
}
