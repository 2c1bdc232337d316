/**
 * schemathesis, the pinned PyPI package scripts/setup.mjs installs into .tools/, run as
 * `python3 -m schemathesis.cli` against a running API.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { projectRoot } from '../../src/paths';

const ROOT = projectRoot(__dirname);

/** The folder scripts/setup.mjs installed it into (`.tools/schemathesis-<pinned version>`). */
export function schemathesisPath(): string {
  // Found by its folder rather than .tools/tools.json, which any checkout sharing .tools/ rewrites.
  const tools = path.join(ROOT, '.tools');
  const found = fs.existsSync(tools) ? fs.readdirSync(tools).filter((d) => /^schemathesis-[\d.]+$/.test(d) && fs.existsSync(path.join(tools, d, 'schemathesis'))) : [];
  if (found.length === 0) throw new Error('schemathesis is not installed: run `node scripts/setup.mjs` (it installs the pinned PyPI package into .tools/)');
  return path.join(tools, found.sort().at(-1)!);
}

/** Runs `schemathesis run <args>`; resolves with its exit code and output (bounded by `timeoutMs`). */
export function runSchemathesis(args: string[], timeoutMs: number): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    // A fresh folder for its cache (.schemathesis/), which would otherwise replay an earlier run's
    // failures in the next one: each run is only its own seed's cases.
    const cwd = fs.mkdtempSync(path.join(process.env.HOOKFLOW_TEST_DIR ?? os.tmpdir(), 'schemathesis-'));
    const child = spawn('python3', ['-m', 'schemathesis.cli', 'run', ...args], {
      cwd,
      env: { ...process.env, PYTHONPATH: schemathesisPath(), NO_COLOR: '1', SCHEMATHESIS_TELEMETRY: 'false', COLUMNS: '160' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}
