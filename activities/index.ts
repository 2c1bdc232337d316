/**
 * The activities the worker registers, built from their dependencies so tests can pass their own.
 * Workflows see them through the interfaces in the definitions modules, never through this file.
 */
import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type { BreakerActivities } from '../src/breaker/definitions';
import { SLOT_LEAD_MS, type CampaignGateActivities } from '../src/campaign/definitions';
import type { CampaignGateAnswer, GatedAttempt, SendActivities, SendAttemptResult } from '../src/delivery/definitions';
import { RATE_SLOT_LATENESS_MS } from '../src/ratelimit/definitions';
import type { LedgerActivities, LedgeredAttemptInput } from '../src/ledger/rows';
import { settledRecord } from '../src/ledger/settle';
import type { HostGate } from './breaker/host-gate';
import { AttemptMemo } from './attempt-memo';
import { releaseWaiters } from './breaker/release-waiters';
import type { GoneList } from './endpoint/gone-list';
import { createLedgerActivities } from './ledger';
import type { LedgerWriter } from './ledger/writer';
import type { DeliveryMetrics } from '../src/metrics/delivery-metrics';
import { sendAttempt, type SendDeps } from './send-attempt';
import { urlWithoutSecrets } from '../src/template/secrets';

export interface ActivityDeps extends SendDeps {
  gate: HostGate;
  /** For signalling delivery workflows from the host workflow. */
  client: Client;
  ledger: LedgerWriter;
  /** Endpoints that answered 410; none are checked when absent. */
  gone?: GoneList;
  /** Reports a failure that must not fail the attempt (e.g. remembering a 410 while PostgreSQL is down). */
  onError?: (err: unknown, what: string) => void;
  /** Delivery metrics (src/metrics), counted as the ledger records come. */
  metrics?: DeliveryMetrics;
  /** The campaigns' gate (activities/campaign), asked here by attempts that carry `campaignGate`. */
  campaignGate?: CampaignGateActivities['campaignGate'];
  /**
   * Attempts that may wait inside the send activity for a campaign's rate-limit slot up to
   * IN_SEND_SLOT_WAIT_MS away, at once (the worker passes half its concurrent sends); others go
   * back to their workflows to wait. 0 when absent.
   */
  slotWaitersMax?: number;
}

/**
 * A campaign's rate-limit slot this close is waited for inside the send activity that took it, by
 * the worker's own clock. Going back to the workflow to sleep puts a timer, a workflow task and a
 * new activity between the wake-up and the slot: on a loaded machine half such attempts started
 * after their slot (some 13 s after; bench/README.md "Campaign rate limit"), and an attempt too late
 * for its slot asks for another at the end of the schedule. A rate-limited dispatch keeps its slots
 * within about 11 s (src/campaign/pace.ts), so its webhooks wait here.
 */
export const IN_SEND_SLOT_WAIT_MS = 12_000;

/** How long before its slot an attempt asks for a current lease on its host (a lease lasts two report intervals). */
const LEASE_BEFORE_SLOT_MS = 1_000;

/**
 * How long a delivering attempt waits for its final ledger record to be stored (one batch, see
 * HOOKFLOW_LEDGER_FLUSH_MS) before answering without it: well inside the activity's own margin.
 */
const SETTLE_WAIT_MS = 2_000;

/** An attempt that did not send at its rate-limit slot: the workflow asks for another. */
const slotMissed = (): SendAttemptResult => ({ startedAtMs: Date.now(), durationMs: 0, held: { reason: 'slot-missed' } });

/** Resolves at `atMs`, or at once when the activity is cancelled (the workflow is told by the cancellation itself). */
function waitUntil(atMs: number, signal: AbortSignal): Promise<void> {
  const ms = atMs - Date.now();
  if (ms <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}

export type HookflowActivities = SendActivities & BreakerActivities & LedgerActivities;

export function createActivities(deps: ActivityDeps): HookflowActivities {
  const sends = new AttemptMemo<SendAttemptResult>();
  /** Attempts waiting in this worker for a campaign slot further off than SLOT_LEAD_MS (bounded by slotWaitersMax). */
  let slotWaiters = 0;
  const ledger = createLedgerActivities(deps.ledger, deps.metrics);

  /**
   * A delivering attempt stores its webhook's final ledger record before it answers (see
   * src/ledger/settle.ts). Bounded: PostgreSQL slow or down, the answer goes back unsettled and the
   * workflow stores the record itself, as it always could.
   */
  async function settle(input: LedgeredAttemptInput, result: SendAttemptResult): Promise<SendAttemptResult> {
    if (!input.settle) return result;
    const nowMs = Date.now();
    const record = settledRecord(input.settle, input.request, result, nowMs);
    if (!record) return result;
    let timer: NodeJS.Timeout | undefined;
    const stored = await Promise.race([
      ledger.recordWebhook(record).then(() => true, () => false),
      new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), SETTLE_WAIT_MS))),
    ]);
    clearTimeout(timer);
    return stored ? { ...result, settledAtMs: nowMs } : result;
  }

  /** One attempt, if the host's breaker lets it go. A held attempt sends nothing and is not counted. */
  async function sendAttemptActivity(input: LedgeredAttemptInput): Promise<SendAttemptResult> {
    // The ledger row rides on the first attempt of a run: batched, it costs no extra round trip.
    if (input.ledger) deps.ledger.add({ webhook: input.ledger, attempts: [] });
    // Settled by every execution, a remembered answer's too: a replay's pending row above has a
    // higher seq than a final row stored by an earlier execution, and must not be the last word.
    return settle(input, await answer(input));
  }

  async function answer(input: LedgeredAttemptInput): Promise<SendAttemptResult> {
    const context = Context.current();
    const { info, cancellationSignal } = context;
    const workflowId = info.workflowExecution?.workflowId ?? '';
    const runId = info.workflowExecution?.runId;
    const ticket = input.ticket ?? 0;
    // A template's URL is keyed without its secret markers, whose nonce differs per webhook.
    const goneUrl = urlWithoutSecrets(input.request);
    if (deps.gone?.isGone(goneUrl)) {
      const errorMessage = 'the endpoint answered 410 Gone before; nothing sent (GET /v1/endpoints/gone, then DELETE it to re-enable)';
      return { startedAtMs: Date.now(), durationMs: 0, errorCode: 'gone', errorMessage };
    }
    const send = async (cancel?: AbortSignal): Promise<SendAttemptResult> => {
      const result = await sendAttempt(deps, input, cancel);
      deps.gate.record(input.authority, workflowId, ticket, result, input.probe ?? false);
      if (result.statusCode === 410 && deps.gone) {
        await deps.gone.mark(goneUrl, input.id).catch((err: unknown) => deps.onError?.(err, 'remembering a gone endpoint'));
      }
      return result;
    };
    // Regular activities keep their results across evictions: nothing to remember.
    if (!info.isLocal || !runId) return admitThen(() => send(cancellationSignal));

    // A local attempt asked again by the same run (see attempt-memo.ts) takes the first one's answer.
    const key = `${runId}/${info.activityId}`;
    const known = sends.get(key);
    if (known) return Promise.race([known, context.cancelled]);
    return admitThen(() => {
      // Once on the wire, an attempt runs to its answer or its timeout even if this call is
      // cancelled (an eviction cancels it too): a replay asking again then gets that answer
      // instead of sending the request a second time. The cancelled caller still returns at once.
      return Promise.race([sends.run(key, () => send()), context.cancelled]);
    });

    async function admitThen(go: () => Promise<SendAttemptResult>): Promise<SendAttemptResult> {
      let notBeforeMs = input.notBeforeMs;
      let waitingHere = false;
      if (input.campaignGate) {
        const gated = await askCampaignGate(input.campaignGate);
        if ('gated' in gated) return { startedAtMs: Date.now(), durationMs: 0, gated: gated.gated };
        notBeforeMs = gated.atMs ?? notBeforeMs;
        waitingHere = gated.waitingHere === true;
      }
      // A campaign's rate-limit slot, by this worker's clock (counted at request start).
      if (notBeforeMs !== undefined) {
        let leased: Promise<void> | undefined;
        try {
          // The host's lease is asked for shortly before the slot: asked for after, it could make the
          // slot late (bench/README.md, "Campaign rate limit"); asked for at the start of a long wait,
          // it could expire before the slot. Admission below then finds it at hand.
          await waitUntil(notBeforeMs - LEASE_BEFORE_SLOT_MS, cancellationSignal);
          leased = deps.gate.prepare(input.authority).catch(() => undefined);
          await waitUntil(notBeforeMs, cancellationSignal);
        } finally {
          if (waitingHere) slotWaiters -= 1;
        }
        await leased;
        // Cancelled while waiting (the workflow evicted or cancelled): never send before the slot.
        if (cancellationSignal.aborted) return slotMissed();
        // A long wait here: the campaign may have been stopped meanwhile (a gate that cannot answer now leaves the slot as given).
        if (waitingHere && input.campaignGate) {
          const now = await askCampaignGate({ campaignId: input.campaignGate.campaignId, slot: false });
          if ('gated' in now && 'answer' in now.gated) return { startedAtMs: Date.now(), durationMs: 0, gated: now.gated };
        }
        // Sent much later than its slot, it could crowd the next ones into one window: it asks again.
        if (Date.now() > notBeforeMs + RATE_SLOT_LATENESS_MS) return slotMissed();
      }
      const admission = await deps.gate.admit(
        input.authority,
        workflowId,
        { ticket, probe: input.probe, released: input.released, slotMs: input.slotMs, deadlineMs: input.deadlineMs },
        cancellationSignal,
      );
      // Admitted much later than its slot (the host's lease came late): sent now, it could crowd the next slots.
      if (admission.go && notBeforeMs !== undefined && Date.now() > notBeforeMs + RATE_SLOT_LATENESS_MS) {
        return slotMissed();
      }
      if (admission.go) return go();
      const { go: _go, ...held } = admission;
      return { startedAtMs: Date.now(), durationMs: 0, held };
    }
  }

  /**
   * The campaign's gate, asked by the attempt itself (one local activity and activation fewer per
   * attempt than asking it from the workflow): a slot at hand is waited for here, as the workflow's
   * would be, and so is one up to IN_SEND_SLOT_WAIT_MS away while fewer than slotWaitersMax wait
   * here (`waitingHere`); anything else goes back to the workflow without sending.
   */
  async function askCampaignGate(ask: { campaignId: string; slot?: false }): Promise<{ atMs?: number; waitingHere?: true } | { gated: GatedAttempt }> {
    if (!deps.campaignGate) return { gated: { unanswered: 'this worker has no campaign gate' } };
    let answer: CampaignGateAnswer;
    try {
      answer = await deps.campaignGate(ask);
    } catch (err) {
      return { gated: { unanswered: err instanceof Error ? err.message : String(err) } };
    }
    if (!answer.go) return { gated: { answer } };
    const ahead = answer.atMs === undefined ? 0 : answer.atMs - Date.now();
    if (ahead <= SLOT_LEAD_MS) return { atMs: answer.atMs };
    if (ahead <= IN_SEND_SLOT_WAIT_MS && slotWaiters < (deps.slotWaitersMax ?? 0)) {
      slotWaiters += 1;
      return { atMs: answer.atMs, waitingHere: true };
    }
    return { gated: { answer } };
  }

  return {
    sendAttempt: sendAttemptActivity,

    releaseWaiters: (input) => releaseWaiters(deps.client, input.releases),

    ...ledger,
  };
}
