/**
 * The ledger in PostgreSQL: one row per webhook and per attempt, written by the worker, read by the
 * SDK's list and attempts, and standing in for Temporal once it has forgotten a webhook.
 */
import pg from 'pg';
import { InvalidRequestError } from '../../src/errors';
import { webhookWorkflowId } from '../../src/delivery/definitions';
import { startReceiver, type Arrival, type Receiver, type Reply } from '../helpers/receiver';
import { startTestStack, type TestStack } from '../helpers/stack';
import { until } from '../helpers/wait';

let stack: TestStack;
let db: pg.Pool;
const receivers: Receiver[] = [];
const fast = { initialIntervalMs: 100, maxIntervalMs: 200, maxAttempts: 3 };

async function receiver(script?: (a: Arrival) => Reply): Promise<Receiver> {
  const r = await startReceiver(script);
  receivers.push(r);
  return r;
}

/** The ledger row of a webhook, once its final write is in (the workflow completes after it). */
async function row(id: string): Promise<Record<string, unknown>> {
  const { rows } = await db.query('SELECT * FROM webhooks WHERE id = $1', [id]);
  return rows[0];
}

beforeAll(async () => {
  stack = await startTestStack();
  db = new pg.Pool({ connectionString: stack.databaseUrl, max: 2 });
});
afterAll(async () => {
  await Promise.all(receivers.map((r) => r.close()));
  await db.end();
  await stack.stop();
});

describe('every webhook and attempt lands in the ledger', () => {
  test('a first-try delivery: one delivered row, one attempt, the request stored encrypted', async () => {
    const r = await receiver();
    const secret = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
    const { id } = await stack.hookflow.send({
      url: `${r.url}/in?token=abc123`,
      body: { email: 'ada@example.com' },
      headers: { Authorization: 'Bearer crm-token-xyz' },
      signingSecret: secret,
      tags: { campaign: 'spring' },
    });
    await stack.hookflow.result(id);

    const w = await row(id);
    expect(w).toMatchObject({ status: 'delivered', method: 'POST', origin: r.url, authority: r.authority, attempt_count: 1, last_status_code: 200 });
    expect(w.tags).toEqual({ campaign: 'spring' });
    expect(w.completed_at).toBeInstanceOf(Date);
    const stored = (w.request as Buffer).toString('latin1');
    for (const plain of ['ada@example.com', 'crm-token-xyz', 'abc123', secret.slice(6, 30)]) expect(stored).not.toContain(plain);

    expect(await stack.hookflow.attempts(id)).toEqual([
      { number: 1, trigger: 'scheduled', startedAt: expect.any(String), durationMs: expect.any(Number), statusCode: 200 },
    ]);
  });

  test('retried attempts each get a row with their status or error code', async () => {
    const replies: Reply[] = [{ status: 503 }, { reset: true }, { status: 200 }];
    const r = await receiver((a) => replies[a.n - 1] ?? { status: 200 });
    const { id } = await stack.hookflow.send({ url: r.url, retry: fast });
    await stack.hookflow.result(id);

    const attempts = await stack.hookflow.attempts(id);
    expect(attempts.map((a) => [a.number, a.statusCode, a.errorCode])).toEqual([
      [1, 503, undefined],
      [2, undefined, 'network'],
      [3, 200, undefined],
    ]);
    expect(await row(id)).toMatchObject({ status: 'delivered', attempt_count: 3, last_status_code: 200 });
  });

  test('a webhook waiting for its next attempt is listed as retrying, with its next attempt time', async () => {
    const r = await receiver(() => ({ status: 500 }));
    const { id } = await stack.hookflow.send({ url: r.url, retry: { initialIntervalMs: 60_000, maxIntervalMs: 60_000, maxAttempts: 3 } });
    await r.waitFor(1);
    // The worker writes the ledger in batches, later on a loaded machine: poll until the row shows it.
    const w = await until('the ledger row to say retrying', async () => {
      const found = await row(id);
      return found?.status === 'retrying' ? found : undefined;
    });
    expect(w).toMatchObject({ status: 'retrying', attempt_count: 1, last_status_code: 500 });
    expect((w.next_attempt_at as Date).getTime()).toBeGreaterThan(Date.now() + 30_000);

    await stack.hookflow.cancel(id);
    expect(await row(id)).toMatchObject({ status: 'cancelled', reason: 'cancelled on request' });
  });
});

describe('listing webhooks', () => {
  let host: Receiver;
  const ids: string[] = [];

  beforeAll(async () => {
    host = await receiver((a) => (a.path.startsWith('/bad') ? { status: 404 } : { status: 200 }));
    for (let i = 0; i < 7; i++) {
      const { id } = await stack.hookflow.send({ url: `${host.url}/${i % 3 === 0 ? 'bad' : 'ok'}/${i}`, tags: { batch: 'list-test', parity: i % 2 ? 'odd' : 'even' } });
      ids.push(id);
      await stack.hookflow.result(id);
    }
  });

  test('newest first, page by page, every webhook exactly once and no cursor on the last page', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await stack.hookflow.list({ tags: { batch: 'list-test' }, limit: 3, cursor });
      seen.push(...page.data.map((w) => w.id));
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor && pages < 10);
    expect(pages).toBe(3);
    expect(seen).toEqual([...ids].reverse());
  });

  test('status, host and tag filters combine', async () => {
    const failed = await stack.hookflow.list({ host: host.authority, status: 'failed' });
    expect(failed.data.map((w) => w.id).sort()).toEqual([ids[0], ids[3], ids[6]].sort());
    expect(failed.data[0]).toEqual({
      id: expect.any(String),
      status: 'failed',
      method: 'POST',
      origin: host.url,
      tags: expect.objectContaining({ batch: 'list-test' }),
      attemptCount: 1,
      lastStatusCode: 404,
      createdAt: expect.any(String),
      completedAt: expect.any(String),
    });
    const oddDelivered = await stack.hookflow.list({ status: 'delivered', tags: { batch: 'list-test', parity: 'odd' } });
    expect(oddDelivered.data.map((w) => w.id).sort()).toEqual([ids[1], ids[5]].sort());
    expect(oddDelivered.nextCursor).toBeUndefined();
  });

  test('since is inclusive and until exclusive', async () => {
    const all = (await stack.hookflow.list({ tags: { batch: 'list-test' } })).data;
    const middle = all[3];
    const since = await stack.hookflow.list({ tags: { batch: 'list-test' }, since: middle.createdAt });
    const until = await stack.hookflow.list({ tags: { batch: 'list-test' }, until: middle.createdAt });
    expect(since.data.map((w) => w.id)).toContain(middle.id);
    expect(until.data.map((w) => w.id)).not.toContain(middle.id);
    expect(since.data.length + until.data.length).toBe(7);
  });

  test('bad filters are refused, each naming its field', async () => {
    const err = await stack.hookflow.listWhere({ status: 'lost', limit: '501', since: 'yesterday', cursor: 'nope', colour: 'red' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidRequestError);
    expect((err as InvalidRequestError).issues.map((i) => i.field).sort()).toEqual(['colour', 'cursor', 'limit', 'since', 'status']);
  });
});

describe('after Temporal forgets a webhook', () => {
  test('status reads the ledger, and retry sends it again as the same message from the stored request', async () => {
    const r = await receiver((a) => (a.n === 1 ? { status: 400 } : { status: 200 }));
    const { id } = await stack.hookflow.send({ url: `${r.url}/x`, body: { n: 1 }, headers: { 'X-Key': 'k1' } });
    const before = await stack.hookflow.result(id);
    expect(before.status).toBe('failed');
    // What the namespace's retention does, at once.
    await stack.hookflow.client.workflowService.deleteWorkflowExecution({
      namespace: stack.config.temporalNamespace,
      workflowExecution: { workflowId: webhookWorkflowId(id) },
    });
    for (let i = 0; i < 50 && (await stack.hookflow.client.workflow.getHandle(webhookWorkflowId(id)).describe().then(() => true, () => false)); i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const kept = await stack.hookflow.status(id);
    expect(kept).toMatchObject({ id, status: 'failed', request: before.request, tags: {}, createdAt: before.createdAt });
    expect(kept.attempts.map((a) => a.statusCode)).toEqual([400]);

    await stack.hookflow.retry(id);
    const after = await stack.hookflow.result(id);
    expect(after.status).toBe('delivered');
    expect(after.attempts.map((a) => [a.number, a.statusCode, a.trigger])).toEqual([
      [1, 400, 'scheduled'],
      [2, 200, 'manual'],
    ]);
    expect(r.arrivals[1].headers['webhook-id']).toBe(id);
    expect(r.arrivals[1].headers['x-key']).toBe('k1');
    expect(r.arrivals[1].body.toString()).toBe('{"n":1}');
  });
});
