/**
 * src/receiver/classify.ts: how one attempt's outcome is judged (PRODUCT.md, "Responses and retries").
 */
import { classify, FAILURES, isHostFailure, type AttemptOutcome, type FailureKind, type SendErrorCode } from '../../src/receiver/classify';

type Row = [status: number, failure: FailureKind | 'delivered', retryable: boolean | null, hostFailure: boolean];

describe('status codes', () => {
  const rows: Row[] = [
    [200, 'delivered', null, false],
    [201, 'delivered', null, false],
    [202, 'delivered', null, false],
    [204, 'delivered', null, false],
    [299, 'delivered', null, false],
    [300, 'redirect', false, false],
    [301, 'redirect', false, false],
    [302, 'redirect', false, false],
    [307, 'redirect', false, false],
    [308, 'redirect', false, false],
    [399, 'redirect', false, false],
    [400, 'rejected', false, false],
    [401, 'rejected', false, false],
    [403, 'rejected', false, false],
    [404, 'rejected', false, false],
    [405, 'rejected', false, false],
    [409, 'rejected', false, false],
    [422, 'rejected', false, false],
    [499, 'rejected', false, false],
    [408, 'request-timeout', true, true],
    [429, 'rate-limited', true, true],
    [410, 'gone', false, false],
    [500, 'receiver-error', true, true],
    [502, 'receiver-error', true, true],
    [503, 'receiver-error', true, true],
    [504, 'receiver-error', true, true],
    [529, 'receiver-error', true, true],
    [599, 'receiver-error', true, true],
    [600, 'bad-status', true, true],
    [999, 'bad-status', true, true],
    [99, 'bad-status', true, true],
    [0, 'bad-status', true, true],
    [100, 'bad-status', true, true],
    [199, 'bad-status', true, true],
  ];

  test.each(rows)('%i is judged %s (retryable %s, host failure %s)', (statusCode, failure, retryable, hostFailure) => {
    const outcome: AttemptOutcome = { statusCode };
    const verdict = classify(outcome);
    if (failure === 'delivered') {
      expect(verdict).toEqual({ delivered: true });
    } else {
      expect(verdict).toEqual({ delivered: false, failure });
      expect(FAILURES[failure].retryable).toBe(retryable);
    }
    expect(isHostFailure(outcome)).toBe(hostFailure);
  });
});

describe('errors without a response', () => {
  const rows: [SendErrorCode, boolean, boolean, string][] = [
    ['timeout', true, true, 'attempt timed out'],
    ['network', true, true, 'receiver not reachable'],
    ['blocked', false, false, 'address not allowed'],
    ['internal', true, false, 'worker error'],
  ];

  test.each(rows)('%s is retryable %s, host failure %s, described as "%s"', (errorCode, retryable, hostFailure, describe) => {
    const outcome: AttemptOutcome = { errorCode };
    expect(classify(outcome)).toEqual({ delivered: false, failure: errorCode });
    expect(FAILURES[errorCode].retryable).toBe(retryable);
    expect(FAILURES[errorCode].describe).toBe(describe);
    expect(isHostFailure(outcome)).toBe(hostFailure);
  });
});

describe('failure descriptions', () => {
  test.each([
    ['redirect', 'redirect not followed'],
    ['rejected', 'rejected by the receiver'],
    ['gone', 'endpoint gone (410)'],
    ['request-timeout', 'receiver timed out (408)'],
    ['rate-limited', 'rate limited (429)'],
    ['receiver-error', 'receiver error'],
    ['bad-status', 'unexpected status code'],
  ] as [FailureKind, string][])('%s is described as "%s"', (kind, text) => {
    expect(FAILURES[kind].describe).toBe(text);
  });

  test('the host-failure codes include the ones Braze counts (408, 429, 502, 503, 504, 529)', () => {
    for (const statusCode of [408, 429, 502, 503, 504, 529]) expect(isHostFailure({ statusCode })).toBe(true);
  });
});
