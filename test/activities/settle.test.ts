/**
 * The send activity settling a delivered webhook (src/ledger/settle.ts) against a real receiver
 * and the real ledger in PostgreSQL. The case that matters: a local attempt asked again by a replay
 * (its first answer never reached the history, say Temporal was down) lists the webhook as pending
 * again with a newer seq; the remembered answer must be settled again above it, or the ledger would
 * say pending for good while Temporal says delivered (caught by test/cluster, PostgreSQL restarted).
 */
import pg from 'pg';
import type { Client } from '@temporalio/client';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities } from '../../activities';
import type { HostGate } from '../../activities/breaker/host-gate';
import { LedgerWriter } from '../../activities/ledger/writer';
import { createHttpClient } from '../../activities/net/guarded-client';
import { DeliveryLog } from '../../src/delivery/delivery-log';
import type { DeliveryInput, SendAttemptResult } from '../../src/delivery/definitions';
import { webhookRow, type LedgeredAttemptInput } from '../../src/ledger/rows';
import { createAddressPolicy } from '../../src/net/address-policy';
import { generateEncryptionKey, parseEncryptionKey } from '../../src/temporal/codec';
import { prepareDelivery } from '../../src/webhook/prepare';
import { parseWebhook } from '../../src/webhook/schema';
import { createTestDatabase } from '../helpers/database';
import { startReceiver, type Receiver } from '../helpers/receiver';

let pool: pg.Pool;
let writer: LedgerWriter;
let r: Receiver;
const dispatcher = createHttpClient({ policy: createAddressPolicy({ allowPrivateNetworks: true, allowedCidrs: [] }) });
// The host gate lets every attempt go: this test is about the ledger, the breaker has its own.
const gate = { admit: async () => ({ go: true }), record: () => undefined, prepare: async () => undefined } as unknown as HostGate;

beforeAll(async () => {
  pool = new pg.Pool({ connectionString: await createTestDatabase(), max: 2 });
  writer = new LedgerWriter({ pool, encryptionKey: parseEncryptionKey(generateEncryptionKey()), flushMs: 10, onError: () => undefined });
  r = await startReceiver();
});
afterAll(async () => {
  await writer.stop();
  await pool.end();
  await r.close();
  await dispatcher.close();
});

/** The attempt input the delivery workflow builds for its first attempt at workflow time `nowMs`. */
function firstAttempt(input: DeliveryInput, nowMs: number): LedgeredAttemptInput {
  const log = new DeliveryLog(input, nowMs);
  const { request: _request, carried: _carried, ...rest } = input;
  return {
    id: input.id,
    authority: input.authority,
    request: input.request,
    timeoutMs: input.timeoutMs,
    deadlineMs: log.deadline,
    ledger: webhookRow(input, log.state(), nowMs * 1000),
    settle: { input: rest, progress: log.carry(), seq: nowMs * 1000 + 1 },
  };
}

const stored = async (id: string) => (await pool.query('SELECT status, seq::text AS seq FROM webhooks WHERE id = $1', [id])).rows;

test('a delivery is settled by the attempt, and settled again above the pending row of a replay that asks again', async () => {
  const activities = createActivities({ dispatcher, maxResponseBytes: 65_536, gate, client: {} as Client, ledger: writer });
  const input = prepareDelivery(parseWebhook({ url: `${r.url}/in`, body: { n: 1 } }, { maxBodyBytes: 1_000_000 }), { maxRetryAfterMs: 3_600_000, sendActivity: 'local' });
  const info = { isLocal: true, activityId: '1', workflowExecution: { workflowId: `webhook:${input.id}`, runId: 'run-1' } };
  const t0 = Date.parse('2026-11-29T12:00:00Z');

  const first: SendAttemptResult = await new MockActivityEnvironment(info).run(activities.sendAttempt, firstAttempt(input, t0));
  expect(first.statusCode).toBe(200);
  expect(first.settledAtMs).toEqual(expect.any(Number));
  expect(await stored(input.id)).toEqual([{ status: 'delivered', seq: String(t0 * 1000 + 1) }]);

  // The replay's workflow task started later: its pending row outranks the first final row.
  const again: SendAttemptResult = await new MockActivityEnvironment(info).run(activities.sendAttempt, firstAttempt(input, t0 + 5_000));
  expect(again.settledAtMs).toEqual(expect.any(Number));
  expect(r.arrivals).toHaveLength(1);
  await writer.stop();
  expect(await stored(input.id)).toEqual([{ status: 'delivered', seq: String((t0 + 5_000) * 1000 + 1) }]);
});

test('an answer that did not deliver is not settled: the workflow decides what comes next', async () => {
  const failing = await startReceiver(() => ({ status: 503 }));
  try {
    const activities = createActivities({ dispatcher, maxResponseBytes: 65_536, gate, client: {} as Client, ledger: writer });
    const input = prepareDelivery(parseWebhook({ url: `${failing.url}/in` }, { maxBodyBytes: 1_000_000 }), { maxRetryAfterMs: 3_600_000, sendActivity: 'local' });
    const info = { isLocal: true, activityId: '1', workflowExecution: { workflowId: `webhook:${input.id}`, runId: 'run-2' } };
    const result: SendAttemptResult = await new MockActivityEnvironment(info).run(activities.sendAttempt, firstAttempt(input, Date.now()));
    expect(result.statusCode).toBe(503);
    expect(result.settledAtMs).toBeUndefined();
    await writer.stop();
    expect((await stored(input.id)).map((row) => row.status)).toEqual(['pending']);
  } finally {
    await failing.close();
  }
});
