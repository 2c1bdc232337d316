/**
 * Which addresses a webhook may reach. A webhook URL is chosen by a user, so by default only
 * public unicast addresses are allowed: loopback, private, link-local (cloud metadata at
 * 169.254.169.254), unique-local, CGNAT, multicast and reserved ranges are refused.
 */
import ipaddr from 'ipaddr.js';
import { ConfigError } from '../errors';

export interface AddressPolicy {
  allowPrivateNetworks: boolean;
  allowedCidrs: [ipaddr.IPv4 | ipaddr.IPv6, number][];
}

export function createAddressPolicy(options: { allowPrivateNetworks: boolean; allowedCidrs: string[] }): AddressPolicy {
  const allowedCidrs = options.allowedCidrs.map((cidr) => {
    try {
      return ipaddr.parseCIDR(cidr);
    } catch {
      throw new ConfigError('HOOKFLOW_ALLOWED_CIDRS', `'${cidr}' is not a CIDR range such as 10.0.0.0/8`);
    }
  });
  return { allowPrivateNetworks: options.allowPrivateNetworks, allowedCidrs };
}

export function isAllowedAddress(policy: AddressPolicy, address: string): boolean {
  if (policy.allowPrivateNetworks) return true;
  let parsed: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    // process() turns IPv4-mapped IPv6 (::ffff:127.0.0.1) into IPv4, so it can't slip through.
    parsed = ipaddr.process(address);
  } catch {
    return false;
  }
  for (const [range, bits] of policy.allowedCidrs) {
    if (range.kind() === parsed.kind() && parsed.match(range, bits)) return true;
  }
  return parsed.range() === 'unicast';
}
