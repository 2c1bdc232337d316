/**
 * The cluster test's Temporal — the real server v1.32.2 on PostgreSQL, frontend and history +
 * matching as two processes — kept up for the benchmark: `npx tsx test/cluster/serve.ts`, then, in
 * another shell, `TEMPORAL_ADDRESS=<printed address> npm run bench -- …`. It registers the
 * `default` namespace (the benchmark's) with Hookflow's own set-up command, prints the address and
 * runs until Ctrl-C. Hookflow's databases stay on the benchmark's own embedded PostgreSQL.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ClusterStack } from './stack';

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hookflow-serve-'));
  fs.chmodSync(dir, 0o755);
  const stack = new ClusterStack({ dir, env: {}, log: (line) => console.error(line) });
  stack.namespace = 'default';
  const stop = (): void => {
    void stack.stop().finally(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  await stack.startTemporal();
  console.error(stack.setupTemporal());
  // The benchmark charges these (and the postmaster's backends) as the server's CPU.
  const pids = [stack.temporal?.pid, stack.backend?.pid, stack.postgres?.process.pid].filter((pid) => pid !== undefined);
  console.log(`TEMPORAL_ADDRESS=${stack.temporalAddress} BENCH_SERVER_PIDS=${pids.join(',')}   (logs in ${dir})`);
  setInterval(() => undefined, 1 << 30);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
