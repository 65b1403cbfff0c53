import { isIP } from 'node:net';

/** Why an address may not receive a webhook; `undefined` means it is a public unicast address. */
export type ForbiddenRange =
  'loopback' | 'private' | 'link-local' | 'metadata' | 'shared' | 'unspecified' | 'multicast' | 'reserved' | 'invalid';

/** IPv4 ranges no webhook may reach without an explicit opt-in, most specific first. */
const IPV4_RANGES: readonly [string, number, ForbiddenRange][] = [
  ['169.254.169.254', 32, 'metadata'], // AWS, GCP, Azure, OpenStack
  ['100.100.100.200', 32, 'metadata'], // Alibaba Cloud
  ['0.0.0.0', 8, 'unspecified'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'shared'], // carrier-grade NAT
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'reserved'],
  ['192.0.2.0', 24, 'reserved'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'reserved'],
  ['198.51.100.0', 24, 'reserved'],
  ['203.0.113.0', 24, 'reserved'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved'], // includes 255.255.255.255
];

/**
 * Classifies an IP address (v4 or v6, as text). IPv6 forms that carry an IPv4 address (IPv4-mapped
 * `::ffff:a.b.c.d`, IPv4-compatible, NAT64 `64:ff9b::/96`, 6to4 `2002::/16`) are judged by that IPv4 address.
 */
export function classifyAddress(address: string): ForbiddenRange | undefined {
  const unbracketed = address.replace(/^\[(.*)\]$/, '$1');
  const version = isIP(unbracketed);
  if (version === 4) return classifyIpv4(ipv4ToNumber(unbracketed));
  if (version === 6) return classifyIpv6(unbracketed);
  return 'invalid';
}

function classifyIpv4(value: number): ForbiddenRange | undefined {
  for (const [base, bits, range] of IPV4_RANGES) {
    const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
    if ((value & mask) >>> 0 === (ipv4ToNumber(base) & mask) >>> 0) return range;
  }
  return undefined;
}

function classifyIpv6(text: string): ForbiddenRange | undefined {
  const groups = ipv6Groups(text);
  if (!groups) return 'invalid';
  const embedded = (high: number, low: number) => classifyIpv4(((groups[high] << 16) | groups[low]) >>> 0);
  const zeroUpTo = (n: number) => groups.slice(0, n).every((group) => group === 0);
  if (zeroUpTo(8)) return 'unspecified';
  if (zeroUpTo(7) && groups[7] === 1) return 'loopback';
  // ::ffff:a.b.c.d (mapped), ::a.b.c.d (compatible, deprecated), ::ffff:0:a.b.c.d (translated)
  if (zeroUpTo(5) && (groups[5] === 0xffff || groups[5] === 0)) return embedded(6, 7);
  if (zeroUpTo(4) && groups[4] === 0xffff && groups[5] === 0) return embedded(6, 7);
  if (groups[0] === 0x64 && groups[1] === 0xff9b && groups.slice(2, 6).every((g) => g === 0)) return embedded(6, 7);
  if (groups[0] === 0x2002) return embedded(1, 2);
  if (groups[0] === 0xfd00 && groups[1] === 0x0ec2 && groups.slice(2, 7).every((g) => g === 0) && groups[7] === 0x254)
    return 'metadata'; // AWS over IPv6: fd00:ec2::254
  if ((groups[0] & 0xfe00) === 0xfc00) return 'private'; // fc00::/7 unique local
  if ((groups[0] & 0xffc0) === 0xfe80) return 'link-local'; // fe80::/10
  if ((groups[0] & 0xffc0) === 0xfec0) return 'private'; // fec0::/10 site-local, deprecated
  if ((groups[0] & 0xff00) === 0xff00) return 'multicast';
  if (groups[0] === 0x2001 && groups[1] === 0x0db8) return 'reserved'; // documentation
  if (groups[0] === 0x0100 && zeroUpTo(4)) return 'reserved'; // discard-only 100::/64
  return undefined;
}

function ipv4ToNumber(text: string): number {
  return text.split('.').reduce((value, octet) => ((value << 8) | Number(octet)) >>> 0, 0);
}

/** The eight 16-bit groups of an IPv6 address, with `::` expanded, a trailing dotted IPv4 part and a zone id handled. */
function ipv6Groups(text: string): number[] | undefined {
  let address = text.replace(/%.*$/, '').toLowerCase();
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(address);
  if (dotted) {
    const value = ipv4ToNumber(dotted[1]);
    address = `${address.slice(0, -dotted[1].length)}${(value >>> 16).toString(16)}:${(value & 0xffff).toString(16)}`;
  }
  const halves = address.split('::');
  if (halves.length > 2) return undefined;
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((group) => Number.parseInt(group, 16)));
  const head = parse(halves[0]);
  const tail = halves.length === 2 ? parse(halves[1]) : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 0) return undefined;
  const groups = [...head, ...new Array<number>(missing).fill(0), ...tail];
  return groups.every((group) => Number.isInteger(group) && group >= 0 && group <= 0xffff) ? groups : undefined;
}
