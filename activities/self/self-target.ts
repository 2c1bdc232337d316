/**
 * Where a worker sends Hookflow-to-Hookflow webhooks (`hookflow:/v1/…`): Hookflow's own API at
 * HOOKFLOW_SELF_URL, with the internal credential and the hop count added at each send. This
 * address is reached through a dispatcher of its own, without the outbound guard; the guarded one
 * still carries every other URL, so a user's URL can never name a local address.
 */
import { Agent, type Dispatcher } from 'undici';
import { HOPS_HEADER, internalApiKey } from '../../src/self/credential';
import { resolveSelfUrl } from '../../src/self/target';

export interface SelfTarget {
  /** HOOKFLOW_SELF_URL, or this configuration's own API (src/self/target.ts selfUrlOf). */
  url: string;
  /** The internal API key (src/self/credential.ts): never in a template, history, ledger or log. */
  apiKey: string;
  /** Unguarded: used for `url` only. */
  dispatcher: Dispatcher;
}

export function createSelfTarget(url: string, encryptionKey: string): SelfTarget & { close(): Promise<void> } {
  const agent = new Agent({ connections: 16, keepAliveTimeout: 4_000 });
  return { url, apiKey: internalApiKey(encryptionKey), dispatcher: agent, close: () => agent.close() };
}

export interface Addressed {
  url: string;
  headers: Record<string, string>;
  dispatcher: Dispatcher;
}

/** A self webhook's request as it goes out: the API's address, the credential and `Hookflow-Hops: hops + 1` in place of anything the template said. */
export function addressSelf(self: SelfTarget, url: string, headers: Record<string, string>, hops: number): Addressed {
  const own = new Set(['authorization', HOPS_HEADER]);
  const kept = Object.fromEntries(Object.entries(headers).filter(([name]) => !own.has(name.toLowerCase())));
  return {
    url: resolveSelfUrl(self.url, url),
    headers: { ...kept, authorization: `Bearer ${self.apiKey}`, [HOPS_HEADER]: String(hops + 1) },
    dispatcher: self.dispatcher,
  };
}
