import fs from 'node:fs';
import type { RunningPostgres } from '../../src/db/embedded-postgres';
import type { DevServer } from '../../src/dev/temporal-dev-server';

export default async function globalTeardown(): Promise<void> {
  const globals = globalThis as { __hookflowServer?: DevServer; __hookflowPostgres?: RunningPostgres };
  await globals.__hookflowServer?.stop();
  await globals.__hookflowPostgres?.stop();
  if (process.env.HOOKFLOW_TEST_DIR) fs.rmSync(process.env.HOOKFLOW_TEST_DIR, { recursive: true, force: true });
}
