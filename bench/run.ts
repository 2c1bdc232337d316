/**
 * `npm run bench [-- --quick] [-- --only raw,naive,hookflow,...]`: every scenario in one run, so
 * that their ratios mean something. Writes bench/results/latest.json and prints a table.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { resolveTemporalCli } from '../src/dev/temporal-dev-server';
import { measure, type Figures } from './lib/measure';
import { round } from './lib/stats';
import { hookflowApiSystem, hookflowSystem, naiveSystem, rawSystem, type System } from './lib/systems';
import { benchWorkDir, startBenchTemporal, type BenchTemporal } from './lib/temporal';
import { bullmqSystem } from './bullmq/system';
import { renderResults, writeResults } from './lib/report';
import { benchDatabase, stopBenchPostgres } from './lib/postgres';
import { ledgerList } from './scenarios/ledger-list';
import { reportScenario } from './scenarios/report';
import { campaignFanout } from './scenarios/campaign-fanout';
import { campaignRate } from './scenarios/campaign-rate';
import { eventCampaign } from './scenarios/event-campaign';
import { downHost } from './scenarios/down-host';
import { eventIngest } from './scenarios/event-ingest';
import { floor } from './scenarios/floor';
import { retryHeavy } from './scenarios/retry-heavy';
import { slowReceiver } from './scenarios/slow-receiver';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const only = args.find((a) => a.startsWith('--only='))?.slice('--only='.length).split(',');
/** Scenarios that settle design choices; a --quick run leaves them out unless asked for. */
const DESIGN = ['hookflow-regular', 'hookflow-api', 'hookflow-api-no-eager', 'slow-receiver', 'hookflow-2-workers'];
const wanted = (name: string): boolean => (only ? only.includes(name) : !(quick && DESIGN.includes(name)));

const SIZES = quick
  ? { count: 600, latency: 300, retryHeavy: 300, downHost: 600, slow: 6, ledgerRows: 100_000, events: 2_000, fanout: 2_000, rateRecipients: 700, eventCampaign: 500, eventLatency: 100 }
  : { count: 5_000, latency: 2_000, retryHeavy: 2_000, downHost: 10_000, slow: 20, ledgerRows: 1_000_000, events: 20_000, fanout: 10_000, rateRecipients: 1_900, eventCampaign: 2_000, eventLatency: 200 };
const countArg = args.find((a) => a.startsWith('--count='));
if (countArg) {
  const n = Number(countArg.slice('--count='.length));
  Object.assign(SIZES, { count: n, latency: Math.max(100, Math.floor(n / 2)), retryHeavy: n, downHost: n, slow: Math.min(SIZES.slow, n) });
}
/** Triggers in flight at once for the throughput runs, the same for every system. */
const IN_FLIGHT = 64;
/** The campaign-rate scenario's limit: the 600 a minute; --quick runs about a minute of it, the full run over three. */
const RATE_LIMIT_PER_MINUTE = 600;
/** Workers serving the campaign-rate scenario: the limit must hold across workers. */
const RATE_WORKERS = 2;
/** Events/s of the event-campaign latency sample: well under one worker's delivery rate here (30–40/s). */
const EVENT_LATENCY_RATE = Number(process.env.BENCH_EVENT_LATENCY_RATE ?? 5);
/** Down-host drain rate: the default 20/s would take 8 minutes for 10,000 webhooks. */
const DOWN_HOST_RESUME_RATE = 100;

const log = (line: string): void => void process.stderr.write(`${line}\n`);

/** Runs `fn` on `system`, then stops the system. */
async function using<S extends System, T>(system: S, fn: (system: S) => Promise<T>): Promise<T> {
  try {
    return await fn(system);
  } finally {
    await system.stop();
  }
}

const measured = (system: System): Promise<Figures> =>
  using(system, (s) => measure(s, { count: SIZES.count, inFlight: IN_FLIGHT, latencyCount: SIZES.latency, log }));

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const work = benchWorkDir();
  const logs = path.join(work, 'logs');
  const started = Date.now();
  const scenarios: Record<string, unknown> = {};
  const notes: string[] = [];
  let flags = '';
  const cli = process.env.TEMPORAL_ADDRESS ? undefined : resolveTemporalCli(process.env.TEMPORAL_CLI_PATH);

  /** A fresh Temporal server for each system, so that no run inherits another's history. */
  const onFreshTemporal = async <S extends System, T>(make: (t: BenchTemporal) => Promise<S>, fn: (system: S) => Promise<T>): Promise<T> => {
    const temporal = await startBenchTemporal(work);
    flags = temporal.flags;
    try {
      return await using(await make(temporal), fn);
    } finally {
      await temporal.stop();
    }
  };

  if (wanted('raw')) {
    log('raw: undici straight to the receiver');
    scenarios.raw = await measured(rawSystem(IN_FLIGHT));
  }
  if (wanted('naive')) {
    log('naive: one workflow + one regular activity, default retry policy');
    scenarios.naive = await onFreshTemporal((t) => naiveSystem(t, logs), measured);
  }
  if (wanted('hookflow')) {
    log('hookflow: client SDK send, delivery workflow, local send activity, breaker reporting on');
    scenarios.hookflow = await onFreshTemporal((t) => hookflowSystem(t, logs), measured);
  }
  if (wanted('floor')) {
    log('floor: an empty workflow, started as hookflow starts a webhook (codec, start options, search attributes)');
    const temporal = await startBenchTemporal(work);
    try {
      scenarios.floor = await floor(temporal, logs, { count: SIZES.count, inFlight: IN_FLIGHT, log });
    } finally {
      await temporal.stop();
    }
  }
  if (wanted('hookflow-2-workers')) {
    log('hookflow-2-workers: the same with two worker processes on the task queue (the scaling curve: one vs two)');
    scenarios['hookflow-2-workers'] = await onFreshTemporal((t) => hookflowSystem(t, logs, { name: 'hookflow-2-workers', workers: 2 }), measured);
  }
  if (wanted('hookflow-no-ledger')) {
    log('hookflow-no-ledger: the same with HOOKFLOW_LEDGER_WRITES=false (what writing the ledger costs)');
    scenarios['hookflow-no-ledger'] = await onFreshTemporal(
      (t) => hookflowSystem(t, logs, { name: 'hookflow-no-ledger', env: { HOOKFLOW_LEDGER_WRITES: 'false' } }),
      measured,
    );
  }
  if (wanted('hookflow-regular')) {
    log('hookflow-regular: the same with HOOKFLOW_SEND_ACTIVITY=regular');
    scenarios['hookflow-regular'] = await onFreshTemporal(
      (t) => hookflowSystem(t, logs, { name: 'hookflow-regular', env: { HOOKFLOW_SEND_ACTIVITY: 'regular' } }),
      measured,
    );
  }
  for (const eager of [true, false]) {
    const name = eager ? 'hookflow-api' : 'hookflow-api-no-eager';
    if (!wanted(name)) continue;
    log(`${name}: POST /v1/webhooks to API and worker in one process, eager start ${eager ? 'on' : 'off'}`);
    scenarios[name] = await onFreshTemporal((t) => hookflowApiSystem(t, logs, eager), measured);
  }
  if (wanted('bullmq')) {
    const bull = await bullmqSystem(work, logs, IN_FLIGHT);
    if (typeof bull === 'string') {
      log(`bullmq: skipped: ${bull}`);
      notes.push(`bullmq skipped: ${bull}`);
    } else {
      log('bullmq: a BullMQ queue and worker over Redis');
      scenarios.bullmq = await measured(bull);
    }
  }
  if (wanted('retry-heavy')) {
    log('retry-heavy: 20 % answered 503 once');
    const run = (s: System) => retryHeavy(s, SIZES.retryHeavy, IN_FLIGHT);
    scenarios['retry-heavy'] = {
      naive: await onFreshTemporal((t) => naiveSystem(t, logs), run),
      hookflow: await onFreshTemporal((t) => hookflowSystem(t, logs, { retry: { initialIntervalMs: 1_000 } }), run),
    };
  }
  if (wanted('slow-receiver')) {
    log('slow-receiver: a 12 s receiver, local against regular activity');
    const run = (sendActivity: 'local' | 'regular') =>
      onFreshTemporal(
        (t) => hookflowSystem(t, logs, { name: `slow-${sendActivity}`, env: { HOOKFLOW_SEND_ACTIVITY: sendActivity } }),
        (s) => slowReceiver(s, SIZES.slow),
      );
    scenarios['slow-receiver'] = { local: await run('local'), regular: await run('regular') };
  }
  if (wanted('ledger-list')) {
    log(`ledger-list: GET /v1/webhooks filters over ${SIZES.ledgerRows} ledger rows`);
    scenarios['ledger-list'] = await ledgerList(await benchDatabase(path.join(logs, 'pg'), 'ledger-list'), SIZES.ledgerRows, log);
  }
  if (wanted('event-ingest')) {
    log(`event-ingest: POST /v1/events, ${SIZES.events} events, nothing listening`);
    const temporal = await startBenchTemporal(work);
    try {
      scenarios['event-ingest'] = await eventIngest(temporal, logs, SIZES.events, log);
    } finally {
      await temporal.stop();
    }
  }
  if (wanted('event-campaign')) {
    const events = Number(process.env.BENCH_EVENT_CAMPAIGN_EVENTS ?? SIZES.eventCampaign);
    log(`event-campaign: POST /v1/events, ${events} single and ${events} batched, one event campaign listening`);
    const temporal = await startBenchTemporal(work);
    try {
      scenarios['event-campaign'] = await eventCampaign(temporal, logs, { events, latencyCount: SIZES.eventLatency, latencyRate: EVENT_LATENCY_RATE, log });
    } finally {
      await temporal.stop();
    }
  }
  if (wanted('report')) {
    log(`report: GET /v1/reports over ${SIZES.ledgerRows} ledger webhooks`);
    scenarios.report = await reportScenario(await benchDatabase(path.join(logs, 'pg'), 'report'), SIZES.ledgerRows, log);
  }
  if (wanted('campaign-fanout')) {
    // BENCH_FANOUT=100000: the largest size, hours a side on 2 cores.
    const fanout = Number(process.env.BENCH_FANOUT ?? SIZES.fanout);
    log(`campaign-fanout: ${fanout} campaign recipients against ${fanout} single webhooks`);
    scenarios['campaign-fanout'] = await onFreshTemporal(
      (t) => hookflowSystem(t, logs, { name: 'campaign-fanout' }),
      (s) => campaignFanout(s, fanout, log),
    );
  }
  if (wanted('campaign-rate')) {
    log(`campaign-rate: ${SIZES.rateRecipients} recipients of one campaign at ${RATE_LIMIT_PER_MINUTE}/min, ${RATE_WORKERS} workers`);
    scenarios['campaign-rate'] = await onFreshTemporal(
      (t) => hookflowSystem(t, logs, { name: 'campaign-rate', workers: RATE_WORKERS }),
      (s) => campaignRate(s, { recipients: SIZES.rateRecipients, rateLimitPerMinute: RATE_LIMIT_PER_MINUTE, log }),
    );
  }
  if (wanted('down-host')) {
    log(`down-host: ${SIZES.downHost} webhooks to a host that is down, then recovers`);
    const env = {
      HOOKFLOW_BREAKER_WINDOW_MS: '10000',
      HOOKFLOW_BREAKER_COOLDOWN_MS: '5000',
      HOOKFLOW_BREAKER_MAX_COOLDOWN_MS: '20000',
      HOOKFLOW_HOST_RESUME_RATE: String(DOWN_HOST_RESUME_RATE),
    };
    const retry = { initialIntervalMs: 1_000, maxIntervalMs: 5_000, maxAttempts: 100, maxDurationSeconds: 86_400 };
    scenarios['down-host'] = await onFreshTemporal(
      (t) => hookflowSystem(t, logs, { name: 'down-host', env, retry }),
      (s) => downHost(s, SIZES.downHost, DOWN_HOST_RESUME_RATE, log),
    );
  }

  const ratio = (a?: Figures, b?: Figures) => (a && b ? round(a.deliveriesPerSec / b.deliveriesPerSec, 2) : undefined);
  const result = {
    date: new Date().toISOString(),
    quick,
    machine: {
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model,
      memoryGb: round(os.totalmem() / 2 ** 30),
      node: process.version,
      temporalCli: cli ? execFileSync(cli, ['--version']).toString().trim() : `external ${process.env.TEMPORAL_ADDRESS}`,
      temporalServerFlags: flags,
    },
    sizes: SIZES,
    inFlight: IN_FLIGHT,
    scenarios,
    ratios: {
      hookflowOverNaive: ratio(scenarios.hookflow as Figures, scenarios.naive as Figures),
      hookflowOverRaw: ratio(scenarios.hookflow as Figures, scenarios.raw as Figures),
      ledgerOverNoLedger: ratio(scenarios.hookflow as Figures, scenarios['hookflow-no-ledger'] as Figures),
      hookflowOverFloor: ratio(scenarios.hookflow as Figures, scenarios.floor as Figures),
    },
    notes,
    wallSeconds: round((Date.now() - started) / 1000),
  };
  const out = path.resolve(__dirname, '../../bench/results');
  fs.mkdirSync(out, { recursive: true });
  fs.writeFileSync(path.join(out, 'latest.json'), `${JSON.stringify(result, null, 2)}\n`);
  const report = renderResults(result);
  console.log(report);
  // Only a full run of every scenario replaces the figures the README keeps.
  if (!quick && !only && !countArg) writeResults(path.join(out, '..', 'README.md'), report);
  log(`wrote bench/results/latest.json (${result.wallSeconds} s); logs in ${logs}`);
  await stopBenchPostgres();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
