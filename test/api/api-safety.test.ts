/**
 * The API's answers when things go wrong, and who may use the codec endpoints. Temporal here is
 * a real gRPC connection to a port nothing listens on: unreachable for real.
 */
import { Client, Connection } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { buildApi, type ApiOptions } from '../../src/api/server';
import { Hookflow } from '../../src/client/hookflow';
import { loadConfig } from '../../src/config';
import { freePort } from '../../src/dev/free-port';
import { DependencyUnavailableError } from '../../src/errors';
import { AesGcmCodec, generateEncryptionKey, parseEncryptionKey } from '../../src/temporal/codec';
import { hookflowDataConverter } from '../../src/temporal/connect';

const KEY = 'safety-key';
const UI = 'http://localhost:8233';
const codec = new AesGcmCodec(parseEncryptionKey(generateEncryptionKey()));
const apps: FastifyInstance[] = [];
let hookflow: Hookflow;
let logged: { level: number; msg: string; requestId?: string; reqId?: string; err?: { message?: string } }[];

beforeAll(async () => {
  // No retry interceptor: its timers would go on retrying after a call's deadline and fire on the
  // closed channel after this file ends ("Channel has been shut down", blamed on the next file).
  const connection = Connection.lazy({ address: `127.0.0.1:${await freePort()}`, connectTimeout: 500, interceptors: [] });
  const client = new Client({ connection, dataConverter: hookflowDataConverter(generateEncryptionKey()) });
  // A short bound per call (the default is 10 s), so each case answers within a couple of seconds.
  hookflow = await Hookflow.connect({ client, config: loadConfig({}), callTimeoutMs: 1_500 });
});
afterAll(async () => {
  await Promise.all(apps.map((a) => a.close()));
  await hookflow.client.connection.close();
});

function api(options: Partial<ApiOptions> = {}): FastifyInstance {
  logged = [];
  const app = buildApi({ hookflow, apiKeys: [KEY], codec, uiOrigins: [], maxBodyBytes: 10_000, logLevel: 'info', ...options });
  // Capture the API's own log lines to check what an operator would find there.
  const log = app.log as unknown as { [k: string]: (...args: unknown[]) => void };
  for (const [name, level] of [['warn', 40], ['error', 50]] as const) {
    const original = log[name].bind(log);
    log[name] = (...args: unknown[]) => {
      const [obj, msg] = typeof args[0] === 'string' ? [{}, args[0]] : [args[0] as object, args[1] as string];
      logged.push({ level, msg, ...(obj as object) });
      original(...args);
    };
  }
  apps.push(app);
  return app;
}

const auth = { authorization: `Bearer ${KEY}` };

describe('a dependency out of reach is a 503 that names it', () => {
  test('GET /v1/webhooks/:id answers 503 naming temporal, without claiming anything about starting', async () => {
    const res = await api().inject({ method: 'GET', url: '/v1/webhooks/wh_0123456789abcdef0123456789abcdef', headers: auth });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toEqual({ error: 'unavailable', dependency: 'temporal', message: 'temporal is unreachable; try again shortly' });
  });

  test('POST /v1/webhooks answers 503 and says the webhook may or may not have been stored', async () => {
    const res = await api().inject({ method: 'POST', url: '/v1/webhooks', headers: auth, payload: { url: 'https://example.com/' } });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toEqual({
      error: 'unavailable',
      dependency: 'temporal',
      message: 'temporal is unreachable; the request may or may not have taken effect: send it again with the same idempotencyKey',
    });
  });

  test('GET /v1/hosts/:authority answers 503 naming temporal', async () => {
    const res = await api().inject({ method: 'GET', url: '/v1/hosts/example.com', headers: auth });
    expect(res.statusCode).toBe(503);
    expect(res.json().dependency).toBe('temporal');
  });

  test('/healthz answers 503 and says which dependency is down, without its error text', async () => {
    const res = await api().inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toEqual({ status: 'unavailable', dependencies: { temporal: 'unreachable' } });
  });

  test('/healthz checks every dependency it is given, each on its own', async () => {
    const app = api({
      dependencies: [
        { name: 'temporal', check: async () => undefined },
        { name: 'postgres', check: async () => Promise.reject(new Error('connect ECONNREFUSED 10.0.0.7:5432')) },
      ],
    });
    const res = await app.inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toEqual({ status: 'unavailable', dependencies: { temporal: 'ok', postgres: 'unreachable' } });
    expect(res.body).not.toContain('10.0.0.7');
  });

  test('a DependencyUnavailableError thrown by any code is a 503 naming its dependency', async () => {
    const app = api();
    app.get('/test/postgres-down', async () => {
      throw new DependencyUnavailableError('postgres', new Error('connection refused'));
    });
    const res = await app.inject({ method: 'GET', url: '/test/postgres-down', headers: auth });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toEqual({ error: 'unavailable', dependency: 'postgres', message: 'postgres is unreachable; try again shortly' });
  });
});

describe('a bug is a 500 with a request id, never a 503', () => {
  test('an unexpected error answers 500 with the request id, and the log holds the error under that id', async () => {
    const app = api();
    app.get('/test/bug', async () => {
      throw new TypeError("Cannot read properties of undefined (reading 'x')");
    });
    const res = await app.inject({ method: 'GET', url: '/test/bug', headers: auth });
    expect(res.statusCode).toBe(500);
    const body = res.json();
    expect(body).toEqual({ error: 'internal', message: `internal error (request id ${body.requestId}); the details are in the API's log`, requestId: expect.any(String) });
    expect(res.body).not.toContain('reading');
    const line = logged.find((l) => l.level === 50);
    expect(line?.requestId).toBe(body.requestId);
    expect(line?.err?.message).toContain("reading 'x'");
  });
});

describe('who may use the codec endpoints', () => {
  const decode = (app: FastifyInstance, headers: Record<string, string>, remoteAddress = '127.0.0.1') =>
    app.inject({ method: 'POST', url: '/codec/decode', headers: { 'content-type': 'application/json', ...headers }, payload: { payloads: [] }, remoteAddress });

  test('the standalone API (no HOOKFLOW_UI_ORIGINS) answers a browser origin only with an API key', async () => {
    const app = api({ uiOrigins: [] });
    expect((await decode(app, { origin: UI })).statusCode).toBe(403);
    expect((await decode(app, {})).statusCode).toBe(403);
    expect((await decode(app, { authorization: `Bearer ${KEY}` })).statusCode).toBe(200);
  });

  test('npm start’s embedded Web UI origin is honoured from this machine only', async () => {
    const app = api({ uiOrigins: [UI], uiOriginsFromLoopbackOnly: true });
    expect((await decode(app, { origin: UI }, '127.0.0.1')).statusCode).toBe(200);
    expect((await decode(app, { origin: UI }, '::1')).statusCode).toBe(200);
    const remote = await decode(app, { origin: UI }, '10.1.2.3');
    expect(remote.statusCode).toBe(403);
    expect(remote.headers['access-control-allow-origin']).toBeUndefined();
    expect((await app.inject({ method: 'OPTIONS', url: '/codec/decode', headers: { origin: UI }, remoteAddress: '10.1.2.3' })).statusCode).toBe(403);
  });

  test('origins an operator set explicitly are honoured from anywhere', async () => {
    const app = api({ uiOrigins: [UI], uiOriginsFromLoopbackOnly: false });
    expect((await decode(app, { origin: UI }, '10.1.2.3')).statusCode).toBe(200);
  });
});
