/**
 * Which workers may be sending to the host, and on what news. A worker's gate acts on a lease —
 * the host's mode as the host workflow last told it — until the lease's end, and renews it about
 * every report interval while it sends there. An operator's pause is answered once every lease
 * that let a worker send under an earlier epoch has been renewed (the worker took the news) or has
 * run out, so no worker still sends on news from before the pause. Pure; time is passed in.
 */

/**
 * Worker and Temporal clocks may disagree by this much (NTP keeps them far closer): the host counts
 * each lease this much longer than the worker acts on it.
 */
export const LEASE_CLOCK_SKEW_MS = 250;

interface LeaseRecord {
  epoch: number;
  /** The lease let its worker send (any mode but `held`). */
  sending: boolean;
  /** It let its worker send without slots (`free`). */
  free: boolean;
  /** Host clock, skew included. */
  untilMs: number;
}

export type LeasesSnapshot = Record<string, LeaseRecord>;

export class Leases {
  private records: LeasesSnapshot;

  constructor(snapshot?: LeasesSnapshot) {
    this.records = { ...snapshot };
  }

  grant(workerId: string, record: { epoch: number; sending: boolean; free: boolean; untilMs: number }): void {
    this.records[workerId] = { ...record, untilMs: record.untilMs + LEASE_CLOCK_SKEW_MS };
  }

  /** The latest end of a lease that lets its worker send on news from before `epoch`; undefined when none is out. */
  pendingUntil(epoch: number, nowMs: number): number | undefined {
    const ends = this.live(nowMs)
      .filter((r) => r.sending && r.epoch < epoch)
      .map((r) => r.untilMs);
    return ends.length > 0 ? Math.max(...ends) : undefined;
  }

  /** The latest end of a lease, other than `except`'s, that lets its worker send without slots (0 when none). */
  freeUntil(nowMs: number, except?: string): number {
    return Math.max(0, ...Object.entries(this.records).flatMap(([id, r]) => (id !== except && r.free && r.untilMs > nowMs ? [r.untilMs] : [])));
  }

  /** The latest end of any lease still out (0 when none). */
  latestUntil(nowMs: number): number {
    return Math.max(0, ...this.live(nowMs).map((r) => r.untilMs));
  }

  /** Forgets leases that have run out, so workers that left don't accumulate. */
  prune(nowMs: number): void {
    for (const [id, r] of Object.entries(this.records)) if (r.untilMs <= nowMs) delete this.records[id];
  }

  snapshot(): LeasesSnapshot {
    return Object.fromEntries(Object.entries(this.records).map(([id, r]) => [id, { ...r }]));
  }

  private live(nowMs: number): LeaseRecord[] {
    return Object.values(this.records).filter((r) => r.untilMs > nowMs);
  }
}
