/**
 * One triggered webhook = one run of this workflow: send, judge the answer, wait, send again,
 * until delivered, rejected, out of attempts or out of window. Deterministic: the clock and the
 * random numbers are Temporal's; all I/O is in the send activity.
 */
import * as wf from '@temporalio/workflow';
import type { createActivities } from '../activities';
import { DeliveryLog } from '../src/delivery/delivery-log';
import {
  SEARCH_ATTRIBUTES,
  stateQuery,
  type DeliveryInput,
  type SendAttemptResult,
  type WebhookState,
} from '../src/temporal/definitions';
import { resumeSignal } from '../src/temporal/host-definitions';
import type { LedgeredAttemptInput } from '../src/ledger/rows';
import { LedgerFeed } from './ledger-feed';

type Activities = ReturnType<typeof createActivities>;

/** Room for the activity to report after its own HTTP timeout fired. */
const ACTIVITY_TIMEOUT_MARGIN_MS = 5_000;
/**
 * A paused webhook waits for its host workflow's resume signal; should that never come (the host
 * workflow was terminated, or the queue was full), it checks again this long after the expected
 * resume time.
 */
const PAUSE_RECHECK_MS = 5 * 60_000;

export async function deliverWebhook(input: DeliveryInput): Promise<WebhookState> {
  const log = new DeliveryLog(input, Date.now());
  const waiting: { resume?: { probe: boolean } } = {};
  wf.setHandler(stateQuery, () => log.state());
  // Kept even if it arrives before this workflow has seen that its attempt was held (the host may
  // resume it that fast); cleared when an attempt starts, so a stale one never carries over.
  wf.setHandler(resumeSignal, (r) => void (waiting.resume = r));
  const send = sendActivity(input);
  const ledger = new LedgerFeed(input);
  let first = true;
  let next: { probe?: boolean; released?: boolean; slotMs?: number } = {};

  try {
    for (;;) {
      if (wf.workflowInfo().continueAsNewSuggested) {
        await wf.condition(wf.allHandlersFinished);
        await wf.continueAsNew<typeof deliverWebhook>({ ...input, carried: log.carry() });
      }
      waiting.resume = undefined;
      const asked = next;
      const result = await attempt(send, {
        id: input.id,
        authority: input.authority,
        request: input.request,
        signingSecret: input.signingSecret,
        timeoutMs: input.timeoutMs,
        ...asked,
        // The first attempt of a run lists the webhook in the ledger (as pending) while it goes.
        ...(first ? { ledger: ledger.row(log.state()) } : {}),
      });
      first = false;
      next = {};
      if (result.held?.reason === 'rate-limit') {
        // The host's rate limit (or the pace of a resume) gave this webhook a later slot: come back then.
        next = { slotMs: result.held.slotMs, ...(asked.released ? { released: true } : {}) };
        await wf.sleep(Math.max(1, result.held.slotMs - Date.now()));
        continue;
      }
      if (result.held?.reason === 'paused') {
        log.pause(result.held.untilMs);
        publish(log);
        await ledger.progress(log.state());
        const waitMs = Math.min((result.held.untilMs ?? Date.now()) - Date.now() + PAUSE_RECHECK_MS, log.deadline - Date.now());
        const resumed = await waitForResume(waiting, waitMs);
        if (!resumed && Date.now() >= log.deadline) {
          log.expire(Date.now(), `retry window ended while host ${input.authority} was ${result.held.state}`);
          break;
        }
        next = resumed ? (resumed.probe ? { probe: true } : { released: true }) : {};
        log.resume();
        continue;
      }
      const after = log.record(result, Date.now(), Math.random());
      if (after.done) break;
      publish(log);
      await ledger.progress(log.state(), log.attempts.slice(-1));
      await wf.sleep(Math.max(0, after.atMs - Date.now()));
    }
  } catch (err) {
    if (!wf.isCancellation(err)) throw err;
    log.cancel(Date.now());
  }
  publish(log);
  await ledger.final(log.state());
  return log.state();
}

function sendActivity(input: DeliveryInput): (a: LedgeredAttemptInput) => Promise<SendAttemptResult> {
  // Retries are this workflow's job (it records each attempt and reads the receiver's headers),
  // so the activity itself runs once per attempt.
  const options = { startToCloseTimeout: input.timeoutMs + ACTIVITY_TIMEOUT_MARGIN_MS, retry: { maximumAttempts: 1 } };
  return input.sendActivity === 'regular'
    ? wf.proxyActivities<Activities>(options).sendAttempt
    : wf.proxyLocalActivities<Activities>(options).sendAttempt;
}

/** Runs one attempt; a worker-side failure becomes an attempt with error code `internal`. */
async function attempt(
  send: (a: LedgeredAttemptInput) => Promise<SendAttemptResult>,
  args: LedgeredAttemptInput,
): Promise<SendAttemptResult> {
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

/** Waits for the host workflow's resume signal, at most `timeoutMs`; undefined when it did not come. */
async function waitForResume(waiting: { resume?: { probe: boolean } }, timeoutMs: number): Promise<{ probe: boolean } | undefined> {
  await wf.condition(() => waiting.resume !== undefined, Math.max(1, timeoutMs));
  return waiting.resume;
}

function publish(log: DeliveryLog): void {
  const code = log.lastStatusCode;
  wf.upsertSearchAttributes([
    { key: SEARCH_ATTRIBUTES.status, value: log.status },
    { key: SEARCH_ATTRIBUTES.attempts, value: log.attempts.length },
    ...(code === undefined ? [] : [{ key: SEARCH_ATTRIBUTES.statusCode, value: code }]),
  ]);
}
