/**
 * A delivery's dealings with its host's breaker, as pure state the workflow loop drives. Each
 * attempt gets a ticket. A held attempt waits for the host workflow's resume naming that ticket:
 * one that arrives before the workflow has even seen the hold is kept, one for an earlier attempt
 * is stale and ignored (a duplicate registration, a release retried). The next attempt carries the
 * go-ahead the resume gave — probe or release, and its send slot. Continue-as-new carries all of it.
 */
import type { Resume } from '../breaker/definitions';
import type { HeldAttempt, LoopProgress } from './definitions';

/**
 * A held webhook waits for its host workflow's resume; should that never come (the host workflow
 * was terminated, or its queue was full), it tries again this long after the expected resume time.
 */
export const PAUSE_RECHECK_MS = 5 * 60_000;

export type Go = LoopProgress['ask'] & { ticket: number };

export class HostWait {
  private readonly p: LoopProgress;

  constructor(carried?: LoopProgress) {
    this.p = carried ? JSON.parse(JSON.stringify(carried)) : { seq: 0, ask: {} };
  }

  /** The host workflow's resume; kept only if it answers the latest attempt. */
  offer(resume: Resume): void {
    if ((resume.ticket ?? this.p.seq) === this.p.seq) this.p.resume = resume;
  }

  /** Starts the next attempt: its ticket and the go-ahead it carries. */
  begin(): Go {
    this.p.seq += 1;
    const go = { ...this.p.ask, ticket: this.p.seq };
    this.p.ask = {};
    this.p.wait = undefined;
    this.p.resume = undefined;
    return go;
  }

  /** The attempt was held; it waits for a resume, or until `wait.recheckAtMs`. */
  hold(held: Exclude<HeldAttempt, { reason: 'deadline' | 'slot-missed' }>, nowMs: number): void {
    const untilMs = held.reason === 'paused' ? held.untilMs : undefined;
    this.p.wait = {
      waitingFor: held.reason === 'paused' ? 'host' : 'rate-limit',
      ...(held.reason === 'paused' ? { state: held.state } : {}),
      ...(untilMs === undefined ? {} : { untilMs }),
      recheckAtMs: (untilMs ?? nowMs) + PAUSE_RECHECK_MS,
    };
  }

  get wait(): LoopProgress['wait'] {
    return this.p.wait;
  }

  get resumed(): boolean {
    return this.p.wait !== undefined && this.p.resume !== undefined;
  }

  /** Acts on the resume: the next attempt goes as the probe or as released, at its slot. */
  takeResume(): void {
    const { probe, slotMs } = this.p.resume ?? {};
    this.p.ask = { ...(probe ? { probe: true } : { released: true }), ...(slotMs === undefined ? {} : { slotMs }) };
    this.p.wait = undefined;
    this.p.resume = undefined;
  }

  /** No resume came in time: the next attempt asks on its own. */
  recheck(): void {
    this.p.ask = {};
    this.p.wait = undefined;
  }

  carry(): LoopProgress {
    return JSON.parse(JSON.stringify(this.p));
  }
}
