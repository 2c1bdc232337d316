/**
 * The textbook Temporal design a user writes first: one workflow per webhook calling one regular
 * activity with Temporal's default retry policy (1 s, ×2, up to 100 s, forever), nothing else.
 */
import { proxyActivities } from '@temporalio/workflow';
import type * as activities from './activities';

const { send } = proxyActivities<typeof activities>({ startToCloseTimeout: '30s' });

export async function naiveDeliver(request: { url: string; id: string }): Promise<number> {
  return send(request);
}
