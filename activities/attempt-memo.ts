/**
 * One execution per local-activity attempt, even when the SDK asks twice.
 *
 * A local activity runs inside the worker while its workflow waits in the worker's cache. When
 * the cache is full, the SDK may evict that workflow before the activity ends: the activity's
 * result is then dropped ("untracked local activity"), and the replayed workflow schedules the
 * same attempt again under the same run and sequence number. Without this memo the receiver
 * would get the request twice and the second arrival would not match any recorded attempt.
 *
 * The key is the run id plus the activity's sequence number, which replay reproduces exactly.
 * A second call with that key waits for (or takes) the first call's result instead of sending.
 * Finished results are kept only long enough for a replay to ask again, and their number is
 * capped, so the memo's memory stays bounded.
 */
export interface AttemptMemoOptions {
  /** How long a finished result stays available to a replay asking again. */
  keepMs: number;
  /** At most this many finished results are kept; the oldest go first. */
  maxFinished: number;
}

interface Entry<T> {
  promise: Promise<T>;
  finishedAtMs?: number;
}

export class AttemptMemo<T> {
  private readonly entries = new Map<string, Entry<T>>();
  private finished = 0;

  constructor(private readonly options: AttemptMemoOptions = { keepMs: 10 * 60_000, maxFinished: 20_000 }) {}

  /** Runs `work` once per key; a repeated key gets the first call's result. */
  run(key: string, work: () => Promise<T>, nowMs = Date.now()): Promise<T> {
    this.prune(nowMs);
    const known = this.entries.get(key);
    if (known) return known.promise;
    const entry: Entry<T> = { promise: work() };
    this.entries.set(key, entry);
    const settle = (): void => {
      entry.finishedAtMs = Date.now();
      this.finished += 1;
    };
    // A failed attempt may be asked again too: a replay must see the same failure, not a new send.
    entry.promise.then(settle, settle);
    return entry.promise;
  }

  /** The result of a call already made under this key, if any. */
  get(key: string): Promise<T> | undefined {
    return this.entries.get(key)?.promise;
  }

  get size(): number {
    return this.entries.size;
  }

  private prune(nowMs: number): void {
    // Map iteration is insertion order, so the oldest entries come first.
    for (const [key, entry] of this.entries) {
      if (entry.finishedAtMs === undefined) continue;
      const expired = nowMs - entry.finishedAtMs > this.options.keepMs;
      if (!expired && this.finished <= this.options.maxFinished) break;
      this.entries.delete(key);
      this.finished -= 1;
    }
  }
}
