/**
 * The API's OpenAPI document and Swagger UI, as a user opens them: public, generated from the
 * routes (every documented route is one the API serves, and every /v1 route is documented), and
 * the UI's files served by the API itself.
 */
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { request } from 'undici';
import { buildApi } from '../../src/api/server';
import { Hookflow } from '../../src/client/hookflow';
import { HookflowMetrics } from '../../src/metrics/registry';
import { testConfig } from '../helpers/stack';

let app: FastifyInstance;
let base: string;
let hookflow: Hookflow;

beforeAll(async () => {
  // The documents need no worker: the SDK alone, against the test run's Temporal server.
  hookflow = await Hookflow.connect({ config: testConfig({ databaseUrl: process.env.HOOKFLOW_TEST_POSTGRES_ADMIN_URL }), encryptionKey: Buffer.alloc(32, 7).toString('base64') });
  app = buildApi({ hookflow, apiKeys: ['k'], codec: {} as never, uiOrigins: [], maxBodyBytes: 262_144, logLevel: 'silent', metrics: new HookflowMetrics({ maxHosts: 20 }) });
  await app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await app?.close();
  await hookflow?.close();
});

async function get(path: string): Promise<{ status: number; type: string; text: string }> {
  const res = await request(`${base}${path}`);
  return { status: res.statusCode, type: String(res.headers['content-type']), text: await res.body.text() };
}

interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: { properties?: Record<string, unknown>; required?: string[] } }> }; responses: Record<string, unknown>; security?: unknown[] }>>;
  components: { securitySchemes: Record<string, { type: string; scheme: string }> };
}

test('/openapi.json is public and lists every /v1 route the API serves, with the API key scheme', async () => {
  const res = await get('/openapi.json');
  expect(res.status).toBe(200);
  expect(res.type).toContain('application/json');
  const doc = JSON.parse(res.text) as OpenApiDocument;
  expect(doc.openapi).toBe('3.1.0');
  const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`));
  for (const route of documented.filter((r) => r.includes(' /v1/'))) {
    const [method, path] = route.split(' ');
    expect(app.hasRoute({ method: method as 'GET', url: path })).toBe(true);
  }
  expect(documented.sort()).toEqual(
    [
      'DELETE /v1/endpoints/gone/:hash',
      'GET /healthz',
      'GET /v1/campaigns',
      'GET /v1/campaigns/:id',
      'GET /v1/campaigns/:id/dispatches',
      'GET /v1/campaigns/:id/dispatches/:dispatchId',
      'GET /v1/endpoints/gone',
      'GET /v1/hosts/:authority',
      'GET /v1/jobs/:id',
      'GET /v1/webhooks',
      'GET /v1/webhooks/:id',
      'GET /v1/webhooks/:id/attempts',
      'POST /v1/campaigns/:id/pause',
      'POST /v1/campaigns/:id/resume',
      'POST /v1/campaigns/:id/stop',
      'POST /v1/campaigns/:id/trigger',
      'PUT /v1/campaigns/:id',
      'POST /v1/hosts/:authority/pause',
      'POST /v1/hosts/:authority/resume',
      'POST /v1/webhooks',
      'POST /v1/webhooks/:id/cancel',
      'POST /v1/webhooks/:id/retry',
      'POST /v1/webhooks/recover',
      'PUT /v1/templates/:id',
      'GET /v1/templates/:id',
      'GET /v1/templates/:id/versions/:n',
      'POST /v1/templates/:id/preview',
      'PUT /v1/recipients/:id',
      'GET /v1/recipients/:id',
      'DELETE /v1/recipients/:id',
      'POST /v1/events',
      'PUT /v1/journeys/:id',
      'GET /v1/journeys/:id',
      'POST /v1/journeys/:id/publish',
      'POST /v1/journeys/:id/entries',
      'POST /v1/journeys/:id/migrate',
      'GET /v1/journeys/:id/runs/:recipientId',
      'POST /v1/journeys/:id/runs/:recipientId/exit',
      'GET /v1/reports',
      'GET /v1/reports/failures',
    ].sort(),
  );
  expect(doc.components.securitySchemes.apiKey).toMatchObject({ type: 'http', scheme: 'bearer' });
  expect(doc.paths['/healthz'].get.security).toEqual([]);
  // The webhook body is the SDK's own schema: its fields, `url` required, nothing else allowed.
  const body = doc.paths['/v1/webhooks'].post.requestBody!.content['application/json'].schema as { properties: Record<string, unknown>; required: string[]; additionalProperties: boolean };
  expect(Object.keys(body.properties).sort()).toEqual(['body', 'headers', 'hops', 'idempotencyKey', 'method', 'retry', 'signingSecret', 'tags', 'timeoutMs', 'url']);
  expect(body.required).toEqual(['url']);
  expect(body.additionalProperties).toBe(false);
  expect(Object.keys(doc.paths['/v1/webhooks'].post.responses)).toEqual(expect.arrayContaining(['202', '400', '401', '500', '503']));
});

test('/docs serves Swagger UI from the API itself, without a key, pointing at the document', async () => {
  // /docs sends the browser on to the page at /docs/.
  const docs = await request(`${base}/docs`);
  await docs.body.dump();
  const pagePath = docs.statusCode === 302 ? new URL(String(docs.headers.location), `${base}/docs`).pathname : '/docs';
  const page = await get(pagePath);
  expect(page.status).toBe(200);
  expect(page.type).toContain('text/html');
  expect(page.text).toContain('swagger-ui');
  // No CDN: every script, stylesheet and icon the page loads is served by the API itself.
  const assets = [...page.text.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => new URL(m[1], `${base}${pagePath}`));
  expect(assets.length).toBeGreaterThan(2);
  expect(assets.filter((a) => a.origin !== base)).toEqual([]);
  for (const asset of assets) expect([asset.pathname, (await get(asset.pathname)).status]).toEqual([asset.pathname, 200]);
  expect((await get('/docs/static/swagger-initializer.js')).text).toContain('./json');
  const json = await get('/docs/json');
  expect(json.status).toBe(200);
  expect(JSON.parse(json.text).openapi).toBe('3.1.0');
});

test('the metrics route and the Web UI codec are served but not in the document', async () => {
  expect((await request(`${base}/metrics`, { headers: { authorization: 'Bearer k' } })).statusCode).toBe(200);
  const doc = JSON.parse((await get('/openapi.json')).text) as OpenApiDocument;
  expect(Object.keys(doc.paths).filter((p) => p.startsWith('/codec') || p === '/metrics' || p.startsWith('/docs'))).toEqual([]);
});
