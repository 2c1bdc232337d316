/**
 * A worker's event feed: hands every registered listener (src/event/listener.ts) its new events.
 * Several workers feed the same listeners; the listener's lock makes one of them handle each batch,
 * the cursor makes each event come once.
 *
 * Storing events notifies every worker (PostgreSQL LISTEN/NOTIFY on EVENTS_CHANNEL), so a worker
 * polls its listeners when events come, not on a short timer: an idle worker costs PostgreSQL
 * nothing but one poll each HOOKFLOW_EVENT_POLL_MS, which only bounds the delay should a
 * notification be lost (the listening connection down). Events stored while an older transaction
 * still runs cannot be read yet (the cursor's safe point); the poll that finds them held looks
 * again shortly.
 */
import pg from 'pg';
import { checkListener, ensureCursor, EVENTS_CHANNEL, handleNextBatch, type EventListener, type Step } from '../../src/event/listener';
import { withTransaction } from '../../src/db/transaction';

export interface EventFeedOptions {
  pool: pg.Pool;
  /** Polls without a notification this often. */
  pollMs: number;
  /** Events handed to a listener at once. */
  batchSize: number;
  onError: (err: unknown, what: string) => void;
}

/** Batches one listener gets per poll before the others have their turn. */
const BATCHES_PER_TURN = 20;
/** Events held by an older transaction (usually for a few ms): looked for again this soon, backing off. */
const HELD_REPOLL_MS = 50;
/** The listening connection lost: tried again after this, doubling up to the maximum. */
const RELISTEN_MS = 500;
const RELISTEN_MAX_MS = 30_000;

export class EventFeed {
  private readonly listeners = new Map<string, EventListener>();
  /** Listeners whose cursor row is known to exist. */
  private readonly ready = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  /** A notification came while a poll ran: poll again when it ends. */
  private again = false;
  private running = false;
  private listening: pg.Client | undefined;
  private relistenTimer: NodeJS.Timeout | undefined;
  private relistenMs = RELISTEN_MS;
  /** Polls in a row that found events held: each waits twice as long as the one before. */
  private heldStreak = 0;

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
    void this.listen();
    this.schedule(0);
  }

  /** Stops polling; a batch being handled finishes (and commits) first. */
  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    clearTimeout(this.relistenTimer);
    const client = this.listening;
    this.listening = undefined;
    await Promise.all([this.polling, client?.end().catch(() => undefined)]);
  }

  /**
   * One poll of every listener (tests call it to avoid waiting for the timer): `more` when a
   * listener has more to read now, `held` when events wait for older transactions (or a listener
   * failed: PostgreSQL out of reach, a handler that threw).
   */
  async poll(): Promise<'more' | 'held' | 'done'> {
    let next: 'more' | 'held' | 'done' = 'done';
    for (const listener of this.listeners.values()) {
      if (!this.running) return next;
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
        // A listener left with a full batch after its turn has more right now.
        if (step === 'full') next = 'more';
        else if (step === 'held' && next === 'done') next = 'held';
      } catch (err) {
        this.options.onError(err, `event listener ${listener.name}`);
        // Its events are still there (the batch rolled back): tried again as held ones are.
        if (next === 'done') next = 'held';
      }
    }
    return next;
  }

  /** Polls as soon as the current poll (if any) ends. */
  private wake(): void {
    if (!this.running) return;
    if (this.polling) this.again = true;
    else this.schedule(0);
  }

  private schedule(delayMs: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.again = false;
      this.polling = this.poll().then(
        (next) => {
          this.polling = undefined;
          // Held events wait for another transaction: looked for again soon, then less and less often.
          this.heldStreak = next === 'held' ? this.heldStreak + 1 : 0;
          const heldMs = Math.min(this.options.pollMs, HELD_REPOLL_MS * 2 ** Math.min(this.heldStreak - 1, 20));
          if (this.running) this.schedule(this.again || next === 'more' ? 0 : next === 'held' ? heldMs : this.options.pollMs);
        },
        () => (this.polling = undefined),
      );
    }, delayMs);
    this.timer.unref();
  }

  /** A connection of its own that LISTENs; lost, it is opened again, and a poll catches up on what it missed. */
  private async listen(): Promise<void> {
    const client = new pg.Client(this.options.pool.options);
    const lost = (err?: unknown): void => {
      if (this.listening !== client) return;
      this.listening = undefined;
      client.removeAllListeners('notification');
      void client.end().catch(() => undefined);
      if (!this.running) return;
      if (err) this.options.onError(err, `listening for ${EVENTS_CHANNEL}`);
      this.relistenTimer = setTimeout(() => void this.listen(), this.relistenMs);
      this.relistenTimer.unref();
      this.relistenMs = Math.min(RELISTEN_MAX_MS, this.relistenMs * 2);
    };
    this.listening = client;
    client.on('error', lost);
    client.on('end', () => lost(new Error('the listening connection closed')));
    client.on('notification', () => this.wake());
    try {
      await client.connect();
      await client.query(`LISTEN ${EVENTS_CHANNEL}`);
      this.relistenMs = RELISTEN_MS;
      // Events stored while no connection listened.
      this.wake();
    } catch (err) {
      lost(err);
    }
  }
}
