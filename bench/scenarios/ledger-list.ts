/**
 * `GET /v1/webhooks` at scale: the ledger filled with `rows` webhooks (statuses, 200 hosts and a
 * few tags spread as real traffic would be), then each list filter timed through the SDK's own
 * query (LedgerStore.list), the first page and the page after it.
 */
import pg from 'pg';
import { parseListFilter } from '../../src/ledger/list-query';
import { LedgerStore } from '../../src/ledger/store';
import { percentile, round } from '../lib/stats';

export interface ListFigures {
  rows: number;
  fillSeconds: number;
  /** Per filter: median and worst of `runs` timed queries, in ms. */
  queries: Record<string, { p50Ms: number; maxMs: number; items: number }>;
}

const RUNS = 20;

export async function ledgerList(databaseUrl: string, rows: number, log: (s: string) => void): Promise<ListFigures> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  try {
    const t0 = Date.now();
    // Newest webhooks over 30 days; 90 % delivered, 6 % failed, 3 % pending, 1 % cancelled;
    // 200 hosts, the first ten busier; a campaign tag on a tenth.
    await pool.query(
      `INSERT INTO webhooks (id, seq, created_at, status, method, origin, authority, tags, attempt_count, last_status_code, completed_at)
       SELECT 'wh_' || lpad(to_hex(g), 32, '0'), 0,
              now() - (g::float / $1) * interval '30 days',
              CASE WHEN g % 100 < 90 THEN 'delivered' WHEN g % 100 < 96 THEN 'failed' WHEN g % 100 < 99 THEN 'pending' ELSE 'cancelled' END,
              'POST', 'https://h' || (CASE WHEN g % 3 = 0 THEN g % 10 ELSE g % 200 END) || '.example.com',
              'h' || (CASE WHEN g % 3 = 0 THEN g % 10 ELSE g % 200 END) || '.example.com',
              CASE WHEN g % 10 = 0 THEN jsonb_build_object('campaign', 'c' || (g % 7)) ELSE '{}'::jsonb END,
              1 + g % 3, 200, now()
         FROM generate_series(1, $1) AS g`,
      [rows],
    );
    await pool.query('ANALYZE webhooks');
    const fillSeconds = round((Date.now() - t0) / 1000, 1);
    log(`  ledger-list: ${rows} rows in ${fillSeconds} s`);

    const store = new LedgerStore(pool, Buffer.alloc(32));
    const day = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString();
    const filters: Record<string, Record<string, string>> = {
      'newest 50': {},
      'status=failed': { status: 'failed' },
      'status=cancelled (1 %)': { status: 'cancelled' },
      'host (busy)': { host: 'h3.example.com' },
      'host (quiet)': { host: 'h101.example.com' },
      'host + status=failed': { host: 'h101.example.com', status: 'failed' },
      'tag.campaign=c3': { 'tag.campaign': 'c3' },
      'since 10 days, until 9 days': { since: day(10), until: day(9) },
      'limit=500': { limit: '500' },
    };
    const queries: ListFigures['queries'] = {};
    for (const [name, query] of Object.entries(filters)) {
      const times: number[] = [];
      let items = 0;
      for (let i = 0; i < RUNS; i++) {
        const start = process.hrtime.bigint();
        const page = await store.list(parseListFilter(query));
        // Every other run also fetches the next page, as a user paging through would.
        if (i % 2 === 1 && page.nextCursor) await store.list(parseListFilter({ ...query, cursor: page.nextCursor }));
        times.push(Number(process.hrtime.bigint() - start) / 1e6 / (i % 2 === 1 && page.nextCursor ? 2 : 1));
        items = page.data.length;
      }
      times.sort((a, b) => a - b);
      queries[name] = { p50Ms: round(percentile(times, 50), 2), maxMs: round(times[times.length - 1], 2), items };
      log(`  ledger-list: ${name}: p50 ${queries[name].p50Ms} ms, max ${queries[name].maxMs} ms (${items} items)`);
    }
    return { rows, fillSeconds, queries };
  } finally {
    await pool.end();
  }
}
