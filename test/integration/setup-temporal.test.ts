/**
 * `npm run setup-temporal` against a Temporal dev server started bare, as an external Temporal
 * would be: without Hookflow's search attributes (and, for the second case, without its namespace).
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { Connection } from '@temporalio/client';
import { freePort } from '../../src/dev/free-port';
import { resolveTemporalCli, startDevServer, type DevServer } from '../../src/dev/temporal-dev-server';
import { HOOKFLOW_SEARCH_ATTRIBUTES } from '../../src/temporal/search-attributes';
import { setupTemporal } from '../../src/temporal/setup';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '../..');
let server: DevServer;
let connection: Connection;

beforeAll(async () => {
  server = await startDevServer({ cliPath: resolveTemporalCli(process.env.TEMPORAL_CLI_PATH), port: await freePort(), searchAttributes: false });
  connection = await Connection.connect({ address: server.address });
}, 60_000);
afterAll(async () => {
  await connection?.close();
  await server?.stop();
});

const customAttributes = async (namespace: string) => (await connection.operatorService.listSearchAttributes({ namespace })).customAttributes ?? {};

test('a bare server lacks the search attributes; setup registers them, and running it again adds nothing', async () => {
  const names = HOOKFLOW_SEARCH_ATTRIBUTES.map((a) => a.name);
  expect(Object.keys(await customAttributes('default'))).not.toEqual(expect.arrayContaining(names));
  const first = await setupTemporal(connection, 'default');
  expect(first).toEqual({ namespaceCreated: false, added: names, present: [] });
  expect(Object.keys(await customAttributes('default'))).toEqual(expect.arrayContaining(names));
  expect(await setupTemporal(connection, 'default')).toEqual({ namespaceCreated: false, added: [], present: names });
}, 60_000);

test('`npm run setup-temporal` (the command itself) creates a missing namespace and registers the attributes there', async () => {
  const env = { ...process.env, TEMPORAL_ADDRESS: server.address, TEMPORAL_NAMESPACE: 'hookflow-setup-test' };
  const { stdout } = await run(process.execPath, [path.join(ROOT, 'node_modules/tsx/dist/cli.mjs'), path.join(ROOT, 'src/bin/setup-temporal.ts')], { env, cwd: ROOT });
  expect(stdout).toContain(`Temporal ${server.address}, namespace hookflow-setup-test (created)`);
  expect(stdout).toContain(`search attributes registered: ${HOOKFLOW_SEARCH_ATTRIBUTES.map((a) => a.name).join(', ')}`);
  expect(Object.keys(await customAttributes('hookflow-setup-test'))).toEqual(expect.arrayContaining(HOOKFLOW_SEARCH_ATTRIBUTES.map((a) => a.name)));
}, 60_000);
