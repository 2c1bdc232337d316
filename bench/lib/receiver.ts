/**
 * The benchmark's receiver: node:http on 127.0.0.1, as cheap as possible per request. It records
 * when each bench id (header `x-bench-id`) first arrived, and counts every arrival.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** The status for the `nth` arrival of `id`, optionally after a delay. */
export type Answer = (id: string, nth: number) => number | { status: number; delayMs: number };

export interface BenchReceiver {
  url: string;
  authority: string;
  /** First arrival time (ms, performance.timeOrigin based) per id. */
  firstArrival: Map<string, number>;
  /** Every arrival's time, in order. */
  arrivals: number[];
  /** The status to answer; changeable while running. */
  answer: Answer;
  waitForDistinct(count: number, timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

export const now = (): number => performance.timeOrigin + performance.now();

export async function startBenchReceiver(answer: Answer = () => 200): Promise<BenchReceiver> {
  const seen = new Map<string, number>();
  const counts = new Map<string, number>();
  const arrivals: number[] = [];
  let waiter: { count: number; resolve: () => void } | undefined;
  const receiver: BenchReceiver = {
    url: '',
    authority: '',
    firstArrival: seen,
    arrivals,
    answer,
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
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  const server = http.createServer({ keepAliveTimeout: 30_000 }, (req, res) => {
    const at = now();
    arrivals.push(at);
    const id = String(req.headers['x-bench-id'] ?? '');
    const nth = (counts.get(id) ?? 0) + 1;
    counts.set(id, nth);
    req.resume();
    req.on('end', () => {
      const answer = receiver.answer(id, nth);
      const { status, delayMs } = typeof answer === 'number' ? { status: answer, delayMs: 0 } : answer;
      const reply = (): void => {
        if (status >= 200 && status < 300 && !seen.has(id)) {
          seen.set(id, at);
          if (waiter && seen.size >= waiter.count) waiter.resolve();
        }
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
