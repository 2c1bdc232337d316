/** The BullMQ baseline's worker: what a Node user would pick instead of Temporal. */
import { Worker } from 'bullmq';
import IORedis from 'ioredis';
import { request } from 'undici';

const connection = new IORedis(process.env.REDIS_URL!, { maxRetriesPerRequest: null });
const worker = new Worker(
  process.env.QUEUE!,
  async (job) => {
    const res = await request(job.data.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-bench-id': job.data.id },
      body: JSON.stringify({ id: job.data.id }),
    });
    await res.body.dump();
    if (res.statusCode < 200 || res.statusCode >= 300) throw new Error(`status ${res.statusCode}`);
  },
  { connection, concurrency: Number(process.env.CONCURRENCY ?? 64) },
);
worker.on('ready', () => process.stdout.write('ready\n'));
process.on('SIGTERM', () => void worker.close().then(() => connection.quit()).then(() => process.exit(0)));
