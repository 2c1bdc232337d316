/** Host authorities as the operator API takes them: `host[:port]`, compared in lower case. */
import { InvalidHostError } from '../errors';
import type { HostView } from '../temporal/host-definitions';

/** A DNS name or IPv4 address, or a bracketed IPv6 address, then an optional port. */
const AUTHORITY = /^(?:[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?)*|\[[0-9a-f:.]+\])(?::\d{1,5})?$/;

/** Exactly as the webhook's WebhookHost shows it (the URL's host, default port left out). */
export function normaliseAuthority(raw: string): string {
  const authority = raw.trim().toLowerCase();
  const port = /:(\d+)$/.exec(authority)?.[1];
  if (!AUTHORITY.test(authority) || authority.length > 260 || (port !== undefined && Number(port) > 65_535)) {
    throw new InvalidHostError(raw);
  }
  return authority;
}

/** What a host looks like when no host workflow is running for it. */
export function idleHostView(authority: string): HostView {
  return { authority, state: 'closed', window: { requests: 0, failures: 0 }, pausedWebhooks: 0, draining: false, cooldownMs: 0 };
}
