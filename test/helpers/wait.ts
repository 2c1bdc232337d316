/** Bounded polling, and what the receiver saw over time. */
import type { Hookflow } from '../../src/client/hookflow';
import { peakPerWindow } from '../../src/dev/peak';
import type { Arrival } from './receiver';

/** Polls `probe` every 100 ms until it returns something; fails after `timeoutMs` naming `what`. */
export async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

/** The most arrivals inside any span of `spanMs`. */
export function peak(arrivals: Pick<Arrival, 'at'>[], spanMs: number): number {
  return peakPerWindow(arrivals.map((a) => a.at), spanMs);
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** When each attempt of these webhooks started, by the workers' clocks (where pacing is made), as `peak` reads them. */
export async function attemptStarts(hookflow: Pick<Hookflow, 'attempts'>, ids: string[]): Promise<{ at: number }[]> {
  return (await Promise.all(ids.map((id) => hookflow.attempts(id)))).flat().map((a) => ({ at: Date.parse(a.startedAt) }));
}
