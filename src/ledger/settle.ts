/**
 * A delivered webhook's final ledger record, built by the worker that delivered it: the send
 * activity stores it before it answers, so a delivery needs neither the workflow's own final
 * write (a local activity) nor the workflow activation that waits for it — a first-try delivery
 * runs in two activations instead of three (bench/README.md, "The engine's floor").
 *
 * The record is the one the workflow would build after the answer: the same DeliveryLog rules on
 * the same progress, at the time the activity hands back (`settledAtMs`). Only a delivery is
 * settled here: any other outcome's next step depends on the workflow's random numbers (retry
 * jitter), which only the workflow has.
 */
import { DeliveryLog } from '../delivery/delivery-log';
import type { DeliveryInput, OutboundRequest, SendAttemptResult } from '../delivery/definitions';
import { attemptRow, webhookRow, type LedgerRecord, type SettleHint } from './rows';

export function settledRecord(hint: SettleHint, request: OutboundRequest, result: SendAttemptResult, nowMs: number): LedgerRecord | undefined {
  if (result.held || result.gated) return undefined;
  const input: DeliveryInput = { ...hint.input, request };
  const log = new DeliveryLog({ ...input, carried: hint.progress }, nowMs);
  log.record(result, nowMs, 0);
  if (log.status !== 'delivered') return undefined;
  const state = log.state();
  return { webhook: webhookRow(input, state, hint.seq), attempts: state.attempts.map((a) => attemptRow(input.id, a)), final: { input } };
}
