/** Child processes of the benchmark and what /proc says about them (Linux). */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** User + system CPU seconds a process has used so far. */
export function cpuSeconds(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

/** Resident memory now and at its peak (VmHWM), in MB. */
export function memoryMb(pid: number): { rss: number; peak: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}

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

/** Starts `node <script>` with `env`; its stderr goes to `logFile`. */
export function startNode(script: string, env: Record<string, string>, logFile: string, readyMarker?: string): NodeChild {
  fs.mkdirSync(path.dirname(logFile), { recursive: true });
  const log = fs.openSync(logFile, 'a');
  // --cpu-prof is not allowed in NODE_OPTIONS; BENCH_PROFILE_DIR turns it on for every child.
  const flags = process.env.BENCH_PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR}`] : [];
  const child = spawn(process.execPath, [...flags, script], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', log, 'ipc'] });
  fs.closeSync(log);
  live.add(child);
  child.once('exit', () => live.delete(child));
  const ready = readyMarker
    ? new Promise<void>((resolve, reject) => {
        child.once('exit', (code) => reject(new Error(`${script} exited with ${code} before it was ready; see ${logFile}`)));
        child.stdout!.on('data', (d: Buffer) => {
          if (d.toString().includes(readyMarker)) resolve();
        });
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
