/**
 * Which addresses a reverse lookup can name. Private ranges (10/8, 172.16/12,
 * 192.168/16, fc00::/7) are looked up: on a LAN the local resolver usually
 * knows its hosts, and that is what an operator wants to see. Left out are the
 * addresses no resolver can name as one host: unspecified, multicast,
 * broadcast and reserved, link-local (only meaningful on one link, and with a
 * zone the text form does not carry), and IPv4-mapped IPv6 (its ip6.arpa name
 * is not where the IPv4 address's PTR lives).
 */
import { parseIPv4, parseIPv6 } from '../../protocol/address.js';

/** An address prefix not worth a lookup, and why. */
interface SkippedRange {
  /** Prefix bytes (4 for IPv4, 16 for IPv6). */
  prefix: readonly number[];
  bits: number;
  why: string;
}

const V4_SKIPPED: readonly SkippedRange[] = [
  { prefix: [0, 0, 0, 0], bits: 8, why: 'this network (0/8)' },
  { prefix: [169, 254, 0, 0], bits: 16, why: 'link-local' },
  { prefix: [224, 0, 0, 0], bits: 4, why: 'multicast' },
  { prefix: [240, 0, 0, 0], bits: 4, why: 'reserved and limited broadcast' },
];

const V6_SKIPPED: readonly SkippedRange[] = [
  { prefix: new Array<number>(16).fill(0), bits: 128, why: 'unspecified' },
  { prefix: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff], bits: 96, why: 'IPv4-mapped' },
  { prefix: [0xfe, 0x80], bits: 10, why: 'link-local' },
  { prefix: [0xff], bits: 8, why: 'multicast' },
];

function inRange(bytes: ArrayLike<number>, r: SkippedRange): boolean {
  const whole = r.bits >> 3;
  for (let i = 0; i < whole; i++) if (bytes[i] !== (r.prefix[i] ?? 0)) return false;
  const rest = r.bits & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return (bytes[whole] & mask) === ((r.prefix[whole] ?? 0) & mask);
}

/** Why addr is not looked up (text that is no IP address included), or null when it is worth a lookup. */
export function whyNotResolved(addr: string): string | null {
  const v4 = parseIPv4(addr);
  if (v4 >= 0) {
    const bytes = [v4 >>> 24, (v4 >>> 16) & 255, (v4 >>> 8) & 255, v4 & 255];
    for (const r of V4_SKIPPED) if (inRange(bytes, r)) return r.why;
    return null;
  }
  const v6 = parseIPv6(addr);
  if (v6 === null) return 'not an address';
  for (const r of V6_SKIPPED) if (inRange(v6, r)) return r.why;
  return null;
}
