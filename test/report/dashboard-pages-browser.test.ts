/**
 * The dashboard's campaign and journey pages in real Chromium against a real stack, after a
 * scripted run: a campaign triggered for 10 recipients whose template sends 7 to a receiver that
 * answers 200 and 3 to one that answers 400, and a journey (webhook step → exit) entered by 3
 * recipients (2 delivered, 1 refused). Each page must show the numbers the API gives for the very
 * same range, paint its chart, and offer a CSV equal to the API's; screenshots of each page go to
 * test-results/screenshots/.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { apiCaller, startTestApi, type Call, type TestApi } from '../helpers/api';
import { launchChromium, logIn, paintedPixels, SHOTS } from '../helpers/browser';
import { startReceiver, type Receiver } from '../helpers/receiver';
import { startTestStack, type TestStack } from '../helpers/stack';
import { until } from '../helpers/wait';

// Page functions run in the browser; the project's types are Node's, without the DOM's.
declare const document: any; // eslint-disable-line @typescript-eslint/no-explicit-any

const KEY = 'dashboard-pages-key';
const CAMPAIGN = 'spring-sale';
const JOURNEY = 'welcome';
const fast = { initialIntervalMs: 100, maxIntervalMs: 200, maxAttempts: 3 };

let stack: TestStack;
let testApi: TestApi;
let call: Call;
let browser: Browser;
let page: Page;
let good: Receiver;
let bad: Receiver;

async function ok(method: 'GET' | 'POST' | 'PUT', pathAndQuery: string, json?: unknown): Promise<any> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const res = await call(method, pathAndQuery, json);
  if (res.status >= 300) throw new Error(`${method} ${pathAndQuery} answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body;
}

/** The range and zone the page shows, as report parameters. */
async function pageRange(): Promise<Record<string, string>> {
  return page.evaluate(() => ({ since: document.body.dataset.since!, until: document.body.dataset.until!, timezone: document.body.dataset.timezone! }));
}

async function report(params: Record<string, string>): Promise<any[]> { // eslint-disable-line @typescript-eslint/no-explicit-any
  return (await ok('GET', `/v1/reports?${new URLSearchParams(params)}`)).data;
}

async function open(hash: string, view: string): Promise<void> {
  // The page marks itself loaded again once the new route is shown; the same hash again reloads it.
  await page.evaluate((h) => {
    delete document.body.dataset.loaded;
    if (document.location.hash === h) document.defaultView.dispatchEvent(new (document.defaultView.HashChangeEvent)('hashchange'));
    else document.location.hash = h;
  }, hash);
  await page.waitForSelector(`body[data-loaded="true"][data-view="${view}"]`, { timeout: 30_000 });
}

async function totalsOnPage(): Promise<Record<string, string>> {
  return page.$$eval('#detail .totals dd', (dds: any[]) => Object.fromEntries(dds.map((dd) => [dd.dataset.key, dd.textContent]))); // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** The totals row the API gives, shown as the page shows it (no row: zeros, latency a dash). */
function asShown(row: Record<string, unknown> | undefined): Record<string, string> {
  const keys = ['sends', 'delivered', 'failed', 'errors', 'retries', 'uniqueRecipients', 'latencyMsP95'];
  return Object.fromEntries(keys.map((k) => [k, row?.[k] === undefined || row[k] === null ? (k.startsWith('latency') ? '–' : '0') : String(row[k])]));
}

/** Clicks the link and returns the text of the file the browser downloads. */
async function download(selector: string): Promise<string> {
  const [file] = await Promise.all([page.waitForEvent('download', { timeout: 30_000 }), page.click(selector)]);
  return fs.readFileSync((await file.path())!, 'utf8');
}

beforeAll(async () => {
  browser = await launchChromium();
  stack = await startTestStack();
  testApi = await startTestApi(stack, KEY);
  call = apiCaller(() => testApi.base, KEY);
  good = await startReceiver(() => ({ status: 200 }));
  bad = await startReceiver(() => ({ status: 400, body: 'no such customer' }));
  const port = (r: Receiver): string => r.authority.split(':')[1];

  // One template for both: the recipient's attribute picks the receiver.
  await ok('PUT', '/v1/templates/to-target', { url: 'http://127.0.0.1:{{ recipient.attributes.port }}/hook', body: { user: '{{ recipient.id }}' }, retry: fast });

  await ok('PUT', `/v1/campaigns/${CAMPAIGN}`, { template: { id: 'to-target' }, trigger: { type: 'api' } });
  const recipients = Array.from({ length: 10 }, (_, i) => ({ id: `buyer-${i}`, attributes: { port: port(i < 7 ? good : bad) } }));
  const { dispatchId } = await ok('POST', `/v1/campaigns/${CAMPAIGN}/trigger`, { recipients });
  const counts = await until(
    'the dispatch to settle',
    async () => {
      const c = await ok('GET', `/v1/campaigns/${CAMPAIGN}/dispatches/${dispatchId}`);
      return c.pending === 0 ? c : undefined;
    },
    90_000,
  );
  expect(counts).toMatchObject({ total: 10, delivered: 7, failed: 3 });

  await ok('PUT', `/v1/journeys/${JOURNEY}`, {
    entry: { type: 'api' },
    steps: [
      { id: 'hello', type: 'webhook', template: { id: 'to-target' }, next: 'bye' },
      { id: 'bye', type: 'exit' },
    ],
  });
  await ok('POST', `/v1/journeys/${JOURNEY}/publish`);
  const entrants = [good, good, bad].map((r, i) => ({ id: `newcomer-${i}`, attributes: { port: port(r) } }));
  await ok('POST', `/v1/journeys/${JOURNEY}/entries`, { recipients: entrants });
  for (const e of entrants) {
    await until(`the run of ${e.id} to end`, async () => {
      const run = await call('GET', `/v1/journeys/${JOURNEY}/runs/${e.id}`);
      return run.status === 200 && run.body.status !== 'running' ? run.body : undefined;
    }, 60_000);
  }

  page = await browser.newPage({ viewport: { width: 1280, height: 1000 }, acceptDownloads: true });
  await logIn(page, `${testApi.base}/dashboard`, KEY);
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await testApi?.app.close();
  await stack?.stop();
  await good?.close();
  await bad?.close();
});

test('the overview lists the campaign and the journey, each a link to its page', async () => {
  expect(await page.textContent(`#campaigns tbody tr[data-id="${CAMPAIGN}"] td.delivered`)).toBe('7');
  expect(await page.textContent(`#campaigns tbody tr[data-id="${CAMPAIGN}"] td.failed`)).toBe('3');
  expect(await page.$$eval('#campaigns tbody tr', (rows: any[]) => rows.map((r) => r.dataset.id))).toEqual([CAMPAIGN]); // eslint-disable-line @typescript-eslint/no-explicit-any
  expect(await page.$$eval('#journeys tbody tr', (rows: any[]) => rows.map((r) => r.dataset.id))).toEqual([JOURNEY]); // eslint-disable-line @typescript-eslint/no-explicit-any
  await page.screenshot({ path: path.join(SHOTS, 'overview-campaigns-journeys.png'), fullPage: true });
  await page.click(`#campaigns a:text-is("${CAMPAIGN}")`);
  await page.waitForSelector('body[data-loaded="true"][data-view="campaign"]', { timeout: 30_000 });
  expect(page.url()).toBe(`${testApi.base}/dashboard#campaign/${CAMPAIGN}`);
});

test('the campaign page shows 7 delivered and 3 failed, the API\'s numbers for the same range; its chart is painted; its CSV is the API\'s', async () => {
  await open(`#campaign/${CAMPAIGN}`, 'campaign');
  const range = await pageRange();
  const [total] = await report({ ...range, campaign: CAMPAIGN, bucket: 'total' });
  expect(total).toMatchObject({ sends: 10, delivered: 7, failed: 3, uniqueRecipients: 7 });
  const shown = await totalsOnPage();
  expect(shown).toEqual(asShown(total));
  expect(shown).toMatchObject({ delivered: '7', failed: '3' });
  // The 3 refusals are the only errors: the breakdown shows 4xx alone.
  expect(total).toMatchObject({ errors: 3, errors4xx: 3 });
  expect(await page.$$eval('#detail .error-classes span', (spans: any[]) => spans.map((x) => [x.dataset.key, x.textContent]))).toEqual([['errors4xx', '4xx 3']]); // eslint-disable-line @typescript-eslint/no-explicit-any
  expect(await page.textContent('#detail h2.title')).toBe(`Campaign ${CAMPAIGN}`);
  expect(await page.isVisible('#steps')).toBe(false);
  expect(await paintedPixels(page, '#detail .chart')).toBeGreaterThan(100);
  await page.screenshot({ path: path.join(SHOTS, 'campaign.png'), fullPage: true });

  const csv = await download('#detail a.csv');
  const expected = await call('GET', `/v1/reports?${new URLSearchParams({ ...range, campaign: CAMPAIGN, bucket: 'hour', format: 'csv' })}`);
  expect(expected.status).toBe(200);
  expect(csv).toBe(expected.body);
  expect(csv.split('\n')[0]).toContain('delivered');
});

test('choosing 7 days shows the API\'s numbers for that range', async () => {
  await page.evaluate(() => delete document.body.dataset.loaded);
  await page.selectOption('#span', '168');
  await page.waitForSelector('body[data-loaded="true"][data-view="campaign"]', { timeout: 30_000 });
  const range = await pageRange();
  expect(Date.parse(range.until) - Date.parse(range.since)).toBe(7 * 24 * 3600 * 1000);
  expect(await page.textContent('#detail h3.range-label')).toBe('Last 7 days');
  const [total] = await report({ ...range, campaign: CAMPAIGN, bucket: 'total' });
  expect(await totalsOnPage()).toEqual(asShown(total));
  expect(await paintedPixels(page, '#detail .chart')).toBeGreaterThan(100);
  await page.selectOption('#span', '24');
  await page.waitForSelector('body[data-loaded="true"]', { timeout: 30_000 });
});

test('an unknown campaign says so', async () => {
  await open('#campaign/no-such-campaign', 'campaign');
  expect(await page.textContent('#detail .missing')).toBe('There is no campaign no-such-campaign.');
  expect(await page.isVisible('#detail .report')).toBe(false);
  await page.screenshot({ path: path.join(SHOTS, 'campaign-unknown.png'), fullPage: true });
});

test('the journey page shows its numbers and its steps in the definition\'s order with the API\'s numbers; its CSVs are the API\'s', async () => {
  await open(`#journey/${JOURNEY}`, 'journey');
  const range = await pageRange();
  const [total] = await report({ ...range, journey: JOURNEY, bucket: 'total' });
  expect(total).toMatchObject({ sends: 3, delivered: 2, failed: 1 });
  expect(await totalsOnPage()).toEqual(asShown(total));
  expect(await paintedPixels(page, '#detail .chart')).toBeGreaterThan(100);

  const steps = await report({ ...range, journey: JOURNEY, groupBy: 'journeyStep', bucket: 'total' });
  const columns = ['stepEntered', 'stepProceeded', 'stepExited', 'stepFailed', 'delivered', 'failed'];
  const shown = await page.$$eval('#funnel tbody tr', (rows: any[], cols: string[]) => // eslint-disable-line @typescript-eslint/no-explicit-any
    rows.map((r) => ({ step: r.dataset.step, ...Object.fromEntries(cols.map((c) => [c, Number(r.querySelector(`td.${c}`).textContent)])) })), columns);
  expect(await page.isVisible('#steps')).toBe(true);
  expect(shown.map((s) => s.step)).toEqual(['hello', 'bye']);
  for (const s of shown) {
    const row = steps.find((r) => r.journeyStep === s.step) ?? {};
    expect(s).toEqual({ step: s.step, ...Object.fromEntries(columns.map((c) => [c, row[c] ?? 0])) });
  }
  // Every run entered the webhook step; its webhooks: 2 delivered, 1 refused.
  expect(shown[0]).toMatchObject({ stepEntered: 3, delivered: 2, failed: 1 });
  await page.screenshot({ path: path.join(SHOTS, 'journey.png'), fullPage: true });

  const csv = await download('#funnel-csv');
  const expected = await call('GET', `/v1/reports?${new URLSearchParams({ ...range, groupBy: 'journeyStep', journey: JOURNEY, bucket: 'hour', format: 'csv' })}`);
  expect(csv).toBe(expected.body);
  const perHour = await download('#detail a.csv');
  expect(perHour).toBe((await call('GET', `/v1/reports?${new URLSearchParams({ ...range, journey: JOURNEY, bucket: 'hour', format: 'csv' })}`)).body);
});

test('an unknown journey says so', async () => {
  await open('#journey/no-such-journey', 'journey');
  expect(await page.textContent('#detail .missing')).toBe('There is no journey no-such-journey.');
  expect(await page.isVisible('#detail .report')).toBe(false);
});

test('switching pages during a load ends on the last one asked, never a mix', async () => {
  await page.evaluate(([journey, campaign]) => {
    delete document.body.dataset.loaded;
    document.location.hash = `#journey/${journey}`;
    document.defaultView.setTimeout(() => (document.location.hash = `#campaign/${campaign}`), 0);
  }, [JOURNEY, CAMPAIGN]);
  await page.waitForSelector('body[data-loaded="true"]', { timeout: 30_000 });
  expect(await page.evaluate(() => document.body.dataset.view)).toBe('campaign');
  expect(await page.textContent('#detail h2.title')).toBe(`Campaign ${CAMPAIGN}`);
  expect(await page.isVisible('#steps')).toBe(false);
  expect(await totalsOnPage()).toMatchObject({ sends: '10', delivered: '7', failed: '3' });
});
