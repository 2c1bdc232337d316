/**
 * The fault suite: `npm run test:faults` runs every scenario in turn, `npm run test:faults --
 * worker-kill api-kill` the ones named. Real processes on loopback, killed for real; each scenario
 * prints what the receiver got and PASS or FAIL with its reasons, and the last line is
 * `N passed, N failed`. Exits non-zero when any scenario failed.
 *
 * FAULTS_KEEP=1 keeps every scenario's temp dir (SQLite file, process logs); a failed scenario's
 * dir is always kept. FAULTS_LOG_LEVEL=debug makes the worker and API processes log verbosely;
 * FAULTS_SEED changes receiver-chaos's random answers.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { apiKill } from './api-kill';
import { stopSuitePostgres, withTimeout, type Scenario, type ScenarioResult } from './lib';
import { pauseHold } from './pause-hold';
import { receiverChaos } from './receiver-chaos';
import { serverKill, serverTerm } from './server-restart';
import { workerKill } from './worker-kill';

const SCENARIOS: Record<string, { title: string; run: Scenario }> = {
  'worker-kill': { title: '1. SIGKILL the worker with 1,000 webhooks in flight, start it again', run: workerKill },
  'server-term': { title: '2a. SIGTERM the Temporal dev server (SQLite) mid-run, start it again', run: serverTerm },
  'server-kill': { title: '2b. SIGKILL the Temporal dev server (SQLite) mid-run, start it again', run: serverKill },
  'api-kill': { title: '3. SIGKILL the API while clients post webhooks, start it again', run: apiKill },
  'receiver-chaos': { title: '4. Receiver chaos: 5xx, resets, hangs, 100 MB bodies, endless trickles', run: receiverChaos },
  'pause-hold': { title: '5. Pause through the API with API and two workers as processes: nothing reaches the host until resume, then a paced drain', run: pauseHold },
};

/** No scenario may run longer than this, whatever its own deadlines say. */
const SCENARIO_TIMEOUT_MS = 8 * 60_000;

const out = (line = ''): void => void process.stdout.write(`${line}\n`);

function printResult(result: Partial<ScenarioResult>): void {
  for (const [name, value] of Object.entries(result.counts ?? {})) out(`    ${name.padEnd(48)} ${value}`);
}

async function main(): Promise<number> {
  const asked = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const unknown = asked.filter((name) => !(name in SCENARIOS));
  if (unknown.length) {
    out(`unknown scenario ${unknown.join(', ')}; choose from ${Object.keys(SCENARIOS).join(', ')}`);
    return 2;
  }
  const names = asked.length ? asked : Object.keys(SCENARIOS);
  const started = Date.now();
  let passed = 0;
  let failed = 0;

  for (const name of names) {
    const { title, run } = SCENARIOS[name];
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `hookflow-faults-${name}-`));
    out(`\n▶ ${name} — ${title}`);
    const t0 = Date.now();
    let result: Partial<ScenarioResult> = {};
    let failures: string[];
    try {
      result = await withTimeout(`scenario ${name}`, SCENARIO_TIMEOUT_MS, run({ dir, log: (m) => out(`    · ${m}`) }));
      failures = result.failures ?? [];
    } catch (err) {
      result = (err as { partial?: ScenarioResult }).partial ?? {};
      failures = [...(result.failures ?? []), `error: ${(err as Error).message}`];
    }
    const seconds = ((Date.now() - t0) / 1000).toFixed(1);
    printResult(result);
    out(`    ${'time (s)'.padEnd(48)} ${seconds}`);
    const notes = result.notes ?? [];
    if (failures.length === 0) {
      passed++;
      for (const note of notes) out(`    note: ${note}`);
      out(`  PASS ${name} (${seconds} s)`);
      if (!process.env.FAULTS_KEEP) fs.rmSync(dir, { recursive: true, force: true });
    } else {
      failed++;
      out(`  FAIL ${name} (${seconds} s)`);
      for (const f of failures) out(`    ✗ ${f}`);
      for (const note of notes) out(`    ${note.replace(/\n/g, '\n    ')}`);
      out(`    logs and SQLite file kept in ${dir}`);
    }
  }

  await stopSuitePostgres();
  out(`\ntotal wall time ${((Date.now() - started) / 1000).toFixed(1)} s`);
  out(`${passed} passed, ${failed} failed`);
  return failed === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    out(`fault suite crashed: ${(err as Error).stack ?? String(err)}`);
    out('0 passed, 1 failed');
    process.exit(1);
  },
);
