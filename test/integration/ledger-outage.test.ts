/**
 * PostgreSQL goes down under a running Hookflow: webhooks are still delivered, and once it is back
 * the ledger catches up with everything Temporal holds. This file runs a PostgreSQL cluster of its
 * own, so stopping it touches no other test.
 */
import path from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres, type RunningPostgres } from '../../src/db/embedded-postgres';
import { migrate } from '../../src/db/migrate';
import { buildApi } from '../../src/api/server';
import { AesGcmCodec, parseEncryptionKey } from '../../src/temporal/codec';
import { freePort } from '../../src/dev/free-port';
import { startReceiver, type Receiver } from '../helpers/receiver';
import { startTestStack, type TestStack } from '../helpers/stack';

let postgres: RunningPostgres;
let stack: TestStack;
let receiver: Receiver;
let port: number;
const dir = path.join(process.env.HOOKFLOW_TEST_DIR ?? '/tmp', `outage-${process.pid}`);

const startPostgres = () => startEmbeddedPostgres({ dir, port, settings: { fsync: 'off' } });

beforeAll(async () => {
  port = await freePort();
  postgres = await startPostgres();
  await migrate(postgres.url);
  stack = await startTestStack({ databaseUrl: postgres.url });
  receiver = await startReceiver();
});
afterAll(async () => {
  await receiver.close();
  await stack.stop();
  await postgres.stop();
});

async function ledgerStatuses(ids: string[]): Promise<Map<string, string>> {
  const client = new pg.Client({ connectionString: postgres.url });
  await client.connect();
  try {
    const { rows } = await client.query<{ id: string; status: string }>('SELECT id, status FROM webhooks WHERE id = ANY($1)', [ids]);
    return new Map(rows.map((r) => [r.id, r.status]));
  } finally {
    await client.end();
  }
}

test('deliveries go on while PostgreSQL is down, and the ledger catches up when it returns', async () => {
  const api = buildApi({
    hookflow: stack.hookflow,
    apiKeys: ['k'],
    codec: new AesGcmCodec(parseEncryptionKey(stack.encryptionKey)),
    uiOrigins: [],
    maxBodyBytes: stack.config.maxBodyBytes,
    logLevel: 'silent',
  });
  const health = async () => (await api.inject({ method: 'GET', url: '/healthz' })).json() as { status: string; dependencies: Record<string, string> };
  expect(await health()).toEqual({ status: 'ok', dependencies: { temporal: 'ok', postgres: 'ok' } });
  await postgres.stop();
  expect(await health()).toEqual({ status: 'unavailable', dependencies: { temporal: 'ok', postgres: 'unreachable' } });
  const listed = await api.inject({ method: 'GET', url: '/v1/webhooks', headers: { authorization: 'Bearer k' } });
  expect([listed.statusCode, listed.json().dependency]).toEqual([503, 'postgres']);

  const ids: string[] = [];
  for (let i = 0; i < 10; i++) ids.push((await stack.hookflow.send({ url: receiver.url, body: { i } })).id);
  await receiver.waitFor(10, 20_000);
  for (const id of ids) expect((await stack.hookflow.status(id)).status).toBe('delivered');

  postgres = await startPostgres();
  let statuses = new Map<string, string>();
  for (let i = 0; i < 120 && [...statuses.values()].filter((s) => s === 'delivered').length < ids.length; i++) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    statuses = await ledgerStatuses(ids);
  }
  expect(ids.map((id) => statuses.get(id))).toEqual(ids.map(() => 'delivered'));
  // The workflows completed once their final rows were in.
  for (const id of ids) expect((await stack.hookflow.result(id)).attempts).toHaveLength(1);
  expect(receiver.arrivals).toHaveLength(10);
  expect((await health()).status).toBe('ok');
  await api.close();
}, 90_000);
