/**
 * Two ways of offering load: as fast as the system takes it (a fixed number of triggers in
 * flight), and at a fixed rate (triggers on a schedule, latency measured from the scheduled time
 * so that a slow system cannot hide its delay).
 */
import { now } from './receiver';

export type Trigger = (id: string) => Promise<unknown>;

/** Fires `count` triggers, at most `inFlight` at once. Returns the time of the first trigger. */
export async function closedLoop(count: number, inFlight: number, trigger: Trigger, idPrefix: string): Promise<number> {
  let next = 0;
  const started = now();
  const lane = async (): Promise<void> => {
    while (next < count) {
      const id = `${idPrefix}-${next++}`;
      await trigger(id);
    }
  };
  await Promise.all(Array.from({ length: Math.min(inFlight, count) }, lane));
  return started;
}

/** Fires `count` triggers at `perSecond`; returns each id's scheduled time. */
export async function openLoop(count: number, perSecond: number, trigger: Trigger, idPrefix: string): Promise<Map<string, number>> {
  const scheduled = new Map<string, number>();
  const start = now() + 50;
  const pending: Promise<unknown>[] = [];
  for (let i = 0; i < count; i++) {
    const at = start + (i * 1000) / perSecond;
    const wait = at - now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const id = `${idPrefix}-${i}`;
    scheduled.set(id, at);
    pending.push(trigger(id));
  }
  await Promise.all(pending);
  return scheduled;
}
