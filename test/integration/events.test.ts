/**
 * Recipients and custom events through the HTTP API on a real stack (Temporal dev server, worker,
 * PostgreSQL), and the listener mechanism: a test listener on two workers, one of them restarted
 * and one of them losing its database connection mid-batch, gets each event exactly once, in order
 * per recipient.
 */
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { request } from 'undici';
import { buildApi } from '../../src/api/server';
import { Hookflow } from '../../src/client/hookflow';
import type { EventListener, ListenedEvent } from '../../src/event/listener';
import { AesGcmCodec, parseEncryptionKey } from '../../src/temporal/codec';
import { startTestStack, type TestStack } from '../helpers/stack';

const KEY = 'test-key';
let first: TestStack;
let second: TestStack;
let third: TestStack | undefined;
let api: Hookflow;
let app: FastifyInstance;
let base: string;
let db: pg.Pool;

interface Answer {
  status: number;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

async function call(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, json?: unknown): Promise<Answer> {
  const headers: Record<string, string> = { authorization: `Bearer ${KEY}` };
  if (json !== undefined) headers['content-type'] = 'application/json';
  const res = await request(`${base}${path}`, { method, headers, body: json === undefined ? undefined : JSON.stringify(json) });
  const text = await res.body.text();
  return { status: res.statusCode, body: text ? JSON.parse(text) : undefined };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Everything the listener handled, crashed batches included (what committed is in `received`). */
const handled: { worker: string; id: string }[] = [];
let crashDone = false;

/** The test listener, as a feature would write it: its effect (a row) commits with the cursor. */
function listener(worker: string): EventListener {
  return {
    name: 'test-listener',
    events: ['level_reached'],
    async handle(events: ListenedEvent[], tx) {
      for (const e of events) {
        handled.push({ worker, id: e.id });
        await tx.query('INSERT INTO test_received (event_id, recipient_id, worker, level) VALUES ($1, $2, $3, $4)', [e.id, e.recipientId, worker, e.properties.level]);
      }
      if (!crashDone && events.some((e) => e.id === 'crash-me')) {
        crashDone = true;
        // The worker's connection dies mid-batch, after the effect was written: the transaction
        // rolls back, the cursor stays, and the batch is handled again (by either worker).
        const { rows } = await tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
        await db.query('SELECT pg_terminate_backend($1)', [rows[0].pid]);
      }
    },
  };
}

// Workers poll on PostgreSQL's notifications: the 60 s poll without one is longer than any wait below.
const settings = { eventPollMs: 60_000, eventBatchSize: 7 };

beforeAll(async () => {
  first = await startTestStack(settings, { eventListeners: [listener('A')] });
  db = new pg.Pool({ connectionString: first.databaseUrl, max: 3 });
  await db.query('CREATE TABLE test_received (n serial PRIMARY KEY, event_id text NOT NULL, recipient_id text NOT NULL, worker text NOT NULL, level int)');
  second = await startTestStack(settings, { alongside: first, eventListeners: [listener('B')] });
  // The API has a client of its own, so that it outlives the workers this file stops.
  api = await Hookflow.connect({ config: first.config, encryptionKey: first.encryptionKey });
  app = buildApi({ hookflow: api, apiKeys: [KEY], codec: new AesGcmCodec(parseEncryptionKey(first.encryptionKey)), uiOrigins: [], maxBodyBytes: first.config.maxBodyBytes, logLevel: 'silent' });
  await app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await app?.close();
  await api?.close();
  await db?.end();
  for (const stack of [first, second, third]) await stack?.stop().catch(() => undefined);
});

describe('recipients', () => {
  test('PUT merges attributes key by key; null removes a key; an object value is replaced whole', async () => {
    const put1 = await call('PUT', '/v1/recipients/ada@example.com', { attributes: { plan: 'pro', seats: 3, profile: { country: 'FR', age: 36 } } });
    expect(put1.status).toBe(200);
    expect(put1.body).toMatchObject({ id: 'ada@example.com', attributes: { plan: 'pro', seats: 3, profile: { country: 'FR', age: 36 } } });
    const put2 = await call('PUT', '/v1/recipients/ada@example.com', { attributes: { seats: null, profile: { country: 'DE' }, vip: true, nothing: null } });
    expect(put2.body.attributes).toEqual({ plan: 'pro', profile: { country: 'DE' }, vip: true });
    const got = await call('GET', '/v1/recipients/ada@example.com');
    expect(got.status).toBe(200);
    expect(got.body).toEqual({ id: 'ada@example.com', attributes: { plan: 'pro', profile: { country: 'DE' }, vip: true }, createdAt: expect.any(String), updatedAt: expect.any(String) });
  });

  test('bad input is 400 naming the field; an unknown recipient is 404', async () => {
    expect(await call('PUT', '/v1/recipients/has%20space', { attributes: {} })).toEqual({
      status: 400,
      body: { error: 'invalid_request', message: 'id: must be 1-128 characters of A-Z, a-z, 0-9, _ . @ -', issues: [{ field: 'id', message: 'must be 1-128 characters of A-Z, a-z, 0-9, _ . @ -' }] },
    });
    const noObject = await call('PUT', '/v1/recipients/bob', { attributes: ['pro'] });
    expect(noObject.status).toBe(400);
    expect(noObject.body.issues).toEqual([{ field: 'attributes', message: 'must be a JSON object' }]);
    expect((await call('GET', '/v1/recipients/nobody')).body).toEqual({ error: 'not_found', message: 'recipient nobody not found' });
    expect((await call('DELETE', '/v1/recipients/nobody')).status).toBe(404);
  });

  test('DELETE erases the attributes and every event of the recipient, and nothing of anyone else', async () => {
    await call('PUT', '/v1/recipients/erase-me', { attributes: { email: 'erase-me@example.com' } });
    const sent = await call('POST', '/v1/events', {
      events: [
        { name: 'page_viewed', recipientId: 'erase-me', properties: { path: '/a' } },
        { name: 'page_viewed', recipientId: 'erase-me', properties: { path: '/b' } },
        { name: 'page_viewed', recipientId: 'keep-me', properties: { path: '/c' } },
      ],
    });
    expect(sent.status).toBe(202);
    const erased = await call('DELETE', '/v1/recipients/erase-me');
    expect(erased).toEqual({ status: 200, body: { id: 'erase-me', erased: true, events: 2 } });
    expect((await call('GET', '/v1/recipients/erase-me')).status).toBe(404);
    const left = await db.query(`SELECT count(*)::int AS n FROM events WHERE recipient_id = 'erase-me' OR properties::text LIKE '%erase-me%'`);
    expect(left.rows[0].n).toBe(0);
    const recipients = await db.query(`SELECT count(*)::int AS n FROM recipients WHERE id = 'erase-me' OR attributes::text LIKE '%erase-me%'`);
    expect(recipients.rows[0].n).toBe(0);
    expect((await call('GET', '/v1/recipients/keep-me')).status).toBe(200);
    expect((await db.query(`SELECT count(*)::int AS n FROM events WHERE recipient_id = 'keep-me'`)).rows[0].n).toBe(1);
  });
});

describe('events', () => {
  test('one event: 202 once stored, its attributes merged into the recipient (created if new)', async () => {
    const res = await call('POST', '/v1/events', { name: 'unsubscribed', recipientId: 'carol', properties: { list: 'news' }, attributes: { email: 'carol@example.com', subscribed: false } });
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ events: [{ id: expect.stringMatching(/^ev_[0-9a-f]{32}$/), created: true }] });
    const stored = await db.query('SELECT name, recipient_id, properties FROM events WHERE id = $1', [res.body.events[0].id]);
    expect(stored.rows).toEqual([{ name: 'unsubscribed', recipient_id: 'carol', properties: { list: 'news' } }]);
    expect((await call('GET', '/v1/recipients/carol')).body.attributes).toEqual({ email: 'carol@example.com', subscribed: false });
    // An event without attributes still makes its recipient exist.
    await call('POST', '/v1/events', { name: 'opened', recipientId: 'dave' });
    expect((await call('GET', '/v1/recipients/dave')).body.attributes).toEqual({});
  });

  test('attributes of a batch apply in order: the last value of a key wins, null removes it', async () => {
    await call('PUT', '/v1/recipients/gina', { attributes: { old: 1, seats: 1, plan: 'free' } });
    const res = await call('POST', '/v1/events', {
      events: [
        { name: 'upgraded', recipientId: 'gina', attributes: { plan: 'pro', seats: 2 } },
        { name: 'moved', recipientId: 'hal', attributes: { city: 'Oslo', nothing: null } },
        { name: 'downgraded', recipientId: 'gina', attributes: { plan: null, city: 'Paris' } },
        { name: 'seen', recipientId: 'gina' },
      ],
    });
    expect(res.status).toBe(202);
    expect((await call('GET', '/v1/recipients/gina')).body.attributes).toEqual({ old: 1, seats: 2, city: 'Paris' });
    expect((await call('GET', '/v1/recipients/hal')).body.attributes).toEqual({ city: 'Oslo' });
  });

  test('the same event id twice is stored once and changes nothing the second time', async () => {
    const event = { id: 'order-1', name: 'purchased', recipientId: 'erin', properties: { total: 10 }, attributes: { orders: 1 } };
    expect((await call('POST', '/v1/events', event)).body).toEqual({ events: [{ id: 'order-1', created: true }] });
    await call('PUT', '/v1/recipients/erin', { attributes: { orders: 5 } });
    const again = await call('POST', '/v1/events', { events: [event, { ...event, id: 'order-2' }, event] });
    expect(again.status).toBe(202);
    expect(again.body).toEqual({ events: [{ id: 'order-1', created: false }, { id: 'order-2', created: true }, { id: 'order-1', created: false }] });
    expect((await db.query(`SELECT count(*)::int AS n FROM events WHERE id = 'order-1'`)).rows[0].n).toBe(1);
    // order-2 set orders to 1 again; the repeated order-1 did not.
    expect((await call('GET', '/v1/recipients/erin')).body.attributes).toEqual({ orders: 1 });
  });

  test('bad events are 400 naming the field, and none of the batch is stored', async () => {
    const res = await call('POST', '/v1/events', { events: [{ id: 'fine-1', name: 'x', recipientId: 'frank' }, { name: 'x', recipientId: 'frank', time: 'soon' }] });
    expect(res.status).toBe(400);
    expect(res.body.issues).toEqual([{ field: 'events.1.time', message: 'must be an RFC 3339 time, e.g. 2026-11-28T12:00:00Z' }]);
    expect((await db.query(`SELECT count(*)::int AS n FROM events WHERE id = 'fine-1'`)).rows[0].n).toBe(0);
    const missing = await call('POST', '/v1/events', { recipientId: 'frank' });
    expect(missing.body.issues).toEqual([{ field: 'name', message: 'is required' }]);
  });
});

describe('listeners', () => {
  const recipients = ['r1', 'r2', 'r3'];
  const sent = new Map<string, string[]>(recipients.map((r) => [r, []]));
  let level = 0;

  /** Calls of up to 4 events, each recipient in turn, other event names mixed in (not listened to). */
  async function sendRound(calls: number, extra: { id: string; recipientId: string }[] = []): Promise<void> {
    for (let c = 0; c < calls; c++) {
      const events = recipients.flatMap((r) => [{ id: `lv-${++level}`, name: 'level_reached', recipientId: r, properties: { level } }]);
      events.push({ id: `pv-${level}`, name: 'page_viewed', recipientId: 'r1', properties: { level } });
      events.push(...extra.splice(0).map((e) => ({ ...e, name: 'level_reached', properties: { level: ++level } })));
      for (const e of events) if (e.name === 'level_reached') sent.get(e.recipientId)?.push(e.id);
      const res = await call('POST', '/v1/events', { events });
      expect(res.status).toBe(202);
    }
  }

  async function waitForAll(): Promise<{ event_id: string; recipient_id: string; worker: string }[]> {
    const expected = [...sent.values()].reduce((n, ids) => n + ids.length, 0);
    const until = Date.now() + 30_000;
    for (;;) {
      const { rows } = await db.query<{ event_id: string; recipient_id: string; worker: string }>('SELECT event_id, recipient_id, worker FROM test_received ORDER BY n');
      if (rows.length >= expected || Date.now() > until) return rows;
      await sleep(50);
    }
  }

  function expectExactlyOnceInOrder(rows: { event_id: string; recipient_id: string }[]): void {
    const ids = rows.map((r) => r.event_id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const [recipient, expected] of sent) {
      expect(rows.filter((r) => r.recipient_id === recipient).map((r) => r.event_id)).toEqual(expected);
    }
  }

  test('each event reaches the listener once, in order per recipient, across two workers, a lost connection and a restart', async () => {
    // Both workers poll; one batch loses its connection mid-way.
    await sendRound(10, [{ id: 'crash-me', recipientId: 'r2' }]);
    let rows = await waitForAll();
    expectExactlyOnceInOrder(rows);
    expect(crashDone).toBe(true);
    expect(handled.filter((h) => h.id === 'crash-me')).toHaveLength(2);

    // Worker A stops: B alone handles what comes.
    await first.stop();
    const before = rows.length;
    await sendRound(5);
    rows = await waitForAll();
    expectExactlyOnceInOrder(rows);
    expect(new Set(rows.slice(before).map((r) => r.worker))).toEqual(new Set(['B']));

    // B's listening connection is cut: it listens again, and what was stored meanwhile still comes.
    const { rows: cutOff } = await db.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query = 'LISTEN hookflow_events'");
    expect(cutOff.length).toBeGreaterThanOrEqual(1);
    const cut = rows.length;
    await sendRound(5);
    rows = await waitForAll();
    expectExactlyOnceInOrder(rows);
    expect(rows.length - cut).toBe(15);

    // A starts again (a new process, same database) and B stops: A's cursor is where B left it.
    third = await startTestStack(settings, { alongside: second, eventListeners: [listener('A2')] });
    await second.stop();
    const middle = rows.length;
    await sendRound(5);
    rows = await waitForAll();
    expectExactlyOnceInOrder(rows);
    expect(new Set(rows.slice(middle).map((r) => r.worker))).toEqual(new Set(['A2']));
    expect(rows).toHaveLength(3 * 25 + 1);
    // Nothing but the names listened to.
    expect(rows.some((r) => r.event_id.startsWith('pv-'))).toBe(false);
  });
});
