/** Real Chromium for the dashboard tests (Debian's `chromium`, driven by playwright-core), and what they check on a page. */
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = process.env.HOOKFLOW_CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Screenshots of the dashboard's pages (git-ignored). */
export const SHOTS = path.resolve(__dirname, '../../test-results/screenshots');

export async function launchChromium(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: run \`node scripts/setup.mjs --browser\` (it installs Debian's chromium) or set HOOKFLOW_CHROMIUM_PATH`);
  fs.mkdirSync(SHOTS, { recursive: true });
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
}

/** How many pixels of the first canvas under `selector` are painted (uPlot draws on a canvas). */
export async function paintedPixels(page: Page, selector: string): Promise<number> {
  return page.evaluate((sel) => {
    // Runs in the browser; the project's types are Node's, without the DOM's.
    const canvas = (globalThis as any).document.querySelector(`${sel} canvas`) as { width: number; height: number; getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } } | null; // eslint-disable-line @typescript-eslint/no-explicit-any
    if (!canvas || canvas.width === 0) return 0;
    const pixels = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
    let n = 0;
    for (let i = 3; i < pixels.length; i += 4) if (pixels[i] !== 0) n++;
    return n;
  }, selector);
}

/** Logs in from the page's own form and waits for the page the URL's hash names to load. */
export async function logIn(page: Page, url: string, key: string): Promise<void> {
  await page.goto(url);
  await page.waitForSelector('#login-form', { state: 'visible' });
  await page.fill('#api-key', key);
  await page.click('#login-form button[type=submit]');
  await page.waitForSelector('body[data-loaded="true"]', { timeout: 30_000 });
}
