/**
 * The benchmark's receiver: node:http on 127.0.0.1, as cheap as possible per request. It records
 * when each bench id (header `x-bench-id`) first arrived, and counts every arrival.
 * `startBenchReceiverProcess` runs the same receiver in a child process (receiver-child.ts), for
 * scenarios that judge a pace by arrival times: in the benchmark's own process a pause of its event
 * loop would stamp several arrivals late and together.
 */
import { fork } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

/** The status for the `nth` arrival of `id`, optionally after a delay. */
export type Answer = (id: string, nth: number) => number | { status: number; delayMs: number };

/** One request as the receiver saw it: when it came, its ids, and whether it was answered 2xx. */
export interface Arrival {
  at: number;
  id: string;
  webhookId?: string;
  ok: boolean;
}

export interface BenchReceiver {
  url: string;
  authority: string;
  /** First arrival time (ms, performance.timeOrigin based) per id. */
  firstArrival: Map<string, number>;
  /** Every arrival's time, in order. */
  arrivals: number[];
  /** Distinct `webhook-id` headers seen (Hookflow's id, the same on every attempt of one webhook). */
  webhookIds: Set<string>;
  /** `webhook-id`s that arrived more than once, with how many times. */
  repeatedWebhookIds: Map<string, number>;
  /** The status to answer; changeable while running (in-process receiver only). */
  answer: Answer;
  waitForDistinct(count: number, timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

export const now = (): number => performance.timeOrigin + performance.now();

type Recorder = Pick<BenchReceiver, 'firstArrival' | 'arrivals' | 'webhookIds' | 'repeatedWebhookIds' | 'waitForDistinct'> & { record(arrival: Arrival): void };

/** What both receivers keep of their arrivals. */
function recorder(): Recorder {
  const seen = new Map<string, number>();
  const arrivals: number[] = [];
  const webhookIds = new Set<string>();
  const repeatedWebhookIds = new Map<string, number>();
  let waiter: { count: number; resolve: () => void } | undefined;
  return {
    firstArrival: seen,
    arrivals,
    webhookIds,
    repeatedWebhookIds,
    record({ at, id, webhookId, ok }) {
      arrivals.push(at);
      if (webhookId !== undefined && webhookIds.has(webhookId)) repeatedWebhookIds.set(webhookId, (repeatedWebhookIds.get(webhookId) ?? 1) + 1);
      if (webhookId !== undefined) webhookIds.add(webhookId);
      if (ok && !seen.has(id)) {
        seen.set(id, at);
        if (waiter && seen.size >= waiter.count) waiter.resolve();
      }
    },
    waitForDistinct(count, timeoutMs) {
      if (seen.size >= count) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`receiver saw ${seen.size} of ${count} ids within ${timeoutMs} ms`)), timeoutMs);
        waiter = {
          count,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        };
      });
    },
  };
}

export async function startBenchReceiver(answer: Answer = () => 200, onArrival?: (arrival: Arrival) => void): Promise<BenchReceiver> {
  const counts = new Map<string, number>();
  const log = recorder();
  const receiver: BenchReceiver = {
    url: '',
    authority: '',
    firstArrival: log.firstArrival,
    arrivals: log.arrivals,
    webhookIds: log.webhookIds,
    repeatedWebhookIds: log.repeatedWebhookIds,
    answer,
    waitForDistinct: log.waitForDistinct,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  const server = http.createServer({ keepAliveTimeout: 30_000 }, (req, res) => {
    const at = now();
    const id = String(req.headers['x-bench-id'] ?? '');
    const header = req.headers['webhook-id'];
    const webhookId = typeof header === 'string' ? header : undefined;
    const nth = (counts.get(id) ?? 0) + 1;
    counts.set(id, nth);
    req.resume();
    req.on('end', () => {
      const answer = receiver.answer(id, nth);
      const { status, delayMs } = typeof answer === 'number' ? { status: answer, delayMs: 0 } : answer;
      const reply = (): void => {
        const arrival = { at, id, webhookId, ok: status >= 200 && status < 300 };
        log.record(arrival);
        onArrival?.(arrival);
        res.writeHead(status, { 'content-length': '0' }).end();
      };
      if (delayMs > 0) setTimeout(reply, delayMs);
      else reply();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  receiver.url = `http://127.0.0.1:${port}/hook`;
  receiver.authority = `127.0.0.1:${port}`;
  return receiver;
}

/** The same receiver (always 200) in a child process; arrivals come back over IPC with the child's stamps. */
export async function startBenchReceiverProcess(): Promise<BenchReceiver> {
  const log = recorder();
  const child = fork(path.join(__dirname, 'receiver-child.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const address = await new Promise<{ url: string; authority: string }>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`bench receiver process exited with ${code} before listening`)));
    child.on('message', (m: { url?: string; authority?: string; arrivals?: Arrival[] }) => {
      if (m.url && m.authority) resolve({ url: m.url, authority: m.authority });
      for (const a of m.arrivals ?? []) log.record(a);
    });
  });
  child.removeAllListeners('exit');
  return {
    ...address,
    firstArrival: log.firstArrival,
    arrivals: log.arrivals,
    webhookIds: log.webhookIds,
    repeatedWebhookIds: log.repeatedWebhookIds,
    answer: () => 200,
    waitForDistinct: log.waitForDistinct,
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill();
      }),
  };
}

export interface ArrivingOptions {
  /** No request for this long while ids are missing fails the wait. */
  stallMs: number;
  /** The longest the whole wait may take. */
  overallMs?: number;
  pollMs?: number;
  /** What is awaited, for the error. */
  what: string;
  /** More to say in the error (e.g. a dispatch's counts). */
  describe?: () => Promise<string>;
}

/**
 * Waits until `count` distinct ids arrived, for as long as requests keep coming: a run whose
 * arrivals stall fails with how far it got instead of waiting for a long fixed timeout.
 */
export async function waitWhileArriving(receiver: BenchReceiver, count: number, options: ArrivingOptions): Promise<void> {
  const until = now() + (options.overallMs ?? Infinity);
  let seen = receiver.arrivals.length;
  let lastProgress = now();
  while (receiver.firstArrival.size < count) {
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 250));
    if (receiver.arrivals.length !== seen) {
      seen = receiver.arrivals.length;
      lastProgress = now();
    }
    const stalled = now() - lastProgress > options.stallMs;
    if (stalled || now() > until) {
      const more = options.describe ? `; ${await options.describe()}` : '';
      throw new Error(
        `${options.what}: ${stalled ? `no request for ${options.stallMs / 1000} s` : `not done within ${Math.round((options.overallMs ?? 0) / 1000)} s`}: ` +
          `${receiver.firstArrival.size} of ${count} ids arrived, ${receiver.arrivals.length} requests seen${more}`,
      );
    }
  }
}
