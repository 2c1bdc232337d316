/**
 * The Hookflow worker: the delivery workflows and their send activity on the task queue, and the
 * per-host breaker workflows on a queue of their own (`<task queue>-hosts`), so that a backlog of
 * deliveries never delays the breaker that is meant to protect the host from them.
 */
import fs from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode, NativeConnection, Runtime, Worker, type WorkerOptions } from '@temporalio/worker';
import type pg from 'pg';
import type { Agent } from 'undici';
import { createActivities, type HookflowActivities } from '../../activities';
import { createCampaignActivities } from '../../activities/campaign';
import { campaignEventListener } from '../../activities/campaign/event-trigger';
import { RateLimitGate } from '../../activities/ratelimit/gate';
import { createRateLimitActivities } from '../../activities/ratelimit';
import { createRecoveryActivities } from '../../activities/recovery';
import { HostGate } from '../../activities/breaker/host-gate';
import { GoneList } from '../../activities/endpoint/gone-list';
import { EventFeed } from '../../activities/event/event-feed';
import { createJourneyActivities } from '../../activities/journey';
import { journeyListener } from '../../activities/journey/listener';
import { pruneLedger } from '../../activities/ledger/prune';
import { LedgerWriter } from '../../activities/ledger/writer';
import { createHttpClient } from '../../activities/net/guarded-client';
import { createSelfTarget } from '../../activities/self/self-target';
import { hostTaskQueue } from '../breaker/definitions';
import { breakerSettings } from '../breaker/settings';
import { Hookflow } from '../client/hookflow';
import type { Config } from '../config';
import { migrate } from '../db/migrate';
import { createPool, resolveDatabaseUrl } from '../db/pool';
import type { EventListener } from '../event/listener';
import { JourneyService } from '../journey/service';
import { TemplateService } from '../template/service';
import { createAddressPolicy } from '../net/address-policy';
import { selfUrlOf } from '../self/target';
import type { HookflowMetrics } from '../metrics/registry';
import { parseEncryptionKey } from '../temporal/codec';
import { checkEncryptionKey } from '../temporal/key-check';
import { hookflowClient, hookflowDataConverter, temporalAddressOf } from '../temporal/connect';

export interface HookflowWorker {
  /** The delivery workflows' worker. */
  worker: Worker;
  /** The host breaker workflows' worker. */
  hostWorker: Worker;
  gate: HostGate;
  ledger: LedgerWriter;
  /** The worker's view of the endpoints that answered 410. */
  gone: GoneList;
  /** Custom events for the features that listen to them (see src/event/listener.ts); register before run(). */
  events: EventFeed;
  /** The worker's connection; a client on it can start webhooks eagerly on this worker. */
  connection: NativeConnection;
  /** Runs until shutdown() is called; closes the HTTP client and connections after. */
  run(): Promise<void>;
  /** Stops both workers (each finishes what it is running). */
  shutdown(): void;
}

export interface CreateWorkerOptions {
  config: Config;
  encryptionKey: string;
  connection?: NativeConnection;
  /** Hookflow's PostgreSQL; by default DATABASE_URL or the running embedded one. */
  databaseUrl?: string;
  /** A prebuilt workflow bundle (tests, benchmarks); by default the worker bundles workflows/ itself. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** Extra Worker options, e.g. `shutdownGraceTime`. */
  workerOptions?: Partial<WorkerOptions>;
  /** Where the worker's delivery and breaker metrics go (src/metrics); none are kept without it. */
  metrics?: HookflowMetrics;
  /** Wraps the real activities, e.g. to make one fail in a test. */
  wrapActivities?: (activities: HookflowActivities) => HookflowActivities;
  /** Event listeners this worker polls (more can be registered on `events` before run()). */
  eventListeners?: EventListener[];
  /**
   * A module of your own workflows (e.g. journeys written with `hookflow/workflow`'s building
   * blocks, see workflows/examples/) that this worker runs beside Hookflow's, on the same task
   * queue and with the same activities. The worker bundles both itself: not with `workflowBundle`.
   */
  extraWorkflows?: string;
}

export const WORKFLOWS_PATH = path.resolve(__dirname, '../../workflows');

/** How often a worker prunes the ledger (each worker does; a prune with nothing to do is one indexed query). */
const PRUNE_INTERVAL_MS = 3_600_000;

export async function createHookflowWorker(options: CreateWorkerOptions): Promise<HookflowWorker> {
  const { config } = options;
  const databaseUrl = options.databaseUrl ?? resolveDatabaseUrl(config);
  await migrate(databaseUrl);
  await checkEncryptionKey(databaseUrl, options.encryptionKey);
  const pool = createPool(databaseUrl, config.databasePoolSize);
  const warn = (err: unknown, what: string): void => Runtime.instance().logger.warn(`${what} failed: ${(err as Error).message}`);
  const ledger = new LedgerWriter({ pool, encryptionKey: parseEncryptionKey(options.encryptionKey), flushMs: config.ledgerFlushMs, onError: warn, enabled: config.ledgerWrites });
  const connection = options.connection ?? (await NativeConnection.connect({ address: temporalAddressOf(config) }));
  // Activities talk to Temporal too (host reports and queries, resume signals), over the worker's own connection.
  const client = hookflowClient(connection, config.temporalNamespace, options.encryptionKey);
  const gate = new HostGate({
    client,
    hostQueue: hostTaskQueue(config),
    settings: breakerSettings(config),
    reportIntervalMs: config.hostReportIntervalMs,
    maxWaitMs: config.maxRetryAfterMs,
    onError: (err, what) => warn(err, `host gate: ${what}`),
  });
  options.metrics?.watchHosts(() => gate.hostStates());
  const gone = new GoneList({ pool, refreshMs: config.goneRefreshMs, onError: (err) => warn(err, 'reading gone endpoints') });
  const events = new EventFeed({ pool, pollMs: config.eventPollMs, batchSize: config.eventBatchSize, onError: warn });
  for (const listener of options.eventListeners ?? []) events.register(listener);
  // Journeys: their activities, and the listener that enters recipients and hands events to runs.
  const templates = new TemplateService(pool, config);
  // Entries from events and trigger steps start on this worker without a trip through the task queue.
  const journeys = new JourneyService(pool, client, config, templates, config.eagerStart);
  events.register(journeyListener(journeys));
  const http: Agent = createHttpClient({
    policy: createAddressPolicy({ allowPrivateNetworks: config.allowPrivateNetworks, allowedCidrs: config.allowedCidrs }),
  });
  // Hookflow-to-Hookflow webhooks go to the API at HOOKFLOW_SELF_URL, the one address outside the guard.
  const self = createSelfTarget(selfUrlOf(config), options.encryptionKey);
  // Recovery jobs retry webhooks as the SDK does, on this worker's connection and database.
  const hookflow = await Hookflow.connect({ config, client, encryptionKey: options.encryptionKey, databaseUrl });
  const recovery = createRecoveryActivities({ pool, hookflow });
  const sender = hookflow.campaignSender();
  // One gate per worker for every shared rate limit (campaigns' and journeys'): one lease per block of waiters.
  const rateLimits = new RateLimitGate(pool);
  const campaigns = createCampaignActivities({ pool, sender, rateLimits, maxHoldMs: config.rateLimitMaxHoldMs });
  events.register(campaignEventListener({ pool, sender }));
  if (options.extraWorkflows && options.workflowBundle) throw new Error('createHookflowWorker: extraWorkflows needs the worker to bundle its workflows: leave workflowBundle out');
  const workflowBundle = options.workflowBundle ?? (await bundleWorkflows(options.extraWorkflows));
  const common = {
    connection,
    namespace: config.temporalNamespace,
    workflowBundle,
    activities: (options.wrapActivities ?? ((a) => a))({
      ...createActivities({
        dispatcher: http,
        self,
        maxResponseBytes: config.maxResponseBytes,
        gate,
        client,
        ledger,
        gone,
        onError: warn,
        metrics: options.metrics?.deliveries,
        campaignGate: campaigns.campaignGate,
        // Half the sends at most: webhooks without a rate limit keep the other half.
        slotWaitersMax: Math.floor(config.maxConcurrentSends / 2),
      }),
      ...recovery,
      ...campaigns,
      ...createRateLimitActivities({ rateLimits, maxHoldMs: config.rateLimitMaxHoldMs }),
      ...createJourneyActivities({ pool, journeys, templates, config }),
    }),
    dataConverter: hookflowDataConverter(options.encryptionKey),
  };
  const worker = await Worker.create({
    ...common,
    taskQueue: config.taskQueue,
    maxConcurrentLocalActivityExecutions: config.maxConcurrentSends,
    maxConcurrentActivityTaskExecutions: config.maxConcurrentSends,
    maxCachedWorkflows: config.maxCachedWorkflows,
    ...options.workerOptions,
  });
  const hostWorker = await Worker.create({ ...common, taskQueue: hostTaskQueue(config), ...options.workerOptions });
  // A shutdown asked for before the workers run (while run() still starts the gate and the gone
  // list) is remembered: Worker.shutdown() is a no-op until they run.
  let stopAsked = false;
  const shutdown = (): void => {
    stopAsked = true;
    for (const w of [worker, hostWorker]) if (w.getState() === 'RUNNING') w.shutdown();
  };
  return {
    worker,
    hostWorker,
    gate,
    ledger,
    gone,
    events,
    connection,
    shutdown,
    async run() {
      gate.start();
      await gone.start();
      events.start();
      const pruning = startPruning(pool, config.ledgerRetentionDays, warn);
      try {
        // If either stops (or fails), stop the other too.
        const runs = [worker.run().finally(shutdown), hostWorker.run().finally(shutdown)];
        // Each run() is RUNNING as soon as called; only a running Worker lets go of the connection.
        if (stopAsked) shutdown();
        await Promise.all(runs);
      } finally {
        clearInterval(pruning);
        gone.stop();
        await events.stop();
        await gate.stop();
        await ledger.stop();
        await hookflow.close();
        await pool.end();
        await http.close();
        await self.close();
        if (!options.connection) await connection.close();
      }
    },
  };
}

/** Hookflow's workflows, and with `extra` those too, through an entry module that exports both. */
async function bundleWorkflows(extra: string | undefined): Promise<{ code: string }> {
  const logger = Runtime.instance().logger;
  if (!extra) return bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger });
  // Beside workflows/, so that the bundler finds Hookflow's node_modules from it.
  const dir = fs.mkdtempSync(path.join(path.dirname(WORKFLOWS_PATH), '.workflows-'));
  try {
    const entry = path.join(dir, 'index.ts');
    const spec = (p: string): string => JSON.stringify(p.replace(/\.[cm]?[jt]s$/, ''));
    fs.writeFileSync(entry, `export * from ${spec(WORKFLOWS_PATH)};\nexport * from ${spec(path.resolve(extra))};\n`);
    return await bundleWorkflowCode({ workflowsPath: entry, logger });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function startPruning(pool: pg.Pool, retentionDays: number, warn: (err: unknown, what: string) => void): NodeJS.Timeout | undefined {
  if (retentionDays === 0) return undefined;
  const prune = (): void => void pruneLedger(pool, new Date(Date.now() - retentionDays * 86_400_000)).catch((err: unknown) => warn(err, 'ledger pruning'));
  const timer = setInterval(prune, PRUNE_INTERVAL_MS);
  timer.unref();
  return timer;
}
