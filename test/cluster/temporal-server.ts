/**
 * The production topology's Temporal: the real server (not the dev server) built from the Go
 * module proxy, on PostgreSQL, run as two processes — the frontend alone, and history + matching +
 * the system worker — so the frontend can be restarted on its own, as an SRE would roll it.
 *
 * The build is cached in ~/.cache/hookflow/temporal-server-v<version>/ (server, sql tool, schema
 * files) and made when missing: a fresh machine pays it once (about 4 minutes on 2 cores).
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { track, waitUntil, type Child } from '../faults/lib';

import { GO_TOOLCHAIN, HISTORY_SHARDS, PERSISTENCE_DATABASE, SQL_PLUGIN, TEMPORAL_SERVER_VERSION, VISIBILITY_DATABASE } from './topology';

export interface TemporalBinaries {
  server: string;
  sql: string;
  /** The schema/postgresql/v12 directory of the server module. */
  schemaDir: string;
}

export function cacheDir(): string {
  return path.join(path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'hookflow'), `temporal-server-v${TEMPORAL_SERVER_VERSION}`);
}

function binariesIn(dir: string): TemporalBinaries {
  return { server: path.join(dir, 'server'), sql: path.join(dir, 'sql'), schemaDir: path.join(dir, 'schema', 'postgresql', 'v12') };
}

/**
 * The cached server, sql tool and schema files; builds them when missing (`go install` of both
 * commands into a temp dir, the schema copied from the module cache, then renamed into place, so
 * an interrupted build never leaves a half-made cache).
 */
export function ensureTemporalBinaries(log: (message: string) => void): TemporalBinaries {
  const dir = cacheDir();
  const cached = binariesIn(dir);
  if (fs.existsSync(cached.server) && fs.existsSync(cached.sql) && fs.existsSync(path.join(cached.schemaDir, 'temporal', 'versioned'))) return cached;

  const building = `${dir}.building-${process.pid}`;
  fs.rmSync(building, { recursive: true, force: true });
  fs.mkdirSync(building, { recursive: true });
  const env = { ...process.env, GOTOOLCHAIN: GO_TOOLCHAIN, GOBIN: building };
  const packages = [`go.temporal.io/server/cmd/server@v${TEMPORAL_SERVER_VERSION}`, `go.temporal.io/server/cmd/tools/sql@v${TEMPORAL_SERVER_VERSION}`];
  log(`building Temporal server v${TEMPORAL_SERVER_VERSION} with ${GO_TOOLCHAIN} into ${dir} (once; about 4 minutes on 2 cores)`);
  const started = Date.now();
  const built = spawnSync('go', ['install', ...packages], { env, encoding: 'utf8', timeout: 20 * 60_000 });
  fs.writeFileSync(path.join(building, 'build.log'), `$ go install ${packages.join(' ')}\n${built.stdout ?? ''}${built.stderr ?? ''}`);
  if (built.error && (built.error as NodeJS.ErrnoException).code === 'ENOENT') {
    throw new Error(`the Temporal server is built from source and \`go\` is not on PATH: install Go (any release from 1.21 on fetches ${GO_TOOLCHAIN} by itself)`);
  }
  if (built.status !== 0) throw new Error(`go install failed (${built.error?.message ?? `exit ${built.status}`}): ${(built.stderr ?? '').slice(-2_000)}`);
  const modCache = spawnSync('go', ['env', 'GOMODCACHE'], { env, encoding: 'utf8' }).stdout.trim();
  const moduleSchema = path.join(modCache, `go.temporal.io/server@v${TEMPORAL_SERVER_VERSION}`, 'schema');
  fs.cpSync(moduleSchema, path.join(building, 'schema'), { recursive: true });
  // The module cache is read-only; the copy need not be.
  spawnSync('chmod', ['-R', 'u+w', path.join(building, 'schema')]);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.renameSync(building, dir);
  log(`built in ${Math.round((Date.now() - started) / 1000)} s`);
  return cached;
}

export interface SqlTarget {
  port: number;
  user: string;
  password: string;
}

/**
 * Creates the persistence and visibility databases with the server's own sql tool and brings
 * their schema to the version this server needs — what docker-compose.yml's `temporal-schema`
 * service does with the same commands. Safe to run again on databases already set up.
 */
export function setupTemporalDatabases(bin: TemporalBinaries, target: SqlTarget): void {
  const base = ['--plugin', SQL_PLUGIN, '--ep', '127.0.0.1', '-p', String(target.port), '-u', target.user, '--pw', target.password];
  const run = (args: string[]): void => {
    const done = spawnSync(bin.sql, [...base, ...args], { encoding: 'utf8', timeout: 120_000 });
    if (done.status !== 0) throw new Error(`sql ${args.join(' ')} failed: ${done.stderr || done.stdout || done.error?.message}`);
  };
  for (const [db, schema] of [
    [PERSISTENCE_DATABASE, 'temporal'],
    [VISIBILITY_DATABASE, 'visibility'],
  ] as const) {
    run(['--db', db, 'create-database']);
    run(['--db', db, 'setup-schema', '-v', '0.0']);
    run(['--db', db, 'update-schema', '-d', path.join(bin.schemaDir, schema, 'versioned')]);
  }
}

export interface ClusterPorts {
  frontend: number;
  frontendHttp: number;
  frontendMembership: number;
  history: number;
  historyMembership: number;
  matching: number;
  matchingMembership: number;
  worker: number;
  workerMembership: number;
  /** Prometheus metrics of the frontend process and of the backend process. */
  frontendMetrics: number;
  backendMetrics: number;
}

export async function allocatePorts(): Promise<ClusterPorts> {
  const names = [
    'frontend',
    'frontendHttp',
    'frontendMembership',
    'history',
    'historyMembership',
    'matching',
    'matchingMembership',
    'worker',
    'workerMembership',
    'frontendMetrics',
    'backendMetrics',
  ] as const;
  const ports = {} as ClusterPorts;
  const taken = new Set<number>();
  for (const name of names) {
    let port = await lowFreePort();
    while (taken.has(port)) port = await lowFreePort();
    taken.add(port);
    ports[name] = port;
  }
  return ports;
}

/**
 * A free port below 32768: Temporal's cluster_membership table keeps ports in a smallint, and a
 * process whose port does not fit dies at start ("value out of range for type smallint").
 */
async function lowFreePort(): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const free = await new Promise<boolean>((resolve) => {
      const server = net.createServer();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
    if (free) return port;
  }
  throw new Error('no free port found in 20000–32000');
}

/** The server's config (the module's config/development-postgres12.yaml, trimmed), for one of the two processes. */
export function serverConfig(options: { ports: ClusterPorts; sql: SqlTarget; metricsPort: number; dynamicConfigFile: string }): string {
  const { ports, sql } = options;
  const store = (db: string, maxConns: number): string => `
      sql:
        pluginName: "${SQL_PLUGIN}"
        databaseName: "${db}"
        connectAddr: "127.0.0.1:${sql.port}"
        connectProtocol: "tcp"
        user: "${sql.user}"
        password: "${sql.password}"
        maxConns: ${maxConns}
        maxIdleConns: ${maxConns}
        maxConnLifetime: "1h"`;
  const service = (grpc: number, membership: number, http?: number): string => `
    rpc:
      grpcPort: ${grpc}
      membershipPort: ${membership}
      bindOnLocalHost: true${http ? `\n      httpPort: ${http}` : ''}`;
  return `log:
  stdout: true
  level: warn
persistence:
  defaultStore: postgres-default
  visibilityStore: postgres-visibility
  numHistoryShards: ${HISTORY_SHARDS}
  datastores:
    postgres-default:${store(PERSISTENCE_DATABASE, 20)}
    postgres-visibility:${store(VISIBILITY_DATABASE, 10)}
global:
  membership:
    maxJoinDuration: 30s
    broadcastAddress: "127.0.0.1"
  metrics:
    prometheus:
      framework: "tally"
      timerType: "histogram"
      listenAddress: "127.0.0.1:${options.metricsPort}"
services:
  frontend:${service(ports.frontend, ports.frontendMembership, ports.frontendHttp)}
  matching:${service(ports.matching, ports.matchingMembership)}
  history:${service(ports.history, ports.historyMembership)}
  worker:${service(ports.worker, ports.workerMembership)}
clusterMetadata:
  enableGlobalNamespace: false
  failoverVersionIncrement: 10
  masterClusterName: "active"
  currentClusterName: "active"
  clusterInformation:
    active:
      enabled: true
      initialFailoverVersion: 1
      rpcName: "frontend"
      rpcAddress: "127.0.0.1:${ports.frontend}"
dcRedirectionPolicy:
  policy: "noop"
dynamicConfigClient:
  filepath: "${options.dynamicConfigFile}"
  pollInterval: "10s"
`;
}

/**
 * Dynamic config: search attributes usable the moment they are registered (as on the dev server),
 * instead of after the server's cache refresh.
 */
export const DYNAMIC_CONFIG = `system.forceSearchAttributesCacheRefreshOnRead:
  - value: true
    constraints: {}
`;

export type TemporalRole = 'frontend' | 'backend';

export const ROLE_SERVICES: Record<TemporalRole, string[]> = { frontend: ['frontend'], backend: ['history', 'matching', 'worker'] };

/**
 * Starts one of the two server processes with the config in `dir`; resolves once its metrics
 * endpoint answers (the frontend's readiness is the caller's: a gRPC call through it).
 */
export async function startTemporalProcess(options: {
  bin: TemporalBinaries;
  role: TemporalRole;
  configFile: string;
  logFile: string;
  metricsPort: number;
  name: string;
}): Promise<Child> {
  const out = fs.openSync(options.logFile, 'a');
  const args = ['--config-file', options.configFile, '--allow-no-auth', 'start', ...ROLE_SERVICES[options.role].flatMap((s) => ['--service', s])];
  const proc = spawn(options.bin.server, args, { stdio: ['ignore', out, out] });
  fs.closeSync(out);
  const child = track(options.name, proc, options.logFile);
  await waitUntil(`${options.name} to serve metrics on 127.0.0.1:${options.metricsPort}`, 60_000, async () => {
    if (!child.alive()) throw new Error(`${options.name} ${child.exitedWith}: ${fs.readFileSync(options.logFile, 'utf8').slice(-1_500)}`);
    const res = await fetch(`http://127.0.0.1:${options.metricsPort}/metrics`, { signal: AbortSignal.timeout(2_000) });
    await res.arrayBuffer();
    return res.ok;
  });
  return child;
}
