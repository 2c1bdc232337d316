/**
 * What of a webhook request may be shown back (status reads, API answers, Web UI summary):
 * credentials in headers, URL user-info and secret-looking query parameters are replaced.
 */
import { isSelfUrl, SELF_ORIGIN } from '../self/target';

export const REDACTED = '[redacted]';
/** In URLs, a marker that needs no percent-encoding. */
export const REDACTED_IN_URL = 'redacted';

const SECRET_NAME = /(auth|token|secret|passw|signature|cookie|session|credential|(^|[-_.])(api[-_]?)?key([-_.]|$)|^sig$)/i;

export function redactHeaders(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) out[name] = SECRET_NAME.test(name) ? REDACTED : value;
  return out;
}

export function redactUrl(raw: string): string {
  const url = new URL(raw);
  if (url.username) url.username = REDACTED_IN_URL;
  if (url.password) url.password = REDACTED_IN_URL;
  for (const name of [...url.searchParams.keys()]) {
    if (SECRET_NAME.test(name)) url.searchParams.set(name, REDACTED_IN_URL);
  }
  return url.toString();
}

/** A one-line description for the Web UI: method, origin and path, never the query. */
export function summarise(method: string, raw: string): string {
  return `${method} ${originOf(raw)}${new URL(raw).pathname}`;
}

/** The URL's origin; `hookflow:` for a Hookflow-to-Hookflow webhook (whose URL has none). */
export function originOf(raw: string): string {
  return isSelfUrl(raw) ? SELF_ORIGIN : new URL(raw).origin;
}
