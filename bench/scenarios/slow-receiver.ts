/**
 * A receiver that takes 12 s to answer, past the 10 s workflow-task timeout: what a local activity
 * costs in history (the worker must extend the workflow task while it waits) against a regular one.
 */
import { closedLoop } from '../lib/load';
import { startBenchReceiver } from '../lib/receiver';
import { round } from '../lib/stats';
import type { System } from '../lib/systems';

export interface SlowReceiverFigures {
  deliveries: number;
  receiverDelayMs: number;
  historyEventsPerDelivery: number;
  secondsToDeliverAll: number;
}

export async function slowReceiver(system: System, count: number): Promise<SlowReceiverFigures> {
  const delayMs = 12_000;
  const receiver = await startBenchReceiver(() => ({ status: 200, delayMs }));
  try {
    const startedAt = await closedLoop(count, count, (id) => system.trigger(id, receiver.url), 'slow');
    await receiver.waitForDistinct(count, 120_000);
    // The receiver records arrival; the workflow finishes after the answer: wait for it.
    await new Promise((resolve) => setTimeout(resolve, delayMs + 3_000));
    const ids = Array.from({ length: count }, (_, i) => `slow-${i}`);
    return {
      deliveries: count,
      receiverDelayMs: delayMs,
      historyEventsPerDelivery: round(await system.historyEvents!(ids), 2),
      secondsToDeliverAll: round((Math.max(...receiver.firstArrival.values()) + delayMs - startedAt) / 1000, 1),
    };
  } finally {
    await receiver.close();
  }
}
