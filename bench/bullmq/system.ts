/**
 * BullMQ over Redis (Debian's redis-server, started here with append-only persistence fsynced
 * every second, its default durable setting). Skipped with a reason when redis-server is missing.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Queue } from 'bullmq';
import IORedis from 'ioredis';
import { startNode } from '../lib/procs';
import type { System } from '../lib/systems';
import { freePort } from '../../src/dev/free-port';

function which(binary: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir && fs.existsSync(path.join(dir, binary))) return path.join(dir, binary);
  }
  return undefined;
}

async function untilListening(port: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => resolve(true)).once('error', () => resolve(false));
      socket.unref();
      setTimeout(() => socket.destroy(), 200);
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`redis-server did not listen on ${port}`);
}

export async function bullmqSystem(work: string, logDir: string, concurrency: number): Promise<System | string> {
  const redisServer = which('redis-server');
  if (!redisServer) return 'redis-server is not installed (apt-get install redis-server)';
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(work, 'redis-'));
  const redis = spawn(redisServer, ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'yes', '--appendfsync', 'everysec'], {
    stdio: 'ignore',
  });
  const url = `redis://127.0.0.1:${port}`;
  await untilListening(port);
  const connection = new IORedis(url, { maxRetriesPerRequest: null });
  const queueName = 'bench';
  const queue = new Queue(queueName, { connection });
  const worker = startNode(path.resolve(__dirname, 'worker.js'), { REDIS_URL: url, QUEUE: queueName, CONCURRENCY: String(concurrency) }, path.join(logDir, 'bullmq-worker.log'), 'ready');
  await worker.ready;
  return {
    name: 'bullmq',
    pids: () => [[worker.pid], [redis.pid!]],
    workerPid: () => worker.pid,
    async trigger(id, url2) {
      // Retries as a BullMQ user would configure them: exponential from 1 s.
      await queue.add('send', { url: url2, id }, { attempts: 10, backoff: { type: 'exponential', delay: 1_000 }, removeOnComplete: true });
    },
    async stop() {
      await worker.stop();
      await queue.close();
      await connection.quit();
      redis.kill('SIGTERM');
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
