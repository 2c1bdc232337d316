/**
 * Starts one real Temporal dev server (in memory, random port) for the whole test run and builds
 * the workflow bundle once, so each test file's worker starts in well under a second.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { resolveTemporalCli, startDevServer } from '../../src/dev/temporal-dev-server';
import { WORKFLOWS_PATH } from '../../src/worker/create-worker';
import { freePort } from '../../src/dev/free-port';
import { CONTINUE_AS_NEW_SUGGESTED_AT } from '../helpers/limits';

export default async function globalSetup(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hookflow-test-'));
  const server = await startDevServer({
    cliPath: resolveTemporalCli(process.env.TEMPORAL_CLI_PATH),
    port: await freePort(),
    logFile: path.join(dir, 'temporal.log'),
    // Temporal suggests continue-as-new at 4,096 events; a lower mark makes the long-lived host
    // workflow go through several runs within a test (see breaker.test.ts).
    dynamicConfig: { 'limit.historyCount.suggestContinueAsNew': CONTINUE_AS_NEW_SUGGESTED_AT },
  });
  const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} } as never });
  const bundlePath = path.join(dir, 'workflow-bundle.js');
  fs.writeFileSync(bundlePath, code);
  process.env.HOOKFLOW_TEST_TEMPORAL_ADDRESS = server.address;
  process.env.HOOKFLOW_TEST_WORKFLOW_BUNDLE = bundlePath;
  process.env.HOOKFLOW_TEST_DIR = dir;
  (globalThis as { __hookflowServer?: typeof server }).__hookflowServer = server;
}
