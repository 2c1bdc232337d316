/** An operator's view and control of one host's breaker workflow, for the SDK. */
import { WithStartWorkflowOperation, WorkflowNotFoundError, type Client } from '@temporalio/client';
import {
  controlProblem,
  controlUpdate,
  HOST_CIRCUIT_WORKFLOW,
  hostCircuitStart,
  hostQuery,
  hostWorkflowId,
  idleHostView,
  type HostCircuitWorkflow,
  type HostControl,
  type HostView,
} from '../breaker/definitions';
import type { BreakerSettings } from '../breaker/definitions';
import { InvalidRequestError } from '../errors';
import { hostKeyOfAuthority } from '../net/host-key';
import type { TemporalCall } from './webhook-workflows';

export class HostControls {
  constructor(
    private readonly client: Client,
    /** The host workflows' task queue, which also names them. */
    private readonly hostQueue: string,
    private readonly settings: BreakerSettings,
    private readonly temporal: TemporalCall,
  ) {}

  /** The host's breaker state; a host Hookflow has not heard from recently reads as closed and empty. */
  async status(authority: string): Promise<HostView> {
    const key = hostKeyOfAuthority(authority);
    try {
      return await this.temporal(() => this.client.workflow.getHandle(hostWorkflowId(this.hostQueue, key)).query(hostQuery));
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return idleHostView(key);
      throw err;
    }
  }

  /** A pause or resume, starting the host workflow if none runs. */
  async control(authority: string, control: HostControl): Promise<HostView> {
    const key = hostKeyOfAuthority(authority);
    const problem = controlProblem(control);
    if (problem) throw new InvalidRequestError([{ field: 'durationMs', message: problem.replace(/^durationMs /, '') }]);
    // A pause answers once the workers took the news: up to two report intervals on top.
    return this.temporal(
      () =>
        this.client.workflow.executeUpdateWithStart(controlUpdate, {
          args: [control],
          startWorkflowOperation: new WithStartWorkflowOperation<HostCircuitWorkflow>(HOST_CIRCUIT_WORKFLOW, {
            ...hostCircuitStart(key, this.hostQueue, this.settings),
            workflowIdConflictPolicy: 'USE_EXISTING',
          }),
        }),
      2 * this.settings.leaseMs,
    );
  }
}
