/**
 * The HTTP API (src/api/server.ts) over a real stack: a real Temporal dev server, the real worker,
 * real receivers on 127.0.0.1, and real HTTP calls to the API listening on 127.0.0.1.
 */
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { request } from 'undici';
import { buildApi } from '../../src/api/server';
import { startApiRole } from '../../src/bin/roles';
import { AesGcmCodec, parseEncryptionKey } from '../../src/temporal/codec';
import type { WebhookState } from '../../src/delivery/definitions';
import { startReceiver, type Receiver, type Reply } from '../helpers/receiver';
import { startTestStack, type TestStack } from '../helpers/stack';

const KEY = 'test-key';
const UI = 'http://localhost:8233';
const fast = { initialIntervalMs: 100, maxIntervalMs: 200, maxAttempts: 3 };
/** The next attempt far off: a cancel or retry through the API can take seconds on a loaded machine. */
const slow = { initialIntervalMs: 30_000, maxIntervalMs: 30_000, maxAttempts: 10 };
const UNKNOWN_ID = 'wh_0123456789abcdef0123456789abcdef';

let stack: TestStack;
let app: FastifyInstance;
let codec: AesGcmCodec;
let base: string;
const receivers: Receiver[] = [];

async function receiver(script?: (a: { n: number }) => Reply): Promise<Receiver> {
  const r = await startReceiver(script);
  receivers.push(r);
  return r;
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  text: string;
}

async function call(
  method: 'GET' | 'POST' | 'OPTIONS' | 'PUT' | 'DELETE',
  path: string,
  options: { json?: unknown; raw?: string; contentType?: string; key?: string | null; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { ...options.headers };
  const key = options.key === undefined ? KEY : options.key;
  if (key !== null) headers.authorization = `Bearer ${key}`;
  let body: string | undefined;
  if (options.json !== undefined) {
    body = JSON.stringify(options.json);
    headers['content-type'] = options.contentType ?? 'application/json';
  } else if (options.raw !== undefined) {
    body = options.raw;
    if (options.contentType) headers['content-type'] = options.contentType;
  }
  const res = await request(`${base}${path}`, { method, headers, body });
  const text = await res.body.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  return { status: res.statusCode, headers: res.headers, body: parsed, text };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls GET /v1/webhooks/:id until `done` holds (bounded). */
async function waitForState(id: string, done: (s: WebhookState) => boolean, timeoutMs = 15_000): Promise<WebhookState> {
  const until = Date.now() + timeoutMs;
  let last: Answer | undefined;
  while (Date.now() < until) {
    last = await call('GET', `/v1/webhooks/${id}`);
    if (last.status === 200 && done(last.body as WebhookState)) return last.body as WebhookState;
    await sleep(100);
  }
  throw new Error(`webhook ${id} did not reach the expected state; last answer ${last?.status} ${last?.text}`);
}

const finished = (s: WebhookState): boolean => ['delivered', 'failed', 'cancelled'].includes(s.status);

beforeAll(async () => {
  stack = await startTestStack();
  codec = new AesGcmCodec(parseEncryptionKey(stack.encryptionKey));
  app = buildApi({
    hookflow: stack.hookflow,
    apiKeys: [KEY],
    codec,
    uiOrigins: [UI],
    maxBodyBytes: stack.config.maxBodyBytes,
    logLevel: 'silent',
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await app?.close();
  await Promise.all(receivers.map((r) => r.close()));
  await stack?.stop();
});

describe('health and authentication', () => {
  test('/healthz answers 200 without a key', async () => {
    const res = await call('GET', '/healthz', { key: null });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok', dependencies: { temporal: 'ok', postgres: 'ok' } });
  });

  const routes: ['GET' | 'POST', string][] = [
    ['POST', '/v1/webhooks'],
    ['GET', `/v1/webhooks/${UNKNOWN_ID}`],
    ['POST', `/v1/webhooks/${UNKNOWN_ID}/cancel`],
    ['POST', `/v1/webhooks/${UNKNOWN_ID}/retry`],
    ['GET', '/v1/no-such-route'],
  ];
  const badKeys: [string, Record<string, string>][] = [
    ['no key', {}],
    ['a wrong key', { authorization: 'Bearer wrong-key' }],
    ['the key without Bearer', { authorization: KEY }],
    ['the key as Basic', { authorization: `Basic ${KEY}` }],
    ['a key with the right prefix', { authorization: `Bearer ${KEY}x` }],
    ['Bearer and nothing else', { authorization: 'Bearer ' }],
  ];
  const table = routes.flatMap(([method, path]) => badKeys.map(([what, headers]) => [method, path, what, headers] as const));

  test.each(table)('%s %s with %s is 401 unauthorized', async (method, path, _what, headers) => {
    const res = await call(method, path, { key: null, headers, ...(method === 'POST' ? { json: { url: 'https://x.example/' } } : {}) });
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ error: 'unauthorized', message: 'send Authorization: Bearer <API key>' });
  });

  test('the Bearer scheme is case-insensitive', async () => {
    const res = await call('GET', `/v1/webhooks/${UNKNOWN_ID}`, { key: null, headers: { authorization: `bearer ${KEY}` } });
    expect(res.status).toBe(404);
  });
});

describe('POST /v1/webhooks and GET /v1/webhooks/:id', () => {
  test('a webhook is accepted with 202 and its status shows the request (secrets redacted) and its attempts', async () => {
    const r = await receiver();
    const created = await call('POST', '/v1/webhooks', {
      json: {
        url: `${r.url}/in?token=abc123&page=2`,
        method: 'put',
        headers: { Authorization: 'Bearer receiver-secret', 'X-Tenant': 't-1' },
        body: { user: 42 },
        tags: { campaign: 'spring' },
      },
    });
    expect(created.status).toBe(202);
    expect(created.body).toEqual({ id: expect.stringMatching(/^wh_[0-9a-f]{32}$/), status: 'pending' });
    const { id } = created.body as { id: string };

    const state = await waitForState(id, finished);
    expect(state.id).toBe(id);
    expect(state.status).toBe('delivered');
    expect(state.request.method).toBe('PUT');
    expect(state.request.url).not.toContain('abc123');
    expect(new URL(state.request.url).searchParams.get('token')).toBe('redacted');
    expect(new URL(state.request.url).searchParams.get('page')).toBe('2');
    expect(state.request.headers).toEqual({ Authorization: '[redacted]', 'X-Tenant': 't-1', 'content-type': 'application/json' });
    expect(state.tags).toEqual({ campaign: 'spring' });
    expect(state.attempts).toHaveLength(1);
    expect(state.attempts[0]).toMatchObject({ number: 1, trigger: 'scheduled', statusCode: 200 });
    expect(Date.parse(state.createdAt)).not.toBeNaN();
    expect(Date.parse(state.completedAt!)).toBeGreaterThanOrEqual(Date.parse(state.createdAt));
    expect(JSON.stringify(state)).not.toContain('receiver-secret');

    expect(r.arrivals).toHaveLength(1);
    expect(r.arrivals[0].method).toBe('PUT');
    expect(r.arrivals[0].headers.authorization).toBe('Bearer receiver-secret');
    expect(r.arrivals[0].headers['webhook-id']).toBe(id);
    expect(r.arrivals[0].body.toString()).toBe('{"user":42}');
  });

  test('a failing receiver’s attempts show their status codes and the reason', async () => {
    const r = await receiver(() => ({ status: 502, body: 'upstream down' }));
    const created = await call('POST', '/v1/webhooks', { json: { url: r.url, retry: fast } });
    expect(created.status).toBe(202);
    const state = await waitForState(created.body.id, finished);
    expect(state.status).toBe('failed');
    expect(state.reason).toBe('receiver error; all 3 attempts used');
    expect(state.attempts.map((a) => a.statusCode)).toEqual([502, 502, 502]);
    expect(state.attempts[0].responseBodySnippet).toBe('upstream down');
    expect(state.completedAt).toBeDefined();
  });

  test.each([
    ['a well-formed unknown id', UNKNOWN_ID],
    ['a malformed id', 'not-an-id'],
    ['an id of the wrong length', 'wh_0123'],
  ])('GET with %s is 404', async (_title, id) => {
    const res = await call('GET', `/v1/webhooks/${id}`);
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ error: 'not_found', message: `webhook ${id} not found` });
  });

  test.each(['cancel', 'retry'])('POST /:id/%s of an unknown id is 404', async (action) => {
    const res = await call('POST', `/v1/webhooks/${UNKNOWN_ID}/${action}`);
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ error: 'not_found', message: `webhook ${UNKNOWN_ID} not found` });
  });

  test('malformed JSON is 400 invalid_json', async () => {
    const res = await call('POST', '/v1/webhooks', { raw: '{"url": "https://x.example/",', contentType: 'application/json' });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_json');
    expect(res.body.message).toMatch(/^request body is not valid JSON: /);
  });

  test('an empty JSON body is 400 invalid_json', async () => {
    const res = await call('POST', '/v1/webhooks', { raw: '', contentType: 'application/json' });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_json');
  });

  test.each(['application/xml', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x'])(
    'a %s body is 415',
    async (contentType) => {
      const res = await call('POST', '/v1/webhooks', { raw: 'url=https://x.example/', contentType });
      expect(res.status).toBe(415);
      expect(res.body).toEqual({ error: 'unsupported_media_type', message: 'send the webhook as application/json' });
    },
  );

  // Fastify parses text/plain by default, so the JSON text arrives as a string and the schema
  // answers 400 "(webhook): must be a JSON object" instead of the API's 415.
  test('a text/plain body, even one holding valid JSON, is 415', async () => {
    const res = await call('POST', '/v1/webhooks', { raw: JSON.stringify({ url: 'https://x.example/' }), contentType: 'text/plain' });
    expect(res.status).toBe(415);
    expect(res.body.error).toBe('unsupported_media_type');
  });

  test.each([
    ['an array', [{ url: 'https://x.example/' }]],
    ['null', null],
    ['a string', 'https://x.example/'],
  ])('a JSON body that is %s is 400 naming (webhook)', async (_title, json) => {
    const res = await call('POST', '/v1/webhooks', { json });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: 'invalid_webhook', issues: [{ field: '(webhook)', message: 'must be a JSON object' }] });
  });
});

describe('a bad webhook is 400 with issues and starts nothing', () => {
  let r: Receiver;
  beforeAll(async () => {
    r = await receiver();
  });

  const secret16 = `whsec_${Buffer.alloc(16, 1).toString('base64')}`;
  const rows: [string, (url: string) => Record<string, unknown>, { field: string; message: string }][] = [
    ['a missing url', () => ({ body: 'x' }), { field: 'url', message: 'is required' }],
    ['a non-http url', () => ({ url: 'ftp://127.0.0.1/x' }), { field: 'url', message: 'scheme must be http or https, not ftp' }],
    ['a relative url', () => ({ url: '/in' }), { field: 'url', message: 'must be an absolute http or https URL' }],
    ['an unknown method', (url) => ({ url, method: 'FETCH' }), { field: 'method', message: 'must be one of POST, GET, PUT, DELETE, PATCH' }],
    [
      'a header value with CR/LF',
      (url) => ({ url, headers: { 'X-Foo': 'a\r\nX-Injected: 1' } }),
      { field: 'headers.X-Foo', message: 'value must not contain CR, LF, NUL or other control characters' },
    ],
    ['a reserved header', (url) => ({ url, headers: { 'Webhook-Id': 'x' } }), { field: 'headers.Webhook-Id', message: 'is set by Hookflow and cannot be given' }],
    ['a GET with a body', (url) => ({ url, method: 'GET', body: { a: 1 } }), { field: 'body', message: 'a GET request carries no body' }],
    [
      'a body over HOOKFLOW_MAX_BODY_BYTES',
      (url) => ({ url, body: 'x'.repeat(262_145) }),
      { field: 'body', message: 'is 262145 bytes, more than the 262144 allowed (HOOKFLOW_MAX_BODY_BYTES)' },
    ],
    ['a signing secret without whsec_', (url) => ({ url, signingSecret: 'secret' }), { field: 'signingSecret', message: "must be 'whsec_' followed by base64" }],
    ['a signing secret of 16 bytes', (url) => ({ url, signingSecret: secret16 }), { field: 'signingSecret', message: 'must encode 24 to 64 bytes, not 16' }],
    ['retry.maxAttempts 0', (url) => ({ url, retry: { maxAttempts: 0 } }), { field: 'retry.maxAttempts', message: 'must be at least 1' }],
    ['retry.maxAttempts 101', (url) => ({ url, retry: { maxAttempts: 101 } }), { field: 'retry.maxAttempts', message: 'must be at most 100' }],
    [
      'retry.maxIntervalMs below initialIntervalMs',
      (url) => ({ url, retry: { initialIntervalMs: 1_000, maxIntervalMs: 100 } }),
      { field: 'retry.maxIntervalMs', message: 'cannot be less than retry.initialIntervalMs' },
    ],
    ['timeoutMs 99', (url) => ({ url, timeoutMs: 99 }), { field: 'timeoutMs', message: 'must be at least 100' }],
    ['timeoutMs 90001', (url) => ({ url, timeoutMs: 90_001 }), { field: 'timeoutMs', message: 'must be at most 90000' }],
    ['an idempotencyKey with a space', (url) => ({ url, idempotencyKey: 'a b' }), { field: 'idempotencyKey', message: 'must be printable ASCII without spaces' }],
    ['an unknown field', (url) => ({ url, callback: 'x' }), { field: 'callback', message: 'is not a known field' }],
  ];

  test.each(rows)('%s', async (_title, make, issue) => {
    const res = await call('POST', '/v1/webhooks', { json: make(`${r.url}/in`) });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_webhook');
    expect(res.body.issues).toEqual([issue]);
    expect(res.body.message).toBe(`${issue.field}: ${issue.message}`);
  });

  test('several problems are reported together', async () => {
    const res = await call('POST', '/v1/webhooks', { json: { url: 'ftp://x', method: 'X', timeoutMs: 1, extra: true } });
    expect(res.status).toBe(400);
    expect(res.body.issues).toEqual(
      expect.arrayContaining([
        { field: 'url', message: 'scheme must be http or https, not ftp' },
        { field: 'method', message: 'must be one of POST, GET, PUT, DELETE, PATCH' },
        { field: 'timeoutMs', message: 'must be at least 100' },
        { field: 'extra', message: 'is not a known field' },
      ]),
    );
  });

  test('the receiver saw no request from any of them', async () => {
    await sleep(500);
    expect(r.arrivals).toHaveLength(0);
  });
});

describe('idempotency', () => {
  test('the same idempotencyKey twice: 202 then 200 with the same id, and one request to the receiver', async () => {
    const r = await receiver();
    const webhook = { url: r.url, idempotencyKey: `order-${Date.now()}-${Math.random()}`, body: { n: 1 } };
    const first = await call('POST', '/v1/webhooks', { json: webhook });
    expect(first.status).toBe(202);
    expect(first.body.status).toBe('pending');
    await r.waitFor(1);
    const second = await call('POST', '/v1/webhooks', { json: webhook });
    expect(second.status).toBe(200);
    expect(second.body.id).toBe(first.body.id);
    expect(['pending', 'retrying', 'delivered']).toContain(second.body.status);
    await waitForState(first.body.id, finished);
    await sleep(300);
    expect(r.arrivals).toHaveLength(1);
  });
});

describe('cancel and retry', () => {
  test('cancel of a webhook retrying against a 503 is 200 cancelled; cancelling again is 409', async () => {
    const r = await receiver(() => ({ status: 503 }));
    const created = await call('POST', '/v1/webhooks', { json: { url: r.url, retry: slow } });
    const { id } = created.body as { id: string };
    await r.waitFor(1);

    const cancelled = await call('POST', `/v1/webhooks/${id}/cancel`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ id, status: 'cancelled', reason: 'cancelled on request' });

    const again = await call('POST', `/v1/webhooks/${id}/cancel`);
    expect(again.status).toBe(409);
    expect(again.body).toEqual({ error: 'conflict', message: `cannot cancel webhook ${id}: it is cancelled` });

    expect((await call('GET', `/v1/webhooks/${id}`)).body.status).toBe('cancelled');
    expect(r.arrivals).toHaveLength(1);
  });

  test('cancel of a delivered webhook is 409', async () => {
    const r = await receiver();
    const { body } = await call('POST', '/v1/webhooks', { json: { url: r.url } });
    await waitForState(body.id, finished);
    const res = await call('POST', `/v1/webhooks/${body.id}/cancel`);
    expect(res.status).toBe(409);
    expect(res.body).toEqual({ error: 'conflict', message: `cannot cancel webhook ${body.id}: it is delivered` });
  });

  test('retry of a failed webhook is 202 and the receiver sees the same webhook-id again', async () => {
    let healthy = false;
    const r = await receiver(() => ({ status: healthy ? 200 : 404 }));
    const { body } = await call('POST', '/v1/webhooks', { json: { url: r.url, body: 'same', retry: fast } });
    const id = body.id as string;
    expect((await waitForState(id, finished)).status).toBe('failed');

    healthy = true;
    const retried = await call('POST', `/v1/webhooks/${id}/retry`);
    expect(retried.status).toBe(202);
    expect(retried.body).toEqual({ id, status: 'pending' });
    await r.waitFor(2);
    expect(r.arrivals.map((a) => a.headers['webhook-id'])).toEqual([id, id]);
    expect(r.arrivals[1].body.toString()).toBe('same');

    const state = await waitForState(id, (s) => s.status === 'delivered');
    expect(state.attempts.map((a) => [a.number, a.trigger, a.statusCode])).toEqual([
      [1, 'scheduled', 404],
      [2, 'manual', 200],
    ]);
  });

  test('retry of a webhook that is still running is 409', async () => {
    const r = await receiver(() => ({ status: 503 }));
    const { body } = await call('POST', '/v1/webhooks', { json: { url: r.url, retry: slow } });
    const id = body.id as string;
    await r.waitFor(1);
    const res = await call('POST', `/v1/webhooks/${id}/retry`);
    expect(res.status).toBe(409);
    expect(res.body.error).toBe('conflict');
    expect(res.body.message).toMatch(new RegExp(`^cannot retry webhook ${id}: it is (pending|retrying)$`));
    expect((await call('POST', `/v1/webhooks/${id}/cancel`)).status).toBe(200);
  });
});

describe('codec endpoints', () => {
  const json = (p: { metadata?: Record<string, Uint8Array> | null; data?: Uint8Array | null }) => ({
    metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
    data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
  });
  const b64 = (s: string): string => Buffer.from(s).toString('base64');
  const PLAIN = '{"card":"4111111111111111"}';

  async function encrypted(): Promise<{ payloads: ReturnType<typeof json>[] }> {
    const encoded = await codec.encode([{ metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from(PLAIN) }]);
    return { payloads: encoded.map(json) };
  }

  test('POST /codec/decode from the Web UI origin decrypts, with CORS headers echoing the origin', async () => {
    const res = await call('POST', '/codec/decode', { key: null, headers: { origin: UI }, json: await encrypted() });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ payloads: [{ metadata: { encoding: b64('json/plain') }, data: b64(PLAIN) }] });
    expect(res.headers['access-control-allow-origin']).toBe(UI);
    expect(res.headers['access-control-allow-credentials']).toBe('true');
    expect(res.headers.vary).toMatch(/origin/i);
  });

  test('POST /codec/encode from the Web UI origin encrypts, and decode reverses it', async () => {
    const plain = { payloads: [{ metadata: { encoding: b64('json/plain') }, data: b64(PLAIN) }] };
    const enc = await call('POST', '/codec/encode', { key: null, headers: { origin: UI }, json: plain });
    expect(enc.status).toBe(200);
    expect(Buffer.from(enc.body.payloads[0].metadata.encoding, 'base64').toString()).toBe('binary/encrypted');
    expect(Buffer.from(enc.body.payloads[0].data, 'base64').includes(Buffer.from(PLAIN))).toBe(false);
    const dec = await call('POST', '/codec/decode', { key: null, headers: { origin: UI }, json: enc.body });
    expect(dec.body).toEqual(plain);
  });

  test('a payload that is not encrypted passes through decode unchanged', async () => {
    const plain = { payloads: [{ metadata: { encoding: b64('json/plain') }, data: b64('"hello"') }] };
    const res = await call('POST', '/codec/decode', { key: null, headers: { origin: UI }, json: plain });
    expect(res.status).toBe(200);
    expect(res.body).toEqual(plain);
  });

  test.each(['decode', 'encode'])('an OPTIONS preflight to /codec/%s from the Web UI origin is 204 with CORS headers', async (action) => {
    const res = await call('OPTIONS', `/codec/${action}`, {
      key: null,
      headers: { origin: UI, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, x-namespace' },
    });
    expect(res.status).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe(UI);
    expect(res.headers['access-control-allow-methods']).toBe('POST, OPTIONS');
    expect(String(res.headers['access-control-allow-headers'])).toContain('x-namespace');
  });

  test('an OPTIONS preflight from another origin is 403', async () => {
    const res = await call('OPTIONS', '/codec/decode', { key: null, headers: { origin: 'http://evil.example', 'access-control-request-method': 'POST' } });
    expect(res.status).toBe(403);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });

  test.each([
    ['without a key', null],
    ['even with a valid key', KEY],
  ])('POST /codec/decode from Origin http://evil.example %s is 403', async (_title, key) => {
    const res = await call('POST', '/codec/decode', { key, headers: { origin: 'http://evil.example' }, json: await encrypted() });
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ error: 'forbidden', message: 'origin not allowed to use the codec' });
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    expect(res.text).not.toContain(b64(PLAIN));
  });

  test('POST /codec/decode with no Origin and no key is 403', async () => {
    const res = await call('POST', '/codec/decode', { key: null, json: await encrypted() });
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ error: 'forbidden', message: 'the codec needs an API key (or an allowed Web UI origin)' });
  });

  test('POST /codec/decode with no Origin and a wrong key is 403', async () => {
    const res = await call('POST', '/codec/decode', { key: 'wrong', json: await encrypted() });
    expect(res.status).toBe(403);
  });

  test('POST /codec/decode with no Origin and Authorization: Bearer test-key is 200 and decrypted', async () => {
    const res = await call('POST', '/codec/decode', { json: await encrypted() });
    expect(res.status).toBe(200);
    expect(res.body.payloads[0].data).toBe(b64(PLAIN));
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('the codec of each way to run the API', () => {
  const decode = async (url: string, headers: Record<string, string>) => {
    const res = await request(`${url}/codec/decode`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ payloads: [] }) });
    await res.body.dump();
    return res;
  };

  test('`npm run api` trusts no Web UI origin unless HOOKFLOW_UI_ORIGINS names it; `npm start` trusts its embedded UI from this machine', async () => {
    const config = { ...stack.config, port: 0, host: '127.0.0.1' };
    const standalone = await startApiRole(config, stack.encryptionKey, [KEY]);
    const embedded = await startApiRole(config, stack.encryptionKey, [KEY], { embeddedUi: true });
    const configured = await startApiRole({ ...config, uiOrigins: [UI] }, stack.encryptionKey, [KEY]);
    try {
      const ui = `http://localhost:${config.devUiPort}`;
      expect((await decode(standalone.url, { origin: ui })).statusCode).toBe(403);
      expect((await decode(standalone.url, { authorization: `Bearer ${KEY}` })).statusCode).toBe(200);
      expect((await decode(embedded.url, { origin: ui })).statusCode).toBe(200);
      expect((await decode(configured.url, { origin: UI })).statusCode).toBe(200);
    } finally {
      await Promise.all([standalone.stop(), embedded.stop(), configured.stop()]);
    }
  });
});
