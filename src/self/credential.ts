/**
 * How a self webhook authenticates, and how deep its chain is.
 *
 * The credential is derived from HOOKFLOW_ENCRYPTION_KEY, which every worker and API of a
 * deployment already share: no key to configure, none in a template. The worker adds it at each
 * send, so it never enters a workflow's history, the ledger or a log; the API accepts it on /v1/
 * paths only.
 *
 * The hop count: a webhook carries `hops` (how many self webhooks led to it); its self send says
 * `Hookflow-Hops: hops + 1`. The API honours that header only with the internal credential, refuses
 * a request deeper than HOOKFLOW_MAX_HOPS (508, `hop_limit`), stores an event's depth with it, and
 * anything started by such a request or event carries it on, so a loop ends instead of running for ever.
 */
import { createHmac } from 'node:crypto';

export const HOPS_HEADER = 'hookflow-hops';
/** The answer, error code and webhook failure of a chain that went too deep. */
export const HOP_LIMIT_STATUS = 508;
export const HOP_LIMIT = 'hop_limit';

const LABEL = 'hookflow self webhooks v1';

/** The internal API key of the deployment that has this encryption key (base64 of 32 bytes). */
export function internalApiKey(encryptionKey: string): string {
  return `hfi_${createHmac('sha256', Buffer.from(encryptionKey, 'base64')).update(LABEL).digest('base64url')}`;
}

/** The depth a `Hookflow-Hops` header gives; 0 when absent, undefined when malformed. */
export function parseHops(header: string | string[] | undefined): number | undefined {
  if (header === undefined) return 0;
  if (Array.isArray(header) || !/^\d{1,6}$/.test(header.trim())) return undefined;
  return Number(header.trim());
}
