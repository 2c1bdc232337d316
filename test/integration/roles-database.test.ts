/**
 * `npm run worker` and `npm run api` need Hookflow's PostgreSQL: with no DATABASE_URL and no
 * embedded cluster running in their data dir, each says so and exits, starting nothing.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { projectRoot } from '../../src/paths';

const ROOT = projectRoot(__dirname);

function run(role: 'worker' | 'api'): { status: number | null; output: string } {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hookflow-nodb-'));
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(HOOKFLOW_|TEMPORAL_|DATABASE_URL)/.test(k)) env[k] = v;
  const done = spawnSync(path.join(ROOT, 'node_modules/.bin/tsx'), [path.join(ROOT, `src/bin/${role}.ts`)], {
    env: { ...env, HOOKFLOW_DATA_DIR: dataDir, TEMPORAL_ADDRESS: process.env.HOOKFLOW_TEST_TEMPORAL_ADDRESS, HOOKFLOW_ENCRYPTION_KEY: Buffer.alloc(32, 1).toString('base64'), HOOKFLOW_API_KEYS: 'k', HOOKFLOW_PORT: '0' },
    encoding: 'utf8',
    timeout: 60_000,
  });
  fs.rmSync(dataDir, { recursive: true, force: true });
  return { status: done.status, output: `${done.stdout}${done.stderr}` };
}

test.each(['worker', 'api'] as const)('npm run %s without a database says so and exits', (role) => {
  const { status, output } = run(role);
  expect(status).not.toBe(0);
  expect(output).toContain('DATABASE_URL');
  expect(output).toMatch(/no embedded PostgreSQL is running in .*hookflow-nodb-.*postgres/);
}, 90_000);
