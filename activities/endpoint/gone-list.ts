/**
 * A worker's view of the gone endpoints, so that checking one before each attempt costs no query.
 *
 * The worker that gets a 410 marks the URL in PostgreSQL and in its own view at once; other workers
 * and re-enabling by an operator reach each view at its next refresh (HOOKFLOW_GONE_REFRESH_MS). So
 * after a 410, another worker may still send to that URL for up to one refresh interval.
 */
import type pg from 'pg';
import { endpointHash, goneHashes, markGone } from '../../src/endpoint/gone';

export interface GoneListOptions {
  pool: pg.Pool;
  refreshMs: number;
  onError: (err: unknown) => void;
}

export class GoneList {
  private hashes = new Set<string>();
  /** Marked here since the refresh now running began: a refresh that read before them keeps them. */
  private markedSince = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: GoneListOptions) {}

  isGone(url: string): boolean {
    return this.hashes.size > 0 && this.hashes.has(endpointHash(url));
  }

  /** Remembers a URL that answered 410, durably before this returns. */
  async mark(url: string, webhookId: string): Promise<void> {
    const hash = endpointHash(url);
    this.hashes.add(hash);
    this.markedSince.set(hash, Date.now());
    await markGone(this.options.pool, url, webhookId);
    // A refresh that began before the row was committed may not have read it: keep it past that one.
    this.markedSince.set(hash, Date.now());
  }

  async refresh(): Promise<void> {
    const startedAtMs = Date.now();
    const fresh = new Set(await goneHashes(this.options.pool));
    for (const [hash, atMs] of this.markedSince) {
      if (atMs >= startedAtMs) fresh.add(hash);
      else this.markedSince.delete(hash);
    }
    this.hashes = fresh;
  }

  async start(): Promise<void> {
    await this.refresh().catch(this.options.onError);
    this.timer = setInterval(() => void this.refresh().catch(this.options.onError), this.options.refreshMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
