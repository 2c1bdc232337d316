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
  type SendAttemptInput,
  type SendAttemptResult,
  type WebhookState,
} from '../src/temporal/definitions';

type Activities = ReturnType<typeof createActivities>;

/** Room for the activity to report after its own HTTP timeout fired. */
const ACTIVITY_TIMEOUT_MARGIN_MS = 5_000;

export async function deliverWebhook(input: DeliveryInput): Promise<WebhookState> {
  const log = new DeliveryLog(input, Date.now());
  wf.setHandler(stateQuery, () => log.state());
  const send = sendActivity(input);

  try {
    for (;;) {
      if (wf.workflowInfo().continueAsNewSuggested) {
        await wf.continueAsNew<typeof deliverWebhook>({ ...input, carried: log.carry() });
      }
      const result = await attempt(send, {
        id: input.id,
        request: input.request,
        signingSecret: input.signingSecret,
        timeoutMs: input.timeoutMs,
      });
      const next = log.record(result, Date.now(), Math.random());
      if (next.done) break;
      publish(log);
      await wf.sleep(Math.max(0, next.atMs - Date.now()));
    }
  } catch (err) {
    if (!wf.isCancellation(err)) throw err;
    log.cancel(Date.now());
  }
  publish(log);
  return log.state();
}

function sendActivity(input: DeliveryInput): (a: SendAttemptInput) => Promise<SendAttemptResult> {
  // Retries are this workflow's job (it records each attempt and reads the receiver's headers),
  // so the activity itself runs once per attempt.
  const options = { startToCloseTimeout: input.timeoutMs + ACTIVITY_TIMEOUT_MARGIN_MS, retry: { maximumAttempts: 1 } };
  return input.sendActivity === 'regular'
    ? wf.proxyActivities<Activities>(options).sendAttempt
    : wf.proxyLocalActivities<Activities>(options).sendAttempt;
}

/** Runs one attempt; a worker-side failure becomes an attempt with error code `internal`. */
async function attempt(
  send: (a: SendAttemptInput) => Promise<SendAttemptResult>,
  args: SendAttemptInput,
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

function publish(log: DeliveryLog): void {
  const code = log.lastStatusCode;
  wf.upsertSearchAttributes([
    { key: SEARCH_ATTRIBUTES.status, value: log.status },
    { key: SEARCH_ATTRIBUTES.attempts, value: log.attempts.length },
    ...(code === undefined ? [] : [{ key: SEARCH_ATTRIBUTES.statusCode, value: code }]),
  ]);
}
