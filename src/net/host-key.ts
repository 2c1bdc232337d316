/**
 * The one notion of a host: the key that names a host's breaker (`host:<key>`), its WebhookHost
 * search attribute and the operator API's `:authority`. Both a webhook's URL and an authority
 * typed by an operator go through WHATWG URL parsing, so `EXAMPLE.com`, `example.com` and
 * `https://example.com:443/x` are one host, and `bücher.example` is `xn--bcher-kva.example`.
 *
 * The key is the lower-case (punycode) host name, plus `:port` unless the port is the scheme's
 * default. An authority has no scheme, so both defaults (`:80` and `:443`) are dropped from it.
 */
import { InvalidHostError } from '../errors';
import { isSelfUrl, SELF_AUTHORITY } from '../self/target';

/** Longest DNS name (253) plus `:65535`. */
const MAX_AUTHORITY_LENGTH = 259;

function keyOf(url: URL, dropPort: (port: string) => boolean): string {
  return url.port && !dropPort(url.port) ? `${url.hostname}:${url.port}` : url.hostname;
}

/** The host key of a webhook URL (already validated as an http or https URL, or a `hookflow:` one). */
export function hostKeyOfUrl(url: string | URL): string {
  if (isSelfUrl(String(url))) return SELF_AUTHORITY;
  // WHATWG already leaves out the scheme's own default port.
  return keyOf(typeof url === 'string' ? new URL(url) : url, () => false);
}

/** The host key of an operator's `host[:port]`; throws InvalidHostError (field `authority`) if it is not one. */
export function hostKeyOfAuthority(authority: string): string {
  const raw = authority.trim();
  // Only host[:port]: no scheme, user info, path, query or fragment.
  if (raw === '' || raw.length > MAX_AUTHORITY_LENGTH || /[/?#@\\\s]/.test(raw) || raw.endsWith(':')) {
    throw new InvalidHostError(authority);
  }
  let url: URL;
  try {
    url = new URL(`http://${raw}`);
  } catch {
    throw new InvalidHostError(authority);
  }
  if (!url.hostname) throw new InvalidHostError(authority);
  return keyOf(url, (port) => port === '80' || port === '443');
}
