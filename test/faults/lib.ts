/**
 * Shared plumbing of the fault suite: real child processes (the Temporal dev server, the worker,
 * the API) that are killed for real, bounded waits, and a few counting helpers.
 *
 * Every child is registered in `live` and killed with SIGKILL when the suite exits, however it
 * exits; every wait has a deadline and fails with a message that says what it was waiting for.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { temporal } from '@temporalio/proto';
import pg from 'pg';
import { WORKER_NODE_FLAGS } from '../../src/worker/node-flags';
import { Hookflow } from '../../src/client/hookflow';
import { loadConfig, type Config } from '../../src/config';
import { startEmbeddedPostgres, type RunningPostgres } from '../../src/db/embedded-postgres';
import { migrate } from '../../src/db/migrate';
import { resolveTemporalCli, startDevServer, type DevServer } from '../../src/dev/temporal-dev-server';
import { projectRoot } from '../../src/paths';
import { webhookWorkflowId, type WebhookState } from '../../src/delivery/definitions';
import { freePort } from '../../src/dev/free-port';
import { memoryMb } from '../../src/dev/proc-stats';

export const ROOT = projectRoot(__dirname);

// ---------------------------------------------------------------------------------------------
// What a scenario hands back

export type Counts = Record<string, number | string>;

export interface ScenarioResult {
  counts: Counts;
  /** Each broken expectation, in words; empty when the scenario passed. */
  failures: string[];
  /** Things worth knowing that are not failures (e.g. the worker had to be restarted). */
  notes: string[];
}

export interface ScenarioContext {
  /** A fresh temp dir for this scenario's SQLite file and logs. */
  dir: string;
  log(message: string): void;
}

export type Scenario = (ctx: ScenarioContext) => Promise<ScenarioResult>;

/** Collects failed expectations instead of stopping at the first one, so every count gets printed. */
export class Checks {
  readonly failures: string[] = [];
  readonly notes: string[] = [];
  readonly counts: Counts = {};

  expect(ok: boolean, message: string): boolean {
    if (!ok) this.failures.push(message);
    return ok;
  }

  count(name: string, value: number | string): void {
    this.counts[name] = value;
  }

  note(message: string): void {
    this.notes.push(message);
  }

  result(): ScenarioResult {
    return { counts: this.counts, failures: this.failures, notes: this.notes };
  }
}

// ---------------------------------------------------------------------------------------------
// Time

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Polls `check` every `intervalMs` until it returns something truthy, which is returned. Throws
 * after `timeoutMs` with `what` and, if given, `describe()` of the last state seen.
 */
export async function waitUntil<T>(
  what: string,
  timeoutMs: number,
  check: () => T | Promise<T>,
  options: { intervalMs?: number; describe?: () => string } = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
      lastError = undefined;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const state = options.describe ? `; ${options.describe()}` : '';
      const error = lastError ? `; last error: ${(lastError as Error).message}` : '';
      throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}${state}${error}`);
    }
    await sleep(options.intervalMs ?? 200);
  }
}

/** Rejects if `promise` has not settled within `timeoutMs`. */
export function withTimeout<T>(what: string, timeoutMs: number, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${Math.round(timeoutMs / 1000)} s: ${what}`)), timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Runs `fn` over `items` with at most `limit` at once; results in input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  });
  await Promise.all(lanes);
  return out;
}

/** Seeded, so a chaos run can be replayed. */
export { prng } from '../helpers/prng';

// ---------------------------------------------------------------------------------------------
// Child processes

export interface Child {
  name: string;
  pid: number;
  process: ChildProcess;
  logFile?: string;
  /** Resolves with how it ended. */
  exited: Promise<string>;
  /** Set once it has exited. */
  exitedWith?: string;
  alive(): boolean;
  kill(signal: NodeJS.Signals): void;
}

const live = new Set<Child>();

// ---------------------------------------------------------------------------------------------
// PostgreSQL: one throwaway embedded cluster for the whole suite, a database per stack

let postgres: Promise<RunningPostgres> | undefined;

function suitePostgres(): Promise<RunningPostgres> {
  postgres ??= (async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hookflow-faults-pg-'));
    fs.chmodSync(dir, 0o755);
    const running = await startEmbeddedPostgres({
      dir: path.join(dir, 'postgres'),
      port: await freePort(),
      logFile: path.join(dir, 'postgres.log'),
      settings: { fsync: 'off', synchronous_commit: 'off', max_connections: '200' },
    });
    // Immediate shutdown (SIGQUIT) when the suite exits, however it exits: it is throwaway.
    process.on('exit', () => running.process.kill('SIGQUIT'));
    return running;
  })();
  return postgres;
}

/** Stops the suite's PostgreSQL, if it was started. */
export async function stopSuitePostgres(): Promise<void> {
  if (postgres) await (await postgres).stop();
}

/** A fresh, migrated database on the suite's cluster; its URL. */
async function createDatabase(name: string): Promise<string> {
  const running = await suitePostgres();
  const admin = new pg.Client({ connectionString: running.adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = running.adminUrl.replace(/\/postgres$/, `/${name}`);
  await migrate(url);
  return url;
}

function killEverything(): void {
  for (const child of live) {
    try {
      process.kill(child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  live.clear();
}

// Children die with the suite, whatever ends it.
process.on('exit', killEverything);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    process.stderr.write(`\nfault suite: ${signal}, killing child processes\n`);
    killEverything();
    process.exit(130);
  });
}

export function track(name: string, proc: ChildProcess, logFile?: string): Child {
  if (proc.pid === undefined) throw new Error(`${name}: spawn failed`);
  const child: Child = {
    name,
    pid: proc.pid,
    process: proc,
    logFile,
    exited: new Promise<string>((resolve) => {
      proc.once('exit', (code, signal) => {
        child.exitedWith = signal ? `signal ${signal}` : `code ${code}`;
        live.delete(child);
        resolve(child.exitedWith);
      });
    }),
    alive: () => child.exitedWith === undefined,
    kill(signal) {
      if (!child.alive()) return;
      try {
        process.kill(child.pid, signal);
      } catch {
        // raced with its exit
      }
    },
  };
  live.add(child);
  return child;
}

/** Kills with `signal` and waits for the exit (SIGKILL after `graceMs` if it lingers). */
export async function killAndWait(child: Child, signal: NodeJS.Signals, graceMs = 15_000): Promise<string> {
  if (!child.alive()) return child.exitedWith ?? 'gone';
  child.kill(signal);
  let forced = false;
  const timer = setTimeout(() => {
    forced = true;
    child.kill('SIGKILL');
  }, graceMs);
  const how = await withTimeout(`${child.name} (pid ${child.pid}) to exit`, graceMs + 10_000, child.exited);
  clearTimeout(timer);
  return forced ? `${how} (did not exit on ${signal} within ${graceMs} ms)` : how;
}

/** Last lines of a child's log, for failure reports: colours stripped, long lines cut. */
export function tail(file: string | undefined, lines = 10): string {
  if (!file || !fs.existsSync(file)) return '';
  // eslint-disable-next-line no-control-regex
  const text = fs.readFileSync(file, 'utf8').replace(/\x1b\[[0-9;]*m/g, '').trimEnd();
  return text
    .split('\n')
    .slice(-lines)
    .map((line) => (line.length > 240 ? `${line.slice(0, 240)}…` : line))
    .join('\n');
}

/** VmRSS of a process in MB, from /proc; undefined if it is gone. */
export const rssMb = (pid: number): number | undefined => memoryMb(pid)?.rss;

// ---------------------------------------------------------------------------------------------
// A Hookflow stack made of real processes

export interface StackOptions {
  dir: string;
  /** Extra HOOKFLOW_* settings for the worker and the API. */
  env?: Record<string, string>;
}

/**
 * One scenario's processes: a Temporal dev server persisting to a SQLite file in `dir`, worker and
 * API processes, and an in-process client SDK. `stop()` kills whatever is still running.
 */
export class Stack {
  readonly dir: string;
  readonly dbFile: string;
  readonly taskQueue = `faults-${randomUUID()}`;
  readonly encryptionKey = randomBytes(32).toString('base64');
  readonly apiKey = `hf_faults_${randomBytes(12).toString('hex')}`;
  /** The dev server serves `default`; the cluster test (test/cluster) uses a namespace of its own. */
  namespace = 'default';
  temporalPort = 0;
  apiPort = 0;
  /** This stack's own database on the suite's PostgreSQL; set by startTemporal(). */
  databaseUrl = '';
  temporal?: Child;
  private server?: DevServer;
  private readonly extraEnv: Record<string, string>;
  protected readonly children: Child[] = [];
  private readonly clients: Hookflow[] = [];
  private workers = 0;
  private apis = 0;
  private temporals = 0;

  constructor(options: StackOptions) {
    this.dir = options.dir;
    this.dbFile = path.join(options.dir, 'temporal.db');
    this.extraEnv = options.env ?? {};
  }

  get temporalAddress(): string {
    return `127.0.0.1:${this.temporalPort}`;
  }

  /** Starts (or starts again, on the same port and SQLite file) the Temporal dev server. */
  async startTemporal(): Promise<Child> {
    if (this.temporalPort === 0) this.temporalPort = await freePort();
    if (!this.databaseUrl) this.databaseUrl = await createDatabase(`faults_${randomBytes(6).toString('hex')}`);
    const n = ++this.temporals;
    const logFile = path.join(this.dir, `temporal-${n}.log`);
    this.server = await startDevServer({
      cliPath: resolveTemporalCli(process.env.TEMPORAL_CLI_PATH || undefined),
      dbFile: this.dbFile,
      port: this.temporalPort,
      // As `npm start` runs it.
      sqlitePragmas: ['journal_mode=WAL'],
      logFile,
      readyTimeoutMs: 60_000,
    });
    this.temporal = track(`temporal-${n}`, this.server.process, logFile);
    this.children.push(this.temporal);
    return this.temporal;
  }

  /** The environment of a worker or API process: only the settings given here, nothing inherited. */
  env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!/^(HOOKFLOW_|TEMPORAL_)/.test(k)) env[k] = v;
    return {
      ...env,
      TEMPORAL_ADDRESS: this.temporalAddress,
      TEMPORAL_NAMESPACE: this.namespace,
      DATABASE_URL: this.databaseUrl,
      HOOKFLOW_ENCRYPTION_KEY: this.encryptionKey,
      HOOKFLOW_ALLOW_PRIVATE_NETWORKS: 'true',
      HOOKFLOW_TASK_QUEUE: this.taskQueue,
      HOOKFLOW_API_KEYS: this.apiKey,
      HOOKFLOW_HOST: '127.0.0.1',
      HOOKFLOW_PORT: String(this.apiPort),
      // FAULTS_LOG_LEVEL=debug makes the children (and the Temporal SDK inside them) verbose.
      HOOKFLOW_LOG_LEVEL: process.env.FAULTS_LOG_LEVEL || 'warn',
      HOOKFLOW_DATA_DIR: path.join(this.dir, 'data'),
      // Several workers share this machine: none serves metrics, so none fights for port 9464.
      HOOKFLOW_METRICS_PORT: '0',
      ...this.extraEnv,
      ...extra,
    };
  }

  private spawnNode(kind: 'worker' | 'api', n: number, script: string, extra?: Record<string, string>): Child {
    const logFile = path.join(this.dir, `${kind}-${n}.log`);
    const out = fs.openSync(logFile, 'a');
    // Workers run with the flags every deployment gives them (src/worker/node-flags.ts).
    const flags = kind === 'worker' ? WORKER_NODE_FLAGS : [];
    const proc = spawn(process.execPath, [...flags, path.join(ROOT, script)], { cwd: ROOT, env: this.env(extra), stdio: ['ignore', out, out] });
    fs.closeSync(out);
    const child = track(`${kind}-${n}`, proc, logFile);
    this.children.push(child);
    return child;
  }

  /** Spawns `node dist/src/bin/worker.js`; does not wait for it to poll (see waitForPoller). */
  startWorker(extra?: Record<string, string>): Child {
    return this.spawnNode('worker', ++this.workers, 'dist/src/bin/worker.js', extra);
  }

  /** Spawns `node dist/src/bin/api.js` on `apiPort` and waits for /healthz. */
  async startApi(extra?: Record<string, string>): Promise<Child> {
    if (this.apiPort === 0) this.apiPort = await freePort();
    const child = this.spawnNode('api', ++this.apis, 'dist/src/bin/api.js', extra);
    await waitUntil(
      `${child.name} to answer /healthz on port ${this.apiPort}`,
      30_000,
      async () => {
        if (!child.alive()) throw new Error(`${child.name} ${child.exitedWith}: ${tail(child.logFile, 5)}`);
        const res = await fetch(`http://127.0.0.1:${this.apiPort}/healthz`, { signal: AbortSignal.timeout(2_000) });
        await res.arrayBuffer();
        return res.status === 200;
      },
      { intervalMs: 100 },
    );
    return child;
  }

  config(): Config {
    return {
      ...loadConfig({}),
      temporalAddress: this.temporalAddress,
      temporalNamespace: this.namespace,
      taskQueue: this.taskQueue,
      databaseUrl: this.databaseUrl,
      allowPrivateNetworks: true,
      logLevel: 'warn',
    };
  }

  /** An in-process client SDK on this stack's task queue. */
  async connect(): Promise<Hookflow> {
    const hookflow = await Hookflow.connect({ config: this.config(), encryptionKey: this.encryptionKey });
    this.clients.push(hookflow);
    return hookflow;
  }

  /**
   * Waits until the worker process `child` polls this stack's task queue (its identity is
   * `<pid>@<host>`), as seen by the Temporal server now running.
   */
  async waitForPoller(hookflow: Hookflow, child: Child, timeoutMs = 60_000): Promise<void> {
    await waitUntil(
      `${child.name} (pid ${child.pid}) to poll task queue ${this.taskQueue}`,
      timeoutMs,
      async () => {
        if (!child.alive()) throw new Error(`${child.name} ${child.exitedWith}: ${tail(child.logFile, 5)}`);
        const answer = await hookflow.client.workflowService.describeTaskQueue({
          namespace: this.namespace,
          taskQueue: { name: this.taskQueue },
          taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
        });
        return (answer.pollers ?? []).some((p) => p.identity?.startsWith(`${child.pid}@`));
      },
      { intervalMs: 250 },
    );
  }

  /** Log tails of every process this stack started, for a failure report. */
  logs(): string {
    return this.children
      .map((c) => {
        const t = tail(c.logFile, 8);
        return t ? `--- ${c.name} (pid ${c.pid}, ${c.exitedWith ?? 'running'}) ${c.logFile}\n${t}` : '';
      })
      .filter(Boolean)
      .join('\n');
  }

  async stop(): Promise<void> {
    await Promise.all(this.clients.map((c) => withTimeout('closing a client', 5_000, c.close()).catch(() => undefined)));
    for (const child of [...this.children].reverse()) {
      if (child === this.temporal) continue;
      await killAndWait(child, 'SIGKILL', 5_000).catch(() => undefined);
    }
    if (this.temporal) await killAndWait(this.temporal, 'SIGTERM', 5_000).catch(() => undefined);
  }
}

// ---------------------------------------------------------------------------------------------
// Webhook outcomes

/** The final state of every id, polling Temporal (describe, then the result once closed) until all are closed. */
export async function waitForFinalStates(hookflow: Hookflow, ids: readonly string[], timeoutMs: number): Promise<Map<string, WebhookState>> {
  const states = new Map<string, WebhookState>();
  await waitUntil(
    `all ${ids.length} webhooks to end`,
    timeoutMs,
    async () => {
      const open = ids.filter((id) => !states.has(id));
      await mapLimit(open, 32, async (id) => {
        const description = await hookflow.client.workflow.getHandle(webhookWorkflowId(id)).describe();
        if (description.status.name === 'RUNNING') return;
        states.set(id, await hookflow.status(id));
      });
      return states.size === ids.length;
    },
    { intervalMs: 1_000, describe: () => `${states.size} of ${ids.length} ended` },
  );
  return states;
}

/**
 * Waits until the ledger (the stack's PostgreSQL) holds, for every webhook in `states`, the same
 * status and the same attempt numbers as Temporal; the mismatches left at the deadline, in words.
 */
export async function ledgerMismatches(stack: Stack, states: Map<string, WebhookState>, timeoutMs: number): Promise<string[]> {
  const client = new pg.Client({ connectionString: stack.databaseUrl });
  await client.connect();
  try {
    let mismatches: string[] = [];
    const deadline = Date.now() + timeoutMs;
    do {
      const { rows } = await client.query<{ id: string; status: string; numbers: number[] | null }>(
        `SELECT w.id, w.status, array_agg(a.number ORDER BY a.number) FILTER (WHERE a.number IS NOT NULL) AS numbers
           FROM webhooks w LEFT JOIN attempts a ON a.webhook_id = w.id WHERE w.id = ANY($1) GROUP BY w.id, w.status`,
        [[...states.keys()]],
      );
      const ledger = new Map(rows.map((r) => [r.id, r]));
      mismatches = [...states].flatMap(([id, state]) => {
        const row = ledger.get(id);
        const want = state.attempts.map((a) => a.number).join(',');
        if (!row) return [`${id}: missing`];
        const got = (row.numbers ?? []).join(',');
        return row.status === state.status && got === want ? [] : [`${id}: ledger ${row.status} [${got}], Temporal ${state.status} [${want}]`];
      });
      if (mismatches.length === 0) break;
      await sleep(500);
    } while (Date.now() < deadline);
    return mismatches;
  } finally {
    await client.end();
  }
}

/** Counts of `values`, e.g. statuses: "delivered=998 failed=2". */
export function tally(values: Iterable<string>): string {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts]
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => `${k}=${n}`)
    .join(' ');
}

export function header(arrival: { headers: Record<string, string | string[] | undefined> }, name: string): string {
  const v = arrival.headers[name];
  return Array.isArray(v) ? v.join(',') : (v ?? '');
}

/**
 * Runs a scenario's body: on failure the stack's log tails are added to the result, and the
 * stack is always stopped, after the scenario's own clean-up.
 */
export async function conclude(checks: Checks, stack: Stack, body: () => Promise<void>, cleanup: () => Promise<unknown> = async () => undefined): Promise<ScenarioResult> {
  try {
    await body();
    if (checks.failures.length) checks.note(stack.logs());
    return checks.result();
  } catch (err) {
    checks.note(stack.logs());
    throw Object.assign(err as Error, { partial: checks.result() });
  } finally {
    await cleanup();
    await stack.stop();
  }
}
