/**
 * Starts one real Temporal dev server (in memory, random port) and one real PostgreSQL (the
 * embedded one, in a temporary directory) for the whole test run, and builds the workflow bundle
 * once, so each test file's worker starts in well under a second. Each test stack gets a database
 * of its own, cloned from a migrated template (test/helpers/database.ts).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { resolveTemporalCli, startDevServer } from '../../src/dev/temporal-dev-server';
import { WORKFLOWS_PATH } from '../../src/worker/create-worker';
import { freePort } from '../../src/dev/free-port';
import { CONTINUE_AS_NEW_SUGGESTED_AT } from '../helpers/limits';
import { startEmbeddedPostgres } from '../../src/db/embedded-postgres';
import { migrate } from '../../src/db/migrate';
import { TEMPLATE_DATABASE } from '../helpers/database';
import pg from 'pg';

export default async function globalSetup(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hookflow-test-'));
  // As root, PostgreSQL runs as the `postgres` user, which must be able to reach its data dir.
  fs.chmodSync(dir, 0o755);
  const postgres = await startEmbeddedPostgres({
    dir: path.join(dir, 'postgres'),
    port: await freePort(),
    logFile: path.join(dir, 'postgres.log'),
    // A throwaway cluster: durability buys nothing here and costs the 2 cores time.
    settings: { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off', max_connections: '300' },
  });
  const admin = new pg.Client({ connectionString: postgres.adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${TEMPLATE_DATABASE}`);
  await admin.end();
  await migrate(postgres.adminUrl.replace(/\/postgres$/, `/${TEMPLATE_DATABASE}`));
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
  process.env.HOOKFLOW_TEST_POSTGRES_ADMIN_URL = postgres.adminUrl;
  Object.assign(globalThis, { __hookflowServer: server, __hookflowPostgres: postgres });
}
