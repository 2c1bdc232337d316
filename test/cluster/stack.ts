/**
 * The fault suite's Stack (worker and API processes from the built dist, the in-process SDK, the
 * bounded waits) on the production topology instead of the dev server: one PostgreSQL holding
 * Temporal's persistence and visibility databases and Hookflow's own, a Temporal frontend process
 * and a history + matching + worker process, the namespace and search attributes registered by
 * Hookflow's own `setup-temporal` command.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { startEmbeddedPostgres, type RunningPostgres } from '../../src/db/embedded-postgres';
import { freePort } from '../../src/dev/free-port';
import { killAndWait, ROOT, Stack, waitUntil, type Child, type StackOptions } from '../faults/lib';
import {
  allocatePorts,
  DYNAMIC_CONFIG,
  ensureTemporalBinaries,
  serverConfig,
  setupTemporalDatabases,
  startTemporalProcess,
  type ClusterPorts,
  type SqlTarget,
  type TemporalBinaries,
  type TemporalRole,
} from './temporal-server';

export const CLUSTER_NAMESPACE = 'hookflow';

export class ClusterStack extends Stack {
  postgres?: RunningPostgres;
  backend?: Child;
  ports?: ClusterPorts;
  private bin?: TemporalBinaries;
  private pgPort = 0;
  private readonly log: (message: string) => void;
  private restarts = 0;

  constructor(options: StackOptions & { log: (message: string) => void }) {
    super(options);
    this.namespace = CLUSTER_NAMESPACE;
    this.log = options.log;
  }

  /** Starts (or starts again, on the same port and data) the PostgreSQL every part writes to. */
  async startPostgres(): Promise<RunningPostgres> {
    if (this.pgPort === 0) this.pgPort = await freePort();
    this.postgres = await startEmbeddedPostgres({
      dir: path.join(this.dir, 'postgres'),
      port: this.pgPort,
      logFile: path.join(this.dir, 'postgres.log'),
      // Temporal (up to 30 connections per process), two workers and two APIs share it.
      settings: { max_connections: '300', fsync: 'off', synchronous_commit: 'off' },
    });
    this.databaseUrl = this.postgres.url;
    // Immediate shutdown (SIGQUIT) when the test exits, however it exits: it is throwaway.
    const proc = this.postgres.process;
    process.once('exit', () => proc.kill('SIGQUIT'));
    return this.postgres;
  }

  private sqlTarget(): SqlTarget {
    const url = new URL(this.postgres!.adminUrl);
    return { port: Number(url.port), user: decodeURIComponent(url.username), password: decodeURIComponent(url.password) };
  }

  /** First call: PostgreSQL, the schema, both Temporal processes, `setup-temporal`. Later calls: the frontend again. */
  override async startTemporal(): Promise<Child> {
    if (!this.ports) {
      this.bin = ensureTemporalBinaries(this.log);
      if (!this.postgres) await this.startPostgres();
      const t0 = Date.now();
      setupTemporalDatabases(this.bin, this.sqlTarget());
      this.log(`Temporal databases set up with the sql tool in ${Date.now() - t0} ms`);
      this.ports = await allocatePorts();
      this.temporalPort = this.ports.frontend;
      fs.writeFileSync(path.join(this.dir, 'dynamicconfig.yaml'), DYNAMIC_CONFIG);
      for (const role of ['frontend', 'backend'] as const) fs.writeFileSync(this.configFile(role), this.renderConfig(role));
      this.backend = await this.startRole('backend');
      this.children.push(this.backend);
    }
    this.temporal = await this.startRole('frontend');
    this.children.push(this.temporal);
    await waitUntil('the Temporal frontend to answer', 60_000, async () => {
      const connection = await Connection.connect({ address: this.temporalAddress, connectTimeout: 2_000 });
      try {
        await connection.workflowService.getSystemInfo({});
        return true;
      } finally {
        await connection.close();
      }
    });
    return this.temporal;
  }

  private configFile(role: TemporalRole): string {
    return path.join(this.dir, `temporal-${role}.yaml`);
  }

  private renderConfig(role: TemporalRole): string {
    const metricsPort = role === 'frontend' ? this.ports!.frontendMetrics : this.ports!.backendMetrics;
    return serverConfig({ ports: this.ports!, sql: this.sqlTarget(), metricsPort, dynamicConfigFile: path.join(this.dir, 'dynamicconfig.yaml') });
  }

  private startRole(role: TemporalRole): Promise<Child> {
    const n = ++this.restarts;
    return startTemporalProcess({
      bin: this.bin!,
      role,
      configFile: this.configFile(role),
      logFile: path.join(this.dir, `temporal-${role}-${n}.log`),
      metricsPort: role === 'frontend' ? this.ports!.frontendMetrics : this.ports!.backendMetrics,
      name: `temporal-${role}-${n}`,
    });
  }

  /** `npm run setup-temporal` as a user runs it against an external Temporal; its output. */
  setupTemporal(): string {
    const done = spawnSync(process.execPath, [path.join(ROOT, 'dist/src/bin/setup-temporal.js')], { cwd: ROOT, env: this.env(), encoding: 'utf8', timeout: 120_000 });
    if (done.status !== 0) throw new Error(`setup-temporal exited ${done.status}: ${done.stderr}${done.stdout}`);
    return done.stdout.trim();
  }

  /** Prometheus text of one of the two server processes. */
  async metrics(role: TemporalRole): Promise<string> {
    const port = role === 'frontend' ? this.ports!.frontendMetrics : this.ports!.backendMetrics;
    const res = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(5_000) });
    return res.text();
  }

  override async stop(): Promise<void> {
    await super.stop();
    if (this.backend) await killAndWait(this.backend, 'SIGTERM', 10_000).catch(() => undefined);
    if (this.postgres) await this.postgres.stop().catch(() => undefined);
  }
}
