/**
 * Campaign rate limit: one API-triggered campaign with `rateLimitPerMinute` (600), served by two
 * worker processes on the same task queue, database and key, one trigger of enough recipients to
 * last several minutes, to the bench receiver on 127.0.0.1. Every arrival (attempt) is stamped at
 * the receiver; the figures are the most arrivals in any window [t, t + 60 s) (must not exceed the
 * limit), the rate achieved from the first arrival to the last (the goal: within 5 % of the limit),
 * and the most in any second (a limit spread over the minute gives about limit / 60).
 *
 * Bounded: the run fails with the counts seen when no new arrival came for STALL_MS, or when the
 * whole trigger has not arrived by twice its expected span plus two minutes.
 */
import { now, startBenchReceiverProcess, waitWhileArriving } from '../lib/receiver';
import { round } from '../lib/stats';
import { BENCH_RUN, type HookflowSystem } from '../lib/systems';
import { slotSpacingMs } from '../../src/ratelimit/limiter';

export interface RateFigures {
  rateLimitPerMinute: number;
  recipients: number;
  workers: number;
  /** Every request the receiver saw (attempts, retries included). */
  arrivals: number;
  /** Distinct recipients delivered (2xx). */
  delivered: number;
  distinctWebhookIds: number;
  /** Most arrivals in any [t, t + 60 s). */
  maxIn60s: number;
  /** Arrivals per minute from the first arrival to the last: (arrivals - 1) / span. */
  achievedPerMinute: number;
  /** achievedPerMinute / rateLimitPerMinute. */
  achievedRatio: number;
  /** Most arrivals in any [t, t + 1 s), and where that second starts (seconds after the first arrival). */
  maxIn1s: number;
  maxIn1sAtSeconds: number;
  /** The same without the first two seconds' arrivals (the first attempts on each worker wait for the host gate's first lease). */
  maxIn1sAfter2s: number;
  /** Seconds with more than limit / 60 + 1 arrivals (a steady pace has none). */
  secondsOverPace: number;
  /** Arrivals in each whole minute from the first arrival (the last one partial). */
  perMinute: number[];
  spanSeconds: number;
  /** Seconds from the trigger call to the first arrival. */
  firstArrivalSeconds: number;
  /** The limit's slot spacing (src/breaker/pacer.ts: the window plus a 5 % margin, over the limit), and the most per minute it allows. */
  slotSpacingMs: number;
  ceilingPerMinute: number;
  /** Slots that passed with no arrival, estimated from the gaps: the sum of round(gap / spacing) - 1. */
  emptySlots: number;
  /** Gaps between consecutive arrivals, ms. */
  gapP50Ms: number;
  gapMinMs: number;
  gapMaxMs: number;
  /** Where the longest gap starts (seconds after the first arrival). */
  gapMaxAtSeconds: number;
  dispatch: Record<string, number>;
  /**
   * Webhooks that reached the receiver more than once, by what the ledger recorded: more than one
   * attempt (a retry: the receiver's answer did not come back) or one attempt (the same attempt sent
   * twice, e.g. run again by the other worker after its workflow task timed out).
   */
  repeated: { webhooks: number; withRetries: number; sentTwiceAsOneAttempt: number };
}

/** No new arrival for this long while some are missing fails the run (a slot is every 100 ms). */
const STALL_MS = 30_000;

/** Most timestamps (sorted) in any half-open window [t, t + windowMs), and the first one of that window. */
export function maxInWindow(sorted: number[], windowMs: number): { most: number; fromMs: number } {
  let most = 0;
  let fromMs = sorted[0] ?? 0;
  let from = 0;
  for (let to = 0; to < sorted.length; to++) {
    while (sorted[to] - sorted[from] >= windowMs) from += 1;
    if (to - from + 1 > most) {
      most = to - from + 1;
      fromMs = sorted[from];
    }
  }
  return { most, fromMs };
}

async function repeatedSends(hookflow: HookflowSystem['hookflow'], ids: string[]): Promise<RateFigures['repeated']> {
  let withRetries = 0;
  for (const id of ids) if ((await hookflow.attempts(id)).length > 1) withRetries += 1;
  return { webhooks: ids.length, withRetries, sentTwiceAsOneAttempt: ids.length - withRetries };
}

export async function campaignRate(
  system: HookflowSystem,
  options: { recipients: number; rateLimitPerMinute: number; log: (s: string) => void },
): Promise<RateFigures> {
  const { recipients: count, rateLimitPerMinute: limit, log } = options;
  const receiver = await startBenchReceiverProcess();
  try {
    const { hookflow } = system;
    const campaignId = `rate-${BENCH_RUN}`;
    await hookflow.saveTemplate(`${campaignId}-tpl`, { url: receiver.url, headers: { 'x-bench-id': '{{ recipient.id }}' }, body: { id: '{{ recipient.id }}' } });
    await hookflow.putCampaign(campaignId, { template: { id: `${campaignId}-tpl` }, trigger: { type: 'api' }, rateLimitPerMinute: limit });
    const recipients = Array.from({ length: count }, (_, i) => ({ id: `rate-${i}` }));
    const triggeredAt = now();
    const { dispatchId } = await hookflow.triggerCampaign(campaignId, { recipients });
    const expectedMs = (count / limit) * 60_000;
    log(`  campaign-rate: ${count} recipients at ${limit}/min on ${system.workers.length} workers, about ${Math.round(expectedMs / 1000)} s`);
    const counts = async (): Promise<string> => `dispatch ${JSON.stringify(await hookflow.campaignDispatch(campaignId, dispatchId).catch((e: Error) => e.message))}`;
    const progress = setInterval(() => log(`  campaign-rate: ${receiver.firstArrival.size} of ${count} after ${Math.round((now() - triggeredAt) / 1000)} s`), 30_000);
    try {
      await waitWhileArriving(receiver, count, { stallMs: STALL_MS, overallMs: 2 * expectedMs + 120_000, pollMs: 1_000, what: 'campaign-rate', describe: counts });
    } finally {
      clearInterval(progress);
    }
    // A moment for any late retry to show up in the counts.
    await new Promise((resolve) => setTimeout(resolve, 2_000));

    const times = [...receiver.arrivals].sort((a, b) => a - b);
    const first = times[0];
    const last = times[times.length - 1];
    const spanMs = last - first;
    const perMinute: number[] = [];
    for (const t of times) {
      const minute = Math.floor((t - first) / 60_000);
      perMinute[minute] = (perMinute[minute] ?? 0) + 1;
    }
    const inOrder = times.slice(1).map((t, i) => t - times[i]);
    const longest = inOrder.indexOf(Math.max(...inOrder));
    const gaps = [...inOrder].sort((a, b) => a - b);
    const achieved = ((times.length - 1) / spanMs) * 60_000;
    const minute = maxInWindow(times, 60_000);
    const second = maxInWindow(times, 1_000);
    const perSecond = new Map<number, number>();
    for (const t of times) perSecond.set(Math.floor((t - first) / 1000), (perSecond.get(Math.floor((t - first) / 1000)) ?? 0) + 1);
    const pace = limit / 60 + 1;
    const spacing = slotSpacingMs({ key: campaignId, limit, windowMs: 60_000 });
    const figures: RateFigures = {
      rateLimitPerMinute: limit,
      recipients: count,
      workers: system.workers.length,
      arrivals: times.length,
      delivered: receiver.firstArrival.size,
      distinctWebhookIds: receiver.webhookIds.size,
      maxIn60s: minute.most,
      achievedPerMinute: round(achieved),
      achievedRatio: round(achieved / limit, 3),
      maxIn1s: second.most,
      maxIn1sAtSeconds: round((second.fromMs - first) / 1000, 2),
      maxIn1sAfter2s: maxInWindow(times.filter((t) => t - first >= 2_000), 1_000).most,
      secondsOverPace: [...perSecond.values()].filter((n) => n > pace).length,
      perMinute: Array.from(perMinute, (n) => n ?? 0),
      spanSeconds: round(spanMs / 1000, 2),
      firstArrivalSeconds: round((first - triggeredAt) / 1000, 2),
      slotSpacingMs: spacing,
      ceilingPerMinute: round(60_000 / spacing),
      emptySlots: gaps.reduce((n, g) => n + Math.max(0, Math.round(g / spacing) - 1), 0),
      gapP50Ms: round(gaps[Math.floor(gaps.length / 2)] ?? 0),
      gapMinMs: round(gaps[0] ?? 0),
      gapMaxMs: round(gaps[gaps.length - 1] ?? 0),
      gapMaxAtSeconds: round(((times[longest] ?? first) - first) / 1000, 2),
      dispatch: { ...(await hookflow.campaignDispatch(campaignId, dispatchId)) },
      repeated: await repeatedSends(hookflow, [...receiver.repeatedWebhookIds.keys()]),
    };
    log(
      `  campaign-rate: ${figures.arrivals} arrivals over ${figures.spanSeconds} s: at most ${figures.maxIn60s} in 60 s (limit ${limit}), ` +
        `${figures.achievedPerMinute}/min achieved (${round(figures.achievedRatio * 100)} %), at most ${figures.maxIn1s} in 1 s (at ${figures.maxIn1sAtSeconds} s; ${figures.maxIn1sAfter2s} after the first 2 s; ${figures.secondsOverPace} whole seconds over ${Math.floor(limit / 60 + 1)}); the slots allow ${figures.ceilingPerMinute}/min, about ${figures.emptySlots} went empty (longest gap ${figures.gapMaxMs} ms at ${figures.gapMaxAtSeconds} s); per minute ${figures.perMinute.join(', ')}`,
    );
    if (figures.maxIn60s > limit) log(`  campaign-rate: LIMIT EXCEEDED: ${figures.maxIn60s} arrivals in one 60 s window`);
    return figures;
  } finally {
    await receiver.close();
  }
}
