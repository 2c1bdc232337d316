/**
 * Event ingest with one event-triggered campaign listening: the API process
 * (`dist/src/bin/api.js`) takes `POST /v1/events`, a worker process (`dist/src/bin/worker.js`, its
 * event feed) turns each `level_reached` event into one campaign webhook to the bench receiver.
 *
 * 1. N events, one per call, 64 calls in flight: events/s accepted (202), then every webhook
 *    awaited; 2. the same with 100 events per call; 3. a sample of single events at a fixed rate
 *    well under the delivery rate: time from each call's 202 to its webhook's first arrival.
 * Every event must give exactly one webhook: distinct ids at the receiver (the event's `seq`,
 * rendered into a header by the template) and distinct `webhook-id`s both equal the events posted.
 */
import path from 'node:path';
import { Agent, request } from 'undici';
import { freePort } from '../../src/dev/free-port';
import { cpuSeconds, memoryMb } from '../../src/dev/proc-stats';
import { postgresPids } from '../lib/postgres';
import { startNode } from '../lib/procs';
import { now, startBenchReceiverProcess, waitWhileArriving } from '../lib/receiver';
import { latencySummary, round } from '../lib/stats';
import { hookflowEnv } from '../lib/systems';
import type { BenchTemporal } from '../lib/temporal';
import { waitForHealth } from './event-ingest';

export interface EventCampaignFigures {
  events: { single: number; batched: number; latencySample: number };
  /** Events accepted per second (202), one event per call / 100 per call. */
  singleEventsPerSec: number;
  batchedEventsPerSec: number;
  /** CPU seconds (API + PostgreSQL) per 1,000 events while accepting. */
  singleCpuSecondsPer1000: number;
  batchedCpuSecondsPer1000: number;
  /** Webhooks per second from the first call to the last first arrival, per phase. */
  singleDeliveriesPerSec: number;
  batchedDeliveriesPerSec: number;
  /** 202 to first arrival, at latencyRate events/s. */
  latencyRate: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Exactly-once check over every event posted. */
  eventsPosted: number;
  distinctArrivals: number;
  distinctWebhookIds: number;
  requestsSeen: number;
  /** distinctArrivals and distinctWebhookIds both equal eventsPosted. */
  exactlyOnce: boolean;
  workerPeakRssMb?: number;
}

const IN_FLIGHT = 64;
const DIST = path.resolve(__dirname, '../..');
const EVENT = 'level_reached';
/** No new arrival for this long while some are missing fails the run. */
const STALL_MS = 60_000;

export async function eventCampaign(
  temporal: BenchTemporal,
  logDir: string,
  options: { events: number; latencyCount: number; latencyRate: number; log: (s: string) => void },
): Promise<EventCampaignFigures> {
  const { log } = options;
  const port = await freePort();
  const env = await hookflowEnv(temporal, logDir, 'event-campaign', { HOOKFLOW_API_KEYS: 'bench-key', HOOKFLOW_PORT: String(port) });
  const worker = startNode(path.join(DIST, 'src/bin/worker.js'), { ...env, HOOKFLOW_LOG_LEVEL: 'info' }, path.join(logDir, 'event-campaign-worker.log'), 'worker running');
  const api = startNode(path.join(DIST, 'src/bin/api.js'), env, path.join(logDir, 'event-campaign-api.log'));
  const agent = new Agent({ connections: IN_FLIGHT });
  const base = `http://127.0.0.1:${port}`;
  const receiver = await startBenchReceiverProcess();
  try {
    await worker.ready;
    await waitForHealth(base, agent);
    const call = async (method: 'PUT' | 'POST', route: string, body: unknown, expect: number[]): Promise<void> => {
      const res = await request(`${base}${route}`, {
        method,
        dispatcher: agent,
        headers: { authorization: 'Bearer bench-key', 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      const text = await res.body.text();
      if (!expect.includes(res.statusCode)) throw new Error(`${method} ${route}: API answered ${res.statusCode}: ${text}`);
    };
    await call('PUT', '/v1/templates/bench-level', { url: receiver.url, headers: { 'x-bench-id': '{{ event.properties.seq }}' }, body: { user: '{{ recipient.id }}', level: '{{ event.properties.level }}' } }, [200, 201]);
    await call('PUT', '/v1/campaigns/bench-level', { template: { id: 'bench-level' }, trigger: { type: 'event', event: EVENT } }, [200, 201]);
    // The worker reads the campaigns' event names before each poll (HOOKFLOW_EVENT_POLL_MS, 200 ms): let it see this one.
    await new Promise((resolve) => setTimeout(resolve, 2_000));

    /** Accepted (202) time per seq. */
    const accepted = new Map<string, number>();
    const event = (seq: string, i: number) => ({ id: seq, name: EVENT, recipientId: `user-${i % 1000}`, properties: { seq, level: i % 50 } });
    const post = async (events: Array<ReturnType<typeof event>>): Promise<void> => {
      await call('POST', '/v1/events', events.length === 1 ? events[0] : { events }, [202]);
      const at = now();
      for (const e of events) accepted.set(e.id, at);
    };
    let total = 0;
    const phase = async (name: string, calls: number, perCall: number): Promise<{ perSec: number; cpuPer1000: number; deliveriesPerSec: number }> => {
      const pids = [api.pid, ...postgresPids()];
      const before = pids.map(cpuSeconds);
      const start = now();
      let next = 0;
      await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, calls) }, async () => {
        while (next < calls) {
          const c = next++;
          await post(Array.from({ length: perCall }, (_, j) => event(`${name}-${c * perCall + j}`, c * perCall + j)));
        }
      }));
      const seconds = (now() - start) / 1000;
      const cpu = pids.map((pid, i) => cpuSeconds(pid) - before[i]).reduce((a, b) => a + b, 0);
      const events = calls * perCall;
      total += events;
      await waitWhileArriving(receiver, total, { stallMs: STALL_MS, what: `event-campaign ${name}` });
      const lastAt = Math.max(...[...receiver.firstArrival].filter(([id]) => id.startsWith(`${name}-`)).map(([, at]) => at));
      const figures = { perSec: round(events / seconds), cpuPer1000: round((cpu / events) * 1000, 2), deliveriesPerSec: round(events / ((lastAt - start) / 1000)) };
      log(`  event-campaign ${name}: ${events} events accepted in ${round(seconds, 2)} s (${figures.perSec}/s, ${figures.cpuPer1000} CPU s per 1,000); all delivered at ${figures.deliveriesPerSec}/s`);
      return figures;
    };

    await phase('warm', 100, 1);
    const single = await phase('single', options.events, 1);
    const batched = await phase('batched', Math.max(1, Math.floor(options.events / 100)), 100);

    // Latency: single events on a fixed schedule, well under the delivery rate.
    const sample: string[] = [];
    const pending: Promise<void>[] = [];
    const start = now() + 50;
    for (let i = 0; i < options.latencyCount; i++) {
      const wait = start + (i * 1000) / options.latencyRate - now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const seq = `lat-${i}`;
      sample.push(seq);
      pending.push(post([event(seq, i)]));
    }
    await Promise.all(pending);
    total += options.latencyCount;
    await waitWhileArriving(receiver, total, { stallMs: STALL_MS, what: 'event-campaign latency' });
    const latencies = sample.map((seq) => receiver.firstArrival.get(seq)! - accepted.get(seq)!);
    const latency = latencySummary(latencies);
    const maxMs = round(Math.max(...latencies));
    log(`  event-campaign latency at ${options.latencyRate}/s over ${options.latencyCount}: 202 to arrival p50 ${latency.p50Ms} ms, p95 ${latency.p95Ms} ms, p99 ${latency.p99Ms} ms, max ${maxMs} ms`);

    // A moment for a duplicate (a second webhook for one event) to show up before counting.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const figures: EventCampaignFigures = {
      events: { single: options.events, batched: Math.max(1, Math.floor(options.events / 100)) * 100, latencySample: options.latencyCount },
      singleEventsPerSec: single.perSec,
      batchedEventsPerSec: batched.perSec,
      singleCpuSecondsPer1000: single.cpuPer1000,
      batchedCpuSecondsPer1000: batched.cpuPer1000,
      singleDeliveriesPerSec: single.deliveriesPerSec,
      batchedDeliveriesPerSec: batched.deliveriesPerSec,
      latencyRate: options.latencyRate,
      ...latency,
      maxMs,
      eventsPosted: total,
      distinctArrivals: receiver.firstArrival.size,
      distinctWebhookIds: receiver.webhookIds.size,
      requestsSeen: receiver.arrivals.length,
      exactlyOnce: receiver.firstArrival.size === total && receiver.webhookIds.size === total,
    };
    const memory = memoryMb(worker.pid);
    if (memory) figures.workerPeakRssMb = round(memory.peak);
    const once = figures.exactlyOnce;
    log(`  event-campaign: ${total} events posted, ${figures.distinctArrivals} distinct arrivals, ${figures.distinctWebhookIds} distinct webhook-ids, ${figures.requestsSeen} requests: ${once ? 'exactly one webhook per event' : 'NOT one webhook per event'}`);
    return figures;
  } finally {
    await receiver.close();
    await agent.close();
    await api.stop();
    await worker.stop();
  }
}
