/**
 * How Hookflow judges one attempt (PRODUCT.md, "Responses and retries"). Pure and table-driven:
 * the receiver decides, Hookflow only reads its answer.
 */

/**
 * Why an attempt did not get a response. Set by the send activity. `gone`: the URL answered 410
 * before and is not called again until an operator re-enables it (src/endpoint/gone.ts).
 * `hop_limit`: Hookflow's own API refused a Hookflow-to-Hookflow webhook whose chain went deeper
 * than HOOKFLOW_MAX_HOPS (src/self/credential.ts).
 */
export type SendErrorCode = 'timeout' | 'network' | 'blocked' | 'gone' | 'internal' | 'secret' | 'hop_limit';

/** What came back from one attempt, as far as judging it goes. */
export interface ReceiverAnswer {
  statusCode?: number;
  errorCode?: SendErrorCode;
  responseHeaders?: Record<string, string>;
}

export type AttemptOutcome = { statusCode: number } | { errorCode: SendErrorCode };

/** The outcome of an attempt's result: its status if the receiver answered, else its error. */
export function outcomeOf(result: ReceiverAnswer): AttemptOutcome {
  return result.statusCode !== undefined ? { statusCode: result.statusCode } : { errorCode: result.errorCode ?? 'internal' };
}

export type FailureKind =
  | 'redirect'
  | 'rejected'
  | 'gone'
  | 'request-timeout'
  | 'rate-limited'
  | 'receiver-error'
  | 'bad-status'
  | 'timeout'
  | 'network'
  | 'blocked'
  | 'internal'
  | 'secret'
  | 'hop_limit';

interface FailureRule {
  /** Try again later. */
  retryable: boolean;
  /** Counts against the host's health in the circuit breaker. */
  hostFailure: boolean;
  describe: string;
}

export const FAILURES: Readonly<Record<FailureKind, FailureRule>> = {
  redirect: { retryable: false, hostFailure: false, describe: 'redirect not followed' },
  rejected: { retryable: false, hostFailure: false, describe: 'rejected by the receiver' },
  gone: { retryable: false, hostFailure: false, describe: 'endpoint gone (410)' },
  'request-timeout': { retryable: true, hostFailure: true, describe: 'receiver timed out (408)' },
  'rate-limited': { retryable: true, hostFailure: true, describe: 'rate limited (429)' },
  'receiver-error': { retryable: true, hostFailure: true, describe: 'receiver error' },
  'bad-status': { retryable: true, hostFailure: true, describe: 'unexpected status code' },
  timeout: { retryable: true, hostFailure: true, describe: 'attempt timed out' },
  network: { retryable: true, hostFailure: true, describe: 'receiver not reachable' },
  blocked: { retryable: false, hostFailure: false, describe: 'address not allowed' },
  internal: { retryable: true, hostFailure: false, describe: 'worker error' },
  // A `{{ secrets.NAME }}` whose HOOKFLOW_SECRET_NAME this worker lacks: nothing was sent. Retried,
  // so that setting it on the workers lets the webhook go through.
  secret: { retryable: true, hostFailure: false, describe: 'secret not available' },
  // Permanent like `gone`: the same chain would be as deep on every retry.
  hop_limit: { retryable: false, hostFailure: false, describe: 'hop_limit: chain of Hookflow-to-Hookflow webhooks deeper than HOOKFLOW_MAX_HOPS' },
};

export type Classification = { delivered: true } | { delivered: false; failure: FailureKind };

export function classify(outcome: AttemptOutcome): Classification {
  if ('errorCode' in outcome) return { delivered: false, failure: outcome.errorCode };
  const s = outcome.statusCode;
  if (s >= 200 && s < 300) return { delivered: true };
  if (s >= 300 && s < 400) return { delivered: false, failure: 'redirect' };
  if (s === 408) return { delivered: false, failure: 'request-timeout' };
  if (s === 429) return { delivered: false, failure: 'rate-limited' };
  if (s === 410) return { delivered: false, failure: 'gone' };
  if (s >= 400 && s < 500) return { delivered: false, failure: 'rejected' };
  if (s >= 500 && s < 600) return { delivered: false, failure: 'receiver-error' };
  return { delivered: false, failure: 'bad-status' };
}

export function isHostFailure(outcome: AttemptOutcome): boolean {
  const c = classify(outcome);
  return !c.delivered && FAILURES[c.failure].hostFailure;
}
