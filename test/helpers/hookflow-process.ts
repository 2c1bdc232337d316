/**
 * Hookflow as a user runs it: `src/bin/start.ts` (what `npm start` runs) or `src/bin/worker.ts`
 * (`npm run worker`) in a process of its own, against the test run's Temporal dev server and a
 * database of its own, on free ports, with the given settings. Its output goes to a log file in
 * the test dir, shown when it fails to start.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { request } from 'undici';
import { freePort } from '../../src/dev/free-port';
import { projectRoot } from '../../src/paths';
import { generateEncryptionKey } from '../../src/temporal/codec';
import { createTestDatabase } from './database';
import { until } from './wait';

const ROOT = projectRoot(__dirname);

export interface HookflowProcess {
  /** The API (start) or the metrics port (worker), e.g. `http://127.0.0.1:41234`. */
  url: string;
  apiKey: string;
  env: Record<string, string>;
  logFile: string;
  stop(): Promise<void>;
}

export async function startHookflowProcess(role: 'start' | 'worker', settings: Record<string, string> = {}): Promise<HookflowProcess> {
  const dir = fs.mkdtempSync(path.join(process.env.HOOKFLOW_TEST_DIR ?? '/tmp', `${role}-`));
  const port = await freePort();
  const apiKey = `key-${randomUUID()}`;
  const env: Record<string, string> = {
    TEMPORAL_ADDRESS: process.env.HOOKFLOW_TEST_TEMPORAL_ADDRESS!,
    DATABASE_URL: await createTestDatabase(),
    HOOKFLOW_DATA_DIR: dir,
    HOOKFLOW_API_KEYS: apiKey,
    HOOKFLOW_ENCRYPTION_KEY: generateEncryptionKey(),
    HOOKFLOW_TASK_QUEUE: `test-${randomUUID()}`,
    HOOKFLOW_HOST: '127.0.0.1',
    ...(role === 'start' ? { HOOKFLOW_PORT: String(port) } : { HOOKFLOW_METRICS_PORT: String(port) }),
    HOOKFLOW_LOG_LEVEL: 'warn',
    ...settings,
  };
  const inherited: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(HOOKFLOW_|TEMPORAL_|DATABASE_URL)/.test(k)) inherited[k] = v;
  const logFile = path.join(dir, 'output.log');
  const out = fs.openSync(logFile, 'a');
  const child: ChildProcess = spawn(path.join(ROOT, 'node_modules/.bin/tsx'), [path.join(ROOT, `src/bin/${role}.ts`)], {
    cwd: ROOT,
    env: { ...inherited, ...env },
    stdio: ['ignore', out, out],
  });
  fs.closeSync(out);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let gone = false;
  void exited.then(() => (gone = true));
  const url = `http://127.0.0.1:${port}`;
  const probePath = role === 'start' ? '/healthz' : '/metrics';
  const stop = async (): Promise<void> => {
    if (!gone) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(timer);
  };
  try {
    await until(
      `${role} to answer ${probePath}`,
      async () => {
        if (gone) throw new Error(`${role} exited:\n${fs.readFileSync(logFile, 'utf8')}`);
        const res = await request(`${url}${probePath}`).catch(() => undefined);
        if (!res) return undefined;
        await res.body.dump();
        return res.statusCode === 200 ? true : undefined;
      },
      // It bundles the workflow code first: on two busy cores that can take a minute.
      150_000,
    );
  } catch (err) {
    await stop();
    throw new Error(`${(err as Error).message}\n--- output ---\n${fs.readFileSync(logFile, 'utf8')}`);
  }
  return { url, apiKey, env, logFile, stop };
}
