/**
 * One triggered webhook = one run of this workflow: send, judge the answer, wait, send again,
 * until delivered, rejected, out of attempts or out of window. Deterministic: the clock and the
 * random numbers are Temporal's; all I/O is in the send activity.
 *
 * When the host's breaker holds an attempt, the webhook waits for the host workflow's resume
 * (src/delivery/host-wait.ts), never past its retry window. It continues as new whenever Temporal
 * suggests it — between attempts or while waiting — carrying its whole state.
 *
 * Its rows in the ledger (workflows/ledger-feed.ts) ride on the first attempt of each run, follow
 * each change of state, and are stored for good before the workflow completes: by the attempt that
 * delivers it, or else by the workflow's own last write.
 */
import * as wf from '@temporalio/workflow';
import { GATE_MAX_WAIT_MS, resumeSignal } from '../src/breaker/definitions';
import { SLOT_LEAD_MS, type CampaignGateActivities, type CampaignGateAnswer } from '../src/campaign/definitions';
import type { RateLimitActivities } from '../src/ratelimit/definitions';
import { DeliveryLog } from '../src/delivery/delivery-log';
import {
  SEARCH_ATTRIBUTES,
  stateQuery,
  type DeliverWebhookWorkflow,
  type DeliveryInput,
  type SendActivities,
  type SendAttemptResult,
  type WebhookState,
} from '../src/delivery/definitions';
import { HostWait } from '../src/delivery/host-wait';
import type { LedgeredAttemptInput } from '../src/ledger/rows';
import { LedgerFeed } from './ledger-feed';

/** Room for the activity to report after its own HTTP timeout fired. */
const ACTIVITY_TIMEOUT_MARGIN_MS = 5_000;

type Send = (a: LedgeredAttemptInput) => Promise<SendAttemptResult>;

export async function deliverWebhook(input: DeliveryInput): Promise<WebhookState> {
  const log = new DeliveryLog(input, Date.now());
  const host = new HostWait(input.carried?.loop);
  if (host.wait) log.pause(host.wait.untilMs, host.wait.waitingFor);
  wf.setHandler(stateQuery, () => log.state());
  wf.setHandler(resumeSignal, (resume) => host.offer(resume));
  const send = sendActivity(input);
  const ledger = new LedgerFeed(input);
  let first = true;
  /** The delivering attempt stored the final ledger record itself (src/ledger/settle.ts). */
  let settled = false;
  /** A slot the campaign's gate gave an attempt that went back to wait for it: the next attempt sends at it. */
  let slotAtMs: number | undefined;
  /** The send activity could not ask the campaign's gate: the next attempt asks it by a local activity. */
  let gateUnanswered = false;
  const continueAsNew = async (): Promise<never> => {
    await wf.condition(wf.allHandlersFinished);
    return wf.continueAsNew<DeliverWebhookWorkflow>({ ...input, carried: { ...log.carry(), loop: host.carry() } });
  };

  try {
    for (;;) {
      if (host.wait) {
        const wait = host.wait;
        const untilMs = Math.min(wait.recheckAtMs, log.deadline);
        await wf.condition(() => host.resumed || wf.workflowInfo().continueAsNewSuggested, Math.max(1, untilMs - Date.now()));
        // A resume that comes at or after the deadline sends nothing.
        if (Date.now() >= log.deadline) {
          log.expire(Date.now(), wait.waitingFor === 'host' ? `retry window ended while host ${input.authority} was ${wait.state}` : `retry window ended while waiting for a send slot of host ${input.authority}`);
          break;
        }
        if (host.resumed) host.takeResume();
        else if (Date.now() < untilMs) await continueAsNew();
        else host.recheck();
        log.resume();
      }
      if (wf.workflowInfo().continueAsNewSuggested) await continueAsNew();
      let notBeforeMs = slotAtMs;
      slotAtMs = undefined;
      const limited = gateOf(input);
      // Newer campaign webhooks ask their gate in the send activity (DeliveryInput.gateInSend): for
      // a slot, or, holding one already, only whether the campaign was stopped meanwhile.
      const gateInSend = input.gateInSend === true && input.campaign !== undefined && !gateUnanswered;
      if (limited && !gateInSend) {
        const gate = await passGate(limited, log, ledger);
        if (gate === false) break;
        notBeforeMs = gate.atMs;
      }
      gateUnanswered = false;
      const go = host.begin();
      const result = await attempt(send, {
        id: input.id,
        authority: input.authority,
        request: input.request,
        signingSecret: input.signingSecret,
        timeoutMs: input.timeoutMs,
        deadlineMs: log.deadline,
        ...(input.hops ? { hops: input.hops } : {}),
        ...(input.extract ? { extract: input.extract } : {}),
        ...(notBeforeMs === undefined ? {} : { notBeforeMs }),
        ...(gateInSend ? { campaignGate: { campaignId: input.campaign!.campaignId, ...(notBeforeMs === undefined ? {} : { slot: false as const }) } } : {}),
        ...go,
        // The first attempt of a run lists the webhook (as pending) while it goes.
        ...(first && ledger.on ? { ledger: ledger.row(log.state()) } : {}),
        settle: ledger.settle(log.carry()),
      });
      first = false;
      if (result.gated) {
        if ('unanswered' in result.gated) {
          gateUnanswered = true;
          continue;
        }
        // The attempt that sends at the slot checks the campaign's status itself: no recheck here.
        const gate = await honourGate(limited!, result.gated.answer, log, ledger, false);
        if (gate === false) break;
        slotAtMs = gate.atMs;
        continue;
      }
      if (result.held?.reason === 'slot-missed') continue;
      if (result.held?.reason === 'deadline') {
        log.expire(Date.now(), `retry window ends before host ${input.authority} allows another request`);
        break;
      }
      if (result.held) {
        host.hold(result.held, Date.now());
        log.pause(host.wait?.untilMs, host.wait?.waitingFor ?? 'host');
        publish(log);
        await ledger.progress(log.state());
        continue;
      }
      // A settled attempt (delivered, its final row stored by the worker) is recorded as of when the worker built that row.
      const after = log.record(result, result.settledAtMs ?? Date.now(), Math.random());
      if (after.done) {
        settled = result.settledAtMs !== undefined && log.status === 'delivered';
        break;
      }
      publish(log);
      await ledger.progress(log.state(), log.attempts.slice(-1));
      await wf.sleep(Math.max(0, after.atMs - Date.now()));
    }
  } catch (err) {
    if (!wf.isCancellation(err)) throw err;
    log.cancel(Date.now());
  }
  publish(log);
  if (!settled) await ledger.final(log.state());
  return log.state();
}

const { campaignGate, rateLimitSlot } = wf.proxyLocalActivities<CampaignGateActivities & RateLimitActivities>({
  startToCloseTimeout: '1m',
  // PostgreSQL out of reach: the webhook waits for it (it holds the campaign's state and the limits).
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' },
});

/** What a webhook asks before each attempt, if anything: `slot: false` only checks it may still go. */
interface Gate {
  ask(slot: boolean): Promise<CampaignGateAnswer>;
  /** Whose limit, in the reason of a webhook the limit outlasts. */
  owner: string;
}

function gateOf(input: DeliveryInput): Gate | undefined {
  if (input.campaign) {
    const { campaignId } = input.campaign;
    return { owner: 'the campaign', ask: (slot) => campaignGate(slot ? { campaignId } : { campaignId, slot }) };
  }
  const limit = input.rateLimit;
  if (limit) return { owner: limit.key, ask: async (slot) => (slot ? rateLimitSlot(limit) : { go: true }) };
  return undefined;
}

/**
 * A campaign's webhook (or one with a shared rate limit) asks before each attempt (retries too):
 * a stopped campaign cancels it, and the rate limit gives it a send slot, which the send activity
 * waits for. False when the webhook ends here.
 */
async function passGate(gate: Gate, log: DeliveryLog, ledger: LedgerFeed, slot = true): Promise<false | { atMs?: number }> {
  return honourGate(gate, await gate.ask(slot), log, ledger, true);
}

/** Acts on the gate's answer, asked by a local activity or by the send activity: end, wait for the slot, or go. */
async function honourGate(gate: Gate, answer: CampaignGateAnswer, log: DeliveryLog, ledger: LedgerFeed, recheck: boolean): Promise<false | { atMs?: number }> {
  if (!answer.go) {
    if (answer.status === 'cancelled') log.cancel(Date.now(), answer.reason);
    else log.expire(Date.now(), answer.reason);
    return false;
  }
  if (answer.atMs === undefined) return {};
  if (answer.atMs >= log.deadline) {
    log.expire(Date.now(), `retry window ends before ${gate.owner === 'the campaign' ? "the campaign's" : `${gate.owner}'s`} rate limit allows another request`);
    return false;
  }
  if (answer.atMs - SLOT_LEAD_MS > Date.now()) {
    log.pause(answer.atMs, 'rate-limit');
    publish(log);
    await ledger.progress(log.state());
    await wf.sleep(answer.atMs - SLOT_LEAD_MS - Date.now());
    log.resume();
    // The campaign may have been stopped meanwhile.
    if (recheck && (await passGate(gate, log, ledger, false)) === false) return false;
  }
  return { atMs: answer.atMs };
}

function sendActivity(input: DeliveryInput): Send {
  // Retries are this workflow's job (it records each attempt and reads the receiver's headers),
  // so the activity itself runs once per attempt. Its time includes the host gate's waits.
  const slotWait = input.campaign || input.rateLimit ? 2 * SLOT_LEAD_MS : 0;
  const options = { startToCloseTimeout: input.timeoutMs + ACTIVITY_TIMEOUT_MARGIN_MS + GATE_MAX_WAIT_MS + slotWait, retry: { maximumAttempts: 1 } };
  return input.sendActivity === 'regular'
    ? wf.proxyActivities<SendActivities>(options).sendAttempt
    : wf.proxyLocalActivities<SendActivities>(options).sendAttempt;
}

/** Runs one attempt; a worker-side failure becomes an attempt with error code `internal`. */
async function attempt(send: Send, args: LedgeredAttemptInput): Promise<SendAttemptResult> {
  const startedAtMs = Date.now();
  try {
    return await send(args);
  } catch (err) {
    if (wf.isCancellation(err)) throw err;
    const cause = err instanceof wf.ActivityFailure && err.cause ? err.cause : err;
    return {
      startedAtMs,
      durationMs: Date.now() - startedAtMs,
      errorCode: 'internal',
      errorMessage: cause instanceof Error ? cause.message : String(cause),
    };
  }
}

function publish(log: DeliveryLog): void {
  const code = log.lastStatusCode;
  wf.upsertSearchAttributes([
    { key: SEARCH_ATTRIBUTES.status, value: log.status },
    { key: SEARCH_ATTRIBUTES.attempts, value: log.attempts.length },
    ...(code === undefined ? [] : [{ key: SEARCH_ATTRIBUTES.statusCode, value: code }]),
  ]);
}
