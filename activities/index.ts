/**
 * The activities the worker registers, built from their dependencies so tests can pass their own.
 * Workflows see them through the interfaces in the definitions modules, never through this file.
 */
import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type { BreakerActivities } from '../src/breaker/definitions';
import type { SendActivities, SendAttemptResult } from '../src/delivery/definitions';
import type { LedgerActivities, LedgeredAttemptInput } from '../src/ledger/rows';
import type { HostGate } from './breaker/host-gate';
import { releaseWaiters } from './breaker/release-waiters';
import { createLedgerActivities } from './ledger';
import type { LedgerWriter } from './ledger/writer';
import { sendAttempt, type SendDeps } from './send-attempt';

export interface ActivityDeps extends SendDeps {
  gate: HostGate;
  /** For signalling delivery workflows from the host workflow. */
  client: Client;
  ledger: LedgerWriter;
}

export type HookflowActivities = SendActivities & BreakerActivities & LedgerActivities;

export function createActivities(deps: ActivityDeps): HookflowActivities {
  return {
    /** One attempt, if the host's breaker lets it go. A held attempt sends nothing and is not counted. */
    async sendAttempt(input: LedgeredAttemptInput): Promise<SendAttemptResult> {
      // The ledger row rides on the first attempt of a run: batched, it costs no extra round trip.
      if (input.ledger) deps.ledger.add({ webhook: input.ledger, attempts: [] });
      const { info, cancellationSignal } = Context.current();
      const workflowId = info.workflowExecution?.workflowId ?? '';
      const ticket = input.ticket ?? 0;
      const admission = await deps.gate.admit(
        input.authority,
        workflowId,
        { ticket, probe: input.probe, released: input.released, slotMs: input.slotMs, deadlineMs: input.deadlineMs },
        cancellationSignal,
      );
      if (!admission.go) {
        const { go: _go, ...held } = admission;
        return { startedAtMs: Date.now(), durationMs: 0, held };
      }
      const result = await sendAttempt(deps, input, cancellationSignal);
      deps.gate.record(input.authority, workflowId, ticket, result, input.probe ?? false);
      return result;
    },

    releaseWaiters: (input) => releaseWaiters(deps.client, input.releases),

    ...createLedgerActivities(deps.ledger),
  };
}
