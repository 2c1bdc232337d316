/** What Linux's /proc says about a process: for the benchmarks and the fault suite. */
import fs from 'node:fs';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

const lastCpu = new Map<number, number>();

/**
 * User + system CPU seconds of a live process. A process gone since (a PostgreSQL backend that
 * closed) reads as its last reading, or 0 if never read: its share is lost, the sum stays sound.
 */
export function cpuSeconds(pid: number): number {
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return lastCpu.get(pid) ?? 0;
  }
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const seconds = (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  lastCpu.set(pid, seconds);
  return seconds;
}

/** Resident memory now and at its peak (VmHWM), in MB; undefined once the process is gone. */
export function memoryMb(pid: number): { rss: number; peak: number } | undefined {
  let status: string;
  try {
    status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const kb = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}
