/**
 * Event ingest: `POST /v1/events` to the API process (`dist/src/bin/api.js`) with nothing
 * listening, 64 calls in flight: single events (one per call) and batches of 100. Counts events
 * accepted (202: committed in PostgreSQL) per second, and the CPU of the API and PostgreSQL.
 */
import path from 'node:path';
import { Agent, request } from 'undici';
import { freePort } from '../../src/dev/free-port';
import { cpuSeconds } from '../../src/dev/proc-stats';
import { benchDatabase, postgresPids } from '../lib/postgres';
import { startNode } from '../lib/procs';
import { round } from '../lib/stats';
import type { BenchTemporal } from '../lib/temporal';
import { generateEncryptionKey } from '../../src/temporal/codec';

export interface IngestFigures {
  events: number;
  /** Events accepted per second, one event per call. */
  singleEventsPerSec: number;
  /** Events accepted per second, 100 events per call. */
  batchedEventsPerSec: number;
  /** CPU seconds (API + PostgreSQL) per 1,000 single events. */
  singleCpuSecondsPer1000: number;
  batchedCpuSecondsPer1000: number;
}

const IN_FLIGHT = 64;
const DIST = path.resolve(__dirname, '../..');

export async function eventIngest(temporal: BenchTemporal, logDir: string, events: number, log: (s: string) => void): Promise<IngestFigures> {
  const port = await freePort();
  const env = {
    TEMPORAL_ADDRESS: temporal.address,
    DATABASE_URL: await benchDatabase(path.join(logDir, 'pg'), 'event-ingest'),
    HOOKFLOW_ENCRYPTION_KEY: generateEncryptionKey(),
    HOOKFLOW_API_KEYS: 'bench-key',
    HOOKFLOW_PORT: String(port),
    HOOKFLOW_LOG_LEVEL: 'warn',
  };
  const api = startNode(path.join(DIST, 'src/bin/api.js'), env, path.join(logDir, 'event-ingest-api.log'));
  const agent = new Agent({ connections: IN_FLIGHT });
  const base = `http://127.0.0.1:${port}`;
  try {
    await waitForHealth(base, agent);
    const post = async (body: unknown): Promise<void> => {
      const res = await request(`${base}/v1/events`, {
        method: 'POST',
        dispatcher: agent,
        headers: { authorization: 'Bearer bench-key', 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      const text = await res.body.text();
      if (res.statusCode !== 202) throw new Error(`API answered ${res.statusCode}: ${text}`);
    };
    const event = (i: number, run: string) => ({ id: `${run}-${i}`, name: 'level_reached', recipientId: `user-${i % 1000}`, properties: { level: i % 50 } });
    const run = async (name: string, calls: number, body: (call: number) => unknown, perCall: number): Promise<{ perSec: number; cpuPer1000: number }> => {
      const pids = [api.pid, ...postgresPids()];
      const before = pids.map(cpuSeconds);
      const start = process.hrtime.bigint();
      let next = 0;
      await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
        while (next < calls) await post(body(next++));
      }));
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      const cpu = pids.map((pid, i) => cpuSeconds(pid) - before[i]).reduce((a, b) => a + b, 0);
      const total = calls * perCall;
      const figures = { perSec: round(total / seconds), cpuPer1000: round((cpu / total) * 1000, 2) };
      log(`  event-ingest ${name}: ${total} events in ${round(seconds, 2)} s: ${figures.perSec} events/s, ${figures.cpuPer1000} CPU s per 1,000`);
      return figures;
    };
    // Warm-up: connections, JIT, the first pages of the tables.
    await run('warm-up', 200, (i) => event(i, 'warm'), 1);
    const single = await run('single', events, (i) => event(i, 'single'), 1);
    const batched = await run('batched', Math.max(1, Math.floor(events / 100)), (i) => ({ events: Array.from({ length: 100 }, (_, j) => event(i * 100 + j, 'batch')) }), 100);
    return { events, singleEventsPerSec: single.perSec, batchedEventsPerSec: batched.perSec, singleCpuSecondsPer1000: single.cpuPer1000, batchedCpuSecondsPer1000: batched.cpuPer1000 };
  } finally {
    await agent.close();
    await api.stop();
  }
}

export async function waitForHealth(base: string, agent: Agent): Promise<void> {
  const until = Date.now() + 60_000;
  for (;;) {
    try {
      const res = await request(`${base}/healthz`, { dispatcher: agent });
      await res.body.text();
      if (res.statusCode === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > until) throw new Error('the API did not become healthy within 60 s');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
