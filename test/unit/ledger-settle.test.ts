/**
 * src/ledger/settle.ts: the final record a delivering attempt stores for its workflow must be the
 * very record the workflow would have stored itself (workflows/ledger-feed.ts `final`), or none.
 */
import { DeliveryLog } from '../../src/delivery/delivery-log';
import type { DeliveryInput, SendAttemptResult } from '../../src/delivery/definitions';
import { attemptRow, webhookRow, type SettleHint } from '../../src/ledger/rows';
import { settledRecord } from '../../src/ledger/settle';
import { prepareDelivery } from '../../src/webhook/prepare';
import { parseWebhook } from '../../src/webhook/schema';

const START = Date.parse('2026-11-29T10:00:00Z');
const SEQ = START * 1000 + 7;

function inputOf(extra: Record<string, unknown> = {}): DeliveryInput {
  const parsed = parseWebhook({ url: 'https://crm.example/hooks?token=abc', body: { n: 1 }, tags: { team: 'growth' }, ...extra }, { maxBodyBytes: 1_000_000 });
  return prepareDelivery(parsed, { maxRetryAfterMs: 3_600_000, sendActivity: 'local' });
}

/** The hint the workflow hands its attempt, and what the workflow itself would store after `result`. */
function both(input: DeliveryInput, result: SendAttemptResult, nowMs: number, before: SendAttemptResult[] = []) {
  const log = new DeliveryLog(input, START);
  for (const r of before) log.record(r, r.startedAtMs + r.durationMs, 0.5);
  const { request: _request, carried: _carried, ...rest } = input;
  const hint: SettleHint = { input: rest, progress: log.carry(), seq: SEQ };
  const settled = settledRecord(hint, input.request, result, nowMs);
  log.record(result, nowMs, 0.5);
  const state = log.state();
  const { carried: _c, ...finalInput } = input;
  const own = { webhook: webhookRow(input, state, SEQ), attempts: state.attempts.map((a) => attemptRow(input.id, a)), final: { input: finalInput } };
  return { settled, own, status: state.status };
}

test('a first-try delivery: the same record the workflow would store, completed when the worker built it', () => {
  const { settled, own, status } = both(inputOf(), { startedAtMs: START + 10, durationMs: 40, statusCode: 204 }, START + 60);
  expect(status).toBe('delivered');
  expect(settled).toEqual(own);
  expect(settled?.webhook).toMatchObject({ status: 'delivered', attemptCount: 1, lastStatusCode: 204, completedAt: new Date(START + 60).toISOString() });
});

test('a delivery after two failures carries all three attempts', () => {
  const before: SendAttemptResult[] = [
    { startedAtMs: START + 10, durationMs: 30, statusCode: 503 },
    { startedAtMs: START + 5_000, durationMs: 30, errorCode: 'timeout', errorMessage: 'no answer' },
  ];
  const { settled, own } = both(inputOf(), { startedAtMs: START + 20_000, durationMs: 25, statusCode: 200 }, START + 20_030, before);
  expect(settled).toEqual(own);
  expect(settled?.attempts.map((a) => a.statusCode ?? a.errorCode)).toEqual([503, 'timeout', 200]);
});

test('anything but a delivery is left to the workflow (its next step needs the workflow\'s random numbers)', () => {
  expect(both(inputOf(), { startedAtMs: START, durationMs: 30, statusCode: 500 }, START + 40).settled).toBeUndefined();
  expect(both(inputOf(), { startedAtMs: START, durationMs: 30, statusCode: 400 }, START + 40).settled).toBeUndefined();
  expect(both(inputOf(), { startedAtMs: START, durationMs: 0, held: { reason: 'slot-missed' } }, START + 40).settled).toBeUndefined();
});
