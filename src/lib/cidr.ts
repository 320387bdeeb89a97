import ipaddr from 'ipaddr.js';

/** A CIDR (`10.0.0.0/8`, `fd00::/8`) as ipaddr.js reads it; a bare address is its own /32 or /128. Throws on anything else. */
export function parseCidr(entry: string): [ipaddr.IPv4 | ipaddr.IPv6, number] {
  const v = entry.trim();
  if (v.includes('/')) return ipaddr.parseCIDR(v);
  const addr = ipaddr.parse(v);
  return [addr, addr.kind() === 'ipv4' ? 32 : 128];
}
