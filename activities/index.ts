/**
 * The activities the worker registers, built from their dependencies so tests can pass their own.
 */
import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type { LedgeredAttemptInput } from '../src/ledger/rows';
import type { SendAttemptResult } from '../src/temporal/definitions';
import type { HostGate } from './host-gate';
import { createLedgerActivities } from './ledger';
import type { LedgerWriter } from './ledger/writer';
import { releaseWaiters } from './release-waiters';
import { sendAttempt, type SendDeps } from './send-attempt';

export interface ActivityDeps extends SendDeps {
  gate: HostGate;
  /** For signalling delivery workflows from the host workflow. */
  client: Client;
  ledger: LedgerWriter;
}

export function createActivities(deps: ActivityDeps) {
  return {
    /** One attempt, if the host's breaker lets it go. A held attempt sends nothing and is not counted. */
    async sendAttempt(input: LedgeredAttemptInput): Promise<SendAttemptResult> {
      if (input.ledger) deps.ledger.add({ webhook: input.ledger, attempts: [] });
      const workflowId = Context.current().info.workflowExecution?.workflowId ?? '';
      const admission = await deps.gate.admit(input.authority, workflowId, { probe: input.probe, released: input.released, slotMs: input.slotMs });
      if (!admission.go) {
        const { go: _go, ...held } = admission;
        return { startedAtMs: Date.now(), durationMs: 0, held };
      }
      const result = await sendAttempt(deps, input, Context.current().cancellationSignal);
      deps.gate.record(input.authority, workflowId, result, input.probe ?? false);
      return result;
    },

    async releaseWaiters(input: { workflowIds: string[]; probe: boolean }): Promise<number> {
      return releaseWaiters(deps.client, input.workflowIds, input.probe);
    },

    ...createLedgerActivities(deps.ledger),
  };
}
