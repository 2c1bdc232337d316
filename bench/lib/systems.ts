/**
 * The systems compared, each able to start its workers, trigger one delivery, and say which
 * processes to charge CPU to.
 */
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { request, Agent } from 'undici';
import { WORKER_NODE_FLAGS } from '../../src/worker/node-flags';
import { Hookflow } from '../../src/client/hookflow';
import { loadConfig } from '../../src/config';
import { generateEncryptionKey } from '../../src/temporal/codec';
import { webhookWorkflowId } from '../../src/delivery/definitions';
import { startNode, type NodeChild } from './procs';
import { freePort } from '../../src/dev/free-port';
import { benchDatabase, postgresPids } from './postgres';
import type { BenchTemporal } from './temporal';

export interface System {
  name: string;
  /** Processes whose CPU counts, in groups reported apart: the worker(s), the Temporal server (with its database), then Hookflow's PostgreSQL. */
  pids(): number[][];
  workerPid?(): number;
  trigger(id: string, url: string): Promise<void>;
  /** Average history events of the given (delivered) ids. */
  historyEvents?(ids: string[]): Promise<number>;
  stop(): Promise<void>;
}

const DIST = path.resolve(__dirname, '../..');

export function rawSystem(inFlight: number): System {
  const agent = new Agent({ connections: inFlight });
  return {
    name: 'raw',
    pids: () => [[process.pid]],
    async trigger(id, url) {
      const res = await request(url, {
        method: 'POST',
        dispatcher: agent,
        headers: { 'content-type': 'application/json', 'x-bench-id': id },
        body: JSON.stringify({ id }),
      });
      await res.body.dump();
    },
    stop: () => agent.close(),
  };
}

async function averageHistory(client: Client, workflowIds: string[]): Promise<number> {
  const lengths = await Promise.all(workflowIds.map(async (id) => (await client.workflow.getHandle(id).describe()).historyLength));
  // What the longer histories hold beyond the shortest one: where extra workflow tasks come from.
  const shortest = Math.min(...lengths);
  for (const [i, id] of workflowIds.entries()) {
    if (lengths[i] === shortest) continue;
    const events = (await client.workflow.getHandle(id).fetchHistory()).events ?? [];
    const names = events.map((e) => temporal.api.enums.v1.EventType[e.eventType ?? 0].replace(/^EVENT_TYPE_/, ''));
    console.error(`[bench] ${id}: ${lengths[i]} history events: ${names.join(' ')}`);
  }
  return lengths.reduce((a, b) => a + b, 0) / lengths.length;
}

/**
 * Unique per run. On a reused server (TEMPORAL_ADDRESS) the last run's workflows may still be
 * running (a slow or down-host scenario, a run stopped half-way): a fixed workflow id would then
 * fail the next run with WorkflowExecutionAlreadyStartedError.
 */
export const BENCH_RUN = `${Date.now().toString(36)}${process.pid.toString(36)}`;
const naiveWorkflowId = (benchId: string): string => `naive-${BENCH_RUN}-${benchId}`;

export async function naiveSystem(temporal: BenchTemporal, logDir: string): Promise<System> {
  const taskQueue = `bench-naive-${BENCH_RUN}`;
  const worker = startNode(path.join(DIST, 'bench/naive/worker.js'), { TEMPORAL_ADDRESS: temporal.address, TASK_QUEUE: taskQueue }, path.join(logDir, 'naive-worker.log'), 'ready');
  await worker.ready;
  const client = new Client({ connection: await Connection.connect({ address: temporal.address }) });
  return {
    name: 'naive',
    pids: () => [[worker.pid], temporal.pids()],
    workerPid: () => worker.pid,
    async trigger(id, url) {
      await client.workflow.start('naiveDeliver', { taskQueue, workflowId: naiveWorkflowId(id), args: [{ url, id }] });
    },
    historyEvents: (ids) => averageHistory(client, ids.map(naiveWorkflowId)),
    async stop() {
      await worker.stop();
      await client.connection.close();
    },
  };
}

export interface HookflowSystemOptions {
  name?: string;
  /** Extra HOOKFLOW_* settings for the worker and the client (e.g. HOOKFLOW_SEND_ACTIVITY=regular). */
  env?: Record<string, string>;
  retry?: { initialIntervalMs?: number; maxIntervalMs?: number; maxAttempts?: number; maxDurationSeconds?: number };
  timeoutMs?: number;
  /** Worker processes on the same task queue, database and key (default 1). */
  workers?: number;
}

export interface HookflowSystem extends System {
  hookflow: Hookflow;
  /** The first worker; `workers` holds all of them. */
  worker: NodeChild;
  workers: NodeChild[];
  /** Webhook id per bench id. */
  ids: Map<string, string>;
}

/**
 * The environment of a Hookflow process under test, shared with the benchmark's own client so both
 * read the same settings. BENCH_HOOKFLOW_ENV (JSON) adds settings to every Hookflow process, for sweeps:
 * BENCH_HOOKFLOW_ENV='{"HOOKFLOW_MAX_CACHED_WORKFLOWS":"1000"}'.
 */
export async function hookflowEnv(temporal: BenchTemporal, logDir: string, name: string, extra: Record<string, string> = {}): Promise<Record<string, string>> {
  return {
    TEMPORAL_ADDRESS: temporal.address,
    DATABASE_URL: await benchDatabase(path.join(logDir, 'pg'), name),
    HOOKFLOW_TASK_QUEUE: `bench-${name}-${BENCH_RUN}`,
    HOOKFLOW_ENCRYPTION_KEY: generateEncryptionKey(),
    HOOKFLOW_ALLOW_PRIVATE_NETWORKS: 'true',
    HOOKFLOW_LOG_LEVEL: 'warn',
    // No metrics endpoint: a second worker (or `npm start` on the same machine) would find its port taken and exit.
    HOOKFLOW_METRICS_PORT: '0',
    ...extra,
    ...(process.env.BENCH_HOOKFLOW_ENV ? (JSON.parse(process.env.BENCH_HOOKFLOW_ENV) as Record<string, string>) : {}),
  };
}

export async function hookflowSystem(temporal: BenchTemporal, logDir: string, options: HookflowSystemOptions = {}): Promise<HookflowSystem> {
  const env = await hookflowEnv(temporal, logDir, options.name ?? 'hookflow', options.env);
  // The worker logs at info so that its "worker running" line tells when it is ready.
  const workers = Array.from({ length: Math.max(1, options.workers ?? 1) }, (_, i) =>
    startNode(path.join(DIST, 'src/bin/worker.js'), { ...env, HOOKFLOW_LOG_LEVEL: 'info' }, path.join(logDir, `${options.name ?? 'hookflow'}-worker${i === 0 ? '' : `-${i + 1}`}.log`), 'worker running', WORKER_NODE_FLAGS),
  );
  await Promise.all(workers.map((w) => w.ready));
  const worker = workers[0];
  const hookflow = await Hookflow.connect({ config: loadConfig(env), encryptionKey: env.HOOKFLOW_ENCRYPTION_KEY });
  const ids = new Map<string, string>();
  // PostgreSQL's CPU is Hookflow's cost too: the ledger is written from the worker.
  return {
    name: options.name ?? 'hookflow',
    hookflow,
    worker,
    workers,
    ids,
    pids: () => [workers.map((w) => w.pid), temporal.pids(), postgresPids()],
    workerPid: () => worker.pid,
    async trigger(id, url) {
      const { id: webhookId } = await hookflow.send({
        url,
        headers: { 'x-bench-id': id },
        body: { id },
        ...(options.retry ? { retry: options.retry } : {}),
        ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
      });
      ids.set(id, webhookId);
    },
    historyEvents: (benchIds) => averageHistory(hookflow.client, benchIds.map((id) => webhookWorkflowId(ids.get(id)!))),
    async stop() {
      await Promise.all(workers.map((w) => w.stop()));
      await hookflow.close();
    },
  };
}

/**
 * The HTTP API path as `npm start` runs it against an existing Temporal (TEMPORAL_ADDRESS): API and
 * worker in one process, so each webhook can start eagerly on that worker (HOOKFLOW_EAGER_START).
 */
export async function hookflowApiSystem(temporal: BenchTemporal, logDir: string, eager: boolean): Promise<System> {
  const port = await freePort();
  const name = eager ? 'hookflow-api' : 'hookflow-api-no-eager';
  const env = await hookflowEnv(temporal, logDir, name, {
    HOOKFLOW_API_KEYS: 'bench-key',
    HOOKFLOW_PORT: String(port),
    HOOKFLOW_EAGER_START: String(eager),
    HOOKFLOW_DATA_DIR: path.join(logDir, name),
  });
  const child = startNode(path.join(DIST, 'src/bin/start.js'), env, path.join(logDir, `${name}.log`), 'Hookflow is running');
  await child.ready;
  const agent = new Agent({ connections: 64 });
  const api = `http://127.0.0.1:${port}/v1/webhooks`;
  return {
    name,
    pids: () => [[child.pid], temporal.pids(), postgresPids()],
    workerPid: () => child.pid,
    async trigger(id, url) {
      const res = await request(api, {
        method: 'POST',
        dispatcher: agent,
        headers: { authorization: 'Bearer bench-key', 'content-type': 'application/json' },
        body: JSON.stringify({ url, headers: { 'x-bench-id': id }, body: { id } }),
      });
      const answer = await res.body.text();
      if (res.statusCode !== 202) throw new Error(`API answered ${res.statusCode}: ${answer}`);
    },
    async stop() {
      await child.stop();
      await agent.close();
    },
  };
}
