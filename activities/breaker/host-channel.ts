/**
 * How a worker's gate talks to host workflows: a lease request is an update-with-start (the host
 * workflow is started on first use, or again after it ended idle), and a last report on shutdown is
 * a signal-with-start, which needs no worker to answer it.
 */
import { WithStartWorkflowOperation, type Client } from '@temporalio/client';
import {
  HOST_CIRCUIT_WORKFLOW,
  hostCircuitStart,
  leaseUpdate,
  reportSignal,
  type BreakerSettings,
  type HostCircuitWorkflow,
  type HostReport,
  type Lease,
  type LeaseRequest,
} from '../../src/breaker/definitions';

export class HostChannel {
  /** Messages sent to host workflows, for tests and benchmarks. */
  sent = 0;

  constructor(
    private readonly client: Client,
    private readonly hostQueue: string,
    private readonly settings: BreakerSettings,
  ) {}

  /** The host's lease for this worker; rejects if no answer came by `deadlineMs`. */
  async lease(hostKey: string, request: LeaseRequest, deadlineMs: number): Promise<Lease> {
    this.sent += 1;
    // A deadline on the call itself: when the host workflow's last task ran on a worker that died,
    // Temporal waits for that worker's sticky queue to time out before another worker answers.
    return this.client.withDeadline(deadlineMs, () =>
      this.client.workflow.executeUpdateWithStart(leaseUpdate, {
        args: [request],
        startWorkflowOperation: new WithStartWorkflowOperation<HostCircuitWorkflow>(HOST_CIRCUIT_WORKFLOW, {
          ...hostCircuitStart(hostKey, this.hostQueue, this.settings),
          workflowIdConflictPolicy: 'USE_EXISTING',
        }),
      }),
    );
  }

  async report(hostKey: string, report: HostReport, deadlineMs: number): Promise<void> {
    this.sent += 1;
    await this.client.withDeadline(deadlineMs, () =>
      this.client.workflow.signalWithStart<HostCircuitWorkflow, [HostReport]>(HOST_CIRCUIT_WORKFLOW, {
        ...hostCircuitStart(hostKey, this.hostQueue, this.settings),
        signal: reportSignal,
        signalArgs: [report],
      }),
    );
  }
}
