/**
 * docker-compose.yml cannot run here (no Docker engine), so this holds it to what
 * `npm run test:cluster` proves: the same Temporal version built with the same toolchain, the same
 * schema commands, the same Hookflow variables (each one a real setting), ports on 127.0.0.1 only,
 * and workers that scale with deploy.replicas.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { SETTINGS } from '../../src/config';
import { WORKER_NODE_FLAGS } from '../../src/worker/node-flags';
import { API_ENV, DEPLOYMENT_ENV, GO_TOOLCHAIN, HISTORY_SHARDS, SQL_PLUGIN, TEMPORAL_SERVER_VERSION } from '../cluster/topology';

const ROOT = path.join(__dirname, '../..');
const read = (file: string): string => fs.readFileSync(path.join(ROOT, file), 'utf8');

interface Service {
  image?: string;
  build?: { dockerfile?: string; args?: Record<string, string> } | string;
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  deploy?: { replicas?: number };
}
const compose = parse(read('docker-compose.yml'), { merge: true }) as { services: Record<string, Service> };
const services = compose.services;
/** Every variable a Hookflow process reads (DATABASE_URL and TEMPORAL_* included): the settings table. */
const known = new Set(Object.values(SETTINGS).map((s) => s.env));

test('the Temporal server is the version the cluster test builds, with the same toolchain', () => {
  const build = services['temporal-schema'].build as { dockerfile: string; args: Record<string, string> };
  expect(build.args.TEMPORAL_VERSION).toBe(TEMPORAL_SERVER_VERSION);
  expect(build.args.GO_TOOLCHAIN).toBe(GO_TOOLCHAIN);
  expect(services['temporal-schema'].image).toBe(`hookflow-temporal:${TEMPORAL_SERVER_VERSION}`);
  expect(services.temporal.image).toBe(services['temporal-schema'].image);
  const dockerfile = read(build.dockerfile);
  expect(dockerfile).toContain(`ARG TEMPORAL_VERSION=${TEMPORAL_SERVER_VERSION}`);
  expect(dockerfile).toContain(`ARG GO_TOOLCHAIN=${GO_TOOLCHAIN}`);
  expect(dockerfile).toContain(`FROM golang:${GO_TOOLCHAIN.replace(/^go/, '')}-`);
  expect(dockerfile).toContain('go install go.temporal.io/server/cmd/server@v${TEMPORAL_VERSION} go.temporal.io/server/cmd/tools/sql@v${TEMPORAL_VERSION}');
});

test('the schema is set up with the same sql tool commands and the server config matches the test', () => {
  const script = read('docker/temporal-schema.sh');
  expect(script).toContain(`--plugin ${SQL_PLUGIN}`);
  for (const command of ['create-database', 'setup-schema -v 0.0', 'update-schema -d "/etc/temporal/schema/postgresql/v12/$schema/versioned"']) expect(script).toContain(command);
  expect(script).toContain('temporal:temporal temporal_visibility:visibility');
  const config = parse(read('docker/temporal.yaml')) as { persistence: { numHistoryShards: number; datastores: Record<string, { sql: { pluginName: string; databaseName: string } }> } };
  expect(config.persistence.numHistoryShards).toBe(HISTORY_SHARDS);
  expect(Object.values(config.persistence.datastores).map((d) => [d.sql.pluginName, d.sql.databaseName])).toEqual([
    [SQL_PLUGIN, 'temporal'],
    [SQL_PLUGIN, 'temporal_visibility'],
  ]);
  expect(services.temporal.environment).toEqual(services['temporal-schema'].environment);
});

test('workers and the API get the variables the cluster test gives them, each a Hookflow setting', () => {
  for (const name of ['worker', 'api', 'temporal-setup']) {
    const env = Object.keys(services[name].environment ?? {});
    expect(env).toEqual(expect.arrayContaining([...DEPLOYMENT_ENV]));
    for (const variable of env) expect(known).toContain(variable);
  }
  expect(Object.keys(services.api.environment ?? {})).toEqual(expect.arrayContaining([...API_ENV]));
  expect(services.api.command).toEqual(['node', 'dist/src/bin/api.js']);
  expect(services['temporal-setup'].command).toEqual(['node', 'dist/src/bin/setup-temporal.js']);
  // Production refuses private addresses: only the test's loopback receivers need it.
  for (const s of Object.values(services)) expect(Object.keys(s.environment ?? {})).not.toContain('HOOKFLOW_ALLOW_PRIVATE_NETWORKS');
});

test('workers scale with deploy.replicas; every published port is bound to 127.0.0.1', () => {
  expect(services.worker.deploy?.replicas).toBeGreaterThanOrEqual(2);
  const ports = Object.values(services).flatMap((s) => s.ports ?? []);
  expect(ports.length).toBeGreaterThan(0);
  for (const port of ports) expect(port).toMatch(/^127\.0\.0\.1:\d+:\d+$/);
});

test('workers run with the V8 flags the tests and the benchmark give them, in compose, the image and npm run worker', () => {
  const worker = ['node', ...WORKER_NODE_FLAGS, 'dist/src/bin/worker.js'];
  expect(services.worker.command).toEqual(worker);
  expect(read('Dockerfile')).toContain(`CMD ${JSON.stringify(worker).replace(/,/g, ', ')}`);
  const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
  expect(scripts.worker).toMatch(new RegExp(`&& ${worker.join(' ')}$`));
});
