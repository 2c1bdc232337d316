/** 20 % of webhooks are answered 503 once, then 200: how fast does everything get through? */
import { createHash } from 'node:crypto';
import { closedLoop } from '../lib/load';
import { startBenchReceiver } from '../lib/receiver';
import { round } from '../lib/stats';
import type { System } from '../lib/systems';

const failsOnce = (id: string): boolean => createHash('sha1').update(id).digest()[0] % 5 === 0;

export interface RetryHeavyFigures {
  deliveries: number;
  failedOnce: number;
  secondsToDeliverAll: number;
  deliveriesPerSec: number;
  requestsSeen: number;
}

export async function retryHeavy(system: System, count: number, inFlight: number): Promise<RetryHeavyFigures> {
  const receiver = await startBenchReceiver((id, nth) => (failsOnce(id) && nth === 1 ? 503 : 200));
  try {
    const startedAt = await closedLoop(count, inFlight, (id) => system.trigger(id, receiver.url), 'rh');
    await receiver.waitForDistinct(count, 600_000);
    const lastAt = Math.max(...receiver.firstArrival.values());
    const seconds = (lastAt - startedAt) / 1000;
    return {
      deliveries: count,
      failedOnce: Array.from({ length: count }, (_, i) => `rh-${i}`).filter(failsOnce).length,
      secondsToDeliverAll: round(seconds, 2),
      deliveriesPerSec: round(count / seconds),
      requestsSeen: receiver.arrivals.length,
    };
  } finally {
    await receiver.close();
  }
}
