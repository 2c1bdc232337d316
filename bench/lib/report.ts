/** Renders a run's figures as the markdown that bench/README.md keeps between its markers. */
import fs from 'node:fs';

type Row = Record<string, unknown>;

const table = (header: string[], rows: (string | number | undefined)[][]): string =>
  [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.map((c) => (c === undefined ? '–' : String(c))).join(' | ')} |`)].join('\n');

export function renderResults(result: {
  date: string;
  machine: Record<string, unknown>;
  sizes: Record<string, number>;
  scenarios: Record<string, unknown>;
  ratios: Record<string, number | undefined>;
  notes: string[];
}): string {
  const s = result.scenarios as Record<string, Row>;
  const m = result.machine;
  const main = ['raw', 'naive', 'hookflow', 'hookflow-2-workers', 'hookflow-no-ledger', 'hookflow-regular', 'hookflow-api', 'hookflow-api-no-eager', 'bullmq'].filter((n) => s[n]);
  const parts = [
    `Measured ${result.date.slice(0, 10)} on ${m.cpus} cores (${m.cpuModel}), ${m.memoryGb} GB, Node ${m.node}, ${m.temporalCli}; ` +
      `${result.sizes.count} deliveries per throughput run.`,
    '',
    table(
      ['scenario', 'deliveries/s', 'p50 ms', 'p95 ms', 'p99 ms', 'CPU s per 1,000 (worker + server [+ PostgreSQL])', 'worker peak RSS MB', 'history events per delivery'],
      main.map((n) => {
        const f = s[n];
        const byProcess = (f.cpuSecondsPer1000ByProcess as number[] | undefined)?.join(' + ');
        return [n, f.deliveriesPerSec as number, f.p50Ms as number, f.p95Ms as number, f.p99Ms as number, `${f.cpuSecondsPer1000}${byProcess && byProcess.includes('+') ? ` (${byProcess})` : ''}`, f.peakRssMb as number, f.historyEventsPerDelivery as number];
      }),
    ),
    '',
    `hookflow / naive: **${result.ratios.hookflowOverNaive ?? '–'}×** deliveries per second; hookflow / raw: ${result.ratios.hookflowOverRaw ?? '–'}×.`,
    `hookflow with the ledger / without (HOOKFLOW_LEDGER_WRITES=false): **${result.ratios.ledgerOverNoLedger ?? '–'}×** deliveries per second.`,
  ];
  const floor = s.floor as Row | undefined;
  if (floor) {
    parts.push(
      '',
      `Floor (an empty workflow started as hookflow starts a webhook, same server kind): **${floor.deliveriesPerSec as number}/s**, ` +
        `CPU ${floor.cpuSecondsPer1000 as number} s per 1,000 (${(floor.cpuSecondsPer1000ByProcess as number[]).join(' + ')}); ` +
        `hookflow / floor: **${result.ratios.hookflowOverFloor ?? '–'}×** deliveries per second.`,
    );
  }
  const rh = s['retry-heavy'] as Record<string, Row> | undefined;
  if (rh) {
    parts.push('', 'Retry-heavy (20 % answered 503 once):', '', table(['system', 'webhooks', 'failed once', 'seconds to deliver all', 'deliveries/s', 'requests seen'], Object.entries(rh).map(([k, f]) => [k, f.deliveries as number, f.failedOnce as number, f.secondsToDeliverAll as number, f.deliveriesPerSec as number, f.requestsSeen as number])));
  }
  const slow = s['slow-receiver'] as Record<string, Row> | undefined;
  if (slow) {
    parts.push('', 'Slow receiver (answers after 12 s):', '', table(['send activity', 'webhooks', 'history events per delivery', 'seconds to deliver all'], Object.entries(slow).map(([k, f]) => [k, f.deliveries as number, f.historyEventsPerDelivery as number, f.secondsToDeliverAll as number])));
  }
  const list = s['ledger-list'] as { rows: number; fillSeconds: number; queries: Record<string, { p50Ms: number; maxMs: number; items: number }> } | undefined;
  if (list) {
    parts.push('', `Ledger list (\`GET /v1/webhooks\`, the SDK's query) over ${list.rows} webhooks (filled in ${list.fillSeconds} s), ${20} runs each:`, '', table(['filter', 'p50 ms', 'max ms', 'items'], Object.entries(list.queries).map(([k, q]) => [k, q.p50Ms, q.maxMs, q.items])));
  }
  const ingest = s['event-ingest'] as Row | undefined;
  if (ingest) {
    parts.push('', `Event ingest (\`POST /v1/events\` to the API process, nothing listening, 64 calls in flight, ${ingest.events} events):`, '', table(['calls', 'events/s accepted', 'CPU s per 1,000 (API + PostgreSQL)'], [['1 event each', ingest.singleEventsPerSec as number, ingest.singleCpuSecondsPer1000 as number], ['100 events each', ingest.batchedEventsPerSec as number, ingest.batchedCpuSecondsPer1000 as number]]));
  }
  const fan = s['campaign-fanout'] as Row | undefined;
  if (fan) {
    parts.push(
      '',
      `Campaign fan-out (${fan.recipients} recipients of one API-triggered campaign against ${fan.recipients} single webhooks, same worker):`,
      '',
      table(['path', 'deliveries/s'], [['single webhooks (SDK send, 64 in flight)', fan.singleDeliveriesPerSec as number], ['campaign (triggerCampaign)', fan.campaignDeliveriesPerSec as number]]),
      '',
      `campaign / single: **${fan.ratio as number}×**; dispatch workflow: ${fan.dispatchRuns as number} run(s), longest history ${fan.dispatchMaxHistory as number} events.`,
    );
  }
  const down = s['down-host'] as Row | undefined;
  if (down) {
    parts.push('', `Down host (${down.webhooks} webhooks, resume rate ${down.resumeRatePerSec}/s for this run):`, '', table(['measure', 'value'], Object.entries(down).map(([k, v]) => [k, v as number])));
  }
  if (result.notes.length > 0) parts.push('', ...result.notes.map((n) => `- ${n}`));
  return parts.join('\n');
}

/** Rewrites the results section of bench/README.md. */
export function writeResults(readme: string, markdown: string): void {
  const text = fs.readFileSync(readme, 'utf8');
  const start = '<!-- results:start -->\n';
  const end = '<!-- results:end -->';
  fs.writeFileSync(readme, text.slice(0, text.indexOf(start) + start.length) + markdown + '\n' + text.slice(text.indexOf(end)));
}
