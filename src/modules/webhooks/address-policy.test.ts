import { describe, expect, it } from 'vitest';
import { AddressPolicy, literalAddress, WebhookTargetError } from './address-policy.js';

const strict = new AddressPolicy({ allowPrivate: false, allowedCidrs: [] });
/** The hostname a URL hands over, as deliveries see it. */
const host = (url: string) => new URL(url).hostname;

describe('webhook address policy (SSRF)', () => {
  it('allows public unicast addresses, IPv4 and IPv6', () => {
    for (const a of ['93.184.216.34', '8.8.8.8', '1.1.1.1', '2606:4700:4700::1111', '2a00:1450:4001:80b::200e']) {
      expect(strict.allows(a), a).toBe(true);
    }
  });

  it('refuses loopback, private, link-local, multicast, unspecified and IPv4-embedding forms', () => {
    const refused = [
      '127.0.0.1',
      '127.8.9.10',
      '::1',
      '10.0.0.5',
      '172.16.3.4',
      '192.168.1.1',
      '100.64.0.1', // carrier-grade NAT
      '169.254.169.254', // cloud metadata
      'fe80::1',
      'fc00::1',
      'fd12:3456::1',
      '224.0.0.1',
      'ff02::1',
      '255.255.255.255',
      '0.0.0.0',
      '::',
      '::ffff:127.0.0.1', // IPv4-mapped IPv6
      '::ffff:7f00:1',
      '::ffff:10.0.0.1',
      '::ffff:169.254.169.254',
      '64:ff9b::7f00:1', // NAT64 of 127.0.0.1
      '2002:7f00:1::1', // 6to4 of 127.0.0.1
      '2001:db8::1', // documentation
      '192.0.2.1',
      'not an address',
    ];
    for (const a of refused) expect(strict.allows(a), a).toBe(false);
  });

  it('reads literal addresses the way URLs write them', () => {
    expect(literalAddress(host('http://[::ffff:127.0.0.1]:8080/x'))).toBe('::ffff:7f00:1');
    expect(strict.allows(literalAddress(host('http://[::ffff:127.0.0.1]/'))!)).toBe(false);
    // WHATWG URL normalises the odd IPv4 spellings to dotted quads first.
    expect(host('http://0x7f.1/')).toBe('127.0.0.1');
    expect(host('http://2130706433/')).toBe('127.0.0.1');
    expect(literalAddress('hooks.example.com')).toBeNull();
  });

  it('lets the operator allow every private address, or only listed ranges', () => {
    const open = new AddressPolicy({ allowPrivate: true, allowedCidrs: [] });
    expect(open.allows('127.0.0.1')).toBe(true);
    expect(open.allows('::1')).toBe(true);
    const listed = new AddressPolicy({ allowPrivate: false, allowedCidrs: ['10.1.0.0/16', 'fd00:1::/64', '192.168.5.7'] });
    expect(listed.allows('10.1.200.3')).toBe(true);
    expect(listed.allows('::ffff:10.1.0.1')).toBe(true);
    expect(listed.allows('10.2.0.1')).toBe(false);
    expect(listed.allows('fd00:1::5')).toBe(true);
    expect(listed.allows('fd00:2::5')).toBe(false);
    expect(listed.allows('192.168.5.7')).toBe(true);
    expect(listed.allows('192.168.5.8')).toBe(false);
    expect(listed.allows('127.0.0.1')).toBe(false);
  });

  it('refuses a name that resolves to loopback (the real resolver: localhost)', async () => {
    await expect(strict.resolve('localhost')).rejects.toMatchObject({ reason: 'address_forbidden' });
    const open = new AddressPolicy({ allowPrivate: true, allowedCidrs: [] });
    expect(['127.0.0.1', '::1']).toContain((await open.resolve('localhost')).address);
  });

  it('refuses a name when any address it resolves to is refused, and says when a name does not resolve', async () => {
    const mixed = new AddressPolicy({
      allowPrivate: false,
      allowedCidrs: [],
      lookup: async () => [
        { address: '93.184.216.34', family: 4 },
        { address: '10.0.0.1', family: 4 },
      ],
    });
    await expect(mixed.resolve('mixed.example')).rejects.toBeInstanceOf(WebhookTargetError);
    const missing = new AddressPolicy({ allowPrivate: false, allowedCidrs: [] });
    await expect(missing.resolve('no-such-host.invalid')).rejects.toMatchObject({ reason: 'unresolvable' });
    const publicName = new AddressPolicy({
      allowPrivate: false,
      allowedCidrs: [],
      lookup: async () => [{ address: '2606:4700:4700::1111', family: 6 }],
    });
    expect(await publicName.resolve('public.example')).toEqual({ address: '2606:4700:4700::1111', family: 6 });
  });
});
