/**
 * The Temporal side of one webhook, for the SDK: its delivery workflow's handle, start, status,
 * state and original input. Every call is bounded by `temporal` (Temporal out of reach becomes a
 * DependencyUnavailableError).
 */
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client, type WorkflowHandle } from '@temporalio/client';
import { decodeFromPayloadsAtIndex } from '@temporalio/common/lib/internal-non-workflow';
import {
  DELIVER_WEBHOOK_WORKFLOW,
  SEARCH_ATTRIBUTES,
  stateQuery,
  webhookWorkflowId,
  type DeliverWebhookWorkflow,
  type DeliveryInput,
  type WebhookState,
  type WebhookStatus,
  WEBHOOK_STATUSES,
} from '../delivery/definitions';
import { WebhookConflictError, WebhookNotFoundError } from '../errors';
import { summarise } from '../webhook/redact';

/** Attempts carried into a manual retry, so its record shows what came before. */
const CARRIED_ATTEMPTS_ON_RETRY = 50;

export type TemporalCall = <T>(call: () => Promise<T>, extraMs?: number) => Promise<T>;

export class WebhookWorkflows {
  constructor(
    private readonly client: Client,
    private readonly taskQueue: string,
    private readonly eagerStart: boolean,
    private readonly temporal: TemporalCall,
  ) {}

  handle(id: string): WorkflowHandle {
    return this.client.workflow.getHandle(webhookWorkflowId(id));
  }

  async start(input: DeliveryInput, reuse: 'REJECT_DUPLICATE' | 'ALLOW_DUPLICATE', startDelayMs?: number): Promise<void> {
    await this.temporal(() =>
      this.client.workflow.start<DeliverWebhookWorkflow>(DELIVER_WEBHOOK_WORKFLOW, {
        taskQueue: this.taskQueue,
        workflowId: webhookWorkflowId(input.id),
        args: [input],
        workflowIdReusePolicy: reuse,
        workflowIdConflictPolicy: 'FAIL',
        typedSearchAttributes: [
          { key: SEARCH_ATTRIBUTES.status, value: 'pending' },
          { key: SEARCH_ATTRIBUTES.host, value: input.authority },
        ],
        staticSummary: summarise(input.request.method, input.request.url),
        requestEagerStart: this.eagerStart && !startDelayMs,
        ...(startDelayMs ? { startDelay: startDelayMs } : {}),
      }),
    );
  }

  /** Starts it unless a webhook with its id exists: true when this call started it. */
  async startOnce(input: DeliveryInput, startDelayMs?: number): Promise<boolean> {
    try {
      await this.start(input, 'REJECT_DUPLICATE', startDelayMs);
      return true;
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) return false;
      throw err;
    }
  }

  /** Its Temporal status name; throws WebhookNotFoundError. */
  async describeStatus(id: string, handle: WorkflowHandle = this.handle(id)): Promise<string> {
    try {
      return (await this.temporal(() => handle.describe())).status.name;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw new WebhookNotFoundError(id);
      throw err;
    }
  }

  /**
   * Its status as the workflow last published it (the WebhookStatus search attribute, set at every
   * change of state), read without a worker: what a repeated POST answers, even while the worker
   * running it is gone. Throws WebhookNotFoundError.
   */
  async publishedStatus(id: string): Promise<WebhookStatus> {
    let described;
    try {
      described = await this.temporal(() => this.handle(id).describe());
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw new WebhookNotFoundError(id);
      throw err;
    }
    const status = described.status.name;
    if (status === 'TERMINATED') return 'cancelled';
    if (status !== 'RUNNING' && status !== 'COMPLETED') return 'failed';
    const published = described.typedSearchAttributes.get(SEARCH_ATTRIBUTES.status);
    return (WEBHOOK_STATUSES as readonly string[]).includes(published ?? '') ? (published as WebhookStatus) : 'pending';
  }

  /** Whether Temporal has a webhook with this id. */
  async exists(id: string): Promise<boolean> {
    try {
      await this.describeStatus(id);
      return true;
    } catch (err) {
      if (err instanceof WebhookNotFoundError) return false;
      throw err;
    }
  }

  /** The state of the latest run, given its Temporal status (the latest run is never continued-as-new). */
  async stateOf(handle: WorkflowHandle, status: string): Promise<WebhookState> {
    if (status === 'COMPLETED') return this.temporal(() => handle.result());
    const state = await this.temporal(() => handle.query(stateQuery));
    if (status === 'TERMINATED') return { ...state, status: 'cancelled', reason: 'terminated by an operator' };
    if (status !== 'RUNNING') return { ...state, status: 'failed', reason: `workflow ${status.toLowerCase()}` };
    return state;
  }

  /** The latest run's input, read from its history (a query would need the worker and would expose the secret to any querier). */
  async originalInput(handle: WorkflowHandle): Promise<DeliveryInput> {
    const history = await handle.fetchHistory();
    const payloads = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads;
    const input = await decodeFromPayloadsAtIndex<DeliveryInput>(this.client.options.loadedDataConverter, 0, payloads);
    const { carried: _carried, ...rest } = input;
    return rest;
  }

  /** Starts the same message again (a manual retry), carrying its earlier attempts. */
  async restart(id: string, input: Omit<DeliveryInput, 'carried'>, previous: WebhookState): Promise<void> {
    const attempts = previous.attempts.slice(-CARRIED_ATTEMPTS_ON_RETRY);
    try {
      await this.start({ ...input, carried: { createdAt: previous.createdAt, attempts, windowStart: attempts.length, manual: true } }, 'ALLOW_DUPLICATE');
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) throw new WebhookConflictError(id, 'pending', 'retry');
      throw err;
    }
  }
}
