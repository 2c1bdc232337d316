/**
 * Webhooks waiting for their host, in the order they came. Each entry keeps the ticket of the
 * attempt that was held: a webhook registered again under a newer ticket keeps its place and takes
 * the new ticket, so the resume it gets answers the attempt it is actually waiting on.
 */
import type { Waiter } from './definitions';

/** Waiting webhooks one host workflow keeps track of; beyond this they wait on their own timer. */
export const MAX_WAITERS = 20_000;

/** Two parallel arrays rather than objects: 20,000 waiters stay well under Temporal's payload limit. */
export interface WaitersSnapshot {
  ids: string[];
  tickets: number[];
}

export class WaiterQueue {
  private readonly order: Waiter[];
  private readonly byId = new Map<string, Waiter>();

  constructor(snapshot?: WaitersSnapshot) {
    this.order = (snapshot?.ids ?? []).map((workflowId, i) => ({ workflowId, ticket: snapshot?.tickets[i] ?? 0 }));
    for (const w of this.order) this.byId.set(w.workflowId, w);
  }

  get length(): number {
    return this.order.length;
  }

  has(workflowId: string): boolean {
    return this.byId.has(workflowId);
  }

  /** Adds at the back (or at the front); a known webhook takes the newer ticket. True when something changed. */
  add(waiter: Waiter, front = false): boolean {
    const known = this.byId.get(waiter.workflowId);
    if (known) {
      if (waiter.ticket <= known.ticket) return false;
      known.ticket = waiter.ticket;
      return true;
    }
    if (this.order.length >= MAX_WAITERS) return false;
    const entry = { ...waiter };
    if (front) this.order.unshift(entry);
    else this.order.push(entry);
    this.byId.set(entry.workflowId, entry);
    return true;
  }

  take(n: number): Waiter[] {
    const taken = this.order.splice(0, n);
    for (const w of taken) this.byId.delete(w.workflowId);
    return taken;
  }

  /** Returns waiters to the front, in their order (a release that failed); those registered again meanwhile keep their newer entry. */
  putBack(waiters: readonly Waiter[]): void {
    for (let i = waiters.length - 1; i >= 0; i--) this.add(waiters[i], true);
  }

  snapshot(): WaitersSnapshot {
    return { ids: this.order.map((w) => w.workflowId), tickets: this.order.map((w) => w.ticket) };
  }
}
