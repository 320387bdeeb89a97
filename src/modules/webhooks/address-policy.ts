import { lookup as dnsLookup } from 'node:dns/promises';
import ipaddr from 'ipaddr.js';
import { parseCidr } from '../../lib/cidr.js';

/**
 * Where webhook deliveries may go (SSRF). A receiver is any host on the
 * public internet: loopback, private (RFC 1918, unique-local), link-local
 * (169.254.0.0/16 — cloud metadata services — and fe80::/10), carrier-grade
 * NAT, multicast, broadcast, unspecified, reserved and documentation ranges,
 * and IPv6 forms that embed an IPv4 address (IPv4-mapped, NAT64, 6to4,
 * Teredo) are refused, unless the operator allows private addresses
 * (WEBHOOK_ALLOW_PRIVATE) or lists the ranges it trusts (WEBHOOK_ALLOWED_CIDRS).
 */
export interface AddressPolicyOptions {
  allowPrivate: boolean;
  /** CIDRs (`10.1.0.0/16`, `fd00::/8`) or single addresses allowed although not public. */
  allowedCidrs: readonly string[];
  /** Name resolution (the system resolver unless a test names its own). */
  lookup?: (hostname: string) => Promise<Array<{ address: string; family: number }>>;
}

const systemLookup = (hostname: string) => dnsLookup(hostname, { all: true, order: 'verbatim' });

export class WebhookTargetError extends Error {
  constructor(
    readonly reason: 'address_forbidden' | 'unresolvable',
    message: string,
  ) {
    super(message);
    this.name = 'WebhookTargetError';
  }
}

/** `[::ffff:10.0.0.1]`, `::1`, `127.0.0.1`: the address a URL's hostname names, or null for a name. */
export function literalAddress(hostname: string): string | null {
  const bare = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
  return ipaddr.isValid(bare) && (bare.includes(':') || ipaddr.IPv4.isValidFourPartDecimal(bare)) ? bare : null;
}

export class AddressPolicy {
  private readonly allowed: Array<[ipaddr.IPv4 | ipaddr.IPv6, number]>;

  constructor(private readonly opts: AddressPolicyOptions) {
    this.allowed = opts.allowedCidrs.map(parseCidr);
  }

  /**
   * Whether a delivery may connect to `address`. IPv4-mapped IPv6
   * (`::ffff:127.0.0.1`) is judged as the IPv4 address it is; only plain
   * unicast — ipaddr.js's `unicast` range, i.e. none of its special ones — is
   * public.
   */
  allows(address: string): boolean {
    if (this.opts.allowPrivate) return true;
    if (!ipaddr.isValid(address)) return false;
    const addr = ipaddr.process(address);
    if (this.allowed.some(([net, bits]) => net.kind() === addr.kind() && addr.match(net, bits))) return true;
    return addr.range() === 'unicast';
  }

  /**
   * Resolves `hostname` once and vets every address it resolves to: one
   * refused address refuses the name (a name that answers both public and
   * private addresses is not trusted). The delivery then connects to the
   * returned address itself, so a second lookup (DNS rebinding) cannot send
   * it elsewhere.
   */
  async resolve(hostname: string): Promise<{ address: string; family: 4 | 6 }> {
    const lookup = this.opts.lookup ?? systemLookup;
    const literal = literalAddress(hostname);
    let found: Array<{ address: string; family: number }>;
    if (literal) {
      found = [{ address: literal, family: literal.includes(':') ? 6 : 4 }];
    } else {
      try {
        found = await lookup(hostname);
      } catch (err) {
        throw new WebhookTargetError('unresolvable', `${hostname} does not resolve (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
      }
    }
    if (found.length === 0) throw new WebhookTargetError('unresolvable', `${hostname} does not resolve`);
    const refused = found.find((a) => !this.allows(a.address));
    if (refused) {
      throw new WebhookTargetError(
        'address_forbidden',
        `${hostname} resolves to ${refused.address}, a private, loopback, link-local or otherwise non-public address; ` +
          'deliveries only go to public addresses unless the operator allows it (WEBHOOK_ALLOW_PRIVATE, WEBHOOK_ALLOWED_CIDRS)',
      );
    }
    const first = found[0]!;
    return { address: first.address, family: first.family === 6 ? 6 : 4 };
  }
}
