/**
 * Address prefixes (CIDR) for view filters and prefix grouping: parsing
 * with error values, matching an address in text form, and the /24 or /64
 * prefix an address belongs to. Pure.
 */
import { parseIPv4, parseIPv6 } from '../../protocol/address.js';

/** A parsed prefix: family, the prefix bits (v4 as a number, v6 as 16 bytes) and its length. */
export type Cidr =
  | { family: 4; bits: number; len: number; text: string }
  | { family: 6; bytes: Uint8Array; len: number; text: string };

/** An address parsed once for matching. */
export type ParsedAddress = { family: 4; n: number } | { family: 6; b: Uint8Array } | null;

/** Parses an address in text form; null if it is not one. */
export function parseAddress(s: string): ParsedAddress {
  if (s.includes(':')) {
    const b = parseIPv6(s);
    return b ? { family: 6, b } : null;
  }
  const n = parseIPv4(s);
  return n >= 0 ? { family: 4, n } : null;
}

function v4mask(len: number): number {
  return len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
}

function formatV6Prefix(b: Uint8Array, len: number): string {
  const w: string[] = [];
  for (let i = 0; i < 8; i++) w.push(((b[2 * i] << 8) | b[2 * i + 1]).toString(16));
  // Prefixes are shown as their leading words followed by "::" (e.g. 2001:db8:0:1::/64).
  const words = Math.ceil(len / 16);
  return words === 8 ? `${w.join(':')}/${len}` : `${w.slice(0, words).join(':')}::/${len}`;
}

/** Parses "a.b.c.d/len", "x::/len" or a bare address; the text is canonical (host bits cleared). */
export function parseCidr(s: string): { ok: true; cidr: Cidr } | { ok: false; detail: string } {
  if (typeof s !== 'string' || s.length > 64) return { ok: false, detail: 'not a CIDR string' };
  const slash = s.indexOf('/');
  const addr = slash < 0 ? s : s.slice(0, slash);
  const lenText = slash < 0 ? null : s.slice(slash + 1);
  const a = parseAddress(addr);
  if (!a) return { ok: false, detail: `not an address: ${JSON.stringify(addr)}` };
  const max = a.family === 4 ? 32 : 128;
  let len = max;
  if (lenText !== null) {
    if (!/^\d{1,3}$/.test(lenText) || Number(lenText) > max) return { ok: false, detail: `bad prefix length in ${JSON.stringify(s)}` };
    len = Number(lenText);
  }
  if (a.family === 4) {
    const bits = (a.n & v4mask(len)) >>> 0;
    const text = `${bits >>> 24}.${(bits >>> 16) & 255}.${(bits >>> 8) & 255}.${bits & 255}/${len}`;
    return { ok: true, cidr: { family: 4, bits, len, text } };
  }
  const bytes = new Uint8Array(16);
  for (let i = 0; i < 16; i++) {
    const keep = Math.max(0, Math.min(8, len - 8 * i));
    bytes[i] = a.b[i] & (keep === 0 ? 0 : (0xff << (8 - keep)) & 0xff);
  }
  return { ok: true, cidr: { family: 6, bytes, len, text: formatV6Prefix(bytes, len) } };
}

/** True when the address lies in the prefix. */
export function cidrContains(c: Cidr, a: ParsedAddress): boolean {
  if (a === null || a.family !== c.family) return false;
  if (c.family === 4) return ((a as { n: number }).n & v4mask(c.len)) >>> 0 === c.bits;
  const b = (a as { b: Uint8Array }).b;
  let left = c.len;
  for (let i = 0; i < 16 && left > 0; i++, left -= 8) {
    const m = left >= 8 ? 0xff : (0xff << (8 - left)) & 0xff;
    if ((b[i] & m) !== c.bytes[i]) return false;
  }
  return true;
}

/** True when the address lies in any of the prefixes. */
export function anyContains(list: readonly Cidr[], a: ParsedAddress): boolean {
  for (let i = 0; i < list.length; i++) if (cidrContains(list[i], a)) return true;
  return false;
}

/** The /24 (IPv4) or /64 (IPv6) prefix of an address, as text; null if it is not an address. */
export function groupPrefix(addr: string): string | null {
  const a = parseAddress(addr);
  if (!a) return null;
  if (a.family === 4) return `${a.n >>> 24}.${(a.n >>> 16) & 255}.${(a.n >>> 8) & 255}.0/24`;
  return formatV6Prefix(a.b, 64);
}
