/**
 * Webhook templates end to end, through the HTTP API against a real stack (Temporal dev server,
 * worker, PostgreSQL, receivers on 127.0.0.1): versions, previews, templated webhooks rendered
 * once and delivered, a secret that reaches the receiver but nothing that is stored or shown, and
 * a missing variable that fails only its own webhook.
 */
import { Client, Connection } from '@temporalio/client';
import type { Payload } from '@temporalio/common';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { listenWithKey, testApi, type Answer, type Call } from '../helpers/api';
import { webhookWorkflowId, type WebhookState } from '../../src/delivery/definitions';
import { AesGcmCodec, openJson, parseEncryptionKey } from '../../src/temporal/codec';
import { allBytes } from '../helpers/bytes';
import { receiverPool, type Arrival, type Reply } from '../helpers/receiver';
import { startTestStack, type TestStack } from '../helpers/stack';

const KEY = 'templates-test-key';
const SECRET_VALUE = 'crm-token-9f8e7d6c5b4a-plaintext';
const SIGNING = `whsec_${Buffer.from('templates-signing-key-32-bytes!!').toString('base64')}`;

let stack: TestStack;
let app: FastifyInstance;
let call: Call;
let db: pg.Pool;
let rawClient: Client;
const pool = receiverPool();
const fast = { initialIntervalMs: 100, maxIntervalMs: 200, maxAttempts: 3 };

beforeAll(async () => {
  process.env.HOOKFLOW_SECRET_CRM_TOKEN = SECRET_VALUE;
  process.env.HOOKFLOW_SECRET_CRM_SIGNING = SIGNING;
  stack = await startTestStack();
  app = testApi(stack, KEY);
  call = await listenWithKey(app, KEY);
  db = new pg.Pool({ connectionString: stack.databaseUrl, max: 2 });
  rawClient = new Client({ connection: await Connection.connect({ address: stack.config.temporalAddress! }) });
});

afterAll(async () => {
  delete process.env.HOOKFLOW_SECRET_CRM_TOKEN;
  delete process.env.HOOKFLOW_SECRET_CRM_SIGNING;
  await app?.close();
  await pool.closeAll();
  await rawClient?.connection.close();
  await db?.end();
  await stack?.stop();
});

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls GET /v1/webhooks/:id until it is finished (bounded). */
async function finished(id: string, timeoutMs = 15_000): Promise<WebhookState> {
  const until = Date.now() + timeoutMs;
  let last: Answer | undefined;
  while (Date.now() < until) {
    last = await call('GET', `/v1/webhooks/${id}`);
    if (last.status === 200 && ['delivered', 'failed', 'cancelled'].includes(last.body.status)) return last.body as WebhookState;
    await sleep(100);
  }
  throw new Error(`webhook ${id} did not finish; last answer ${last?.status} ${JSON.stringify(last?.body)}`);
}

async function ledgerRow(id: string): Promise<Record<string, unknown>> {
  const { rows } = await db.query('SELECT * FROM webhooks WHERE id = $1', [id]);
  return rows[0];
}

let templateSeq = 0;
/** A fresh template id per test, so tests do not share versions. */
const templateId = (name: string): string => `${name}.${++templateSeq}`;

describe('versions', () => {
  test('a PUT stores a new version only when the content changed; versions stay as they were', async () => {
    const id = templateId('crm.unsubscribe');
    const v1 = { url: 'https://crm.example.com/u/{{ recipient.id }}', body: { a: '{{ trigger.a }}', b: 1 }, description: 'first' };
    expect(await call('PUT', `/v1/templates/${id}`, v1)).toEqual({ status: 201, body: { id, version: 1 } });
    // The same content, its keys in another order: no new version.
    expect(await call('PUT', `/v1/templates/${id}`, { description: 'first', body: { b: 1, a: '{{ trigger.a }}' }, url: v1.url })).toEqual({
      status: 200,
      body: { id, version: 1 },
    });
    const v2 = { ...v1, method: 'put', headers: { 'X-Source': 'hookflow' } };
    expect(await call('PUT', `/v1/templates/${id}`, v2)).toEqual({ status: 201, body: { id, version: 2 } });

    const latest = await call('GET', `/v1/templates/${id}`);
    expect(latest.status).toBe(200);
    expect(latest.body).toEqual({ id, version: 2, createdAt: expect.any(String), method: 'PUT', url: v1.url, headers: { 'X-Source': 'hookflow' }, body: v1.body, description: 'first' });
    const first = await call('GET', `/v1/templates/${id}/versions/1`);
    expect(first.body).toMatchObject({ id, version: 1, method: 'POST', headers: {} });
    // Key order of a JSON body is kept as written.
    expect(Object.keys(first.body.body)).toEqual(['a', 'b']);

    expect((await call('GET', `/v1/templates/${id}/versions/3`)).status).toBe(404);
    expect((await call('GET', `/v1/templates/nope.${templateSeq}`)).body).toEqual({ error: 'not_found', message: `template nope.${templateSeq} not found` });
  });

  test('bad templates and ids are refused with 400 naming the field (and the Liquid line)', async () => {
    const bad = await call('PUT', `/v1/templates/${templateId('bad')}`, { url: 'https://x.example/', body: { text: 'hello\n{% if recipient.id %}' } });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ error: 'invalid_template', issues: [{ field: 'body.text', message: 'line 2, col 1: tag {% if recipient.id %} not closed' }] });

    const fields = await call('PUT', `/v1/templates/${templateId('bad')}`, { method: 'GET', url: 'https://x.example/', body: { a: 1 }, timeoutMs: 'soon', color: 'red' });
    expect(fields.status).toBe(400);
    expect(fields.body.issues).toEqual(
      expect.arrayContaining([
        { field: 'color', message: 'is not a known field' },
        { field: 'timeoutMs', message: 'must be a number' },
      ]),
    );
    const get = await call('PUT', `/v1/templates/${templateId('bad')}`, { method: 'GET', url: 'https://x.example/', body: { a: '{{ x }}' } });
    expect(get.body.issues).toEqual([{ field: 'body', message: 'a GET request carries no body' }]);

    const secret = await call('PUT', `/v1/templates/${templateId('bad')}`, { url: 'https://x.example/', headers: { Authorization: 'Bearer {{ secrets.CRM_TOKEN | downcase }}' } });
    expect(secret.body.issues).toEqual([
      { field: 'headers.Authorization', message: 'line 1: secrets may only be used as a whole output {{ secrets.NAME }}, without filters (found {{ secrets.CRM_TOKEN | downcase }})' },
    ]);

    expect((await call('PUT', '/v1/templates/has%20space', { url: 'https://x.example/' })).body).toMatchObject({ issues: [{ field: 'id', message: 'must be 1-128 of A-Z a-z 0-9 _ . @ -' }] });
    expect((await call('GET', '/v1/templates/x/versions/0')).body).toMatchObject({ issues: [{ field: 'version', message: 'must be a positive integer' }] });
    expect((await call('PUT', `/v1/templates/${templateId('bad')}`, [1])).body).toMatchObject({ issues: [{ field: '(template)', message: 'must be a JSON object' }] });
  });
});

describe('preview', () => {
  test('renders the request with the given recipient, trigger and event, secrets as ***; nothing is sent', async () => {
    const r = await pool.start();
    const id = templateId('preview');
    await call('PUT', `/v1/templates/${id}`, {
      url: `${r.url}/players/{{ recipient.id }}?key={{ secrets.CRM_TOKEN }}`,
      headers: { Authorization: 'Bearer {{ secrets.CRM_TOKEN }}', 'X-Plan': '{{ recipient.attributes.plan }}' },
      body: { level: '{{ event.properties.level }}', coins: '{{ trigger.coins }}', event: '{{ event.name }}', token: '{{ secrets.CRM_TOKEN }}' },
    });
    const res = await call('POST', `/v1/templates/${id}/preview`, {
      recipient: { id: 'p42', attributes: { plan: 'gold' } },
      trigger: { coins: 100 },
      event: { name: 'level_reached', properties: { level: 12 } },
    });
    expect(res).toEqual({
      status: 200,
      body: {
        template: { id, version: 1 },
        request: {
          method: 'POST',
          url: `${r.url}/players/p42?key=***`,
          headers: { Authorization: 'Bearer ***', 'X-Plan': 'gold' },
          body: { level: 12, coins: 100, event: 'level_reached', token: '***' },
        },
      },
    });
    expect(JSON.stringify(res.body)).not.toContain(SECRET_VALUE);

    const missing = await call('POST', `/v1/templates/${id}/preview`, { recipient: { id: 'p42' }, trigger: { coins: 1 }, event: { name: 'x' } });
    expect(missing.status).toBe(400);
    expect(missing.body).toMatchObject({ error: 'render_error', issues: [{ field: 'headers.X-Plan', message: 'recipient.attributes.plan is not defined' }] });
    expect((await call('POST', `/v1/templates/${id}/preview`, { recipient: { attributes: {} }, extra: 1 })).body.issues).toEqual([
      { field: 'recipient.id', message: 'is required' },
      { field: 'extra', message: 'is not a known field' },
    ]);
    await sleep(200);
    expect(r.arrivals).toHaveLength(0);
  });
});

describe('templated webhooks', () => {
  test('rendered once: every attempt sends the same bytes and webhook-id; the secret reaches the receiver only', async () => {
    const replies: Reply[] = [{ status: 503 }, { status: 200 }];
    const r = await pool.start((a: Arrival) => replies[a.n - 1] ?? { status: 200 });
    const id = templateId('crm.update');
    await call('PUT', `/v1/templates/${id}`, {
      url: `${r.url}/users/{{ recipient.id | url_encode }}`,
      headers: { Authorization: 'Bearer {{ secrets.CRM_TOKEN }}', 'X-Campaign': '{{ trigger.campaign }}' },
      body: { email: '{{ recipient.attributes.email }}', level: '{{ trigger.level }}', sent: '{{ now }}', webhook: '{{ webhook.id }}' },
      retry: fast,
      signingSecret: { secret: 'CRM_SIGNING' },
    });

    const res = await call('POST', '/v1/webhooks', {
      template: { id },
      recipient: { id: 'ada@example.com', attributes: { email: 'ada@example.com' } },
      trigger: { level: 12, campaign: 'spring' },
      tags: { flow: 'crm' },
    });
    expect(res).toEqual({ status: 202, body: { id: expect.stringMatching(/^wh_[0-9a-f]{32}$/), status: 'pending' } });
    const webhookId: string = res.body.id;
    const state = await finished(webhookId);
    expect(state.status).toBe('delivered');
    expect(state.attempts.map((a) => a.statusCode)).toEqual([503, 200]);

    const [first, second] = r.arrivals;
    expect(first.path).toBe('/users/ada%40example.com');
    expect(first.headers.authorization).toBe(`Bearer ${SECRET_VALUE}`);
    expect(first.headers['x-campaign']).toBe('spring');
    const body = JSON.parse(first.body.toString());
    expect(body).toEqual({ email: 'ada@example.com', level: 12, sent: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), webhook: webhookId });
    // Rendered once: the retry is byte for byte the first attempt, with the same webhook-id.
    expect(second.body.equals(first.body)).toBe(true);
    expect(second.headers['webhook-id']).toBe(first.headers['webhook-id']);
    expect(first.headers['webhook-id']).toBe(webhookId);
    // Signed with the secret named by the template, resolved at send.
    const verified = new StandardWebhook(SIGNING).verify(second.body.toString(), {
      'webhook-id': second.headers['webhook-id'] as string,
      'webhook-timestamp': second.headers['webhook-timestamp'] as string,
      'webhook-signature': second.headers['webhook-signature'] as string,
    });
    expect(verified).toEqual(body);

    // What the API shows: the secret masked.
    expect(state.request.headers).toMatchObject({ Authorization: '[redacted]', 'X-Campaign': 'spring' });
    expect(JSON.stringify(state)).not.toContain(SECRET_VALUE);

    // The workflow's history, raw and decrypted, holds the marker, never the value.
    const history = await rawClient.workflow.getHandle(webhookWorkflowId(webhookId)).fetchHistory();
    const raw = allBytes(history);
    const decrypted = allBytes(await new AesGcmCodec(parseEncryptionKey(stack.encryptionKey)).decode(payloadsOf(history)));
    expect(decrypted).toContain('ada@example.com'); // the check can see plain text
    expect(decrypted).toContain('HOOKFLOW-SECRET~');
    for (const text of [raw, decrypted]) {
      expect(text).not.toContain(SECRET_VALUE);
      expect(text).not.toContain(SIGNING);
      expect(text).not.toContain(SIGNING.slice(6));
    }

    // The ledger: the template version recorded, the stored request without the value.
    const row = await ledgerRow(webhookId);
    expect(row).toMatchObject({ status: 'delivered', template_id: id, template_version: 1, tags: { flow: 'crm' } });
    const stored = JSON.stringify(openJson(parseEncryptionKey(stack.encryptionKey), row.request as Buffer));
    expect(stored).toContain('ada@example.com');
    expect(stored).not.toContain(SECRET_VALUE);
    expect(stored).not.toContain(SIGNING);
  });

  test('a pinned version is rendered as it was; an unpinned send takes the latest', async () => {
    const r = await pool.start();
    const id = templateId('versioned');
    await call('PUT', `/v1/templates/${id}`, { url: r.url, body: 'v1 {{ recipient.id }}' });
    await call('PUT', `/v1/templates/${id}`, { url: r.url, body: 'v2 {{ recipient.id }}' });
    const pinned = await call('POST', '/v1/webhooks', { template: { id, version: 1 }, recipient: { id: 'a' } });
    const latest = await call('POST', '/v1/webhooks', { template: { id }, recipient: { id: 'b' } });
    await finished(pinned.body.id);
    await finished(latest.body.id);
    expect(r.arrivals.map((a) => a.body.toString()).sort()).toEqual(['v1 a', 'v2 b']);
    expect(r.arrivals[0].headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(await ledgerRow(pinned.body.id)).toMatchObject({ template_id: id, template_version: 1 });
    expect(await ledgerRow(latest.body.id)).toMatchObject({ template_id: id, template_version: 2 });
  });

  test('a missing variable fails that recipient\'s webhook alone, with render_error naming it', async () => {
    const r = await pool.start();
    const id = templateId('missing');
    await call('PUT', `/v1/templates/${id}`, { url: r.url, body: { email: '{{ recipient.attributes.email }}' } });
    const sends = await Promise.all(
      [
        { id: 'has-email', attributes: { email: 'ada@example.com' } },
        { id: 'no-email', attributes: { name: 'Bob' } },
      ].map((recipient) => call('POST', '/v1/webhooks', { template: { id }, recipient })),
    );
    expect(sends[0].body.status).toBe('pending');
    expect(sends[1]).toEqual({
      status: 202,
      body: { id: expect.stringMatching(/^wh_/), status: 'failed', reason: 'render_error: recipient.attributes.email is not defined (in body.email)' },
    });
    const ok = await finished(sends[0].body.id);
    const failed = await finished(sends[1].body.id);
    expect(ok.status).toBe('delivered');
    expect(failed).toMatchObject({ status: 'failed', reason: 'render_error: recipient.attributes.email is not defined (in body.email)', attempts: [] });
    expect(r.arrivals.map((a) => JSON.parse(a.body.toString()))).toEqual([{ email: 'ada@example.com' }]);
    expect(await ledgerRow(sends[1].body.id)).toMatchObject({
      status: 'failed',
      reason: 'render_error: recipient.attributes.email is not defined (in body.email)',
      template_id: id,
      template_version: 1,
      attempt_count: 0,
      origin: r.url,
    });
    // Nothing was rendered, so there is nothing to send again.
    expect(await call('POST', `/v1/webhooks/${sends[1].body.id}/retry`)).toEqual({
      status: 409,
      body: { error: 'conflict', message: `cannot retry webhook ${sends[1].body.id}: it is failed, with nothing rendered to send again` },
    });
    const listed = await call('GET', `/v1/webhooks?status=failed&host=${r.authority}`);
    expect(listed.body.data.map((w: { id: string }) => w.id)).toEqual([sends[1].body.id]);

    // The same idempotency key twice: one failed webhook.
    const again = { template: { id }, recipient: { id: 'no-email' }, idempotencyKey: `missing-${id}` };
    const a = await call('POST', '/v1/webhooks', again);
    const b = await call('POST', '/v1/webhooks', again);
    expect(a).toMatchObject({ status: 202, body: { status: 'failed' } });
    expect(b).toEqual({ status: 200, body: { id: a.body.id, status: 'failed' } });
  });

  test('a secret this worker lacks fails the attempt with error code secret; nothing is sent', async () => {
    const r = await pool.start();
    const id = templateId('unknown-secret');
    await call('PUT', `/v1/templates/${id}`, { url: r.url, headers: { 'X-Partner': '{{ secrets.NOT_SET_ANYWHERE }}' }, retry: { maxAttempts: 1 } });
    const { body } = await call('POST', '/v1/webhooks', { template: { id } });
    const state = await finished(body.id);
    expect(state.status).toBe('failed');
    expect(state.attempts).toEqual([
      expect.objectContaining({ errorCode: 'secret', error: 'secret not available: secret NOT_SET_ANYWHERE is not set on this worker (HOOKFLOW_SECRET_NOT_SET_ANYWHERE)' }),
    ]);
    expect(state.request.headers).toEqual({ 'X-Partner': '***' });
    expect(r.arrivals).toHaveLength(0);
  });

  test('the SDK sends a template for a campaign: its id and campaign.id are the caller\'s', async () => {
    const r = await pool.start();
    const id = templateId('sdk');
    expect(await stack.hookflow.saveTemplate(id, { url: r.url, body: { campaign: '{{ campaign.id }}', webhook: '{{ webhook.id }}', n: '{{ trigger.n }}' } })).toEqual({
      id,
      version: 1,
      created: true,
    });
    const webhookId = `wh_${'c'.repeat(31)}${templateSeq % 10}`;
    const sent = await stack.hookflow.sendTemplated({ template: { id }, recipient: { id: 'r1' }, trigger: { n: 3 } }, { id: webhookId, campaign: { id: 'spring-sale' } });
    expect(sent).toEqual({ id: webhookId, created: true });
    expect((await stack.hookflow.result(webhookId)).status).toBe('delivered');
    expect(JSON.parse(r.arrivals[0].body.toString())).toEqual({ campaign: 'spring-sale', webhook: webhookId, n: 3 });
    // The same id again (a retried dispatch) sends nothing more.
    expect(await stack.hookflow.sendTemplated({ template: { id }, recipient: { id: 'r1' }, trigger: { n: 3 } }, { id: webhookId, campaign: { id: 'spring-sale' } })).toEqual({
      id: webhookId,
      created: false,
    });
    // A preview has no campaign: the template says so, naming the variable.
    await expect(stack.hookflow.previewTemplate(id, { trigger: { n: 1 } })).rejects.toThrow('body.campaign: campaign is not defined');
  });

  test('a 410 from a URL holding a secret stops the later webhooks of that template too', async () => {
    const r = await pool.start(() => ({ status: 410 }));
    const id = templateId('gone');
    await call('PUT', `/v1/templates/${id}`, { url: `${r.url}/hook?key={{ secrets.CRM_TOKEN }}`, body: { n: '{{ trigger.n }}' } });
    const first = await call('POST', '/v1/webhooks', { template: { id }, trigger: { n: 1 } });
    expect((await finished(first.body.id)).attempts.map((a) => a.statusCode)).toEqual([410]);
    expect(r.arrivals[0].path).toBe(`/hook?key=${SECRET_VALUE}`);
    const second = await call('POST', '/v1/webhooks', { template: { id }, trigger: { n: 2 } });
    const state = await finished(second.body.id);
    expect(state.attempts).toEqual([expect.objectContaining({ errorCode: 'gone' })]);
    expect(r.arrivals).toHaveLength(1);
  });

  test('bad templated sends are refused with 400 naming the field', async () => {
    const id = templateId('exists');
    await call('PUT', `/v1/templates/${id}`, { url: 'https://x.example/' });
    const unknown = await call('POST', '/v1/webhooks', { template: { id: `${id}.nope` }, recipient: { id: 'a' } });
    expect(unknown).toEqual({ status: 400, body: expect.objectContaining({ issues: [{ field: 'template', message: `no template ${id}.nope` }] }) });
    const noVersion = await call('POST', '/v1/webhooks', { template: { id, version: 9 } });
    expect(noVersion.body.issues).toEqual([{ field: 'template', message: `template ${id} has no version 9` }]);
    const mixed = await call('POST', '/v1/webhooks', { template: { id }, url: 'https://x.example/', recipient: { id: 'bad id' }, tags: { 'bad key': 'x' } });
    expect(mixed.status).toBe(400);
    expect(mixed.body.issues).toEqual(
      expect.arrayContaining([
        { field: 'url', message: 'is not a known field' },
        { field: 'recipient.id', message: 'must be 1-128 of A-Z a-z 0-9 _ . @ -' },
        { field: 'tags.bad key', message: 'tag names are 1-64 of A-Z a-z 0-9 _ . : -' },
      ]),
    );
  });
});

/** Every payload anywhere in a history, to decrypt them all. */
function payloadsOf(history: unknown): Payload[] {
  const found: Payload[] = [];
  const walk = (v: unknown): void => {
    if (!v || typeof v !== 'object' || v instanceof Uint8Array) return;
    const o = v as Record<string, unknown>;
    if (o.metadata && o.data instanceof Uint8Array && (o.metadata as Record<string, unknown>).encoding) found.push(o as Payload);
    else Object.values(o).forEach(walk);
  };
  walk(history);
  return found;
}
