/**
 * Which addresses a webhook may reach. A webhook URL is chosen by a user, so by default only
 * public unicast addresses are allowed: loopback, private, link-local (cloud metadata at
 * 169.254.169.254), unique-local, CGNAT, multicast and reserved ranges are refused.
 *
 * IPv6 forms that carry an IPv4 address — IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible
 * (::a.b.c.d), NAT64 (64:ff9b::/96), 6to4 (2002::/16) and Teredo (2001::/32) — are judged by the
 * IPv4 address they carry: a gateway on the way would deliver to it.
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

const v4 = (bytes: number[]): ipaddr.IPv4 => new ipaddr.IPv4(bytes);

/** The IPv4 addresses an IPv6 address carries, by its form; undefined for a plain IPv6 address. */
export function embeddedIpv4(address: ipaddr.IPv6): ipaddr.IPv4[] | undefined {
  const b = address.toByteArray();
  const zeros = (from: number, to: number): boolean => b.slice(from, to).every((x) => x === 0);
  switch (address.range()) {
    case 'rfc6052':
      // 64:ff9b::/96 carries it in the last 32 bits; the local-use 64:ff9b:1::/48 is private by definition.
      return zeros(4, 12) ? [v4(b.slice(12))] : [v4([10, 0, 0, 0])];
    case '6to4':
      return [v4(b.slice(2, 6))];
    case 'teredo':
      // The Teredo server in bits 32–63, the client (bit-inverted) in the last 32 bits.
      return [v4(b.slice(4, 8)), v4(b.slice(12).map((x) => x ^ 0xff))];
    default:
      // IPv4-compatible ::a.b.c.d (deprecated, still routed by some stacks); :: and ::1 are their own ranges.
      return address.range() === 'unicast' && zeros(0, 12) ? [v4(b.slice(12))] : undefined;
  }
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
  if (isInAllowedCidr(policy, parsed)) return true;
  if (parsed.kind() === 'ipv6') {
    const carried = embeddedIpv4(parsed as ipaddr.IPv6);
    if (carried) return carried.every((a) => isInAllowedCidr(policy, a) || a.range() === 'unicast');
  }
  return parsed.range() === 'unicast';
}

function isInAllowedCidr(policy: AddressPolicy, address: ipaddr.IPv4 | ipaddr.IPv6): boolean {
  return policy.allowedCidrs.some(([range, bits]) => range.kind() === address.kind() && address.match(range, bits));
}
