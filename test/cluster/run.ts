/**
 * `npm run test:cluster`: Hookflow on the production topology, on this machine. One PostgreSQL
 * (Temporal's persistence and visibility databases, Hookflow's own), the real Temporal server
 * v1.32.2 as a frontend process and a history + matching + worker process, two `npm run worker`
 * and two `npm run api` processes (built dist). Then, in turn, each printing its figures and PASS
 * or FAIL with reasons:
 *
 *   1. deliveries posted through both APIs, delivered by both workers;
 *   2. the search attributes (visibility on PostgreSQL) and the payload codec;
 *   3. an operator's pause, then an open breaker, honoured by both workers;
 *   4. a worker and an API SIGKILLed mid-run: nothing lost;
 *   5. PostgreSQL restarted under load: Temporal and Hookflow reconnect, nothing lost;
 *   6. the Temporal frontend restarted under load: nothing lost;
 *   7. a worker started with the wrong encryption key refuses to start, saying why;
 *   8. what an operator watches: the shard count, schedule-to-start (matching's histograms).
 *
 * Clients post as a careful client would: its own idempotency key per webhook, and a post that
 * gets no answer or a 503 goes again (to the other API). A 500 during a fault fails the phase:
 * an outage must be told apart from a bug. "Nothing lost" means every webhook delivered, exactly
 * the ids sent arrived, duplicates only from attempts in flight at the fault (each under its
 * webhook-id), and Hookflow's ledger equal to Temporal.
 *
 * The last line is `N passed, N failed`; the exit code is non-zero when anything failed.
 * CLUSTER_KEEP=1 keeps the temp dir (process logs, PostgreSQL data); a failed run always keeps it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { temporal } from '@temporalio/proto';
import { Agent, request } from 'undici';
import type { Hookflow } from '../../src/client/hookflow';
import { webhookWorkflowId } from '../../src/delivery/definitions';
import { freePort } from '../../src/dev/free-port';
import { generateEncryptionKey } from '../../src/temporal/codec';
import { startReceiver, type Arrival, type Receiver } from '../helpers/receiver';
import { Checks, header, killAndWait, ledgerMismatches, mapLimit, sleep, tally, waitForFinalStates, waitUntil, withTimeout, type Child, type ScenarioResult } from '../faults/lib';
import { ClusterStack } from './stack';
import { API_ENV, BREAKER_COOLDOWN_MS, CLUSTER_ENV, DEPLOYMENT_ENV, HISTORY_SHARDS, MAX_CONCURRENT_SENDS, REPORT_INTERVAL_MS, TEMPORAL_SERVER_VERSION, TEST_ONLY_ENV } from './topology';

const RETRY = { initialIntervalMs: 1_000, maxIntervalMs: 2_000, maxAttempts: 40 };

const out = (line = ''): void => void process.stdout.write(`${line}\n`);
const log = (m: string): void => out(`    · ${m}`);

interface Cluster {
  stack: ClusterStack;
  hookflow: Hookflow;
  workers: Child[];
  apis: { child: Child; port: number }[];
}

// ---------------------------------------------------------------------------------------------
// Posting through the APIs as a client would: each webhook under its own idempotency key, sent
// to the next API in turn; a post with no answer (API killed, Temporal away) goes to the other.

const http = new Agent({ connections: 32, keepAliveTimeout: 5_000 });

async function postOnce(c: Cluster, port: number, body: unknown): Promise<{ status: number; id?: string } | { error: string }> {
  try {
    const res = await request(`http://127.0.0.1:${port}/v1/webhooks`, {
      method: 'POST',
      dispatcher: http,
      headers: { authorization: `Bearer ${c.stack.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
      headersTimeout: 10_000,
      bodyTimeout: 10_000,
    });
    const text = await res.body.text();
    return { status: res.statusCode, id: text ? (JSON.parse(text) as { id?: string }).id : undefined };
  } catch (err) {
    return { error: (err as { code?: string }).code ?? (err as Error).message };
  }
}

interface Posted {
  ids: string[];
  /** Posts answered by each API (index as in `c.apis`). */
  perApi: number[];
  /** Posts that got no answer or a 5xx and were posted again. */
  reposted: number;
  /** How the posts that were posted again were answered: HTTP status or the connection error. */
  failedAnswers: string[];
}

async function postWebhooks(c: Cluster, n: number, url: string, tag: string, lanes = 16, progress?: { answered: number }): Promise<Posted> {
  const perApi = c.apis.map(() => 0);
  let reposted = 0;
  const failedAnswers: string[] = [];
  const ids = await mapLimit(Array.from({ length: n }, (_, i) => i), lanes, async (seq) => {
    const key = `${tag}-${seq}`;
    const deadline = Date.now() + 90_000;
    for (let turn = seq; ; turn++) {
      const i = turn % c.apis.length;
      const answer = await postOnce(c, c.apis[i].port, { url, body: { tag, seq }, idempotencyKey: key, retry: RETRY, timeoutMs: 5_000 });
      if ('status' in answer && (answer.status === 202 || answer.status === 200) && answer.id) {
        perApi[i]++;
        if (progress) progress.answered++;
        return answer.id;
      }
      if ('status' in answer && answer.status < 500) throw new Error(`${key}: API answered ${answer.status}`);
      reposted++;
      failedAnswers.push('error' in answer ? answer.error : `HTTP ${answer.status}`);
      if (Date.now() > deadline) throw new Error(`${key}: no API answered for 90 s (${'error' in answer ? answer.error : answer.status})`);
      await sleep(100);
    }
  });
  return { ids, perApi, reposted, failedAnswers };
}

/** An outage is a 503 (or no answer), which a client retries; a 500 says Hookflow has a bug. */
function noBugAnswers(checks: Checks, posted: Posted): void {
  const bugs = posted.failedAnswers.filter((a) => a === 'HTTP 500').length;
  checks.expect(bugs === 0, `${bugs} posts were answered 500 (a bug) instead of 503 (an outage) during the fault`);
}

/** Distinct webhook-ids among a receiver's arrivals, and arrivals per id. */
function arrivalsById(arrivals: readonly Arrival[]): Map<string, Arrival[]> {
  const byId = new Map<string, Arrival[]>();
  for (const a of arrivals) {
    const id = header(a, 'webhook-id');
    byId.set(id, [...(byId.get(id) ?? []), a]);
  }
  return byId;
}

/**
 * The checks every "nothing lost" phase shares: every webhook delivered, exactly the ids sent
 * arrived, duplicates only from attempts in flight at the fault, and the ledger agrees with Temporal.
 */
async function nothingLost(checks: Checks, c: Cluster, ids: string[], receiver: Receiver, duplicateBound: number): Promise<void> {
  const states = await waitForFinalStates(c.hookflow, ids, 240_000);
  await sleep(1_000);
  const byId = arrivalsById(receiver.arrivals);
  const sent = new Set(ids);
  const duplicates = receiver.arrivals.length - byId.size;
  checks.count('final statuses', tally([...states.values()].map((s) => s.status)));
  checks.count('arrivals / distinct webhook-ids', `${receiver.arrivals.length} / ${byId.size}`);
  checks.count('duplicates (bound)', `${duplicates} (${duplicateBound})`);
  const notDelivered = ids.filter((id) => states.get(id)?.status !== 'delivered');
  checks.expect(notDelivered.length === 0, `${notDelivered.length} webhooks not delivered: ${notDelivered.slice(0, 3).map((id) => `${id}=${states.get(id)?.status}`).join(', ')}`);
  checks.expect(byId.size === ids.length, `${byId.size} distinct webhook-ids arrived, expected ${ids.length}`);
  checks.expect([...byId.keys()].every((id) => sent.has(id)), 'an arrival carries a webhook-id that was never sent');
  checks.expect(duplicates <= duplicateBound, `${duplicates} duplicate arrivals, more than the ${duplicateBound} attempts that could have been in flight`);
  const t0 = Date.now();
  const off = await ledgerMismatches(c.stack, states, 30_000);
  checks.count('ledger matches Temporal after (ms)', off.length ? `not within 30 s (${off.length} differ)` : Date.now() - t0);
  checks.expect(off.length === 0, `the ledger differs from Temporal for ${off.length} webhooks: ${off.slice(0, 3).join('; ')}`);
}

async function api(c: Cluster, i: number, method: 'GET' | 'POST', p: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await request(`http://127.0.0.1:${c.apis[i].port}${p}`, { method, dispatcher: http, headers: { authorization: `Bearer ${c.stack.apiKey}` } });
  return { status: res.statusCode, body: (await res.body.json()) as Record<string, unknown> };
}

/** Which worker process completed each workflow task of these webhooks (from the identity in their histories). */
async function tasksPerWorker(c: Cluster, ids: string[]): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  const names = new Map(c.workers.map((w) => [`${w.pid}@`, w.name]));
  await mapLimit(ids, 8, async (id) => {
    const history = await c.hookflow.client.workflow.getHandle(webhookWorkflowId(id)).fetchHistory();
    for (const e of history.events ?? []) {
      const identity = e.workflowTaskCompletedEventAttributes?.identity;
      if (!identity) continue;
      const name = [...names].find(([prefix]) => identity.startsWith(prefix))?.[1] ?? 'another process';
      counts.set(name, (counts.get(name) ?? 0) + 1);
    }
  });
  return counts;
}

// ---------------------------------------------------------------------------------------------
// Phases

async function deliveries(c: Cluster, checks: Checks): Promise<void> {
  const receiver = await startReceiver(() => ({ status: 200 }));
  try {
    const N = 400;
    const before = await matchStats(c);
    const t0 = Date.now();
    const posted = await postWebhooks(c, N, `${receiver.url}/deliveries`, 'deliveries');
    const postMs = Date.now() - t0;
    await nothingLost(checks, c, posted.ids, receiver, 0);
    const totalMs = Date.now() - t0;
    const after = await matchStats(c);
    for (const kind of ['syncmatch', 'asyncmatch'] as const) {
      const count = after[kind].count - before[kind].count;
      const seconds = after[kind].seconds - before[kind].seconds;
      checks.count(`tasks matched by ${kind}, mean schedule-to-start (ms)`, `${count}, ${count ? ((seconds / count) * 1000).toFixed(1) : '-'}`);
    }
    const byWorker = await tasksPerWorker(c, posted.ids);
    checks.count('webhooks posted (api-1 / api-2)', `${N} (${posted.perApi.join(' / ')})`);
    checks.count('posting rate through both APIs (/s)', ((N / postMs) * 1000).toFixed(1));
    checks.count('posted → all delivered, ledger included (s)', (totalMs / 1000).toFixed(1));
    checks.count('deliveries per second, end to end', ((N / totalMs) * 1000).toFixed(1));
    checks.count('workflow tasks completed per worker', [...byWorker].map(([k, v]) => `${k}=${v}`).join(' '));
    checks.expect(posted.perApi.every((n) => n > 0), `an API answered no post: ${posted.perApi.join(' / ')}`);
    for (const w of c.workers) checks.expect((byWorker.get(w.name) ?? 0) > 0, `${w.name} completed no workflow task of these webhooks`);
  } finally {
    await receiver.close();
  }
}

async function searchAndCodec(c: Cluster, checks: Checks): Promise<void> {
  const receiver = await startReceiver(() => ({ status: 200 }));
  try {
    const secret = `cluster-secret-${generateEncryptionKey()}`;
    const posted = await postWebhooks(c, 20, `${receiver.url}/codec`, 'codec');
    await waitForFinalStates(c.hookflow, posted.ids, 60_000);
    // Visibility on PostgreSQL: Hookflow's search attributes, as the API's list and the Web UI use them.
    const query = `WebhookHost = "${receiver.authority}" AND WebhookStatus = "delivered"`;
    const counted = await waitUntil('visibility to count the delivered webhooks', 30_000, async () => {
      const { count } = await c.hookflow.client.workflow.count(query);
      return count === 20 ? count : undefined;
    }).catch(() => 0);
    checks.count(`count(${query})`, counted);
    checks.expect(counted === 20, `visibility counted ${counted} delivered webhooks to ${receiver.authority}, expected 20`);
    // The API's list reads Hookflow's ledger, written in batches: it may lag by a flush.
    let listed = { status: 0, body: {} as Record<string, unknown> };
    const listedIds = (): string[] => ((listed.body.data as { id: string }[] | undefined) ?? []).map((w) => w.id);
    await waitUntil('the API to list the 20 delivered webhooks', 20_000, async () => {
      listed = await api(c, 1, 'GET', `/v1/webhooks?host=${encodeURIComponent(receiver.authority)}&status=delivered&limit=50`);
      return listedIds().length === 20;
    }).catch(() => undefined);
    checks.count('GET /v1/webhooks?host=…&status=delivered (api-2)', `${listed.status}, ${listedIds().length} webhooks`);
    checks.expect(listed.status === 200 && listedIds().length === 20, `the API listed ${listedIds().length} webhooks (HTTP ${listed.status}), expected 20`);

    // The codec: a webhook with a secret header, read raw from the server (no codec) and through the SDK.
    const sent = await postOnce(c, c.apis[0].port, { url: `${receiver.url}/codec`, body: { secret }, headers: { 'x-secret': secret }, retry: RETRY });
    const id = 'id' in sent ? sent.id! : '';
    await waitForFinalStates(c.hookflow, [id], 60_000);
    // The gRPC service itself: what the server stores, no codec in between.
    const { history } = await c.hookflow.client.workflowService.getWorkflowExecutionHistory({ namespace: c.stack.namespace, execution: { workflowId: webhookWorkflowId(id) } });
    const raw = history ?? {};
    const rawText = Buffer.from(temporal.api.history.v1.History.encode(raw).finish()).toString('latin1');
    const input = raw.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
    const encoding = Buffer.from(input?.metadata?.encoding ?? new Uint8Array()).toString();
    checks.count('first payload encoding in the server', encoding);
    checks.count('secret found in the raw history', rawText.includes(secret) ? 'yes' : 'no');
    checks.expect(encoding === 'binary/encrypted', `the workflow input is stored as ${encoding || 'nothing'}, not binary/encrypted`);
    checks.expect(!rawText.includes(secret), 'the secret is in plain text in the history stored by the server');
    const arrived = receiver.arrivals.find((a) => header(a, 'webhook-id') === id);
    checks.expect(header(arrived ?? { headers: {} }, 'x-secret') === secret, 'the receiver did not get the secret header (the worker could not decrypt?)');
    const status = await c.hookflow.status(id);
    checks.expect(status.status === 'delivered', `the codec webhook is ${status.status}`);
  } finally {
    await receiver.close();
  }
}

async function pauseAndBreaker(c: Cluster, checks: Checks): Promise<void> {
  let healthy = true;
  const receiver = await startReceiver(() => ({ status: healthy ? 200 : 503 }));
  try {
    // Both workers send to the host first, so each holds a lease on it.
    const warm = await postWebhooks(c, 20, `${receiver.url}/warm`, 'warm');
    await waitForFinalStates(c.hookflow, warm.ids, 60_000);

    const askedAt = Date.now();
    const paused = await api(c, 0, 'POST', `/v1/hosts/${receiver.authority}/pause`);
    const answeredAt = Date.now();
    checks.count('pause answered in (ms)', answeredAt - askedAt);
    checks.expect(paused.status === 200 && paused.body.state === 'paused', `pause answered ${paused.status} ${JSON.stringify(paused.body)}`);
    const held = await postWebhooks(c, 40, `${receiver.url}/held`, 'held');
    await waitUntil('40 webhooks to wait for the paused host', 60_000, async () => (await api(c, 1, 'GET', `/v1/hosts/${receiver.authority}`)).body.pausedWebhooks === 40);
    await sleep(2_000);
    const leaked = receiver.arrivals.filter((a) => a.at >= answeredAt).length;
    checks.count('requests reaching the host while paused', leaked);
    checks.expect(leaked === 0, `${leaked} requests reached the paused host`);
    await api(c, 1, 'POST', `/v1/hosts/${receiver.authority}/resume`);
    const heldStates = await waitForFinalStates(c.hookflow, held.ids, 120_000);
    checks.count('held webhooks after the resume', tally([...heldStates.values()].map((s) => s.status)));
    checks.expect([...heldStates.values()].every((s) => s.status === 'delivered'), 'a held webhook was not delivered after the resume');

    // The breaker: the host fails every request; once open, no worker sends until the probe.
    healthy = false;
    const failing = await postWebhooks(c, 40, `${receiver.url}/breaker`, 'breaker');
    const opened = await waitUntil('the breaker to open', 60_000, async () => ((await api(c, 0, 'GET', `/v1/hosts/${receiver.authority}`)).body.state === 'open' ? Date.now() : 0));
    const quietFrom = opened + 2 * REPORT_INTERVAL_MS;
    const quietTo = opened + BREAKER_COOLDOWN_MS - 1_000;
    await sleep(quietTo - Date.now());
    const during = receiver.arrivals.filter((a) => a.at >= quietFrom && a.at < quietTo).length;
    const view = await api(c, 1, 'GET', `/v1/hosts/${receiver.authority}`);
    checks.count('breaker open; webhooks waiting (api-2 view)', `${view.body.state}, ${view.body.pausedWebhooks}`);
    checks.count(`requests while open (+${2 * REPORT_INTERVAL_MS} ms to +${BREAKER_COOLDOWN_MS - 1_000} ms)`, during);
    checks.expect(during === 0, `${during} requests reached the host while its breaker was open`);
    checks.expect(c.workers.every((w) => w.alive()), 'a worker died');
    healthy = true;
    const t0 = Date.now();
    const states = await waitForFinalStates(c.hookflow, failing.ids, 180_000);
    checks.count('host healthy again → all delivered (s)', ((Date.now() - t0) / 1000).toFixed(1));
    checks.count('failing-host webhooks', tally([...states.values()].map((s) => s.status)));
    checks.expect([...states.values()].every((s) => s.status === 'delivered'), 'a webhook to the recovered host was not delivered');
  } finally {
    await receiver.close();
  }
}

async function killWorkerAndApi(c: Cluster, checks: Checks): Promise<void> {
  const receiver = await startReceiver(() => ({ hangMs: Math.floor(Math.random() * 51) }));
  try {
    const N = 600;
    const progress = { answered: 0 };
    const posting = postWebhooks(c, N, `${receiver.url}/kill`, 'kill', 6, progress);
    // Mid-run for both: a third posted (the API is busy answering), deliveries under way.
    await waitUntil('a third of the webhooks to be posted', 180_000, () => progress.answered >= N / 3, { intervalMs: 5 });
    checks.count('posted at the kill', progress.answered);
    const [worker] = c.workers;
    const [{ child: apiChild }] = c.apis;
    worker.kill('SIGKILL');
    apiChild.kill('SIGKILL');
    const killedAt = Date.now();
    checks.count('arrived at the kill', arrivalsById(receiver.arrivals).size);
    await killAndWait(worker, 'SIGKILL');
    await killAndWait(apiChild, 'SIGKILL');
    // Posts to the killed API go to the other one; the other worker carries on alone for a while.
    await sleep(3_000);
    c.workers[0] = c.stack.startWorker();
    c.stack.apiPort = c.apis[0].port;
    c.apis[0].child = await c.stack.startApi();
    await c.stack.waitForPoller(c.hookflow, c.workers[0]);
    checks.count('kill → both back (ms)', Date.now() - killedAt);
    const posted = await posting;
    checks.count('posts answered by api-1 / api-2, posted again', `${posted.perApi.join(' / ')}, ${posted.reposted} (${tally(posted.failedAnswers) || '-'})`);
    noBugAnswers(checks, posted);
    await nothingLost(checks, c, posted.ids, receiver, MAX_CONCURRENT_SENDS);
  } finally {
    await receiver.close();
  }
}

async function restartPostgres(c: Cluster, checks: Checks): Promise<void> {
  const receiver = await startReceiver(() => ({ hangMs: Math.floor(Math.random() * 51) }));
  try {
    const N = 400;
    const progress = { answered: 0 };
    const posting = postWebhooks(c, N, `${receiver.url}/postgres`, 'postgres', 6, progress);
    // Mid-run for clients and workers alike: a third posted, deliveries under way.
    await waitUntil('a third of the webhooks to be posted', 180_000, () => progress.answered >= N / 3, { intervalMs: 5 });
    checks.count('posted at the stop', progress.answered);
    checks.count('arrived at the stop', arrivalsById(receiver.arrivals).size);
    const t0 = Date.now();
    await c.stack.postgres!.stop();
    const stoppedMs = Date.now() - t0;
    const atStop = receiver.arrivals.length;
    await sleep(3_000);
    const whileDown = receiver.arrivals.length - atStop;
    await c.stack.startPostgres();
    checks.count('PostgreSQL fast shutdown (ms), down for (s)', `${stoppedMs}, ${((Date.now() - t0) / 1000).toFixed(1)}`);
    checks.count('arrivals while PostgreSQL was down', whileDown);
    const posted = await posting;
    checks.count('posts posted again, and why', `${posted.reposted} (${tally(posted.failedAnswers) || '-'})`);
    noBugAnswers(checks, posted);
    const t1 = Date.now();
    await nothingLost(checks, c, posted.ids, receiver, MAX_CONCURRENT_SENDS);
    checks.count('PostgreSQL back → all delivered, ledger included (s)', ((Date.now() - t1) / 1000).toFixed(1));
    for (const p of [...c.workers, ...c.apis.map((a) => a.child), c.stack.temporal!, c.stack.backend!]) {
      checks.expect(p.alive(), `${p.name} died with PostgreSQL (${p.exitedWith})`);
    }
  } finally {
    await receiver.close();
  }
}

async function restartFrontend(c: Cluster, checks: Checks): Promise<void> {
  const receiver = await startReceiver(() => ({ hangMs: Math.floor(Math.random() * 51) }));
  try {
    const N = 400;
    const progress = { answered: 0 };
    const posting = postWebhooks(c, N, `${receiver.url}/frontend`, 'frontend', 6, progress);
    // Mid-run for clients and workers alike: a third posted, deliveries under way.
    await waitUntil('a third of the webhooks to be posted', 180_000, () => progress.answered >= N / 3, { intervalMs: 5 });
    checks.count('posted at the stop', progress.answered);
    checks.count('arrived at the stop', arrivalsById(receiver.arrivals).size);
    const t0 = Date.now();
    const how = await killAndWait(c.stack.temporal!, 'SIGTERM', 30_000);
    checks.count('frontend exit', `${how} after ${Date.now() - t0} ms`);
    await sleep(2_000);
    await c.stack.startTemporal();
    checks.count('frontend down for (s)', ((Date.now() - t0) / 1000).toFixed(1));
    for (const w of c.workers) await c.stack.waitForPoller(c.hookflow, w, 90_000);
    checks.count('frontend back → both workers polling (ms)', Date.now() - t0);
    const posted = await posting;
    checks.count('posts posted again, and why', `${posted.reposted} (${tally(posted.failedAnswers) || '-'})`);
    noBugAnswers(checks, posted);
    await nothingLost(checks, c, posted.ids, receiver, MAX_CONCURRENT_SENDS);
    for (const p of [...c.workers, ...c.apis.map((a) => a.child)]) checks.expect(p.alive(), `${p.name} died with the frontend (${p.exitedWith})`);
  } finally {
    await receiver.close();
  }
}

async function wrongKey(c: Cluster, checks: Checks): Promise<void> {
  const t0 = Date.now();
  const bad = c.stack.startWorker({ HOOKFLOW_ENCRYPTION_KEY: generateEncryptionKey() });
  const how = await withTimeout('the worker with the wrong key to exit', 60_000, bad.exited);
  const output = fs.readFileSync(bad.logFile!, 'utf8');
  const line = output.split('\n').find((l) => l.includes('HOOKFLOW_ENCRYPTION_KEY')) ?? output.slice(-300);
  checks.count('worker with the wrong key', `${how} after ${Date.now() - t0} ms`);
  checks.count('its error', line.length > 200 ? `${line.slice(0, 200)}…` : line);
  checks.expect(how !== 'code 0' && how.startsWith('code'), `the worker with the wrong key ended with ${how}`);
  checks.expect(/HOOKFLOW_ENCRYPTION_KEY: is not the key this Hookflow database was set up with/.test(output), 'the worker did not say its HOOKFLOW_ENCRYPTION_KEY is wrong');
}

async function watch(c: Cluster, checks: Checks): Promise<void> {
  const info = await c.hookflow.client.workflowService.getClusterInfo({});
  checks.count('server version, history shards', `${info.serverVersion}, ${info.historyShardCount}`);
  checks.expect(info.serverVersion === TEMPORAL_SERVER_VERSION && info.historyShardCount === HISTORY_SHARDS, `server ${info.serverVersion} with ${info.historyShardCount} shards`);
  // Over the whole run, faults included: tasks that waited in the backlog (async) while a worker
  // or the frontend was away weigh on the mean.
  const all = await matchStats(c);
  for (const kind of ['syncmatch', 'asyncmatch'] as const) {
    const { count, seconds } = all[kind];
    checks.count(`whole run: ${kind} tasks, mean schedule-to-start (ms)`, `${count}, ${count ? ((seconds / count) * 1000).toFixed(1) : '-'}`);
  }
}

/**
 * Matching's histograms of how long a task waited for a poller: a sync match hands it straight
 * to a waiting poll; an async match went through the backlog first (workers too few or away).
 */
async function matchStats(c: Cluster): Promise<Record<'syncmatch' | 'asyncmatch', { count: number; seconds: number }>> {
  const text = await c.stack.metrics('backend');
  const sum = (name: string): number =>
    text
      .split('\n')
      .filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
      .reduce((n, l) => n + Number(l.split(' ').at(-1)), 0);
  return {
    syncmatch: { count: sum('syncmatch_latency_count'), seconds: sum('syncmatch_latency_sum') },
    asyncmatch: { count: sum('asyncmatch_latency_count'), seconds: sum('asyncmatch_latency_sum') },
  };
}

// ---------------------------------------------------------------------------------------------

const PHASES: [string, (c: Cluster, checks: Checks) => Promise<void>][] = [
  ['1. deliveries through both APIs, by both workers', deliveries],
  ['2. search attributes on PostgreSQL visibility; the payload codec', searchAndCodec],
  ['3. an operator pause and an open breaker, honoured by both workers', pauseAndBreaker],
  ['4. SIGKILL a worker and an API mid-run: nothing lost', killWorkerAndApi],
  ['5. PostgreSQL restarted under load: nothing lost', restartPostgres],
  ['6. the Temporal frontend restarted under load: nothing lost', restartFrontend],
  ['7. a worker with the wrong encryption key refuses to start', wrongKey],
  ['8. what to watch: shards, task matching', watch],
];

function print(title: string, result: ScenarioResult, seconds: string): boolean {
  for (const [name, value] of Object.entries(result.counts)) out(`    ${name.padEnd(56)} ${value}`);
  out(`    ${'time (s)'.padEnd(56)} ${seconds}`);
  if (result.failures.length === 0) {
    out(`  PASS ${title}`);
    return true;
  }
  out(`  FAIL ${title}`);
  for (const f of result.failures) out(`    ✗ ${f}`);
  for (const n of result.notes) out(`    ${n.replace(/\n/g, '\n    ')}`);
  return false;
}

async function main(): Promise<number> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hookflow-cluster-'));
  // The embedded PostgreSQL runs as the `postgres` user when we are root: it must enter this dir.
  fs.chmodSync(dir, 0o755);
  const stack = new ClusterStack({ dir, env: CLUSTER_ENV, log });
  const started = Date.now();
  let passed = 0;
  let failed = 0;
  try {
    out(`\n▶ set-up — Temporal v${TEMPORAL_SERVER_VERSION} on PostgreSQL, two workers, two APIs (${dir})`);
    let t = Date.now();
    await stack.startTemporal();
    log(`PostgreSQL, Temporal databases and both server processes up in ${Date.now() - t} ms`);
    t = Date.now();
    for (const line of stack.setupTemporal().split('\n')) log(`setup-temporal: ${line.trim()}`);
    log(`setup-temporal took ${Date.now() - t} ms`);
    // What this test gives its processes is what docker-compose.yml gives them (compose.test.ts), less the test's own.
    const given = Object.keys(stack.env()).filter((k) => /^(HOOKFLOW_|TEMPORAL_|DATABASE_URL$)/.test(k));
    const unexplained = given.filter((k) => !(k in TEST_ONLY_ENV) && ![...DEPLOYMENT_ENV, ...API_ENV].includes(k as never));
    const missing = DEPLOYMENT_ENV.filter((k) => !given.includes(k));
    if (unexplained.length || missing.length) throw new Error(`test/cluster/topology.ts is out of date: set here but not listed ${unexplained.join(', ') || '-'}; listed but not set ${missing.join(', ') || '-'}`);
    const hookflow = await stack.connect();
    const workers = [stack.startWorker(), stack.startWorker()];
    for (const w of workers) await stack.waitForPoller(hookflow, w);
    const apis: Cluster['apis'] = [];
    for (let i = 0; i < 2; i++) {
      stack.apiPort = await freePort();
      apis.push({ child: await stack.startApi(), port: stack.apiPort });
    }
    log(`two workers polling and two APIs answering ${Date.now() - started} ms after the start`);
    const cluster: Cluster = { stack, hookflow, workers, apis };

    for (const [title, phase] of PHASES) {
      out(`\n▶ ${title}`);
      const checks = new Checks();
      const t0 = Date.now();
      try {
        await withTimeout(title, 8 * 60_000, phase(cluster, checks));
      } catch (err) {
        checks.failures.push(`error: ${(err as Error).message}`);
      }
      if (checks.failures.length) checks.note(stack.logs());
      if (print(title, checks.result(), ((Date.now() - t0) / 1000).toFixed(1))) passed++;
      else failed++;
    }
  } catch (err) {
    out(`set-up failed: ${(err as Error).stack ?? String(err)}`);
    out(stack.logs());
    failed++;
  } finally {
    await stack.stop();
    await http.close();
  }
  out(`\ntotal wall time ${((Date.now() - started) / 1000).toFixed(1)} s`);
  if (failed === 0 && !process.env.CLUSTER_KEEP) fs.rmSync(dir, { recursive: true, force: true });
  else out(`logs and data kept in ${dir}`);
  out(`${passed} passed, ${failed} failed`);
  return failed === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    out(`cluster test crashed: ${(err as Error).stack ?? String(err)}`);
    out('0 passed, 1 failed');
    process.exit(1);
  },
);
