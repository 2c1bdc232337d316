/**
 * The `floor` scenario: an empty workflow (bench/floor/) started as Hookflow starts a webhook —
 * the same client with the payload codec, the same start options (id reuse and conflict policies,
 * search attributes, summary), an input of the same shape — and completed by a worker process on
 * the same kind of server. Its rate and CPU are the least a delivery can cost the engine, since
 * each webhook is one workflow; `hookflow / floor` says how far above it Hookflow is.
 *
 * An empty workflow sends nothing, so completion is read from Temporal (each run's close time),
 * not from a receiver; the rate is N over the time from the first start to the N-th close.
 */
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { SEARCH_ATTRIBUTES } from '../../src/delivery/definitions';
import { cpuSeconds, memoryMb } from '../../src/dev/proc-stats';
import { generateEncryptionKey } from '../../src/temporal/codec';
import { hookflowClient } from '../../src/temporal/connect';
import { summarise } from '../../src/webhook/redact';
import { closedLoop } from '../lib/load';
import { startNode } from '../lib/procs';
import { round } from '../lib/stats';
import { BENCH_RUN } from '../lib/systems';
import type { BenchTemporal } from '../lib/temporal';

const DIST = path.resolve(__dirname, '../..');
const WARMUP = 50;

export interface FloorFigures {
  deliveries: number;
  /** Empty workflows completed per second (named as the other scenarios' figure, to compare). */
  deliveriesPerSec: number;
  cpuSecondsPer1000: number;
  cpuSecondsPer1000ByProcess: number[];
  peakRssMb?: number;
}

export async function floor(temporal: BenchTemporal, logDir: string, options: { count: number; inFlight: number; log: (line: string) => void }): Promise<FloorFigures> {
  const encryptionKey = generateEncryptionKey();
  const taskQueue = `bench-floor-${BENCH_RUN}`;
  const worker = startNode(path.join(DIST, 'bench/floor/worker.js'), { TEMPORAL_ADDRESS: temporal.address, TASK_QUEUE: taskQueue, HOOKFLOW_ENCRYPTION_KEY: encryptionKey }, path.join(logDir, 'floor-worker.log'), 'ready');
  const connection = await Connection.connect({ address: temporal.address });
  const client = hookflowClient(connection, 'default', encryptionKey);
  const workflowId = (id: string): string => `floor-${BENCH_RUN}-${id}`;
  const start = async (id: string): Promise<void> => {
    const url = `http://127.0.0.1:9/floor/${id}`;
    await client.workflow.start('floorWorkflow', {
      taskQueue,
      workflowId: workflowId(id),
      args: [{ id, request: { method: 'POST', url, headers: { 'content-type': 'application/json', 'x-bench-id': id }, body: JSON.stringify({ id }) } }],
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      workflowIdConflictPolicy: 'FAIL',
      typedSearchAttributes: [
        { key: SEARCH_ATTRIBUTES.status, value: 'pending' },
        { key: SEARCH_ATTRIBUTES.host, value: '127.0.0.1:9' },
      ],
      staticSummary: summarise('POST', url),
    });
  };
  /** Waits for every id to close; returns the latest close time (ms). */
  const closed = async (ids: string[]): Promise<number> => {
    let last = 0;
    for (const id of ids) {
      const handle = client.workflow.getHandle(workflowId(id));
      await handle.result();
      const { closeTime } = await handle.describe();
      last = Math.max(last, closeTime?.getTime() ?? 0);
    }
    return last;
  };
  try {
    await worker.ready;
    await closedLoop(WARMUP, 10, start, 'warm');
    await closed(Array.from({ length: WARMUP }, (_, i) => `warm-${i}`));
    // Two groups, as the other scenarios report them: the worker, and the server (with its own database).
    const server = temporal.pids();
    const pids = [worker.pid, ...server];
    const cpuBefore = pids.map(cpuSeconds);
    const startedAt = await closedLoop(options.count, options.inFlight, start, 'tput');
    // CPU is read once all have completed (a cheap visibility count, polled); the exact close
    // times are read after, uncounted.
    const query = `TaskQueue = "${taskQueue}" AND ExecutionStatus = "Completed"`;
    const deadline = Date.now() + 600_000;
    while ((await client.workflow.count(query)).count < WARMUP + options.count) {
      if (Date.now() > deadline) throw new Error(`floor: the empty workflows did not all complete within 10 minutes`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const used = pids.map((pid, i) => cpuSeconds(pid) - cpuBefore[i]);
    const cpuByProcess = [used[0], used.slice(1).reduce((a, b) => a + b, 0)];
    const lastClose = await closed(Array.from({ length: options.count }, (_, i) => `tput-${i}`));
    const cpu = cpuByProcess.reduce((a, b) => a + b, 0);
    const deliveriesPerSec = options.count / ((lastClose - startedAt) / 1000);
    options.log(`  floor: ${options.count} empty workflows at ${round(deliveriesPerSec)}/s, ${round(cpu, 2)} CPU s`);
    return {
      deliveries: options.count,
      deliveriesPerSec: round(deliveriesPerSec),
      cpuSecondsPer1000: round((cpu / options.count) * 1000, 2),
      cpuSecondsPer1000ByProcess: cpuByProcess.map((c) => round((c / options.count) * 1000, 2)),
      peakRssMb: memoryMb(worker.pid)?.peak,
    };
  } finally {
    await worker.stop();
    await connection.close();
  }
}
