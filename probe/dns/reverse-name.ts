/**
 * The address a reverse-lookup name stands for: d.c.b.a.in-addr.arpa (RFC 1035
 * §3.5) or 32 nibbles .ip6.arpa (RFC 3596 §2.5). Only full-length names give
 * an address; partial zones and RFC 2317 classless names give none.
 */
import { formatIPv6, parseIPv4, formatIPv4 } from '../../protocol/address.js';

/** An address in text form with its family. */
export interface TextAddress {
  family: 4 | 6;
  addr: string;
}

const V4_SUFFIX = '.in-addr.arpa';
const V6_SUFFIX = '.ip6.arpa';

/** The address a lower-case reverse name (no trailing dot) names, or null if it names none. */
export function addressOfReverseName(name: string): TextAddress | null {
  if (name.endsWith(V4_SUFFIX)) {
    const labels = name.slice(0, -V4_SUFFIX.length).split('.');
    if (labels.length !== 4) return null;
    const n = parseIPv4(`${labels[3]}.${labels[2]}.${labels[1]}.${labels[0]}`);
    return n < 0 ? null : { family: 4, addr: formatIPv4(n) };
  }
  if (name.endsWith(V6_SUFFIX)) {
    const head = name.slice(0, -V6_SUFFIX.length);
    // 32 nibbles with a dot after each but the last: 63 characters.
    if (head.length !== 63) return null;
    const bytes = new Uint8Array(16);
    for (let i = 0; i < 32; i++) {
      const c = head.charCodeAt(2 * i);
      if (i < 31 && head.charCodeAt(2 * i + 1) !== 0x2e) return null;
      const v = c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 0x57 : -1;
      if (v < 0) return null;
      // The first label is the lowest nibble of the address.
      const nib = 31 - i;
      bytes[nib >> 1] |= nib & 1 ? v : v << 4;
    }
    return { family: 6, addr: formatIPv6(bytes) };
  }
  return null;
}
