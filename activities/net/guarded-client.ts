/**
 * The undici dispatcher every attempt goes through. It refuses addresses the policy does not allow
 * on the address actually connected to: its DNS lookup filters what a name resolves to (a public
 * name that resolves to 10.0.0.5 is refused), and its connector refuses a literal IP in the URL
 * (for which Node does no lookup). Redirects are never followed (undici's request() has no
 * redirect handling unless an interceptor adds it).
 */
import dns from 'node:dns';
import type { LookupAddress, LookupAllOptions, LookupOneOptions } from 'node:dns';
import net from 'node:net';
import { Agent, buildConnector } from 'undici';
import { isAllowedAddress, type AddressPolicy } from '../../src/net/address-policy';

/**
 * Thrown when the address a webhook would reach is not allowed. Its message goes into the attempt
 * record that the webhook's sender reads, so it never names the address a host name resolved to:
 * otherwise anyone could map internal DNS through webhooks (`address` keeps it for the worker's log).
 */
export class BlockedAddressError extends Error {
  readonly code = 'HOOKFLOW_ADDRESS_BLOCKED';
  constructor(
    readonly hostname: string,
    readonly address: string,
  ) {
    super(
      `blocked: ${hostname === address ? `${address} is not a public address` : `${hostname} does not resolve to a public address`} (HOOKFLOW_ALLOW_PRIVATE_NETWORKS, HOOKFLOW_ALLOWED_CIDRS)`,
    );
  }
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

export function guardedLookup(policy: AddressPolicy) {
  return (hostname: string, options: LookupOneOptions | LookupAllOptions, callback: LookupCallback): void => {
    dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '');
      const allowed = addresses.filter((a) => isAllowedAddress(policy, a.address));
      if (allowed.length === 0) return callback(new BlockedAddressError(hostname, addresses[0]?.address ?? '?'), '');
      if ((options as LookupAllOptions).all) return callback(null, allowed);
      callback(null, allowed[0].address, allowed[0].family);
    });
  };
}

/** The default connector, with literal IP hosts checked before any connection is made. */
function guardedConnector(policy: AddressPolicy): buildConnector.connector {
  const connect = buildConnector({ lookup: guardedLookup(policy), timeout: 10_000 });
  return (options, callback) => {
    const host = options.hostname.replace(/^\[(.*)\]$/, '$1');
    if (net.isIP(host) && !isAllowedAddress(policy, host)) return callback(new BlockedAddressError(host, host), null);
    connect(options, callback);
  };
}

export interface HttpClientOptions {
  policy: AddressPolicy;
  /** Open connections per origin. */
  connectionsPerOrigin?: number;
}

export function createHttpClient(options: HttpClientOptions): Agent {
  return new Agent({
    connect: guardedConnector(options.policy),
    connections: options.connectionsPerOrigin ?? 64,
    keepAliveTimeout: 4_000,
  });
}
