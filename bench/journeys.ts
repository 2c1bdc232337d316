/**
 * Journeys' figures (bench/README.md, "Journeys"): `npm run build && node dist/bench/journeys.js`.
 *
 * 1. BENCH_JOURNEY_RUNS (10,000) runs entered by API into a journey whose first step waits for an
 *    event: the time to enter them, the worker process's RSS while they all wait, then one event
 *    each (100 per call) and the time until every run's next step (a webhook) reached the receiver.
 * 2. Entry to first webhook: the most entries per second (one recipient per call, 16 calls in
 *    flight, until each first webhook arrived), then entries offered at half that rate, each
 *    latency measured from its scheduled time to its first webhook's arrival; and the history
 *    events of a 3-step run (webhook, delay 0, webhook).
 * The worker is `node dist/src/bin/worker.js` in its own process, on a fresh Temporal dev server
 * and PostgreSQL database; this process is the client and the receiver.
 */
import path from 'node:path';
import { WORKER_NODE_FLAGS } from '../src/worker/node-flags';
import { Hookflow } from '../src/client/hookflow';
import { loadConfig } from '../src/config';
import { memoryMb } from '../src/dev/proc-stats';
import { recipientKey } from '../src/journey/store';
import { generateEncryptionKey } from '../src/temporal/codec';
import { benchDatabase, stopBenchPostgres } from './lib/postgres';
import { startNode } from './lib/procs';
import { now, startBenchReceiver } from './lib/receiver';
import { latencySummary, round } from './lib/stats';
import { benchWorkDir, startBenchTemporal } from './lib/temporal';

const RUNS = Number(process.env.BENCH_JOURNEY_RUNS ?? 10_000);
const LATENCY_ENTRIES = Number(process.env.BENCH_JOURNEY_LATENCY_ENTRIES ?? 1_000);
const IN_FLIGHT = 16;
const DIST = path.resolve(__dirname, '..');
const log = (s: string): void => void process.stdout.write(`${s}\n`);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function inFlight<T>(items: T[], limit: number, work: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) {
        const i = next++;
        await work(items[i], i);
      }
    }),
  );
}

async function main(): Promise<void> {
  const workDir = benchWorkDir();
  const temporal = await startBenchTemporal(workDir);
  const env: Record<string, string> = {
    TEMPORAL_ADDRESS: temporal.address,
    DATABASE_URL: await benchDatabase(path.join(workDir, 'pg'), 'journeys'),
    HOOKFLOW_TASK_QUEUE: `bench-journeys-${Date.now()}`,
    HOOKFLOW_ENCRYPTION_KEY: generateEncryptionKey(),
    HOOKFLOW_ALLOW_PRIVATE_NETWORKS: 'true',
    HOOKFLOW_LOG_LEVEL: 'info',
    HOOKFLOW_EVENT_POLL_MS: '100',
    HOOKFLOW_EVENT_BATCH_SIZE: '500',
    HOOKFLOW_METRICS_PORT: '0',
  };
  const worker = startNode(path.join(DIST, 'src/bin/worker.js'), env, path.join(workDir, 'journeys-worker.log'), 'worker running', WORKER_NODE_FLAGS);
  await worker.ready;
  const hookflow = await Hookflow.connect({ config: loadConfig(env), encryptionKey: env.HOOKFLOW_ENCRYPTION_KEY });
  const receiver = await startBenchReceiver();
  const figures: Record<string, unknown> = { runs: RUNS, latencyEntries: LATENCY_ENTRIES };
  try {
    await hookflow.saveTemplate('bench', { url: receiver.url, headers: { 'x-bench-id': '{{ recipient.id }}' }, body: { journey: '{{ journey.id }}' } });

    // 1. Waiting runs.
    await hookflow.saveJourney('waiting', {
      entry: { type: 'api' },
      steps: [
        { id: 'wait', type: 'waitForEvent', windowSeconds: 86_400, paths: [{ event: 'go', next: 'done' }], timeout: 'done' },
        { id: 'done', type: 'webhook', template: { id: 'bench' } },
      ],
    });
    await hookflow.publishJourney('waiting');
    const ids = Array.from({ length: RUNS }, (_, i) => `w-${i}`);
    const chunks = Array.from({ length: Math.ceil(RUNS / 100) }, (_, i) => ids.slice(i * 100, i * 100 + 100));
    let started = now();
    await inFlight(chunks, 8, async (chunk) => void (await hookflow.enterJourney('waiting', { recipients: chunk.map((id) => ({ id })) })));
    const enterSeconds = (now() - started) / 1000;
    log(`entered ${RUNS} runs in ${round(enterSeconds)} s`);
    const waiting = async (): Promise<number> => (await hookflow.journey('waiting')).counts.steps.find((s) => s.step === 'wait')?.entered ?? 0;
    for (let n = 0; (await waiting()) < RUNS; n++) {
      if (n > 1_200) throw new Error(`only ${await waiting()} of ${RUNS} runs reached the wait`);
      await sleep(500);
    }
    const allWaitingSeconds = (now() - started) / 1000;
    await sleep(5_000);
    const waitingMemory = memoryMb(worker.pid);
    log(`all ${RUNS} waiting after ${round(allWaitingSeconds)} s; worker RSS ${waitingMemory?.rss} MB (peak ${waitingMemory?.peak} MB)`);
    started = now();
    await inFlight(chunks, 8, async (chunk) => void (await hookflow.track({ events: chunk.map((id) => ({ name: 'go', recipientId: id })) })));
    const trackedSeconds = (now() - started) / 1000;
    await receiver.waitForDistinct(RUNS, 1_800_000);
    const advanceSeconds = (now() - started) / 1000;
    log(`events accepted in ${round(trackedSeconds)} s; every run's webhook arrived ${round(advanceSeconds)} s after the first event`);
    figures.waiting = {
      enterSeconds: round(enterSeconds),
      allWaitingSeconds: round(allWaitingSeconds),
      workerRssWaitingMb: waitingMemory?.rss,
      workerPeakRssMb: memoryMb(worker.pid)?.peak,
      eventsAcceptedSeconds: round(trackedSeconds),
      advanceAllSeconds: round(advanceSeconds),
    };

    // 2. Entry to first webhook.
    await hookflow.saveJourney('three-steps', {
      entry: { type: 'api' },
      steps: [
        { id: 'first', type: 'webhook', template: { id: 'bench' }, next: 'pause' },
        { id: 'pause', type: 'delay', seconds: 0, next: 'second' },
        { id: 'second', type: 'webhook', template: { id: 'bench' } },
      ],
    });
    await hookflow.publishJourney('three-steps');
    const maxIds = Array.from({ length: LATENCY_ENTRIES }, (_, i) => `m-${i}`);
    const before = receiver.firstArrival.size;
    started = now();
    await inFlight(maxIds, IN_FLIGHT, async (id) => void (await hookflow.enterJourney('three-steps', { recipients: [{ id }] })));
    await receiver.waitForDistinct(before + LATENCY_ENTRIES, 600_000);
    const maxRate = LATENCY_ENTRIES / ((now() - started) / 1000);
    log(`most entries to first webhook: ${round(maxRate)} /s`);
    const rate = maxRate / 2;
    const halfIds = Array.from({ length: LATENCY_ENTRIES }, (_, i) => `h-${i}`);
    const scheduled = new Map<string, number>();
    const t0 = now() + 100;
    const entering: Promise<unknown>[] = [];
    for (let i = 0; i < halfIds.length; i++) {
      const at = t0 + (i * 1000) / rate;
      const wait = at - now();
      if (wait > 0) await sleep(wait);
      scheduled.set(halfIds[i], at);
      entering.push(hookflow.enterJourney('three-steps', { recipients: [{ id: halfIds[i] }] }));
    }
    await Promise.all(entering);
    await receiver.waitForDistinct(before + 2 * LATENCY_ENTRIES, 600_000);
    const latencies = halfIds.map((id) => receiver.firstArrival.get(id)! - scheduled.get(id)!).sort((a, b) => a - b);
    const summary = latencySummary(latencies);
    log(`entry to first webhook at ${round(rate)} entries/s: p50 ${summary.p50Ms} ms, p95 ${summary.p95Ms} ms, p99 ${summary.p99Ms} ms`);
    await sleep(3_000);
    const sample = halfIds.slice(0, 20);
    const events = await Promise.all(sample.map(async (id) => (await hookflow.client.workflow.getHandle(`journey:three-steps:${recipientKey(id)}`).fetchHistory()).events?.length ?? 0));
    const historyEvents = events.reduce((a, b) => a + b, 0) / events.length;
    log(`history events per 3-step run: ${historyEvents}`);
    figures.entry = { maxEntriesPerSec: round(maxRate), offeredPerSec: round(rate), ...summary, historyEventsPerRun: historyEvents };
    log(JSON.stringify(figures, null, 2));
  } finally {
    await receiver.close();
    await hookflow.close();
    await worker.stop();
    await temporal.stop();
    await stopBenchPostgres();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench journeys: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
