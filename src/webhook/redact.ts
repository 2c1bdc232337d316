/**
 * What of a webhook request may be shown back (status reads, API answers, Web UI summary):
 * credentials in headers, URL user-info and secret-looking query parameters are replaced.
 */
export const REDACTED = '[redacted]';

const SECRET_NAME = /(auth|token|secret|passw|signature|api[-_]?key|cookie|session|credential|^sig$|^key$)/i;

export function redactHeaders(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) out[name] = SECRET_NAME.test(name) ? REDACTED : value;
  return out;
}

export function redactUrl(raw: string): string {
  const url = new URL(raw);
  if (url.username) url.username = REDACTED;
  if (url.password) url.password = REDACTED;
  for (const name of [...url.searchParams.keys()]) {
    if (SECRET_NAME.test(name)) url.searchParams.set(name, REDACTED);
  }
  return url.toString();
}

/** A one-line description for the Web UI: method, origin and path, never the query. */
export function summarise(method: string, raw: string): string {
  const url = new URL(raw);
  return `${method} ${url.origin}${url.pathname}`;
}
