/**
 * What Temporal itself stores about a webhook: its history (encrypted payloads only), its search
 * attributes (what operators query in the Web UI) and how many events a delivery costs.
 */
import pg from 'pg';
import { temporal } from '@temporalio/proto';
import { Client, Connection } from '@temporalio/client';
import type { Payload } from '@temporalio/common';
import { AesGcmCodec, parseEncryptionKey } from '../../src/temporal/codec';
import { SEARCH_ATTRIBUTES, webhookWorkflowId } from '../../src/delivery/definitions';
import { allBytes } from '../helpers/bytes';
import { receiverPool } from '../helpers/receiver';
import { startTestStack, type TestStack } from '../helpers/stack';
import { until } from '../helpers/wait';

let stack: TestStack;
let rawClient: Client;
const pool = receiverPool();
const receiver = pool.start;

beforeAll(async () => {
  stack = await startTestStack();
  // A client without Hookflow's codec sees what the server stores, as an operator with database access would.
  rawClient = new Client({ connection: await Connection.connect({ address: stack.config.temporalAddress! }) });
});
afterAll(async () => {
  await pool.closeAll();
  await rawClient.connection.close();
  await stack.stop();
});


test('the signing secret, the body and header values are not in the raw history in plain text', async () => {
  const r = await receiver((x) => (x.n === 1 ? { status: 500, body: 'receiver-secret-reply' } : { status: 200 }));
  const secret = `whsec_${Buffer.from('a-very-secret-signing-key-of-32b').toString('base64')}`;
  const { id } = await stack.hookflow.send({
    url: `${r.url}/hook`,
    body: { email: 'ada@example.com', card: 'tok_4242-plaintext-marker' },
    headers: { Authorization: 'Bearer header-token-marker' },
    signingSecret: secret,
    retry: { initialIntervalMs: 100, maxIntervalMs: 100 },
  });
  expect((await stack.hookflow.result(id)).status).toBe('delivered');

  const history = await rawClient.workflow.getHandle(webhookWorkflowId(id)).fetchHistory();
  const stored = allBytes(history);
  for (const needle of ['ada@example.com', 'tok_4242-plaintext-marker', 'header-token-marker', secret, 'receiver-secret-reply']) {
    expect(stored).not.toContain(needle);
  }
  expect(stored).toContain('binary/encrypted');
  // The check can see plain text: the same input payload, decrypted with the key, holds the body.
  const input = history.events![0].workflowExecutionStartedEventAttributes!.input!.payloads!;
  const decrypted = await new AesGcmCodec(parseEncryptionKey(stack.encryptionKey)).decode(input as Payload[]);
  expect(allBytes(decrypted)).toContain('tok_4242-plaintext-marker');
});

test('search attributes let operators find webhooks by status, host, attempts and status code', async () => {
  const r = await receiver(() => ({ status: 410 }));
  const { id } = await stack.hookflow.send({ url: r.url });
  expect((await stack.hookflow.result(id)).status).toBe('failed');

  const query = `WebhookStatus = 'failed' AND WebhookHost = '${r.authority}' AND WebhookStatusCode = 410`;
  // Visibility is eventually consistent, and lags by seconds on a busy machine: poll until it shows.
  const found = await until('visibility to list the webhook', async () => {
    const ids: string[] = [];
    for await (const w of stack.hookflow.client.workflow.list({ query })) ids.push(w.workflowId);
    return ids.length > 0 ? ids : undefined;
  });
  expect(found).toEqual([webhookWorkflowId(id)]);
  const described = await stack.hookflow.client.workflow.getHandle(webhookWorkflowId(id)).describe();
  expect(described.typedSearchAttributes.get(SEARCH_ATTRIBUTES.attempts)).toBe(1);
  expect(described.typedSearchAttributes.get(SEARCH_ATTRIBUTES.host)).toBe(r.authority);
  // The readable summary the Web UI shows: method, origin and path, never the query string.
  expect(await described.staticSummary()).toBe(`POST ${r.url}/`);
});

test('a webhook delivered on its first try costs 7 history events, and the ledger holds its outcome once it completes', async () => {
  const r = await receiver();
  const { id } = await stack.hookflow.send({ url: r.url, body: { n: 1 } });
  await stack.hookflow.result(id);
  // The send activity stored the final row before it answered (src/ledger/settle.ts): no wait here.
  const db = new pg.Client({ connectionString: stack.databaseUrl });
  await db.connect();
  try {
    const { rows } = await db.query('SELECT status, attempt_count, last_status_code, completed_at FROM webhooks WHERE id = $1', [id]);
    expect(rows).toEqual([{ status: 'delivered', attempt_count: 1, last_status_code: 200, completed_at: expect.any(Date) }]);
  } finally {
    await db.end();
  }
  const history = await rawClient.workflow.getHandle(webhookWorkflowId(id)).fetchHistory();
  const types = history.events?.map((e) => temporal.api.enums.v1.EventType[e.eventType!].replace('EVENT_TYPE_', '')) ?? [];
  expect(types).toEqual([
    'WORKFLOW_EXECUTION_STARTED',
    'WORKFLOW_TASK_SCHEDULED',
    'WORKFLOW_TASK_STARTED',
    'WORKFLOW_TASK_COMPLETED',
    // No `ledger` patch marker nor TemporalChangeVersion: the input says ledger: true (workflows/ledger-feed.ts).
    // The attempt (whose worker also stored the final ledger row), then the webhook's search attributes.
    'MARKER_RECORDED',
    'UPSERT_WORKFLOW_SEARCH_ATTRIBUTES',
    'WORKFLOW_EXECUTION_COMPLETED',
  ]);
});
