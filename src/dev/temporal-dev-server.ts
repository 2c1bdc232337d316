/**
 * The embedded Temporal: `temporal server start-dev` as a child process, with Hookflow's search
 * attributes registered. Used by `npm start`, the tests, the benchmarks and the fault suite.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { setupTools } from '../paths';
import { HOOKFLOW_SEARCH_ATTRIBUTES } from '../temporal/search-attributes';

export interface DevServerOptions {
  cliPath: string;
  /** SQLite file; undefined keeps everything in memory. */
  dbFile?: string;
  port: number;
  /** Web UI port; undefined runs headless. */
  uiPort?: number;
  namespace?: string;
  /** Remote codec endpoint the Web UI calls to decrypt payloads. */
  codecEndpoint?: string;
  /** `--sqlite-pragma` values, e.g. `journal_mode=WAL`. */
  sqlitePragmas?: string[];
  /** Register Hookflow's search attributes at start. @default true (false: a bare server, as an external Temporal may be) */
  searchAttributes?: boolean;
  /** Extra `--dynamic-config-value KEY=JSON` settings. */
  dynamicConfig?: Record<string, unknown>;
  /** Where the server's own output goes; by default it is dropped. */
  logFile?: string;
  /** How long to wait for the server to answer. @default 30000 */
  readyTimeoutMs?: number;
}

export interface DevServer {
  address: string;
  uiUrl?: string;
  process: ChildProcess;
  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

export function devServerArgs(options: DevServerOptions): string[] {
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(options.port), '--log-level', 'warn'];
  if (options.dbFile) args.push('--db-filename', options.dbFile);
  if (options.uiPort === undefined) args.push('--headless');
  else args.push('--ui-port', String(options.uiPort), '--ui-disable-news-fetch');
  if (options.namespace && options.namespace !== 'default') args.push('--namespace', options.namespace);
  if (options.codecEndpoint) args.push('--ui-codec-endpoint', options.codecEndpoint);
  for (const { name, type } of options.searchAttributes === false ? [] : HOOKFLOW_SEARCH_ATTRIBUTES) {
    // The CLI spells types `Keyword`, `Int`; the SDK `KEYWORD`, `INT`.
    args.push('--search-attribute', `${name}=${type[0]}${type.slice(1).toLowerCase()}`);
  }
  for (const pragma of options.sqlitePragmas ?? []) args.push('--sqlite-pragma', pragma);
  for (const [key, value] of Object.entries(options.dynamicConfig ?? {})) args.push('--dynamic-config-value', `${key}=${JSON.stringify(value)}`);
  return args;
}

export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  if (options.dbFile) fs.mkdirSync(path.dirname(options.dbFile), { recursive: true });
  const out = options.logFile ? fs.openSync(options.logFile, 'a') : 'ignore';
  // Its own process group: a Ctrl-C in the terminal reaches only Hookflow, which then stops the
  // worker first and the server last, instead of both at once.
  const child = spawn(options.cliPath, devServerArgs(options), { stdio: ['ignore', out, out], detached: true });
  if (typeof out === 'number') fs.closeSync(out);
  const address = `127.0.0.1:${options.port}`;
  let exited: string | undefined;
  child.once('exit', (code, signal) => (exited = `exited with ${signal ?? code}`));

  const stop = async (graceMs = 10_000): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await gone;
    clearTimeout(timer);
  };

  const deadline = Date.now() + (options.readyTimeoutMs ?? 30_000);
  for (;;) {
    if (exited) throw new Error(`temporal server start-dev ${exited} before it was ready (port ${options.port} in use?)`);
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1_000 });
      try {
        await connection.workflowService.describeNamespace({ namespace: options.namespace ?? 'default' });
        return { address, uiUrl: options.uiPort === undefined ? undefined : `http://localhost:${options.uiPort}`, process: child, stop };
      } finally {
        await connection.close();
      }
    } catch (err) {
      if (Date.now() > deadline) {
        await stop(1_000);
        throw new Error(`temporal server start-dev did not answer on ${address}: ${(err as Error).message}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

/** The Temporal CLI to run: TEMPORAL_CLI_PATH, else what scripts/setup.mjs found or installed. */
export function resolveTemporalCli(configured: string | undefined): string {
  const cli = configured ?? setupTools().temporal;
  if (!cli) throw new Error('no Temporal CLI: run `node scripts/setup.mjs` or set TEMPORAL_CLI_PATH');
  return cli;
}
