/**
 * An endpoint that answers 410 Gone is not called again until an operator re-enables it: a
 * campaign to a removed endpoint must not send one request per recipient.
 */
import type { FastifyInstance } from 'fastify';
import { endpointHash } from '../../src/endpoint/gone';
import { startTestApi } from '../helpers/api';
import { receiverPool } from '../helpers/receiver';
import { startTestStack, type TestStack } from '../helpers/stack';

const KEY = 'test-key';
const auth = { authorization: `Bearer ${KEY}` };
const receivers = receiverPool();
let stack: TestStack;
let app: FastifyInstance;

beforeAll(async () => {
  stack = await startTestStack();
  ({ app } = await startTestApi(stack, KEY));
});
afterAll(async () => {
  await app?.close();
  await receivers.closeAll();
  await stack?.stop();
});

test('a 410 stops later webhooks to that URL with nothing sent, until it is re-enabled', async () => {
  const r = await receivers.start((a) => ({ status: a.path.startsWith('/removed') ? 410 : 200 }));
  const removed = `${r.url}/removed?token=s3cret`;
  const toRemoved = (): number => r.arrivals.filter((a) => a.path.startsWith('/removed')).length;

  const first = await stack.hookflow.send({ url: removed, body: { n: 1 } });
  const firstState = await stack.hookflow.result(first.id);
  expect(firstState.status).toBe('failed');
  expect(firstState.attempts.map((a) => a.statusCode)).toEqual([410]);
  expect(toRemoved()).toBe(1);

  // Same URL: fails at once, the receiver sees nothing more.
  const second = await stack.hookflow.send({ url: removed, body: { n: 2 } });
  const secondState = await stack.hookflow.result(second.id);
  expect(secondState.status).toBe('failed');
  expect(secondState.reason).toMatch(/gone/);
  expect(secondState.attempts).toHaveLength(1);
  expect(secondState.attempts[0]).toMatchObject({ errorCode: 'gone' });
  expect(secondState.attempts[0].error).toContain('nothing sent');
  expect(toRemoved()).toBe(1);

  // Another URL on the same host is not affected.
  const other = await stack.hookflow.send({ url: `${r.url}/still-here`, body: {} });
  expect((await stack.hookflow.result(other.id)).status).toBe('delivered');

  // The operator sees the endpoint by origin and hash, never by its URL (it may carry a token).
  const listed = await app.inject({ method: 'GET', url: '/v1/endpoints/gone', headers: auth });
  expect(listed.statusCode).toBe(200);
  expect(listed.json()).toEqual({ data: [{ hash: endpointHash(removed), origin: r.url, webhookId: first.id, goneAt: expect.any(String) }] });
  expect(listed.body).not.toContain('s3cret');

  const reenabled = await app.inject({ method: 'DELETE', url: `/v1/endpoints/gone/${endpointHash(removed)}`, headers: auth });
  expect(reenabled.statusCode).toBe(204);
  expect((await app.inject({ method: 'GET', url: '/v1/endpoints/gone', headers: auth })).json()).toEqual({ data: [] });

  // Workers take it at their next refresh; this one is told to refresh now.
  await stack.gone.refresh();
  const third = await stack.hookflow.send({ url: removed, body: { n: 3 } });
  expect((await stack.hookflow.result(third.id)).attempts.map((a) => a.statusCode)).toEqual([410]);
  expect(toRemoved()).toBe(2);
});

test('re-enabling answers 400 for a malformed hash and 404 for one that is not gone; the API needs a key', async () => {
  const bad = await app.inject({ method: 'DELETE', url: '/v1/endpoints/gone/xyz', headers: auth });
  expect(bad.statusCode).toBe(400);
  expect(bad.json().issues).toEqual([{ field: 'hash', message: expect.stringContaining('64 hex') }]);
  const unknown = await app.inject({ method: 'DELETE', url: `/v1/endpoints/gone/${'a'.repeat(64)}`, headers: auth });
  expect(unknown.statusCode).toBe(404);
  expect(unknown.json().message).toContain('not found');
  expect((await app.inject({ method: 'GET', url: '/v1/endpoints/gone' })).statusCode).toBe(401);
});
