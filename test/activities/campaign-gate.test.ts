/**
 * A campaign webhook's attempt asking its campaign's gate in the send activity (DeliveryInput
 * gateInSend), against a real receiver: what goes back to the workflow without sending, and a slot
 * at hand waited for before the request. The gate's own answers (stop, rate limit) are tested end to
 * end in test/integration/campaigns.test.ts; here it answers as told.
 */
import type { Client } from '@temporalio/client';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities, IN_SEND_SLOT_WAIT_MS } from '../../activities';
import type { HostGate } from '../../activities/breaker/host-gate';
import { LedgerWriter } from '../../activities/ledger/writer';
import { createHttpClient } from '../../activities/net/guarded-client';
import { SLOT_LEAD_MS, type CampaignGateAnswer } from '../../src/campaign/definitions';
import type { SendAttemptInput, SendAttemptResult } from '../../src/delivery/definitions';
import { createAddressPolicy } from '../../src/net/address-policy';
import { generateEncryptionKey, parseEncryptionKey } from '../../src/temporal/codec';
import { startReceiver, type Receiver } from '../helpers/receiver';
import { sleep } from '../helpers/wait';

let r: Receiver;
const dispatcher = createHttpClient({ policy: createAddressPolicy({ allowPrivateNetworks: true, allowedCidrs: [] }) });
// The host gate lets every attempt go: the breaker has its own tests.
const gate = { admit: async () => ({ go: true }), record: () => undefined, prepare: async () => undefined } as unknown as HostGate;
// Rows are not written: the ledger is not what this is about.
const ledger = new LedgerWriter({ pool: undefined as never, encryptionKey: parseEncryptionKey(generateEncryptionKey()), flushMs: 10, onError: () => undefined, enabled: false });

beforeAll(async () => {
  r = await startReceiver();
});
afterAll(async () => {
  await r.close();
  await dispatcher.close();
});

let n = 0;
type Gate = (input: { campaignId: string; slot?: false }) => Promise<CampaignGateAnswer>;

async function attempt(campaignGate: Gate | undefined, extra: Partial<SendAttemptInput> = {}, activities = activitiesWith(campaignGate)): Promise<SendAttemptResult> {
  n += 1;
  const input: SendAttemptInput = {
    id: `wh_${String(n).padStart(32, '0')}`,
    authority: new URL(r.url).host,
    request: { method: 'POST', url: `${r.url}/in`, headers: {}, body: `{"n":${n}}` },
    timeoutMs: 5_000,
    campaignGate: { campaignId: 'spring' },
    ...extra,
  };
  const info = { isLocal: true, activityId: '1', workflowExecution: { workflowId: `webhook:${input.id}`, runId: `run-${n}` } };
  return new MockActivityEnvironment(info).run(activities.sendAttempt, input);
}

function activitiesWith(campaignGate: Gate | undefined, slotWaitersMax?: number): ReturnType<typeof createActivities> {
  return createActivities({ dispatcher, maxResponseBytes: 65_536, gate, client: {} as Client, ledger, ...(campaignGate ? { campaignGate } : {}), ...(slotWaitersMax ? { slotWaitersMax } : {}) });
}

test('a stopped campaign ends the webhook: nothing is sent', async () => {
  const before = r.arrivals.length;
  const result = await attempt(async () => ({ go: false, status: 'cancelled', reason: 'campaign spring was stopped before this webhook was sent' }));
  expect(result.gated).toEqual({ answer: { go: false, status: 'cancelled', reason: 'campaign spring was stopped before this webhook was sent' } });
  expect(result.statusCode).toBeUndefined();
  await sleep(100);
  expect(r.arrivals).toHaveLength(before);
});

test('a slot further off than the lead goes back to the workflow to wait for it: nothing is sent', async () => {
  const before = r.arrivals.length;
  const atMs = Date.now() + SLOT_LEAD_MS + 5_000;
  // A worker that lets no attempt wait for a far slot in the send (slotWaitersMax 0).
  const result = await attempt(async () => ({ go: true, atMs }));
  expect(result.gated).toEqual({ answer: { go: true, atMs } });
  const further = Date.now() + IN_SEND_SLOT_WAIT_MS + 5_000;
  const beyond = await attempt(async () => ({ go: true, atMs: further }), {}, activitiesWith(async () => ({ go: true, atMs: further }), 10));
  expect(beyond.gated).toEqual({ answer: { go: true, atMs: further } });
  await sleep(100);
  expect(r.arrivals).toHaveLength(before);
});

test('a slot within IN_SEND_SLOT_WAIT_MS is waited for in the send while fewer than slotWaitersMax wait there', async () => {
  const atMs = Date.now() + SLOT_LEAD_MS + 1_000;
  let slotAt = atMs;
  const activities = activitiesWith(async () => ({ go: true, atMs: slotAt }), 1);
  const [first, second] = await Promise.all([attempt(undefined, {}, activities), attempt(undefined, {}, activities)]);
  // One waited in the send and went at its slot; the other, over the bound, went back to its workflow.
  const sent = [first, second].filter((a) => a.statusCode === 200);
  expect(sent).toHaveLength(1);
  expect(sent[0].startedAtMs).toBeGreaterThanOrEqual(atMs);
  expect([first, second].filter((a) => a.gated)).toEqual([expect.objectContaining({ gated: { answer: { go: true, atMs } } })]);
  // The wait is over: the next one may wait in the send again.
  slotAt = Date.now() + SLOT_LEAD_MS + 500;
  const again = await attempt(undefined, {}, activities);
  expect(again.statusCode).toBe(200);
  expect(again.startedAtMs).toBeGreaterThanOrEqual(slotAt);
});

test('a campaign stopped while its webhook waited in the send for a far slot sends nothing', async () => {
  const before = r.arrivals.length;
  const atMs = Date.now() + SLOT_LEAD_MS + 500;
  const stopped = { go: false as const, status: 'cancelled' as const, reason: 'campaign spring was stopped before this webhook was sent' };
  const asked: unknown[] = [];
  const gateAnswers: Gate = async (ask) => {
    asked.push(ask);
    return ask.slot === false ? stopped : { go: true, atMs };
  };
  const result = await attempt(undefined, {}, activitiesWith(gateAnswers, 1));
  expect(asked).toEqual([{ campaignId: 'spring' }, { campaignId: 'spring', slot: false }]);
  expect(result.gated).toEqual({ answer: stopped });
  await sleep(100);
  expect(r.arrivals).toHaveLength(before);
});

test('a slot at hand is waited for, then the request goes', async () => {
  const atMs = Date.now() + 400;
  const result = await attempt(async () => ({ go: true, atMs }));
  expect(result.gated).toBeUndefined();
  expect(result.statusCode).toBe(200);
  expect(r.arrivals[r.arrivals.length - 1].at).toBeGreaterThanOrEqual(atMs);
});

test('no rate limit: the request goes at once', async () => {
  const result = await attempt(async () => ({ go: true }));
  expect(result.statusCode).toBe(200);
});

test('a gate that cannot answer (PostgreSQL out of reach) sends nothing and says why', async () => {
  const before = r.arrivals.length;
  const result = await attempt(async () => {
    throw new Error('connect ECONNREFUSED 127.0.0.1:5432');
  });
  expect(result.gated).toEqual({ unanswered: 'connect ECONNREFUSED 127.0.0.1:5432' });
  const none = await attempt(undefined);
  expect(none.gated).toEqual({ unanswered: 'this worker has no campaign gate' });
  await sleep(100);
  expect(r.arrivals).toHaveLength(before);
});

test('holding its slot already, the attempt asks only whether the campaign was stopped, then sends at the slot', async () => {
  const asked: unknown[] = [];
  const atMs = Date.now() + 400;
  const result = await attempt(
    async (ask) => {
      asked.push(ask);
      return { go: true };
    },
    { campaignGate: { campaignId: 'spring', slot: false }, notBeforeMs: atMs },
  );
  expect(asked).toEqual([{ campaignId: 'spring', slot: false }]);
  expect(result.statusCode).toBe(200);
  expect(r.arrivals[r.arrivals.length - 1].at).toBeGreaterThanOrEqual(atMs);

  const before = r.arrivals.length;
  const stopped = await attempt(async () => ({ go: false, status: 'cancelled', reason: 'campaign spring was stopped before this webhook was sent' }), {
    campaignGate: { campaignId: 'spring', slot: false },
    notBeforeMs: Date.now() + 400,
  });
  expect(stopped.gated).toEqual({ answer: { go: false, status: 'cancelled', reason: 'campaign spring was stopped before this webhook was sent' } });
  await sleep(600);
  expect(r.arrivals).toHaveLength(before);
});
