/**
 * Hookflow-to-Hookflow webhooks (Braze's "Braze-to-Braze" webhooks): a webhook whose URL is
 * `hookflow:/v1/…` calls Hookflow's own API. The URL names a path only; where the API is
 * (HOOKFLOW_SELF_URL) and the credential it is called with are the worker's, so a user's URL can
 * never point the worker at another local address: the outbound guard stays on for every other URL.
 */
import type { Config } from '../config';

export const SELF_SCHEME = 'hookflow:';
/** The host key of every self webhook: one breaker and one host limit for Hookflow's own API. */
export const SELF_AUTHORITY = 'hookflow';
/** What the ledger and the Web UI show as the origin of a self webhook. */
export const SELF_ORIGIN = 'hookflow:';
/** Only the versioned API may be called: never /codec, /dashboard, /metrics and the like. */
const API_PREFIX = '/v1/';

export function isSelfUrl(url: string): boolean {
  return url.slice(0, SELF_SCHEME.length).toLowerCase() === SELF_SCHEME;
}

/**
 * Why a `hookflow:` URL cannot be called, or undefined. Judged on the path as WHATWG URL parsing
 * normalises it (so `/v1/../codec` and `/v1/%2e%2e/codec` are `/codec`, and refused).
 */
export function selfUrlProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `must be hookflow:/v1/… (a path of Hookflow's own API)`;
  }
  if (url.host !== '' || value.slice(SELF_SCHEME.length, SELF_SCHEME.length + 2) === '//') return 'a hookflow: URL names a path of Hookflow\'s own API, never a host (hookflow:/v1/…)';
  if (!url.pathname.startsWith(API_PREFIX)) return `a hookflow: URL must be a path of Hookflow's API under /v1/, not ${url.pathname}`;
  if (url.hash) return 'a hookflow: URL has no fragment';
  return undefined;
}

/** The address the worker sends a self webhook to: HOOKFLOW_SELF_URL with the webhook's path and query. Throws when the path is not under /v1/. */
export function resolveSelfUrl(selfUrl: string, url: string): string {
  const problem = selfUrlProblem(url);
  if (problem) throw new Error(problem);
  const { pathname, search } = new URL(url);
  const base = new URL(selfUrl);
  // The base's own path (an API behind a proxy at /hookflow) comes first.
  return `${base.origin}${base.pathname.replace(/\/+$/, '')}${pathname}${search}`;
}

/**
 * HOOKFLOW_SELF_URL, else the API of this configuration: `http://<HOOKFLOW_HOST>:<HOOKFLOW_PORT>`,
 * a wildcard listen address read as this machine's loopback.
 */
export function selfUrlOf(config: Pick<Config, 'selfUrl' | 'host' | 'port'>): string {
  if (config.selfUrl) return config.selfUrl.replace(/\/+$/, '');
  const host = config.host === '0.0.0.0' || config.host === '' ? '127.0.0.1' : config.host === '::' ? '[::1]' : config.host.includes(':') ? `[${config.host}]` : config.host;
  return `http://${host}:${config.port}`;
}
