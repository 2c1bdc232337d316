/**
 * Hookflow-to-Hookflow webhooks against the real stack (Temporal dev server, worker, PostgreSQL)
 * and the API role (`npm run api`'s) on 127.0.0.1, which the worker reaches only by its default
 * HOOKFLOW_SELF_URL (HOOKFLOW_HOST:HOOKFLOW_PORT). The outbound guard is on: no loopback URL is
 * allowed but the self target.
 */
import { Client, Connection } from '@temporalio/client';
import pg from 'pg';
import { startApiRole, type Role } from '../../src/bin/roles';
import { webhookWorkflowId, type WebhookState } from '../../src/delivery/definitions';
import { freePort } from '../../src/dev/free-port';
import type { EventListener } from '../../src/event/listener';
import { HookflowMetrics } from '../../src/metrics/registry';
import { internalApiKey } from '../../src/self/credential';
import { AesGcmCodec, openJson, parseEncryptionKey } from '../../src/temporal/codec';
import { webhookId } from '../../src/webhook/prepare';
import { apiCaller } from '../helpers/api';
import { allBytes, payloadsOf } from '../helpers/bytes';
import { sample } from '../helpers/prometheus';
import { startTestStack, type TestStack } from '../helpers/stack';
import { until } from '../helpers/wait';

const KEY = 'self-webhooks-test-key';
const MAX_HOPS = 2;
const fast = { initialIntervalMs: 100, maxIntervalMs: 200, maxAttempts: 3 };

let stack: TestStack;
const metrics = new HookflowMetrics({ maxHosts: 20 });
let api: Role & { url: string };
let base: string;
let db: pg.Pool;
let rawClient: Client;

/**
 * What an event-triggered campaign will do: a webhook per `ping` event, posting another `ping` to
 * Hookflow itself, carrying the event's hops on. Without the hop limit this would never end.
 */
const echo: EventListener = {
  name: 'self-echo',
  events: ['ping'],
  async handle(events) {
    for (const event of events) {
      await stack.hookflow.send({
        url: 'hookflow:/v1/events',
        body: { name: 'ping', recipientId: event.recipientId, properties: { after: event.id } },
        idempotencyKey: `echo-${event.id}`,
        hops: event.hops,
        retry: fast,
      });
    }
  },
};

beforeAll(async () => {
  const port = await freePort();
  stack = await startTestStack({ host: '127.0.0.1', port, maxHops: MAX_HOPS, allowPrivateNetworks: false }, { eventListeners: [echo], metrics });
  expect(stack.config.selfUrl).toBeUndefined();
  api = await startApiRole(stack.config, stack.encryptionKey, [KEY], { metrics });
  base = api.url;
  db = new pg.Pool({ connectionString: stack.databaseUrl, max: 2 });
  rawClient = new Client({ connection: await Connection.connect({ address: stack.config.temporalAddress! }) });
});

afterAll(async () => {
  await api?.stop();
  await rawClient?.connection.close();
  await db?.end();
  await stack?.stop();
});

const call = apiCaller(() => base, KEY);

async function finished(id: string): Promise<WebhookState> {
  return until(`webhook ${id} to finish`, async () => {
    const { status, body } = await call('GET', `/v1/webhooks/${id}`);
    return status === 200 && ['delivered', 'failed', 'cancelled'].includes(body.status) ? (body as WebhookState) : undefined;
  });
}

/** The ledger's final row and attempts of a webhook (the worker writes them in batches). */
async function ledgered(id: string): Promise<{ row: Record<string, unknown>; attempts: Record<string, unknown>[] }> {
  return until(`ledger row of ${id}`, async () => {
    const { rows } = await db.query('SELECT * FROM webhooks WHERE id = $1 AND completed_at IS NOT NULL', [id]);
    if (rows.length === 0) return undefined;
    const attempts = await db.query('SELECT number, status_code, error_code FROM attempts WHERE webhook_id = $1 ORDER BY number', [id]);
    return { row: rows[0], attempts: attempts.rows };
  });
}

async function eventsOf(recipientId: string): Promise<{ id: string; name: string; hops: number; properties: Record<string, unknown> }[]> {
  const { rows } = await db.query('SELECT id, name, hops, properties FROM events WHERE recipient_id = $1 ORDER BY seq', [recipientId]);
  return rows;
}

test('a template with url hookflow:/v1/recipients/{{ recipient.id }} sets an attribute, recorded like any webhook, its credential nowhere stored', async () => {
  const saved = await call('PUT', '/v1/templates/set-plan', {
    method: 'PUT',
    url: 'hookflow:/v1/recipients/{{ recipient.id }}',
    body: { attributes: { plan: '{{ trigger.plan }}', seats: '{{ trigger.seats }}' } },
  });
  expect(saved.status).toBe(201);
  const sent = await call('POST', '/v1/webhooks', { template: { id: 'set-plan' }, recipient: { id: 'ada@example.com' }, trigger: { plan: 'pro', seats: 3 } });
  expect(sent.status).toBe(202);
  const state = await finished(sent.body.id);
  expect(state.status).toBe('delivered');
  expect(state.request.url).toBe('hookflow:/v1/recipients/ada@example.com');
  expect(state.attempts).toEqual([expect.objectContaining({ number: 1, statusCode: 200 })]);

  const recipient = await call('GET', '/v1/recipients/ada@example.com');
  expect(recipient.body.attributes).toEqual({ plan: 'pro', seats: 3 });

  // The ledger: one host for Hookflow itself, the attempt as for any receiver.
  const { row, attempts } = await ledgered(sent.body.id);
  expect(row).toMatchObject({ status: 'delivered', origin: 'hookflow:', authority: 'hookflow', attempt_count: 1, last_status_code: 200, template_id: 'set-plan' });
  expect(attempts).toEqual([{ number: 1, status_code: 200, error_code: null }]);
  expect((await call('GET', `/v1/webhooks?host=hookflow`)).body.data.map((w: { id: string }) => w.id)).toContain(sent.body.id);
  const scrape = (await call('GET', '/metrics')).body as string;
  expect(sample(scrape, 'hookflow_attempts_total', { outcome: 'delivered', status_class: '2xx' })).toBe(1);
  expect(sample(scrape, 'hookflow_deliveries_total', { outcome: 'delivered', status_class: '2xx' })).toBe(1);
  expect(sample(scrape, 'hookflow_breaker_hosts', { host: 'hookflow', state: 'closed' })).toBe(1);

  // The internal credential: not in the history (raw or decrypted), the ledger's request or the API's answers.
  const secret = internalApiKey(stack.encryptionKey);
  const history = await rawClient.workflow.getHandle(webhookWorkflowId(sent.body.id)).fetchHistory();
  const decrypted = allBytes(await new AesGcmCodec(parseEncryptionKey(stack.encryptionKey)).decode(payloadsOf(history)));
  expect(decrypted).toContain('hookflow:/v1/recipients/ada@example.com'); // the check can see plain text
  const stored = JSON.stringify(openJson(parseEncryptionKey(stack.encryptionKey), row.request as Buffer));
  expect(stored).toContain('hookflow:/v1/recipients');
  for (const text of [allBytes(history), decrypted, stored, JSON.stringify(state), JSON.stringify(recipient.body)]) {
    expect(text).not.toContain(secret);
    expect(text).not.toContain(secret.slice(4));
  }
});

test('a plain webhook to hookflow:/v1/events posts an event one hop deep', async () => {
  const sent = await call('POST', '/v1/webhooks', {
    url: 'hookflow:/v1/events',
    body: { id: 'self-event-1', name: 'level_reached', recipientId: 'bob', properties: { level: 12 }, attributes: { level: 12 } },
  });
  expect(sent.status).toBe(202);
  const state = await finished(sent.body.id);
  expect(state).toMatchObject({ status: 'delivered', attempts: [expect.objectContaining({ statusCode: 202 })] });
  expect(state.attempts[0].responseBodySnippet).toContain('"created":true');
  expect(await eventsOf('bob')).toEqual([{ id: 'self-event-1', name: 'level_reached', hops: 1, properties: { level: 12 } }]);
  expect((await call('GET', '/v1/recipients/bob')).body.attributes).toEqual({ level: 12 });
});

test('the guard stays on: a URL to the same API by its loopback address is blocked', async () => {
  const sent = await call('POST', '/v1/webhooks', { url: `${base}/v1/events`, body: { name: 'x', recipientId: 'mallory' }, retry: fast });
  const state = await finished(sent.body.id);
  expect(state.status).toBe('failed');
  expect(state.attempts).toEqual([expect.objectContaining({ errorCode: 'blocked' })]);
  expect(await eventsOf('mallory')).toEqual([]);
});

test('a hookflow: URL outside /v1/, or naming a host, is refused at creation with 400 naming url', async () => {
  for (const url of ['hookflow:/metrics', 'hookflow:/codec/decode', 'hookflow:/v1/../dashboard', 'hookflow:/v1/%2e%2e/metrics', 'hookflow://127.0.0.1/v1/events', 'hookflow:v1/events']) {
    const answer = await call('POST', '/v1/webhooks', { url, body: {} });
    expect({ url, status: answer.status, fields: answer.body.issues?.map((i: { field: string }) => i.field) }).toEqual({ url, status: 400, fields: ['url'] });
  }
  const template = await call('PUT', '/v1/templates/bad-self', { url: 'hookflow:/{{ trigger.path }}' });
  expect(template.status).toBe(400);
  expect(template.body.issues).toEqual([{ field: 'url', message: "a hookflow: URL must be a path of Hookflow's API under /v1/ (hookflow:/v1/…)" }]);
  // A template whose rendered path leaves /v1/ fails that webhook, sending nothing.
  await call('PUT', '/v1/templates/sneaky-self', { url: 'hookflow:/v1/{{ trigger.path }}' });
  const sneaky = await call('POST', '/v1/webhooks', { template: { id: 'sneaky-self' }, trigger: { path: '../metrics' } });
  expect(sneaky.body).toMatchObject({ status: 'failed', reason: expect.stringContaining('render_error: url: a hookflow: URL must be a path') });
});

test('the internal credential works on /v1/ only, and Hookflow-Hops counts only with it', async () => {
  const internal = { authorization: `Bearer ${internalApiKey(stack.encryptionKey)}` };
  expect((await call('GET', '/metrics', undefined, internal)).status).toBe(401);
  expect((await call('GET', '/v1/recipients/bob', undefined, internal)).status).toBe(200);
  // A deeper request is refused before it does anything.
  const deep = await call('POST', '/v1/events', { id: 'too-deep', name: 'x', recipientId: 'carol' }, { ...internal, 'hookflow-hops': String(MAX_HOPS + 1) });
  expect(deep).toEqual({ status: 508, body: { error: 'hop_limit', message: expect.stringContaining('more than the 2 allowed (HOOKFLOW_MAX_HOPS)') } });
  // With an ordinary API key the header means nothing.
  const keyed = await call('POST', '/v1/events', { id: 'not-deep', name: 'x', recipientId: 'carol' }, { authorization: `Bearer ${KEY}`, 'hookflow-hops': '99' });
  expect(keyed.status).toBe(202);
  expect(await eventsOf('carol')).toEqual([{ id: 'not-deep', name: 'x', hops: 0, properties: {} }]);
});

test('a webhook whose hops already reach HOOKFLOW_MAX_HOPS fails with reason hop_limit after one attempt, recorded in the ledger', async () => {
  const sent = await call('POST', '/v1/webhooks', { url: 'hookflow:/v1/events', hops: MAX_HOPS, body: { id: 'never-stored', name: 'x', recipientId: 'dan' }, retry: fast });
  const state = await finished(sent.body.id);
  expect(state.status).toBe('failed');
  expect(state.reason).toMatch(/^hop_limit/);
  expect(state.attempts).toEqual([expect.objectContaining({ number: 1, errorCode: 'hop_limit' })]);
  expect(state.attempts[0].responseBodySnippet).toContain('"error":"hop_limit"');
  const { row, attempts } = await ledgered(sent.body.id);
  expect(row).toMatchObject({ status: 'failed', reason: expect.stringMatching(/^hop_limit/) });
  expect(attempts).toEqual([{ number: 1, status_code: null, error_code: 'hop_limit' }]);
  expect(await eventsOf('dan')).toEqual([]);
});

test('a webhook made by a self request inherits its depth: a self webhook that makes a self webhook counts both hops', async () => {
  // A (hops 1) asks the API, as hop 2, for B; B is therefore at hops 2 and its own request, hop 3, is refused.
  const inner = { url: 'hookflow:/v1/events', body: { id: 'nested-never', name: 'x', recipientId: 'erin' }, retry: fast };
  const outer = await call('POST', '/v1/webhooks', { url: 'hookflow:/v1/webhooks', hops: 1, body: inner, retry: fast });
  const a = await finished(outer.body.id);
  expect(a).toMatchObject({ status: 'delivered', attempts: [expect.objectContaining({ statusCode: 202 })] });
  const b = await finished(JSON.parse(a.attempts[0].responseBodySnippet!).id);
  expect(b.status).toBe('failed');
  expect(b.reason).toMatch(/^hop_limit/);
  expect(await eventsOf('erin')).toEqual([]);
});

test('a chain of events and self webhooks that would loop for ever stops at the hop limit', async () => {
  const posted = await call('POST', '/v1/events', { id: 'chain-0', name: 'ping', recipientId: 'loop' });
  expect(posted.status).toBe(202);
  // ping (0) → webhook (hops 0) → ping (1) → webhook (1) → ping (2) → webhook (2), refused: hop 3 > 2.
  const last = webhookId(`echo-${(await until('the chain to reach its last event', async () => {
    const events = await eventsOf('loop');
    return events.length === MAX_HOPS + 1 ? events : undefined;
  })).at(-1)!.id}`);
  const state = await until('the last webhook of the chain', async () => {
    const found = await call('GET', `/v1/webhooks/${last}`);
    return found.status === 200 && found.body.status === 'failed' ? (found.body as WebhookState) : undefined;
  });
  expect(state.reason).toMatch(/^hop_limit/);
  expect(state.attempts).toHaveLength(1);
  // Every earlier link was delivered; the events record how deep each came.
  const events = await eventsOf('loop');
  expect(events.map((e) => e.hops)).toEqual([0, 1, 2]);
  for (const e of events.slice(0, -1)) expect((await finished(webhookId(`echo-${e.id}`))).status).toBe('delivered');
});

/** The ledger's webhooks of a campaign, oldest first, once `n` of them have finished. */
async function campaignWebhooks(campaignId: string, n: number): Promise<{ status: string; reason: string | null }[]> {
  return until(`${n} finished webhooks of campaign ${campaignId}`, async () => {
    const { rows } = await db.query('SELECT status, reason FROM webhooks WHERE campaign_id = $1 AND completed_at IS NOT NULL ORDER BY created_at', [campaignId]);
    return rows.length >= n ? rows : undefined;
  });
}

test('an event-triggered campaign whose webhook posts its own event stops at the hop limit', async () => {
  await call('PUT', '/v1/templates/pong', { url: 'hookflow:/v1/events', body: { name: 'pong', recipientId: '{{ recipient.id }}' }, retry: fast });
  expect((await call('PUT', '/v1/campaigns/pong', { template: { id: 'pong' }, trigger: { type: 'event', event: 'pong' } })).status).toBe(201);
  // The campaign's listener reads events accepted from its first poll on: wait for it to exist.
  await until('the campaign listener to be polling', async () => ((await db.query("SELECT 1 FROM event_listeners WHERE name = 'campaigns'")).rowCount ? true : undefined));
  expect((await call('POST', '/v1/events', { name: 'pong', recipientId: 'campaign-loop' })).status).toBe(202);
  // pong (0) → webhook (0) → pong (1) → webhook (1) → pong (2) → webhook (2), refused: hop 3 > 2.
  const webhooks = await campaignWebhooks('pong', MAX_HOPS + 1);
  expect(webhooks.map((w) => w.status)).toEqual(['delivered', 'delivered', 'failed']);
  expect(webhooks[2].reason).toMatch(/^hop_limit/);
  expect((await eventsOf('campaign-loop')).map((e) => e.hops)).toEqual([0, 1, 2]);
});

test('an API-triggered campaign whose webhook triggers the same campaign stops at the hop limit', async () => {
  await call('PUT', '/v1/templates/again', { url: 'hookflow:/v1/campaigns/again/trigger', body: { recipients: [{ id: '{{ recipient.id }}' }] }, retry: fast });
  expect((await call('PUT', '/v1/campaigns/again', { template: { id: 'again' }, trigger: { type: 'api' } })).status).toBe(201);
  expect((await call('POST', '/v1/campaigns/again/trigger', { recipients: [{ id: 'api-loop' }] })).status).toBe(202);
  // dispatch (0) → webhook (0) → trigger as hop 1 → dispatch (1) → webhook (1) → … → webhook (2), refused.
  const webhooks = await campaignWebhooks('again', MAX_HOPS + 1);
  expect(webhooks.map((w) => w.status)).toEqual(['delivered', 'delivered', 'failed']);
  expect(webhooks[2].reason).toMatch(/^hop_limit/);
  // Nothing after the refusal: no fourth dispatch.
  const { rows } = await db.query("SELECT count(*)::int AS n FROM campaign_dispatches WHERE campaign_id = 'again'");
  expect(rows[0].n).toBe(MAX_HOPS + 1);
});
