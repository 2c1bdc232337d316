/** Requests and failures over a sliding window, in buckets of a twentieth of it. Pure; time is passed in. */

const BUCKETS_PER_WINDOW = 20;

export interface Bucket {
  startMs: number;
  requests: number;
  failures: number;
}

export class FailureWindow {
  private buckets: Bucket[];

  constructor(
    private readonly windowMs: number,
    buckets: Bucket[] = [],
  ) {
    this.buckets = buckets.map((b) => ({ ...b }));
  }

  count(requests: number, failures: number, nowMs: number): void {
    if (requests === 0 && failures === 0) return;
    const size = Math.max(100, Math.floor(this.windowMs / BUCKETS_PER_WINDOW));
    const startMs = nowMs - (nowMs % size);
    const last = this.buckets[this.buckets.length - 1];
    if (last && last.startMs === startMs) {
      last.requests += requests;
      last.failures += failures;
    } else {
      this.buckets.push({ startMs, requests, failures });
    }
    const oldest = nowMs - this.windowMs;
    while (this.buckets.length > 0 && this.buckets[0].startMs < oldest) this.buckets.shift();
  }

  /** Read-only: it also serves queries, which must never change workflow state. */
  totals(nowMs: number): { requests: number; failures: number } {
    const oldest = nowMs - this.windowMs;
    return this.buckets
      .filter((b) => b.startMs >= oldest)
      .reduce((t, b) => ({ requests: t.requests + b.requests, failures: t.failures + b.failures }), { requests: 0, failures: 0 });
  }

  clear(): void {
    this.buckets = [];
  }

  snapshot(): Bucket[] {
    return this.buckets.map((b) => ({ ...b }));
  }
}
