/**
 * Report numbers over a scripted mix seeded straight into the ledger (real PostgreSQL, through
 * the real API): delivered first try, retried then delivered, failed with a 4xx, blocked, still
 * retrying after a timeout and a network error, a template that failed to render, and one accepted
 * before the range but delivered inside it; recipients, dispatches and a journey's steps on some of
 * them. Every expected figure below is computed by hand in the comments.
 */
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { request } from 'undici';
import { buildApi } from '../../src/api/server';
import { Hookflow } from '../../src/client/hookflow';
import { AesGcmCodec, generateEncryptionKey, parseEncryptionKey } from '../../src/temporal/codec';
import { createTestDatabase } from '../helpers/database';
import { testConfig } from '../helpers/stack';

const KEY = 'report-key';
let hookflow: Hookflow;
let app: FastifyInstance;
let base: string;

interface Hook {
  id: string;
  host: string;
  created: string;
  status: string;
  completed?: string;
  tags?: Record<string, string>;
  reason?: string;
  template?: [id: string, version: number];
  recipient?: string;
  dispatch?: string;
  journey?: [id: string, step: string];
  attempts: [at: string, durationMs: number, statusCode: number | null, errorCode: string | null][];
}

// host a: W1, W2, W5, W6, W7; host b: W3, W4. All times UTC, November 2026 (New York is UTC-5, Tokyo UTC+9).
// Recipients: u1 (W1, W2), u2 (W6), u3 (W3). Dispatches of campaign spring: dp_1 (W1), dp_2 (W2).
// Journey onboard: step welcome sent W6, step nudge sent W4.
const MIX: Hook[] = [
  // W1 delivered first try: latency 300 ms.
  { id: 'wh_w1', host: 'a.example.com', created: '2026-11-10T10:00:00.000Z', status: 'delivered', completed: '2026-11-10T10:00:00.300Z', tags: { campaign: 'spring' }, template: ['tpl_welcome', 1], recipient: 'u1', dispatch: 'dp_1', attempts: [['2026-11-10T10:00:00.100Z', 120, 200, null]] },
  // W2 a 503, then delivered: latency 6,500 ms, one retry.
  { id: 'wh_w2', host: 'a.example.com', created: '2026-11-10T22:30:00.000Z', status: 'delivered', completed: '2026-11-10T22:30:06.500Z', tags: { campaign: 'spring' }, recipient: 'u1', dispatch: 'dp_2', attempts: [['2026-11-10T22:30:01.000Z', 50, 503, null], ['2026-11-10T22:30:06.000Z', 80, 200, null]] },
  // W3 failed: 400.
  { id: 'wh_w3', host: 'b.example.com', created: '2026-11-10T23:30:00.000Z', status: 'failed', completed: '2026-11-10T23:30:00.400Z', tags: { campaign: 'fall' }, recipient: 'u3', attempts: [['2026-11-10T23:30:00.200Z', 40, 400, null]] },
  // W4 blocked: an address not allowed.
  { id: 'wh_w4', host: 'b.example.com', created: '2026-11-11T01:00:00.000Z', status: 'failed', completed: '2026-11-11T01:00:00.020Z', journey: ['onboard', 'nudge'], attempts: [['2026-11-11T01:00:00.010Z', 0, null, 'blocked']] },
  // W5 still retrying: a timeout, then a network error.
  { id: 'wh_w5', host: 'a.example.com', created: '2026-11-11T02:00:00.000Z', status: 'retrying', tags: { campaign: 'spring' }, attempts: [['2026-11-11T02:00:01.000Z', 30000, null, 'timeout'], ['2026-11-11T02:01:00.000Z', 5, null, 'network']] },
  // W7 a template that failed to render: failed at once, with no attempt.
  { id: 'wh_w7', host: 'a.example.com', created: '2026-11-11T03:00:00.000Z', status: 'failed', completed: '2026-11-11T03:00:00.001Z', reason: 'render_error: recipient.name is not defined (in body.name)', template: ['tpl_welcome', 2], attempts: [] },
  // W6 accepted (and a 429) on 9 November UTC, delivered just after midnight: latency 90,000 ms.
  { id: 'wh_w6', host: 'a.example.com', created: '2026-11-09T23:59:00.000Z', status: 'delivered', completed: '2026-11-10T00:00:30.000Z', recipient: 'u2', journey: ['onboard', 'welcome'], attempts: [['2026-11-09T23:59:01.000Z', 10, 429, null], ['2026-11-10T00:00:29.000Z', 20, 200, null]] },
];

async function seed(databaseUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    for (const w of MIX) {
      const last = [...w.attempts].reverse().find((a) => a[2] !== null)?.[2] ?? null;
      await client.query(
        `INSERT INTO webhooks (id, seq, created_at, status, method, origin, authority, tags, attempt_count, last_status_code, completed_at, reason, template_id, template_version,
                               campaign_id, dispatch_id, recipient_id, journey_id, journey_step)
         VALUES ($1, 1, $2, $3, 'POST', 'https://' || $4, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
        [
          w.id, w.created, w.status, w.host, JSON.stringify(w.tags ?? {}), w.attempts.length, last, w.completed ?? null, w.reason ?? null, w.template?.[0] ?? null, w.template?.[1] ?? null,
          w.tags?.campaign ?? null, w.dispatch ?? null, w.recipient ?? null, w.journey?.[0] ?? null, w.journey?.[1] ?? null,
        ],
      );
      for (const [i, [at, duration, code, error]] of w.attempts.entries()) {
        await client.query(
          `INSERT INTO attempts (webhook_id, number, trigger, started_at, duration_ms, status_code, error_code, campaign_id, dispatch_id, journey_id, journey_step, authority)
           VALUES ($1, $2, 'scheduled', $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
          // Host b's attempts are stored as before migration 015, without their host: reports find it on the webhook.
          [w.id, i + 1, at, duration, code, error, w.tags?.campaign ?? null, w.dispatch ?? null, w.journey?.[0] ?? null, w.journey?.[1] ?? null, w.host === 'b.example.com' ? null : w.host],
        );
      }
    }
    // Runs of onboard counted at its steps (as its runs record them, per UTC hour), and another journey's.
    await client.query(
      `INSERT INTO journey_step_hours (journey_id, hour, version, step_id, entered, proceeded, exited, failed) VALUES
         ('onboard', '2026-11-10T00:00:00Z', 1, 'welcome', 2, 2, 0, 0),
         ('onboard', '2026-11-11T01:00:00Z', 1, 'nudge', 2, 0, 1, 1),
         ('onboard', '2026-11-11T01:00:00Z', 2, 'nudge', 1, 1, 0, 0),
         ('other',   '2026-11-10T00:00:00Z', 1, 'welcome', 9, 9, 0, 0)`,
    );
  } finally {
    await client.end();
  }
}

async function get(path: string, headers: Record<string, string> = { authorization: `Bearer ${KEY}` }): Promise<{ status: number; type: string; text: string; body: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const res = await request(`${base}${path}`, { headers });
  const text = await res.body.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: res.statusCode, type: String(res.headers['content-type'] ?? ''), text, body };
}

/** A row with every metric: zeros and nulls unless given. */
function row(fields: Record<string, string | number | null>): Record<string, string | number | null> {
  return {
    sends: 0, delivered: 0, failed: 0, errors: 0, errors4xx: 0, errors5xx: 0, errors408or429: 0, errorsTimeout: 0, errorsNetwork: 0,
    errorsBlocked: 0, errorsRender: 0, errorsOther: 0, retries: 0, uniqueRecipients: 0,
    latencyMsP50: null, latencyMsP95: null, latencyMsP99: null, attemptMsP50: null, attemptMsP95: null, attemptMsP99: null,
    ...fields,
  };
}

beforeAll(async () => {
  const databaseUrl = await createTestDatabase();
  await seed(databaseUrl);
  const encryptionKey = generateEncryptionKey();
  hookflow = await Hookflow.connect({ config: testConfig({ databaseUrl }), encryptionKey });
  app = buildApi({ hookflow, apiKeys: [KEY], codec: new AesGcmCodec(parseEncryptionKey(encryptionKey)), uiOrigins: [], maxBodyBytes: 262_144, logLevel: 'warn' });
  await app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await app?.close();
  await hookflow?.close();
});

test('daily numbers in UTC: each count falls on the day of its own event', async () => {
  const res = await get('/v1/reports?since=2026-11-10T00:00:00Z&until=2026-11-12T00:00:00Z&bucket=day');
  expect(res.status).toBe(200);
  expect(res.body.data).toEqual([
    // 10 Nov: sends W1 W2 W3 (W6 was accepted on the 9th); delivered W1 W2 W6, failed W3; latencies 300, 6500, 90000;
    // attempts W1#1 W2#1 W2#2 W3#1 W6#2 (W6#1 on the 9th): errors 503 and 400, retries W2#2 W6#2; durations 20 40 50 80 120.
    // Delivered to u1 (W1, W2) and u2 (W6): 2 unique recipients.
    { bucket: '2026-11-10T00:00:00+00:00', ...row({ sends: 3, delivered: 3, failed: 1, errors: 2, errors4xx: 1, errors5xx: 1, retries: 2, uniqueRecipients: 2, latencyMsP50: 6500, latencyMsP95: 90000, latencyMsP99: 90000, attemptMsP50: 50, attemptMsP95: 120, attemptMsP99: 120 }) },
    // 11 Nov: sends W4 W5 W7; failed W4 W7; attempts W4#1 blocked, W5#1 timeout, W5#2 network (a retry); W7's render error; durations 0 5 30000.
    { bucket: '2026-11-11T00:00:00+00:00', ...row({ sends: 3, failed: 2, errors: 4, errorsRender: 1, errorsBlocked: 1, errorsTimeout: 1, errorsNetwork: 1, retries: 1, attemptMsP50: 5, attemptMsP95: 30000, attemptMsP99: 30000 }) },
  ]);
});

test('daily numbers in Tokyo (UTC+9): the same events fall on other days', async () => {
  const res = await get(`/v1/reports?since=${encodeURIComponent('2026-11-10T00:00:00+09:00')}&until=${encodeURIComponent('2026-11-12T00:00:00+09:00')}&bucket=day&timezone=Asia/Tokyo`);
  expect(res.status).toBe(200);
  expect(res.body.data).toEqual([
    // 10 Nov JST (9 Nov 15:00Z - 10 Nov 15:00Z): W6 and W1 accepted and delivered (90000, 300 ms); attempts W6#1 429, W6#2, W1#1.
    { bucket: '2026-11-10T00:00:00+09:00', ...row({ sends: 2, delivered: 2, errors: 1, errors408or429: 1, retries: 1, uniqueRecipients: 2, latencyMsP50: 300, latencyMsP95: 90000, latencyMsP99: 90000, attemptMsP50: 20, attemptMsP95: 120, attemptMsP99: 120 }) },
    // 11 Nov JST: W2 W3 W4 W5 W7 accepted; W2 delivered (6500 ms); W3 W4 W7 failed; durations 0 5 40 50 80 30000.
    { bucket: '2026-11-11T00:00:00+09:00', ...row({ sends: 5, delivered: 1, failed: 3, errors: 6, errorsRender: 1, errors4xx: 1, errors5xx: 1, errorsBlocked: 1, errorsTimeout: 1, errorsNetwork: 1, retries: 2, uniqueRecipients: 1, latencyMsP50: 6500, latencyMsP95: 6500, latencyMsP99: 6500, attemptMsP50: 40, attemptMsP95: 30000, attemptMsP99: 30000 }) },
  ]);
});

test('one New York day holds everything from 10 Nov 05:00Z to 11 Nov 05:00Z, in hour buckets too', async () => {
  const range = `since=${encodeURIComponent('2026-11-10T00:00:00-05:00')}&until=${encodeURIComponent('2026-11-11T00:00:00-05:00')}&timezone=America/New_York`;
  const day = await get(`/v1/reports?${range}&bucket=day`);
  expect(day.body.data).toEqual([
    // W1..W5 and W7 accepted; W1 W2 delivered (300, 6500), both to u1; W3 W4 W7 failed; W6 is all before 05:00Z.
    { bucket: '2026-11-10T00:00:00-05:00', ...row({ sends: 6, delivered: 2, failed: 3, errors: 6, errorsRender: 1, errors4xx: 1, errors5xx: 1, errorsBlocked: 1, errorsTimeout: 1, errorsNetwork: 1, retries: 2, uniqueRecipients: 1, latencyMsP50: 300, latencyMsP95: 6500, latencyMsP99: 6500, attemptMsP50: 50, attemptMsP95: 30000, attemptMsP99: 30000 }) },
  ]);
  const hours = await get(`/v1/reports?${range}&bucket=hour`);
  expect(hours.body.data.map((r: { bucket: string; sends: number }) => [r.bucket, r.sends])).toEqual([
    ['2026-11-10T05:00:00-05:00', 1],
    ['2026-11-10T17:00:00-05:00', 1],
    ['2026-11-10T18:00:00-05:00', 1],
    ['2026-11-10T20:00:00-05:00', 1],
    ['2026-11-10T21:00:00-05:00', 1],
    ['2026-11-10T22:00:00-05:00', 1],
  ]);
});

test('grouped by host and by tag, over the whole range', async () => {
  const range = 'since=2026-11-10T00:00:00Z&until=2026-11-12T00:00:00Z&bucket=total';
  const byHost = await get(`/v1/reports?${range}&groupBy=host`);
  expect(byHost.body.data).toEqual([
    { bucket: '2026-11-10T00:00:00+00:00', host: 'a.example.com', ...row({ sends: 4, delivered: 3, failed: 1, errors: 4, errorsRender: 1, errors5xx: 1, errorsTimeout: 1, errorsNetwork: 1, retries: 3, uniqueRecipients: 2, latencyMsP50: 6500, latencyMsP95: 90000, latencyMsP99: 90000, attemptMsP50: 50, attemptMsP95: 30000, attemptMsP99: 30000 }) },
    { bucket: '2026-11-10T00:00:00+00:00', host: 'b.example.com', ...row({ sends: 2, failed: 2, errors: 2, errors4xx: 1, errorsBlocked: 1, attemptMsP50: 0, attemptMsP95: 40, attemptMsP99: 40 }) },
  ]);
  // W1 is version 1 of tpl_welcome, W7 version 2 (its render error); the others were sent without a template.
  const byTemplate = await get(`/v1/reports?${range}&groupBy=template`);
  expect(byTemplate.body.data.map((r: Record<string, unknown>) => [r.template, r.sends, r.delivered, r.failed, r.errors, r.errorsRender, r.latencyMsP50])).toEqual([
    ['tpl_welcome@1', 1, 1, 0, 0, 0, 300],
    ['tpl_welcome@2', 1, 0, 1, 1, 1, null],
    // W2 W3 W4 W5 accepted in the range; W2 W6 delivered (6500, 90000 ms); W3 W4 failed; attempt errors W2#1 W3#1 W4#1 W5#1 W5#2.
    [null, 4, 2, 2, 5, 0, 6500],
  ]);
  const byTag = await get(`/v1/reports?${range}&groupBy=tag.campaign`);
  expect(byTag.body.data.map((r: Record<string, unknown>) => [r['tag.campaign'], r.sends, r.delivered, r.failed, r.errors, r.retries])).toEqual([
    ['fall', 1, 0, 1, 1, 0],
    ['spring', 3, 2, 0, 3, 2],
    // W4, W6 and W7 carry no campaign tag: grouped under null, so the groups add up to the totals.
    [null, 2, 1, 2, 2, 1],
  ]);
  // The seed gives each webhook tagged with a campaign that campaign's ledger column too: grouped
  // by the column, every number is the tag's.
  const byCampaign = await get(`/v1/reports?${range}&groupBy=campaign`);
  expect(byCampaign.status).toBe(200);
  expect(byCampaign.body.data).toEqual(byTag.body.data.map(({ 'tag.campaign': campaign, ...rest }: Record<string, unknown>) => ({ ...rest, campaign })));
});

test('unique recipients: distinct per day, and a longer bucket adds up the days', async () => {
  // In Tokyo, u1 and u2 got a webhook on 10 Nov and u1 again on 11 Nov: 2 + 1, u1 counted on each day.
  const range = `since=${encodeURIComponent('2026-11-10T00:00:00+09:00')}&until=${encodeURIComponent('2026-11-12T00:00:00+09:00')}&timezone=Asia/Tokyo`;
  const total = await get(`/v1/reports?${range}&bucket=total`);
  expect(total.body.data.map((r: Record<string, unknown>) => [r.delivered, r.uniqueRecipients])).toEqual([[3, 3]]);
  // Hour buckets count within the hour: W1 alone in 10 Nov 10:00Z, W2 in 22:00Z, W6 in 00:00Z.
  const hours = await get('/v1/reports?since=2026-11-10T00:00:00Z&until=2026-11-11T00:00:00Z&bucket=hour');
  expect(hours.body.data.filter((r: Record<string, number>) => r.delivered > 0).map((r: Record<string, unknown>) => [r.bucket, r.uniqueRecipients])).toEqual([
    ['2026-11-10T00:00:00+00:00', 1],
    ['2026-11-10T10:00:00+00:00', 1],
    ['2026-11-10T22:00:00+00:00', 1],
  ]);
});

test('filtered to one campaign, one dispatch or one journey', async () => {
  const range = 'since=2026-11-10T00:00:00Z&until=2026-11-12T00:00:00Z&bucket=total';
  const pick = (r: Record<string, unknown>) => [r.sends, r.delivered, r.failed, r.errors, r.retries, r.uniqueRecipients];
  // spring: W1 W2 W5 accepted; W1 W2 delivered to u1; errors W2#1 503, W5#1 timeout, W5#2 network; retries W2#2 W5#2.
  expect((await get(`/v1/reports?${range}&campaign=spring`)).body.data.map(pick)).toEqual([[3, 2, 0, 3, 2, 1]]);
  // dp_2: W2 alone.
  expect((await get(`/v1/reports?${range}&dispatch=dp_2`)).body.data.map(pick)).toEqual([[1, 1, 0, 1, 1, 1]]);
  expect((await get(`/v1/reports?${range}&campaign=spring&dispatch=dp_2`)).body.data.map(pick)).toEqual([[1, 1, 0, 1, 1, 1]]);
  // onboard: W4 accepted (W6 on the 9th); W6 delivered to u2, W4 blocked; W6#2 a retry.
  expect((await get(`/v1/reports?${range}&journey=onboard`)).body.data.map(pick)).toEqual([[1, 1, 1, 1, 1, 1]]);
  // Nothing matches: no rows, rather than a row of zeros.
  expect((await get(`/v1/reports?${range}&campaign=winter`)).body.data).toEqual([]);
  const byJourney = await get(`/v1/reports?${range}&groupBy=journey`);
  expect(byJourney.body.data.map((r: Record<string, unknown>) => [r.journey, r.sends, r.delivered, r.failed])).toEqual([
    ['onboard', 1, 1, 1],
    [null, 5, 2, 2],
  ]);
});

test('a journey by step: its webhooks, and the runs that entered, proceeded, exited or failed there', async () => {
  const range = 'since=2026-11-10T00:00:00Z&until=2026-11-12T00:00:00Z';
  const total = await get(`/v1/reports?${range}&bucket=total&journey=onboard&groupBy=journeyStep`);
  expect(total.status).toBe(200);
  const steps = { stepEntered: 0, stepProceeded: 0, stepExited: 0, stepFailed: 0 };
  expect(total.body.data).toEqual([
    // nudge: W4 blocked; runs of versions 1 and 2 added up.
    { bucket: '2026-11-10T00:00:00+00:00', journeyStep: 'nudge', ...row({ sends: 1, failed: 1, errors: 1, errorsBlocked: 1, attemptMsP50: 0, attemptMsP95: 0, attemptMsP99: 0 }), ...steps, stepEntered: 3, stepProceeded: 1, stepExited: 1, stepFailed: 1 },
    // welcome: W6 delivered (accepted on the 9th, so no send in range), its second attempt a retry.
    { bucket: '2026-11-10T00:00:00+00:00', journeyStep: 'welcome', ...row({ delivered: 1, retries: 1, uniqueRecipients: 1, latencyMsP50: 90000, latencyMsP95: 90000, latencyMsP99: 90000, attemptMsP50: 20, attemptMsP95: 20, attemptMsP99: 20 }), ...steps, stepEntered: 2, stepProceeded: 2 },
  ]);
  const days = await get(`/v1/reports?${range}&bucket=day&journey=onboard&groupBy=journeyStep`);
  expect(days.body.data.map((r: Record<string, unknown>) => [r.bucket, r.journeyStep, r.stepEntered, r.delivered, r.failed])).toEqual([
    ['2026-11-10T00:00:00+00:00', 'welcome', 2, 1, 0],
    ['2026-11-11T00:00:00+00:00', 'nudge', 3, 0, 1],
  ]);
  const csv = await get(`/v1/reports?${range}&bucket=total&journey=onboard&groupBy=journeyStep&format=csv`);
  expect(csv.text.split('\r\n')[0]).toBe(['bucket', 'journeyStep', ...Object.keys(row({})), 'stepEntered', 'stepProceeded', 'stepExited', 'stepFailed'].join(','));
});

test('CSV (by Accept or format=csv) holds the same rows and columns as JSON', async () => {
  const query = '/v1/reports?since=2026-11-10T00:00:00Z&until=2026-11-12T00:00:00Z&bucket=day&groupBy=tag.campaign';
  const json = await get(query);
  const viaAccept = await get(query, { authorization: `Bearer ${KEY}`, accept: 'text/csv' });
  const viaFormat = await get(`${query}&format=csv`);
  expect(viaAccept.status).toBe(200);
  expect(viaAccept.type).toMatch(/^text\/csv/);
  expect(viaFormat.text).toBe(viaAccept.text);
  const [header, ...lines] = viaAccept.text.trimEnd().split('\r\n');
  const columns = header.split(',');
  expect(columns).toEqual(Object.keys(json.body.data[0]));
  const parsed = lines.map((line) => Object.fromEntries(line.split(',').map((cell, i) => [columns[i], cell])));
  const expected = json.body.data.map((r: Record<string, unknown>) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v === null ? '' : String(v)])));
  expect(parsed).toEqual(expected);
  expect(parsed.length).toBe(5);
});

test('reports need an API key', async () => {
  expect((await get('/v1/reports', {})).status).toBe(401);
  expect((await get('/v1/reports', { authorization: 'Bearer wrong' })).status).toBe(401);
  expect((await get('/v1/reports/failures', {})).status).toBe(401);
  expect((await get('/v1/reports', { cookie: 'hookflow_session=wrong' })).status).toBe(401);
});

test('bad parameters are a 400 naming the field', async () => {
  const issues = async (query: string) => {
    const res = await get(`/v1/reports?${query}`);
    expect(res.status).toBe(400);
    return res.body.issues.map((i: { field: string; message: string }) => `${i.field}: ${i.message}`);
  };
  expect(await issues('groupBy=journeyStep')).toEqual(['groupBy: journeyStep needs journey=<id>: the steps of one journey']);
  expect(await issues('groupBy=color')).toEqual([expect.stringMatching(/^groupBy: must be one of host, tag.<name>, campaign, journey, journeyStep, template/)]);
  expect(await issues('groupBy=tag.')).toEqual([expect.stringMatching(/^groupBy: tag.<name> needs a tag name/)]);
  expect(await issues('bucket=week')).toEqual(['bucket: must be one of hour, day, total']);
  expect(await issues('timezone=Mars/Olympus')).toEqual(['timezone: must be an IANA time zone, e.g. Europe/Paris or UTC']);
  expect(await issues('since=yesterday')).toEqual(['since: must be an RFC 3339 time, e.g. 2026-11-28T12:00:00Z']);
  expect(await issues('since=2026-11-12T00:00:00Z&until=2026-11-10T00:00:00Z')).toEqual(['since: must be before until']);
  expect(await issues('since=2020-01-01T00:00:00Z&until=2026-01-01T00:00:00Z&bucket=hour')).toEqual(['since: the range may span at most 366 days with bucket=hour']);
  expect(await issues('format=xml')).toEqual(['format: must be json or csv']);
  expect(await issues('campaign=a%20b')).toEqual(['campaign: must be a campaign id (1-128 letters, digits or _.@-)']);
  expect(await issues('journey=&groupBy=journeyStep')).toEqual(['journey: must be a journey id (1-128 letters, digits or _.@-)']);
  expect(await issues('dispatch=a/b')).toEqual(['dispatch: must be a dispatch id (1-160 letters, digits or _.@:-)']);
  expect(await issues('campaigns=spring')).toEqual([expect.stringMatching(/^campaigns: is not a known parameter/)]);
});

test('recent failures: newest first, with status code, reason and no Web UI link when none is set', async () => {
  const res = await get('/v1/reports/failures?limit=5');
  expect(res.status).toBe(200);
  expect(res.body.data.map((f: { id: string; statusCode: number | null; workflowUrl: string | null }) => [f.id, f.statusCode, f.workflowUrl])).toEqual([
    ['wh_w7', null, null],
    ['wh_w4', null, null],
    ['wh_w3', 400, null],
  ]);
  expect((await get('/v1/reports/failures?limit=0')).body.issues).toEqual([{ field: 'limit', message: 'must be an integer from 1 to 100' }]);
});
