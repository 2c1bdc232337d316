/**
 * The delivery workflow's side of the ledger: it hands its state to the worker as rows, through
 * one local activity (a marker in history, no task-queue round trip). Progress rows (paused,
 * retrying) are fire-and-forget; the final row is waited for, so a webhook's workflow completes
 * only once the ledger holds its outcome. An attempt that delivers stores that final row itself
 * (`settle`), and the workflow then writes nothing more.
 */
import * as wf from '@temporalio/workflow';
import type { AttemptRecord, CarriedProgress, DeliveryInput, WebhookState } from '../src/delivery/definitions';
import { attemptRow, webhookRow, type LedgerActivities, type LedgerWebhook, type SettleHint } from '../src/ledger/rows';

const once = wf.proxyLocalActivities<LedgerActivities>({ startToCloseTimeout: '5s', retry: { maximumAttempts: 1 } });
// When PostgreSQL is down the final write is handed to a regular activity that Temporal retries,
// more and more slowly, until it is back: a local activity retrying would hold the workflow task
// (and every query to the webhook) for the whole outage. Two minutes at most between tries.
const untilStored = wf.proxyActivities<LedgerActivities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '2m' },
});

export class LedgerFeed {
  private writes = 0;
  /** The status of the last row handed over: a wait that changes nothing is not written again. */
  private listed?: string;

  /**
   * Off in runs that started before the ledger existed (their histories have none of its markers),
   * so they replay and finish as they began; every run started since writes its rows. Inputs
   * made since say so themselves (`ledger: true`); only older ones ask the patch.
   */
  readonly on: boolean;

  constructor(private readonly input: DeliveryInput) {
    this.on = input.ledger === true || wf.patched('ledger');
  }

  /** The webhook's row as of now; each later row sorts after it. */
  row(state: WebhookState): LedgerWebhook {
    this.listed = state.status;
    return webhookRow(this.input, state, this.nextSeq());
  }

  /**
   * What an attempt needs to store the final record itself should it deliver (src/ledger/settle.ts),
   * with a seq set aside now: any row this run writes later sorts after it.
   */
  settle(progress: CarriedProgress): SettleHint | undefined {
    if (!this.on) return undefined;
    const { request: _request, carried: _carried, ...input } = this.input;
    return { input, progress, seq: this.nextSeq() };
  }

  private nextSeq(): number {
    // Workflow time only moves forward across tasks and runs; the counter orders rows written in one task.
    return Date.now() * 1000 + (this.writes++ % 1000);
  }

  /** A state change worth listing (paused, retrying), with the attempts it added. */
  async progress(state: WebhookState, attempts: AttemptRecord[] = []): Promise<void> {
    if (!this.on || (attempts.length === 0 && state.status === this.listed)) return;
    try {
      await once.recordWebhook({ webhook: this.row(state), attempts: attempts.map((a) => attemptRow(this.input.id, a)) });
    } catch (err) {
      // The ledger is a projection: a lost progress row is rewritten by the final one.
      if (wf.isCancellation(err)) throw err;
    }
  }

  /** The outcome and every attempt, stored before the workflow completes — even when it was cancelled. */
  async final(state: WebhookState): Promise<void> {
    if (!this.on) return;
    const { carried: _carried, ...input } = this.input;
    const record = { webhook: this.row(state), attempts: state.attempts.map((a) => attemptRow(this.input.id, a)), final: { input } };
    await wf.CancellationScope.nonCancellable(async () => {
      try {
        await once.recordWebhook(record);
      } catch {
        await untilStored.recordWebhook(record);
      }
    });
  }
}
