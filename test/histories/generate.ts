/**
 * `npm run histories`: records the histories of real runs of each workflow type into
 * test/histories/<type>/, which test/replay/replay.test.ts replays on every `npm test`. Run it when
 * a workflow gains behaviour worth guarding. It rewrites the files at the top of each folder; older
 * histories kept in subfolders stay, because workflows already running still have histories like
 * them: deliver-webhook/before-ledger/ (recorded before the ledger existed),
 * deliver-webhook/patched-ledger/ (recorded while every run asked the `ledger` patch, before inputs
 * said `ledger: true` themselves) and deliver-webhook/before-settle/ (recorded while the workflow
 * stored every final ledger record itself, before a delivering attempt could).
 *
 * Two dev servers: one as in production, one that suggests continue-as-new after a few events.
 * `npm run histories -- run-journey` records only the journey workflow's histories.
 * `npm run histories -- campaigns` records only the campaign scenarios (dispatch-campaign/ and
 * deliver-webhook/campaign-*), leaving the other files as they are.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { hostWorkflowId, resumeSignal } from '../../src/breaker/definitions';
import { Hookflow } from '../../src/client/hookflow';
import { loadConfig, type Config } from '../../src/config';
import { webhookWorkflowId } from '../../src/delivery/definitions';
import { recoveryWorkflowId } from '../../src/recovery/definitions';
import { recipientKey } from '../../src/journey/store';
import { dispatchWorkflowId } from '../../src/campaign/definitions';
import { startEmbeddedPostgres, type RunningPostgres } from '../../src/db/embedded-postgres';
import { freePort } from '../../src/dev/free-port';
import { resolveTemporalCli, startDevServer, type DevServer } from '../../src/dev/temporal-dev-server';
import { createHookflowWorker } from '../../src/worker/create-worker';
import { startReceiver, type Receiver } from '../helpers/receiver';
import { runHistories } from '../helpers/runs';
import { sleep, until } from '../helpers/wait';
import { HISTORY_KEY, SIGNING_SECRET } from './fixture';

const OUT = path.resolve(__dirname);
const settings: Partial<Config> = {
  allowPrivateNetworks: true,
  breakerWindowMs: 10_000,
  breakerMinRequests: 4,
  breakerCooldownMs: 2_000,
  breakerMaxCooldownMs: 4_000,
  hostResumeRate: 10,
  hostReportIntervalMs: 1_000,
  logLevel: 'warn',
};

interface Env {
  server: DevServer;
  hookflow: Hookflow;
  stop(): Promise<void>;
}

let postgres: RunningPostgres | undefined;

async function environment(name: string, dynamicConfig: Record<string, unknown> = {}, overrides: Partial<Config> = {}): Promise<Env> {
  const server = await startDevServer({ cliPath: resolveTemporalCli(process.env.TEMPORAL_CLI_PATH), port: await freePort(), dynamicConfig });
  const config: Config = { ...loadConfig({}), ...settings, ...overrides, temporalAddress: server.address, taskQueue: `histories-${name}`, databaseUrl: postgres!.url };
  const worker = await createHookflowWorker({ config, encryptionKey: HISTORY_KEY });
  const running = worker.run();
  const hookflow = await Hookflow.connect({ config, encryptionKey: HISTORY_KEY });
  return {
    server,
    hookflow,
    async stop() {
      worker.shutdown();
      await running;
      await hookflow.close();
      await server.stop();
    },
  };
}

async function save(client: Client, type: string, scenario: string, workflowId: string): Promise<void> {
  const runs = await runHistories(client, workflowId);
  fs.mkdirSync(path.join(OUT, type), { recursive: true });
  runs.forEach((history, i) => {
    const name = runs.length === 1 ? scenario : `${scenario}.run-${i + 1}`;
    // protobufjs's own JSON (enum names, base64 bytes); the SDK's historyToJSON trips over the two
    // protobufjs copies in node_modules. test/replay reads it back with History.fromObject.
    fs.writeFileSync(path.join(OUT, type, `${name}.json`), `${JSON.stringify(temporal.api.history.v1.History.fromObject(history), null, 1)}\n`);
  });
  process.stdout.write(`  ${type}/${scenario}: ${runs.length} run(s), ${runs.map((h) => h.events?.length).join(' + ')} events\n`);
}

const webhook = (url: string) => ({
  url,
  body: { note: 'history-body-marker' },
  headers: { 'X-Token': 'history-header-marker' },
  signingSecret: SIGNING_SECRET,
  retry: { initialIntervalMs: 1_000, maxIntervalMs: 2_000, maxAttempts: 20 },
});

/** One workflow type's histories only (`campaigns` records dispatch-campaign/ and deliver-webhook/campaign-*). */
const ONLY = process.argv[2] === 'campaigns' ? 'dispatch-campaign' : process.argv[2];
const TYPES = ONLY ? [ONLY] : ['deliver-webhook', 'host-circuit', 'recover-webhooks', 'dispatch-campaign', 'run-journey'];
// The journey's histories are recorded together: both its workflow types at once.
if (TYPES.includes('run-journey')) TYPES.push('enter-journey-audience');

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  for (const type of TYPES) {
    const dir = path.join(OUT, type);
    for (const f of fs.existsSync(dir) ? fs.readdirSync(dir) : []) if (f.endsWith('.json')) fs.rmSync(path.join(dir, f));
  }
  const webhookDir = path.join(OUT, 'deliver-webhook');
  for (const f of fs.readdirSync(webhookDir)) if (f.startsWith('campaign-') && f.endsWith('.json')) fs.rmSync(path.join(webhookDir, f));
  const pgDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hookflow-histories-'));
  fs.chmodSync(pgDir, 0o755);
  postgres = await startEmbeddedPostgres({ dir: path.join(pgDir, 'postgres'), port: await freePort(), settings: { fsync: 'off' } });
  const receivers: Receiver[] = [];
  const receiver = async (script?: Parameters<typeof startReceiver>[0]) => {
    const r = await startReceiver(script);
    receivers.push(r);
    return r;
  };

  if (TYPES.includes('run-journey')) await journeyHistories(receiver);
  if (TYPES.includes('dispatch-campaign')) await campaignScenarios(receiver);
  if (ONLY) return finish(receivers, pgDir);
  await coreScenarios(receiver);
  await finish(receivers, pgDir);
}

type StartReceiver = (script?: Parameters<typeof startReceiver>[0]) => Promise<Receiver>;

/** A dispatch of an API-triggered campaign, one paced by its rate limit, one that continued as new, and a campaign webhook without and with a rate limit. */
async function campaignScenarios(receiver: StartReceiver): Promise<void> {
  const dispatchOf = async (hookflow: Hookflow, campaignId: string, count: number, extra: Record<string, unknown> = {}): Promise<string> => {
    const r = await receiver();
    await hookflow.saveTemplate(`${campaignId}-tpl`, { url: `${r.url}/c`, body: { user: '{{ recipient.id }}', note: 'history-body-marker' } });
    await hookflow.putCampaign(campaignId, { template: { id: `${campaignId}-tpl` }, trigger: { type: 'api' }, ...extra });
    const { dispatchId } = await hookflow.triggerCampaign(campaignId, { recipients: Array.from({ length: count }, (_, i) => ({ id: `history-recipient-${i}` })) });
    await r.waitFor(count, 60_000);
    await hookflow.client.workflow.getHandle(dispatchWorkflowId(dispatchId)).result();
    return dispatchId;
  };
  // One send at a time: no attempt waits for a far rate-limit slot inside the send (slotWaitersMax 0),
  // so the rate-limited webhook below records the path through its workflow's timer.
  const plain = await environment('campaigns', {}, { campaignPageSize: 2, maxConcurrentSends: 1 });
  try {
    const { hookflow } = plain;
    const dispatchId = await dispatchOf(hookflow, 'history-campaign', 3);
    await save(hookflow.client, 'dispatch-campaign', 'completed', dispatchWorkflowId(dispatchId));
    // A campaign webhook without a rate limit: its gate asked by the send activity, delivered at once.
    const [delivered] = (await hookflow.list({ limit: 3 })).data;
    await hookflow.result(delivered.id);
    await save(hookflow.client, 'deliver-webhook', 'campaign-first-try', webhookWorkflowId(delivered.id));
    // 10 a minute: the second waits for its slot (6.3 s), paused, and is sent when it comes; the
    // dispatch waits before looking for a next page (its two slots run 12 s ahead, src/campaign/pace.ts).
    const paced = await dispatchOf(hookflow, 'history-limited', 2, { rateLimitPerMinute: 10 });
    await save(hookflow.client, 'dispatch-campaign', 'paced', dispatchWorkflowId(paced));
    const waited: string[] = [];
    for (const w of (await hookflow.list({ limit: 10 })).data) {
      const state = await hookflow.status(w.id);
      const first = state.attempts[0];
      if (state.attempts.length === 1 && first && Date.parse(first.startedAt) - Date.parse(state.createdAt) > 3_000) waited.push(w.id);
    }
    if (waited.length === 0) throw new Error('no campaign webhook waited for its rate-limit slot');
    await save(hookflow.client, 'deliver-webhook', 'campaign-rate-limited', webhookWorkflowId(waited[0]));
  } finally {
    await plain.stop();
  }
  const tiny = await environment('campaigns-tiny', { 'limit.historyCount.suggestContinueAsNew': 16 }, { campaignPageSize: 2 });
  try {
    const dispatchId = await dispatchOf(tiny.hookflow, 'history-long', 9);
    await save(tiny.hookflow.client, 'dispatch-campaign', 'continued-as-new', dispatchWorkflowId(dispatchId));
  } finally {
    await tiny.stop();
  }
}

async function coreScenarios(receiver: StartReceiver): Promise<void> {
  const plain = await environment('plain');
  try {
    const { hookflow } = plain;
    const client = hookflow.client;
    const wid = (id: string) => webhookWorkflowId(id);

    const ok = await receiver();
    const first = await hookflow.send(webhook(ok.url));
    await hookflow.result(first.id);
    await save(client, 'deliver-webhook', 'first-try', wid(first.id));

    const later = await receiver((x) => (x.n === 1 ? { status: 500, headers: { 'retry-after': '1' } } : { status: 200 }));
    const retried = await hookflow.send(webhook(later.url));
    await hookflow.result(retried.id);
    await save(client, 'deliver-webhook', 'retry-after', wid(retried.id));

    const held = await receiver();
    await hookflow.pauseHost(held.authority);
    const paused = await hookflow.send(webhook(held.url));
    await until('a paused webhook', async () => ((await hookflow.status(paused.id)).status === 'paused' ? true : undefined));
    await hookflow.resumeHost(held.authority);
    await hookflow.result(paused.id);
    await save(client, 'deliver-webhook', 'paused-and-resumed', wid(paused.id));
    await save(client, 'host-circuit', 'paused-by-an-operator', hostWorkflowId(hookflow.hostQueue, held.authority));

    const failing = await receiver(() => ({ status: 503 }));
    const cancelled = await hookflow.send({ ...webhook(failing.url), retry: { initialIntervalMs: 30_000, maxIntervalMs: 30_000 } });
    await failing.waitFor(1);
    await hookflow.cancel(cancelled.id);
    await save(client, 'deliver-webhook', 'cancelled', wid(cancelled.id));

    let accepting = false;
    const rejecting = await receiver(() => ({ status: accepting ? 200 : 422 }));
    const rejected = await Promise.all(Array.from({ length: 3 }, () => hookflow.send(webhook(rejecting.url))));
    for (const { id } of rejected) await hookflow.result(id);
    accepting = true;
    const { job } = await hookflow.recover({ status: 'failed', host: rejecting.authority });
    await until('the recovery job to complete', async () => ((await hookflow.job(job.id)).status === 'completed' ? true : undefined));
    await save(client, 'recover-webhooks', 'completed', recoveryWorkflowId(job.id));

    let healthy = false;
    let probes = 0;
    const flaky = await receiver(() => {
      if (!healthy) return { status: 503 };
      probes += 1;
      return { status: 200 };
    });
    const opened = await Promise.all(Array.from({ length: 5 }, () => hookflow.send(webhook(flaky.url))));
    await until('the breaker to open', async () => ((await hookflow.hostStatus(flaky.authority)).state === 'open' ? true : undefined));
    // One failed probe (cooldown doubles), then a good one closes it and the rest drain.
    await until('a failed probe', async () => ((await hookflow.hostStatus(flaky.authority)).cooldownMs > settings.breakerCooldownMs! ? true : undefined));
    healthy = true;
    for (const { id } of opened) await hookflow.result(id);
    await until('the breaker to close', async () => ((await hookflow.hostStatus(flaky.authority)).state === 'closed' ? true : undefined));
    await sleep(2_000);
    await save(client, 'host-circuit', 'opened-probed-closed', hostWorkflowId(hookflow.hostQueue, flaky.authority));
    process.stdout.write(`  (the healthy host answered ${probes} requests after recovering)\n`);
  } finally {
    await plain.stop();
  }

  const tiny = await environment('tiny', { 'limit.historyCount.suggestContinueAsNew': 16 });
  try {
    const { hookflow } = tiny;
    const client = hookflow.client;
    const held = await receiver();
    await hookflow.pauseHost(held.authority);
    const { id } = await hookflow.send(webhook(held.url));
    await until('a paused webhook', async () => ((await hookflow.status(id)).status === 'paused' ? true : undefined));
    // Stale resumes (for no attempt of this webhook) grow its history past the mark while it waits.
    for (let i = 0; i < 4; i++) await client.workflow.getHandle(webhookWorkflowId(id)).signal(resumeSignal, { ticket: 0 });
    await until('a second run', async () => ((await runHistories(client, webhookWorkflowId(id))).length >= 2 ? true : undefined));
    await hookflow.resumeHost(held.authority);
    await hookflow.result(id);
    await save(client, 'deliver-webhook', 'continued-as-new', webhookWorkflowId(id));
    await sleep(2_000);
    await save(client, 'host-circuit', 'continued-as-new', hostWorkflowId(hookflow.hostQueue, held.authority));
  } finally {
    await tiny.stop();
  }
}

async function finish(receivers: Receiver[], pgDir: string): Promise<void> {
  await Promise.all(receivers.map((r) => r.close()));
  await postgres!.stop();
  fs.rmSync(pgDir, { recursive: true, force: true });
}

/** The journey interpreter: every step type in one run, an exit, a migrate, and continue-as-new while waiting. */
async function journeyHistories(receiver: (script?: Parameters<typeof startReceiver>[0]) => Promise<Receiver>): Promise<void> {
  const runId = (journey: string, recipient: string): string => `journey:${journey}:${recipientKey(recipient)}`;
  const ran = async (hookflow: Hookflow, journey: string, recipient: string, done: (run: { status: string; currentStep?: string }) => boolean) =>
    until(`${recipient} in ${journey}`, async () => {
      try {
        const run = await hookflow.journeyRun(journey, recipient);
        return done(run) ? run : undefined;
      } catch {
        return undefined;
      }
    });
  const plain = await environment('journeys');
  try {
    const { hookflow } = plain;
    const crm = await receiver(() => ({ status: 200, headers: { 'content-type': 'application/json' }, body: '{"id":"crm-1"}' }));
    await hookflow.saveTemplate('history-crm', { url: `${crm.url}/crm`, headers: { 'X-Token': 'history-header-marker' }, body: { user: '{{ recipient.id }}', note: 'history-body-marker' } });
    await hookflow.saveJourney('history-all', {
      entry: { type: 'event', event: 'signup' },
      steps: [
        { id: 'call', type: 'webhook', template: { id: 'history-crm' }, save: { crmId: '$.id' }, next: 'check' },
        { id: 'check', type: 'split', paths: [{ when: { path: 'steps.call.statusCode', op: 'eq', value: 200 }, next: 'wait' }], else: 'end' },
        { id: 'wait', type: 'waitForEvent', windowSeconds: 60, paths: [{ event: 'purchase', next: 'pause' }], timeout: 'end' },
        { id: 'pause', type: 'delay', seconds: 1, next: 'ab' },
        { id: 'ab', type: 'experiment', paths: [{ percent: 50, next: 'count' }, { percent: 50, next: 'count2' }] },
        { id: 'count', type: 'update', context: { n: '{{ context.n | default: 0 | plus: 1 }}' }, next: 'tell' },
        { id: 'count2', type: 'update', attributes: { n: '{{ recipient.attributes.n | default: 0 | plus: 1 }}' }, next: 'tell' },
        { id: 'tell', type: 'trigger', event: { name: 'history-told' }, next: 'end' },
        { id: 'end', type: 'exit' },
      ],
    });
    await hookflow.publishJourney('history-all');
    await hookflow.track({ events: [{ name: 'signup', recipientId: 'history-user' }, { name: 'purchase', recipientId: 'history-user' }] });
    await ran(hookflow, 'history-all', 'history-user', (r) => r.status !== 'running');
    await save(hookflow.client, 'run-journey', 'every-step', runId('history-all', 'history-user'));

    const wait = { id: 'wait', type: 'waitForEvent', windowSeconds: 600, paths: [{ event: 'go', next: 'end' }], timeout: 'end' };
    await hookflow.saveJourney('history-wait', { entry: { type: 'api' }, steps: [wait, { id: 'end', type: 'exit' }] });
    await hookflow.publishJourney('history-wait');
    await hookflow.enterJourney('history-wait', { recipients: [{ id: 'history-exit' }, { id: 'history-migrate' }] });
    await ran(hookflow, 'history-wait', 'history-exit', (r) => r.currentStep === 'wait');
    await hookflow.exitJourneyRun('history-wait', 'history-exit');
    await ran(hookflow, 'history-wait', 'history-exit', (r) => r.status !== 'running');
    await save(hookflow.client, 'run-journey', 'exited', runId('history-wait', 'history-exit'));

    await hookflow.saveJourney('history-wait', { entry: { type: 'api' }, steps: [{ ...wait, paths: [{ event: 'go', next: 'bye' }], timeout: 'bye' }, { id: 'bye', type: 'exit' }] });
    await hookflow.publishJourney('history-wait');
    await ran(hookflow, 'history-wait', 'history-migrate', (r) => r.currentStep === 'wait');
    await hookflow.migrateJourney('history-wait', { from: 1, to: 2 });
    await hookflow.track({ name: 'go', recipientId: 'history-migrate' });
    await ran(hookflow, 'history-wait', 'history-migrate', (r) => r.status !== 'running');
    await save(hookflow.client, 'run-journey', 'migrated', runId('history-wait', 'history-migrate'));

    for (const id of ['history-a1', 'history-a2']) await hookflow.putRecipient(id, { cohort: 'history' });
    await hookflow.saveJourney('history-scheduled', {
      entry: { type: 'schedule', cron: '0 9 * * mon', audience: { path: 'recipient.attributes.cohort', op: 'eq', value: 'history' } },
      steps: [{ id: 'end', type: 'exit' }],
    });
    await hookflow.publishJourney('history-scheduled');
    const schedule = hookflow.client.schedule.getHandle('journey-schedule:history-scheduled');
    await schedule.trigger();
    const fired = await until('the schedule to fire', async () => (await schedule.describe()).info.recentActions[0]?.action.workflow.workflowId);
    await hookflow.client.workflow.getHandle(fired).result();
    await save(hookflow.client, 'enter-journey-audience', 'completed', fired);
    await schedule.delete();
  } finally {
    await plain.stop();
  }

  const tiny = await environment('journeys-tiny', { 'limit.historyCount.suggestContinueAsNew': 16 });
  try {
    const { hookflow } = tiny;
    await hookflow.saveJourney('history-long', {
      entry: { type: 'api' },
      steps: [
        { id: 'wait', type: 'waitForEvent', windowSeconds: 600, paths: [{ event: 'buy', where: { path: 'event.properties.amount', op: 'gt', value: 100 }, next: 'end' }], timeout: 'end' },
        { id: 'end', type: 'exit' },
      ],
    });
    await hookflow.publishJourney('history-long');
    await hookflow.enterJourney('history-long', { recipients: [{ id: 'history-long' }] });
    await ran(hookflow, 'history-long', 'history-long', (r) => r.currentStep === 'wait');
    // Small purchases do not match: their signals grow the waiting run's history past the mark.
    for (let i = 0; i < 12; i++) await hookflow.track({ name: 'buy', recipientId: 'history-long', properties: { amount: i } });
    const id = runId('history-long', 'history-long');
    await until('a second run', async () => ((await runHistories(hookflow.client, id)).length >= 2 ? true : undefined));
    await hookflow.track({ name: 'buy', recipientId: 'history-long', properties: { amount: 500 } });
    await ran(hookflow, 'history-long', 'history-long', (r) => r.status !== 'running');
    await save(hookflow.client, 'run-journey', 'continued-as-new', id);
  } finally {
    await tiny.stop();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`histories: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
