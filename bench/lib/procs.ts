/** Child processes of the benchmark. */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

export interface NodeChild {
  process: ChildProcess;
  pid: number;
  /** Resolves when the child printed its ready marker on stdout (or at once without one). */
  ready: Promise<void>;
  stop(): Promise<void>;
}

/** The processes whose parent is `pid` (a PostgreSQL postmaster's backends), read from /proc. */
export function childrenOf(pid: number): number[] {
  const children: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) children.push(Number(entry));
    } catch {
      // gone
    }
  }
  return children;
}

/** Starts `node <script>` with `env`; its stderr goes to `logFile`. */
export function startNode(script: string, env: Record<string, string>, logFile: string, readyMarker?: string, nodeFlags: readonly string[] = []): NodeChild {
  fs.mkdirSync(path.dirname(logFile), { recursive: true });
  const log = fs.openSync(logFile, 'a');
  // --cpu-prof is not allowed in NODE_OPTIONS; BENCH_PROFILE_DIR turns it on for every child.
  const flags = process.env.BENCH_PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR}`] : [];
  const child = spawn(process.execPath, [...flags, ...nodeFlags, script], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', log, 'ipc'] });
  fs.closeSync(log);
  live.add(child);
  child.once('exit', () => live.delete(child));
  // Its stdout (where Hookflow logs) until it is ready: the reason, should it exit before.
  let early = '';
  const ready = readyMarker
    ? new Promise<void>((resolve, reject) => {
        const onData = (d: Buffer): void => {
          early = (early + d.toString()).slice(-4_000);
          if (d.toString().includes(readyMarker)) {
            child.stdout!.off('data', onData);
            resolve();
          }
        };
        child.once('exit', (code) => reject(new Error(`${script} exited with ${code} before it was ready; see ${logFile}. Its last output:\n${early}`)));
        child.stdout!.on('data', onData);
      })
    : Promise.resolve();
  child.stdout!.resume();
  return {
    process: child,
    pid: child.pid!,
    ready,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const gone = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await gone;
      clearTimeout(timer);
    },
  };
}
