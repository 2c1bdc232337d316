/**
 * A real HTTP receiver on 127.0.0.1 (port 0) that records every arrival and answers as a script
 * says: a status with headers and body, a connection reset, a hang, an endless trickle, or a huge
 * body. Every misbehaviour ends by itself when the client goes away or after a bounded time.
 */
import http, { type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Arrival {
  /** 1-based order of arrival. */
  n: number;
  at: number;
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export type Reply =
  | { status: number; headers?: Record<string, string>; body?: string }
  | { reset: true }
  | { hangMs: number }
  | { trickleEveryMs: number; status?: number }
  | { bodyBytes: number; status?: number };

export interface Receiver {
  url: string;
  /** `127.0.0.1:<port>`, the webhook's authority. */
  authority: string;
  arrivals: Arrival[];
  /** Resolves once `count` requests arrived; rejects after `timeoutMs`. */
  waitFor(count: number, timeoutMs?: number): Promise<Arrival[]>;
  close(): Promise<void>;
}

const MAX_MISBEHAVIOUR_MS = 60_000;

/** Arrivals in order, and waiting for a count of them: shared by in-process and child-process receivers. */
export function arrivalLog(): Pick<Receiver, 'arrivals' | 'waitFor'> & { add(arrival: Arrival): void } {
  const arrivals: Arrival[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  return {
    arrivals,
    add(arrival) {
      arrivals.push(arrival);
      for (const w of waiters.filter((w) => arrivals.length >= w.count)) w.resolve();
    },
    waitFor(count, timeoutMs = 20_000) {
      if (arrivals.length >= count) return Promise.resolve(arrivals);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`receiver got ${arrivals.length} of ${count} requests in ${timeoutMs} ms`)), timeoutMs);
        waiters.push({
          count,
          resolve: () => {
            clearTimeout(timer);
            resolve(arrivals);
          },
        });
      });
    },
  };
}

export async function startReceiver(script: (arrival: Arrival) => Reply = () => ({ status: 200 })): Promise<Receiver> {
  const log = arrivalLog();
  const server = http.createServer((req, res) => {
    // Stamped when the request's head arrives, as a host's rate limiter would count it.
    const at = Date.now();
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const arrival: Arrival = {
        n: log.arrivals.length + 1,
        at,
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks),
      };
      log.add(arrival);
      answer(script(arrival), req, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    authority: `127.0.0.1:${port}`,
    arrivals: log.arrivals,
    waitFor: log.waitFor,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function answer(reply: Reply, req: http.IncomingMessage, res: http.ServerResponse): void {
  if ('reset' in reply) {
    req.socket.resetAndDestroy();
    return;
  }
  if ('hangMs' in reply) {
    const timer = setTimeout(() => res.writeHead(200).end(), Math.min(reply.hangMs, MAX_MISBEHAVIOUR_MS));
    res.on('close', () => clearTimeout(timer));
    return;
  }
  if ('trickleEveryMs' in reply) {
    res.writeHead(reply.status ?? 200, { 'content-type': 'text/plain' });
    const started = Date.now();
    const timer = setInterval(() => {
      if (Date.now() - started > MAX_MISBEHAVIOUR_MS) return res.end();
      res.write('.');
    }, reply.trickleEveryMs);
    res.on('close', () => clearInterval(timer));
    return;
  }
  if ('bodyBytes' in reply) {
    res.writeHead(reply.status ?? 200, { 'content-type': 'application/octet-stream', 'content-length': reply.bodyBytes });
    const chunk = Buffer.alloc(64 * 1024, 'x');
    let left = reply.bodyBytes;
    const pump = (): void => {
      while (left > 0) {
        const n = Math.min(left, chunk.length);
        left -= n;
        if (!res.write(n === chunk.length ? chunk : chunk.subarray(0, n))) return void res.once('drain', pump);
      }
      res.end();
    };
    res.on('close', () => (left = 0));
    pump();
    return;
  }
  res.writeHead(reply.status, reply.headers);
  res.end(reply.body ?? '');
}

/** Receivers started for one test file; `closeAll()` in its afterAll closes them. */
export function receiverPool(): {
  start(script?: (arrival: Arrival) => Reply): Promise<Receiver>;
  /** Closes this receiver with the others, e.g. one from startReceiverProcess. */
  add(receiver: Receiver): Receiver;
  closeAll(): Promise<void>;
} {
  const started: Receiver[] = [];
  return {
    async start(script) {
      const r = await startReceiver(script);
      started.push(r);
      return r;
    },
    add(r) {
      started.push(r);
      return r;
    },
    closeAll: async () => void (await Promise.all(started.map((r) => r.close()))),
  };
}

/**
 * A receiver's script for a host that allows `limit` requests per second (fixed one-second
 * windows) and says so in X-Rate-Limit-* headers; beyond the limit it answers 429. `perWindow`
 * counts what it saw in each window.
 */
export function rateLimited(limit: number): { script: (arrival: Arrival) => Reply; perWindow: Map<number, number> } {
  const perWindow = new Map<number, number>();
  const script = (x: Arrival): Reply => {
    const window = Math.floor(x.at / 1000);
    const used = (perWindow.get(window) ?? 0) + 1;
    perWindow.set(window, used);
    const headers = {
      'x-rate-limit-limit': String(limit),
      'x-rate-limit-remaining': String(Math.max(0, limit - used)),
      'x-rate-limit-reset': String(Math.ceil((window + 1) * 1000 - x.at) / 1000),
    };
    return used > limit ? { status: 429, headers } : { status: 200, headers };
  };
  return { script, perWindow };
}
