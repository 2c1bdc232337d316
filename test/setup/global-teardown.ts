import fs from 'node:fs';
import type { DevServer } from '../../src/dev/temporal-dev-server';

export default async function globalTeardown(): Promise<void> {
  await (globalThis as { __hookflowServer?: DevServer }).__hookflowServer?.stop();
  if (process.env.HOOKFLOW_TEST_DIR) fs.rmSync(process.env.HOOKFLOW_TEST_DIR, { recursive: true, force: true });
}
