/** A fresh embedded Temporal dev server per scenario, persisting to SQLite like `npm start`. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../src/dev/free-port';
import { childrenOf } from './procs';
import { resolveTemporalCli, startDevServer, type DevServer } from '../../src/dev/temporal-dev-server';

/**
 * WAL lets the server read while it writes; synchronous=NORMAL then syncs at checkpoints instead
 * of every commit. A killed process loses nothing in WAL mode (the log is in the OS's hands); only
 * a power cut or kernel crash could lose the last commits. That is the trade the benchmark and
 * `npm start` differ on: `npm start` keeps synchronous at its default (FULL).
 */
export const BENCH_SQLITE_PRAGMAS = ['journal_mode=WAL', 'synchronous=NORMAL'];

export interface BenchTemporal {
  address: string;
  /**
   * The server's processes, for CPU accounting: the dev server's; for TEMPORAL_ADDRESS, those in
   * BENCH_SERVER_PIDS (comma-separated, as test/cluster/serve.ts prints them) and their children
   * (a PostgreSQL postmaster's backends); none when that is not set.
   */
  pids(): number[];
  flags: string;
  stop(): Promise<void>;
}

/** BENCH_SQLITE_PRAGMAS (comma-separated) overrides the pragmas; BENCH_SQLITE=memory drops the file. */
export async function startBenchTemporal(
  workDir: string,
  pragmas = process.env.BENCH_SQLITE_PRAGMAS?.split(',').filter(Boolean) ?? BENCH_SQLITE_PRAGMAS,
): Promise<BenchTemporal> {
  if (process.env.TEMPORAL_ADDRESS) {
    const given = (process.env.BENCH_SERVER_PIDS ?? '').split(',').filter(Boolean).map(Number);
    return { address: process.env.TEMPORAL_ADDRESS, pids: () => given.flatMap((pid) => [pid, ...childrenOf(pid)]), flags: `external ${process.env.TEMPORAL_ADDRESS}`, stop: async () => undefined };
  }
  const dir = fs.mkdtempSync(path.join(workDir, 'temporal-'));
  const server: DevServer = await startDevServer({
    cliPath: resolveTemporalCli(process.env.TEMPORAL_CLI_PATH),
    dbFile: process.env.BENCH_SQLITE === 'memory' ? undefined : path.join(dir, 'temporal.db'),
    port: await freePort(),
    sqlitePragmas: pragmas,
    logFile: path.join(dir, 'temporal.log'),
  });
  return {
    address: server.address,
    pids: () => [server.process.pid!],
    flags: `temporal server start-dev --headless --db-filename <tmp>/temporal.db ${pragmas.map((p) => `--sqlite-pragma ${p}`).join(' ')}`,
    async stop() {
      await server.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const benchWorkDir = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'hookflow-bench-'));
