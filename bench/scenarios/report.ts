/**
 * `GET /v1/reports` at scale: the ledger filled with `rows` webhooks over 30 days (statuses,
 * 200 hosts, a campaign on a tenth — tag and column, 50,000 recipients — and a journey's step on
 * a twentieth) and their attempts (one each, two for every fifth: a 503 then the answer), then each
 * report timed through the SDK's own query (answerReport): the month-wide ones, and the ones the
 * dashboard's overview, campaign and journey pages ask for.
 */
import pg from 'pg';
import { parseReportQuery } from '../../src/report/params';
import { answerReport } from '../../src/report/days';
import { percentile, round } from '../lib/stats';

export interface ReportFigures {
  rows: number;
  attempts: number;
  fillSeconds: number;
  /** Per report: median and worst of `runs` timed queries, in ms, and the rows it answered. */
  /** `firstMs`: the first run (a settled day not stored yet is computed and stored); p50 and max of the runs after it. */
  queries: Record<string, { firstMs: number; p50Ms: number; maxMs: number; rows: number }>;
}

const RUNS = 5;

/** The ledger of `rows` webhooks described above, and their attempts. */
export async function fillLedger(pool: pg.Pool, rows: number): Promise<void> {
  await pool.query(
    `INSERT INTO webhooks (id, seq, created_at, status, method, origin, authority, tags, attempt_count, last_status_code, completed_at,
                           campaign_id, recipient_id, journey_id, journey_step)
     SELECT 'wh_' || lpad(to_hex(g), 32, '0'), 0, created,
            CASE WHEN g % 100 < 90 THEN 'delivered' WHEN g % 100 < 96 THEN 'failed' WHEN g % 100 < 99 THEN 'retrying' ELSE 'cancelled' END,
            'POST', 'https://h' || (CASE WHEN g % 3 = 0 THEN g % 10 ELSE g % 200 END) || '.example.com',
            'h' || (CASE WHEN g % 3 = 0 THEN g % 10 ELSE g % 200 END) || '.example.com',
            CASE WHEN g % 10 = 0 THEN jsonb_build_object('campaign', 'c' || (g % 7)) ELSE '{}'::jsonb END,
            CASE WHEN g % 5 = 0 THEN 2 ELSE 1 END,
            CASE WHEN g % 100 < 90 THEN 200 WHEN g % 100 < 96 THEN 400 ELSE 503 END,
            CASE WHEN g % 100 < 96 THEN created + (g % 2000) * interval '1 millisecond' + CASE WHEN g % 5 = 0 THEN interval '5 seconds' ELSE interval '0' END END,
            CASE WHEN g % 10 = 0 THEN 'c' || (g % 7) END,
            CASE WHEN g % 10 = 0 THEN 'u' || (g % 50000) WHEN g % 20 = 1 THEN 'u' || (g % 30000) END,
            CASE WHEN g % 20 = 1 THEN 'j' || (g % 3) END,
            CASE WHEN g % 20 = 1 THEN 's' || (g % 4) END
       FROM (SELECT g, now() - (g::float / $1) * interval '30 days' AS created FROM generate_series(1, $1) AS g) s`,
    [rows],
  );
  await pool.query(
    `INSERT INTO attempts (webhook_id, number, trigger, started_at, duration_ms, status_code, error_code, campaign_id, dispatch_id, journey_id, journey_step, authority)
     SELECT w.id, n, 'scheduled', w.created_at + (n - 1) * interval '5 seconds', 20 + (hashtext(w.id) & 1023) % 400,
            CASE WHEN n < w.attempt_count THEN 503 ELSE w.last_status_code END, NULL, w.campaign_id, w.dispatch_id, w.journey_id, w.journey_step, w.authority
       FROM webhooks w, generate_series(1, w.attempt_count) AS n`,
  );
  await pool.query('VACUUM ANALYZE webhooks');
  await pool.query('VACUUM ANALYZE attempts');
}

export async function reportScenario(databaseUrl: string, rows: number, log: (s: string) => void): Promise<ReportFigures> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  try {
    const t0 = Date.now();
    await fillLedger(pool, rows);
    const attempts = Number((await pool.query<{ n: string }>('SELECT count(*) AS n FROM attempts')).rows[0].n);
    const fillSeconds = round((Date.now() - t0) / 1000, 1);
    log(`  report: ${rows} webhooks, ${attempts} attempts in ${fillSeconds} s`);

    const now = new Date();
    const ago = (days: number) => new Date(now.getTime() - days * 86_400_000).toISOString();
    const reports: Record<string, Record<string, string>> = {
      'day buckets, 30 days (every webhook)': { bucket: 'day', since: ago(30), until: now.toISOString() },
      'day buckets, 30 days, groupBy=host': { bucket: 'day', since: ago(30), until: now.toISOString(), groupBy: 'host' },
      'day buckets, 30 days, Asia/Kolkata': { bucket: 'day', since: ago(30), until: now.toISOString(), timezone: 'Asia/Kolkata' },
      'total, 30 days (every webhook)': { bucket: 'total', since: ago(30), until: now.toISOString() },
      'total, 30 days, groupBy=host': { bucket: 'total', since: ago(30), until: now.toISOString(), groupBy: 'host' },
      'total, 30 days, groupBy=tag.campaign': { bucket: 'total', since: ago(30), until: now.toISOString(), groupBy: 'tag.campaign' },
      'hour buckets, 1 day, groupBy=host': { bucket: 'hour', since: ago(1), until: now.toISOString(), groupBy: 'host' },
      // The dashboard's pages: the overview's day (total, then hours), one campaign's month, one journey's steps.
      'overview: total, last day': { bucket: 'total', since: ago(1), until: now.toISOString() },
      'overview: hour buckets, last day': { bucket: 'hour', since: ago(1), until: now.toISOString() },
      'campaign page: day buckets, 30 days, campaign=c3': { bucket: 'day', since: ago(30), until: now.toISOString(), campaign: 'c3' },
      'journey page: total, 30 days, journey=j1 by step': { bucket: 'total', since: ago(30), until: now.toISOString(), journey: 'j1', groupBy: 'journeyStep' },
    };
    const queries: ReportFigures['queries'] = {};
    for (const [name, query] of Object.entries(reports)) {
      const times: number[] = [];
      let answered = 0;
      // As the API runs it: settled days read back once stored (src/report/days.ts).
      for (let i = 0; i < RUNS + 1; i++) {
        const start = process.hrtime.bigint();
        const parsed = parseReportQuery(query, now);
        const report = await answerReport(pool, parsed);
        times.push(Number(process.hrtime.bigint() - start) / 1e6);
        answered = report.data.length;
      }
      const firstMs = round(times.shift()!, 1);
      times.sort((a, b) => a - b);
      queries[name] = { firstMs, p50Ms: round(percentile(times, 50), 1), maxMs: round(times[times.length - 1], 1), rows: answered };
      log(`  report: ${name}: first ${firstMs} ms, then p50 ${queries[name].p50Ms} ms, max ${queries[name].maxMs} ms (${answered} rows)`);
    }
    return { rows, attempts, fillSeconds, queries };
  } finally {
    await pool.end();
  }
}
