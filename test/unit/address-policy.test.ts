/**
 * src/net/address-policy.ts: which addresses a webhook may reach. By default only public unicast.
 */
import { ConfigError } from '../../src/errors';
import { createAddressPolicy, isAllowedAddress } from '../../src/net/address-policy';

const byDefault = createAddressPolicy({ allowPrivateNetworks: false, allowedCidrs: [] });

describe('the default policy', () => {
  test.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['::1', 'IPv6 loopback'],
    ['10.0.0.1', 'private (10/8)'],
    ['10.255.255.255', 'private (10/8)'],
    ['172.16.0.1', 'private (172.16/12)'],
    ['172.31.255.255', 'private (172.16/12)'],
    ['192.168.1.1', 'private (192.168/16)'],
    ['169.254.169.254', 'link-local (cloud metadata)'],
    ['100.64.0.1', 'CGNAT (100.64/10)'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'this network (0/8)'],
    ['::', 'IPv6 unspecified'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['240.0.0.1', 'reserved (240/4)'],
    ['192.0.2.1', 'documentation (TEST-NET-1)'],
    ['198.18.0.1', 'benchmarking (198.18/15)'],
    ['fc00::1', 'unique-local'],
    ['fd12:3456::1', 'unique-local'],
    ['fe80::1', 'IPv6 link-local'],
    ['ff02::1', 'IPv6 multicast'],
    ['2001:db8::1', 'IPv6 documentation'],
    ['::ffff:127.0.0.1', 'IPv4-mapped loopback'],
    ['::ffff:7f00:1', 'IPv4-mapped loopback in hex'],
    ['::ffff:10.0.0.1', 'IPv4-mapped private'],
    ['::ffff:169.254.169.254', 'IPv4-mapped metadata'],
    ['64:ff9b::7f00:1', 'NAT64 of loopback'],
    ['2002:7f00:1::', '6to4 of loopback'],
    ['not-an-ip', 'not an address at all'],
    ['', 'empty'],
  ])('refuses %s (%s)', (address) => {
    expect(isAllowedAddress(byDefault, address)).toBe(false);
  });

  test.each([
    ['8.8.8.8', 'public IPv4'],
    ['1.1.1.1', 'public IPv4'],
    ['172.32.0.1', 'just past 172.16/12'],
    ['100.128.0.1', 'just past 100.64/10'],
    ['::ffff:8.8.8.8', 'IPv4-mapped public'],
    ['2606:4700::1111', 'public IPv6'],
    ['2a00:1450:4001:81c::200e', 'public IPv6'],
  ])('allows %s (%s)', (address) => {
    expect(isAllowedAddress(byDefault, address)).toBe(true);
  });
});

describe('IPv6 forms that carry an IPv4 address are judged by the address they carry', () => {
  // Teredo: server 65.54.227.120 in bits 32-63; the client is the last 32 bits inverted.
  const teredo = (server: string, client: string): string => {
    const hex = (ip: string, invert = false): string[] => {
      const b = ip.split('.').map((x) => (invert ? Number(x) ^ 0xff : Number(x)));
      return [((b[0] << 8) | b[1]).toString(16), ((b[2] << 8) | b[3]).toString(16)];
    };
    return ['2001', '0', ...hex(server), '0', '0', ...hex(client, true)].join(':');
  };

  test.each([
    ['::7f00:1', 'IPv4-compatible loopback (::127.0.0.1)'],
    ['::127.0.0.1', 'IPv4-compatible loopback, dotted'],
    ['::a00:5', 'IPv4-compatible private (::10.0.0.5)'],
    ['::a9fe:a9fe', 'IPv4-compatible metadata (::169.254.169.254)'],
    ['64:ff9b::a00:5', 'NAT64 of 10.0.0.5'],
    ['64:ff9b::a9fe:a9fe', 'NAT64 of 169.254.169.254'],
    ['64:ff9b:1::808:808', 'local-use NAT64 (64:ff9b:1::/48)'],
    ['2002:a00:5::1', '6to4 of 10.0.0.5'],
    ['2002:c0a8:101::1', '6to4 of 192.168.1.1'],
    [teredo('65.54.227.120', '10.0.0.5'), 'Teredo to client 10.0.0.5'],
    [teredo('10.0.0.1', '8.8.8.8'), 'Teredo through a private server'],
  ])('refuses %s (%s)', (address) => {
    expect(isAllowedAddress(byDefault, address)).toBe(false);
  });

  test.each([
    ['::808:808', 'IPv4-compatible 8.8.8.8'],
    ['64:ff9b::808:808', 'NAT64 of 8.8.8.8'],
    ['2002:808:808::1', '6to4 of 8.8.8.8'],
    [teredo('65.54.227.120', '8.8.8.8'), 'Teredo to client 8.8.8.8'],
  ])('allows %s (%s) like the public address it carries', (address) => {
    expect(isAllowedAddress(byDefault, address)).toBe(true);
  });

  test('an allowed range covers the IPv4 address carried in an IPv6 form too', () => {
    const ten = createAddressPolicy({ allowPrivateNetworks: false, allowedCidrs: ['10.0.0.0/8'] });
    expect(isAllowedAddress(ten, '64:ff9b::a00:5')).toBe(true);
    expect(isAllowedAddress(ten, '2002:a00:5::1')).toBe(true);
    expect(isAllowedAddress(ten, '::7f00:1')).toBe(false);
  });
});

describe('configuration', () => {
  test.each(['127.0.0.1', '::1', '10.0.0.1', '169.254.169.254', 'fe80::1', '::ffff:127.0.0.1', '8.8.8.8', '2606:4700::1111'])(
    'allowPrivateNetworks allows %s',
    (address) => {
      expect(isAllowedAddress(createAddressPolicy({ allowPrivateNetworks: true, allowedCidrs: [] }), address)).toBe(true);
    },
  );

  const cidrs = createAddressPolicy({ allowPrivateNetworks: false, allowedCidrs: ['10.1.0.0/16', 'fd00:1::/32'] });

  test.each([
    ['10.1.0.1', true],
    ['10.1.255.255', true],
    ['::ffff:10.1.2.3', true],
    ['fd00:1::5', true],
    ['10.2.0.1', false],
    ['10.0.255.255', false],
    ['192.168.1.1', false],
    ['127.0.0.1', false],
    ['fd00:2::5', false],
    ['8.8.8.8', true],
  ])('allowedCidrs [10.1.0.0/16, fd00:1::/32]: %s allowed is %s', (address, allowed) => {
    expect(isAllowedAddress(cidrs, address)).toBe(allowed);
  });

  test('allowedCidrs 127.0.0.0/8 allows loopback IPv4 but not IPv6 loopback', () => {
    const loopback = createAddressPolicy({ allowPrivateNetworks: false, allowedCidrs: ['127.0.0.0/8'] });
    expect(isAllowedAddress(loopback, '127.0.0.1')).toBe(true);
    expect(isAllowedAddress(loopback, '::ffff:127.0.0.1')).toBe(true);
    expect(isAllowedAddress(loopback, '::1')).toBe(false);
  });

  test.each(['banana', '10.0.0.0', '10.0.0.0/33', '300.0.0.0/8', 'fd00::/129', '10.0.0.0/8/8'])(
    'the bad CIDR %j throws a ConfigError naming HOOKFLOW_ALLOWED_CIDRS',
    (cidr) => {
      let error: unknown;
      try {
        createAddressPolicy({ allowPrivateNetworks: false, allowedCidrs: ['10.0.0.0/8', cidr] });
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).variable).toBe('HOOKFLOW_ALLOWED_CIDRS');
      expect((error as ConfigError).message).toBe(`HOOKFLOW_ALLOWED_CIDRS: '${cidr}' is not a CIDR range such as 10.0.0.0/8`);
    },
  );
});
