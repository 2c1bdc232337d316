/**
 * One webhook after it was sent, for the SDK: its status, attempts and result, cancel and retry.
 * Temporal answers while it holds the webhook's workflow; after the namespace's retention (or for
 * a render that failed before any workflow) the ledger answers instead.
 */
import type { WebhookState, WebhookStatus } from '../delivery/definitions';
import { WebhookConflictError, WebhookNotFoundError } from '../errors';
import { attemptRow } from '../ledger/rows';
import type { AttemptSummary } from '../ledger/store';
import type { ClientDatabase } from './database';
import type { SendResult } from './options';
import type { TemporalCall, WebhookWorkflows } from './webhook-workflows';

export class WebhookLifecycle {
  constructor(
    private readonly workflows: WebhookWorkflows,
    private readonly db: ClientDatabase,
    private readonly temporal: TemporalCall,
    private readonly callTimeoutMs: number,
  ) {}

  async status(id: string): Promise<WebhookState> {
    const handle = this.workflows.handle(id);
    return this.orFromLedger(id, async () => this.workflows.stateOf(handle, await this.workflows.describeStatus(id, handle)), (kept) => kept);
  }

  async publishedStatus(id: string): Promise<WebhookStatus> {
    return this.orFromLedger(id, () => this.workflows.publishedStatus(id), (kept) => kept.status);
  }

  async attempts(id: string): Promise<AttemptSummary[]> {
    const kept = await this.db.run((db) => db.ledger.attempts(id));
    // The ledger's own attempt rows, without the webhook id.
    return kept ?? (await this.status(id)).attempts.map((a) => {
      const { webhookId: _id, ...summary } = attemptRow(id, a);
      return summary;
    });
  }

  async result(id: string): Promise<WebhookState> {
    await this.workflows.describeStatus(id, this.workflows.handle(id));
    return this.workflows.handle(id).result();
  }

  async cancel(id: string): Promise<WebhookState> {
    const handle = this.workflows.handle(id);
    const status = await this.workflows.describeStatus(id, handle);
    if (status !== 'RUNNING') throw new WebhookConflictError(id, (await this.workflows.stateOf(handle, status)).status, 'cancel');
    await handle.cancel();
    // The cancel is recorded; a worker carries it out. With none running, answer unavailable
    // (it is safe to cancel again) rather than wait without end.
    return this.temporal(() => handle.result(), 2 * this.callTimeoutMs);
  }

  async retry(id: string): Promise<SendResult> {
    const handle = this.workflows.handle(id);
    let status: string;
    try {
      status = await this.workflows.describeStatus(id, handle);
    } catch (err) {
      // Temporal has forgotten it (retention): the ledger kept the request.
      if (err instanceof WebhookNotFoundError && this.db.configured()) return this.retryFromLedger(id, err);
      throw err;
    }
    const previous = await this.workflows.stateOf(handle, status);
    if (status === 'RUNNING') throw new WebhookConflictError(id, previous.status, 'retry');
    await this.workflows.restart(id, await this.workflows.originalInput(handle), previous);
    return { id, created: false };
  }

  private async retryFromLedger(id: string, notFound: WebhookNotFoundError): Promise<SendResult> {
    const [input, previous] = await this.db.run((db) => Promise.all([db.ledger.request(id), db.ledger.state(id)]));
    // A templated webhook that failed to render has no request to send again: its data must change.
    if (!input && previous?.reason?.startsWith('render_error')) throw new WebhookConflictError(id, 'failed, with nothing rendered to send again', 'retry');
    if (!input || !previous) throw notFound;
    await this.workflows.restart(id, input, previous);
    return { id, created: false };
  }

  /** What Temporal says of a webhook, or, when Temporal does not hold it, what the ledger kept. */
  private async orFromLedger<T>(id: string, fromTemporal: () => Promise<T>, fromLedger: (kept: WebhookState) => T): Promise<T> {
    try {
      return await fromTemporal();
    } catch (err) {
      if (!(err instanceof WebhookNotFoundError) || !this.db.configured()) throw err;
      const kept = await this.db.run((db) => db.ledger.state(id));
      if (!kept) throw err;
      return fromLedger(kept);
    }
  }
}
