/**
 * The dashboard in real Chromium (Debian's `chromium`, driven by playwright-core) against a real
 * stack: after 7 webhooks delivered (one of them on its second attempt) and 3 refused with a 400
 * by another host, the page shows the API's numbers, draws its chart, lists the failures with
 * links to the Web UI, and pauses and resumes the failing host. Screenshots go to
 * test-results/screenshots/ (git-ignored).
 */
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Browser, Page } from 'playwright-core';
import { request } from 'undici';
import { buildApi } from '../../src/api/server';
import { AesGcmCodec, parseEncryptionKey } from '../../src/temporal/codec';
import { launchChromium, paintedPixels, SHOTS } from '../helpers/browser';
import { startReceiver, type Receiver } from '../helpers/receiver';
import { startTestStack, type TestStack } from '../helpers/stack';

// Page functions run in the browser; the project's types are Node's, without the DOM's.
declare const document: any; // eslint-disable-line @typescript-eslint/no-explicit-any

const KEY = 'dashboard-key';
const UI = 'http://localhost:8233';
const fast = { initialIntervalMs: 100, maxIntervalMs: 200, maxAttempts: 3 };

let stack: TestStack;
let app: FastifyInstance;
let base: string;
let browser: Browser;
let page: Page;
let good: Receiver;
let bad: Receiver;

async function api(pathAndQuery: string, init: { method?: 'GET' | 'POST'; headers?: Record<string, string> } = {}): Promise<{ status: number; body: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const res = await request(`${base}${pathAndQuery}`, { method: init.method ?? 'GET', headers: init.headers ?? { authorization: `Bearer ${KEY}` } });
  const text = await res.body.text();
  return { status: res.statusCode, body: text ? JSON.parse(text) : undefined };
}

beforeAll(async () => {
  stack = await startTestStack();
  app = buildApi({
    hookflow: stack.hookflow,
    apiKeys: [KEY],
    codec: new AesGcmCodec(parseEncryptionKey(stack.encryptionKey)),
    uiOrigins: [],
    maxBodyBytes: 262_144,
    logLevel: 'warn',
    reports: { namespace: 'default', temporalUiUrl: UI },
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;

  // The scripted run: 7 delivered (the first after a 503), 3 refused with a 400 by the other host.
  good = await startReceiver((a) => ({ status: a.path === '/flaky' && good.arrivals.filter((x) => x.path === '/flaky').length === 1 ? 503 : 200 }));
  bad = await startReceiver(() => ({ status: 400, body: 'no such customer' }));
  const ids = [];
  for (let i = 0; i < 7; i++) ids.push((await stack.hookflow.send({ url: `${good.url}/${i === 0 ? 'flaky' : 'ok'}`, retry: fast })).id);
  for (let i = 0; i < 3; i++) ids.push((await stack.hookflow.send({ url: `${bad.url}/hook`, retry: fast })).id);
  const results = await Promise.all(ids.map((id) => stack.hookflow.result(id)));
  expect(results.map((r) => r.status).sort()).toEqual([...Array(7).fill('delivered'), ...Array(3).fill('failed')]);

  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await app?.close();
  await stack?.stop();
  await good?.close();
  await bad?.close();
});

test('logging in keeps the key in an HttpOnly SameSite=Strict cookie, never in the URL', async () => {
  await page.goto(`${base}/dashboard`);
  await page.waitForSelector('#login-form', { state: 'visible' });
  await page.screenshot({ path: path.join(SHOTS, 'login.png') });
  await page.fill('#api-key', 'not-the-key');
  await page.click('#login-form button[type=submit]');
  await page.waitForFunction(() => document.getElementById('login-error')!.textContent !== '');
  expect(await page.textContent('#login-error')).toBe('That API key is not valid.');

  await page.fill('#api-key', KEY);
  await page.click('#login-form button[type=submit]');
  await page.waitForSelector('body[data-loaded="true"]', { timeout: 30_000 });
  expect(page.url()).toBe(`${base}/dashboard`);
  const cookies = await page.context().cookies();
  expect(cookies).toEqual([expect.objectContaining({ name: 'hookflow_session', httpOnly: true, sameSite: 'Strict', path: '/' })]);
  expect(await page.evaluate(() => document.cookie)).toBe('');
});

test('the overview shows the numbers the API gives for the same range, and draws the chart', async () => {
  const range = await page.evaluate(() => ({ since: document.body.dataset.since!, until: document.body.dataset.until!, timezone: document.body.dataset.timezone! }));
  const query = new URLSearchParams({ ...range, bucket: 'total' });
  const { body } = await api(`/v1/reports?${query}`);
  const total = body.data[0];
  expect(total).toMatchObject({ sends: 10, delivered: 7, failed: 3, errors: 4, errors5xx: 1, errors4xx: 3, retries: 1 });
  for (const key of ['sends', 'delivered', 'failed', 'errors', 'retries', 'latencyMsP95']) {
    expect(await page.textContent(`#overview .totals dd[data-key="${key}"]`)).toBe(String(total[key]));
  }

  expect(await page.$$eval('#overview .error-classes span', (spans: any[]) => spans.map((x) => [x.dataset.key, x.textContent]))).toEqual([['errors4xx', '4xx 3'], ['errors5xx', '5xx 1']]); // eslint-disable-line @typescript-eslint/no-explicit-any
  // uPlot draws on a canvas: some of its pixels must be painted.
  expect(await paintedPixels(page, '#overview .chart')).toBeGreaterThan(100);

  const failures = await page.$$eval('#failures tbody tr', (rows: any[]) => // eslint-disable-line @typescript-eslint/no-explicit-any
    rows.map((r) => ({ status: r.querySelector('.status-code')!.textContent, error: r.querySelector('.error-text')!.textContent, link: r.querySelector('a')?.getAttribute('href') })),
  );
  expect(failures).toHaveLength(3);
  for (const f of failures) {
    expect(f.status).toBe('400');
    expect(f.error).toBe('rejected by the receiver');
    expect(f.link).toMatch(new RegExp(`^${UI}/namespaces/default/workflows/webhook%3Awh_[0-9a-f]+$`));
  }
  await page.screenshot({ path: path.join(SHOTS, 'overview.png'), fullPage: true });
});

test('pausing the failing host from the page pauses it; resuming resumes it', async () => {
  const row = page.locator(`#hosts tbody tr[data-host="${bad.authority}"]`);
  expect(await row.locator('td').nth(2).textContent()).toBe('3');
  expect(await page.locator(`#hosts tbody tr[data-host="${good.authority}"]`).count()).toBe(1);
  await row.locator('button.pause').click();
  await row.locator('button.resume').waitFor({ timeout: 30_000 });
  expect((await stack.hookflow.hostStatus(bad.authority)).state).toBe('paused');
  expect(await row.locator('td.state').textContent()).toBe('paused');
  await page.screenshot({ path: path.join(SHOTS, 'host-paused.png'), fullPage: true });

  await row.locator('button.resume').click();
  await row.locator('button.pause').waitFor({ timeout: 30_000 });
  expect((await stack.hookflow.hostStatus(bad.authority)).state).not.toBe('paused');
});

test('a cookie-authenticated action from another origin, or with no origin, is refused', async () => {
  const [cookie] = await page.context().cookies();
  const session = `hookflow_session=${cookie.value}`;
  const pause = `/v1/hosts/${encodeURIComponent(bad.authority)}/pause`;
  expect((await api(pause, { method: 'POST', headers: { cookie: session, origin: 'https://evil.example' } })).status).toBe(403);
  expect((await api(pause, { method: 'POST', headers: { cookie: session } })).status).toBe(403);
  expect((await api('/dashboard/session', { method: 'POST', headers: { origin: 'https://evil.example' } })).status).toBe(403);
  expect((await stack.hookflow.hostStatus(bad.authority)).state).not.toBe('paused');
  // Reads with the cookie work (the CSV link), and Bearer works as before.
  expect((await api('/v1/reports?bucket=total', { headers: { cookie: session } })).status).toBe(200);
  expect((await api('/v1/reports?bucket=total')).status).toBe(200);
});

test('logging out clears the cookie: the page asks for the key again', async () => {
  await page.click('#logout');
  await page.waitForSelector('#login-form', { state: 'visible' });
  expect(await page.context().cookies()).toEqual([]);
  const status = await page.evaluate(async () => (await fetch('/v1/reports?bucket=total')).status);
  expect(status).toBe(401);
});
