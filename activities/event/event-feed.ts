/**
 * A worker's event feed: polls every registered listener (src/event/listener.ts) each
 * HOOKFLOW_EVENT_POLL_MS and hands it its new events. Several workers poll the same listeners; the
 * listener's lock makes one of them handle each batch, the cursor makes each event come once.
 */
import type pg from 'pg';
import { checkListener, ensureCursor, handleNextBatch, type EventListener, type Step } from '../../src/event/listener';
import { withTransaction } from '../../src/recipient/store';

export interface EventFeedOptions {
  pool: pg.Pool;
  pollMs: number;
  /** Events handed to a listener at once. */
  batchSize: number;
  onError: (err: unknown, what: string) => void;
}

/** Batches one listener gets per poll before the others have their turn. */
const BATCHES_PER_TURN = 20;

export class EventFeed {
  private readonly listeners = new Map<string, EventListener>();
  /** Listeners whose cursor row is known to exist. */
  private readonly ready = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  private running = false;

  constructor(private readonly options: EventFeedOptions) {}

  /** Adds a listener; throws InvalidRequestError for a bad name, or when the name is taken in this worker. */
  register(listener: EventListener): void {
    checkListener(listener);
    if (this.listeners.has(listener.name)) throw new Error(`event listener ${listener.name} is registered twice`);
    this.listeners.set(listener.name, listener);
  }

  start(): void {
    if (this.running || this.listeners.size === 0) return;
    this.running = true;
    this.schedule(0);
  }

  /** Stops polling; a batch being handled finishes (and commits) first. */
  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    await this.polling;
  }

  /** One poll of every listener (tests call it to avoid waiting for the timer). */
  async poll(): Promise<void> {
    for (const listener of this.listeners.values()) {
      if (!this.running) return;
      try {
        if (!this.ready.has(listener.name)) {
          await ensureCursor(this.options.pool, listener);
          this.ready.add(listener.name);
        }
        await listener.refresh?.();
        let step: Step = 'full';
        for (let n = 0; step === 'full' && n < BATCHES_PER_TURN && this.running; n++) {
          step = await withTransaction(this.options.pool, (tx) => handleNextBatch(tx, listener, this.options.batchSize));
        }
      } catch (err) {
        this.options.onError(err, `event listener ${listener.name}`);
      }
    }
  }

  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => {
      this.polling = this.poll().finally(() => {
        if (this.running) this.schedule(this.options.pollMs);
      });
    }, delayMs);
    this.timer.unref();
  }
}
