/**
 * IPv4/IPv6 addresses between wire bytes and their usual text form
 * (dotted quad; RFC 5952 compressed lower-case IPv6).
 */

/** Formats a big-endian 32-bit integer as a dotted quad. */
export function formatIPv4(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/** Formats 16 bytes as compressed lower-case IPv6 (RFC 5952). */
export function formatIPv6(b: Uint8Array, off = 0): string {
  const w = new Array<number>(8);
  for (let i = 0; i < 8; i++) w[i] = (b[off + 2 * i] << 8) | b[off + 2 * i + 1];
  // RFC 5952: compress the longest run of two or more zero words, the first if tied.
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (w[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > bestLen) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  if (bestStart === 0 && bestLen === 5 && w[5] === 0xffff) {
    return `::ffff:${w[6] >> 8}.${w[6] & 255}.${w[7] >> 8}.${w[7] & 255}`;
  }
  if (bestStart < 0) return w.map((x) => x.toString(16)).join(':');
  const head = w.slice(0, bestStart).map((x) => x.toString(16)).join(':');
  const tail = w.slice(bestStart + bestLen).map((x) => x.toString(16)).join(':');
  return `${head}::${tail}`;
}

/** Parses a dotted quad to an unsigned 32-bit integer, or -1 if it is not one. */
export function parseIPv4(s: string): number {
  const parts = s.split('.');
  if (parts.length !== 4) return -1;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return -1;
    const v = Number(p);
    if (v > 255) return -1;
    n = n * 256 + v;
  }
  return n;
}

/** Parses IPv6 text (with optional embedded IPv4 tail) into 16 bytes, or null if it is not one. */
export function parseIPv6(s: string): Uint8Array | null {
  if (!/^[0-9a-fA-F:.]+$/.test(s) || s.length > 45) return null;
  const out = new Uint8Array(16);
  let words: string[];
  let tailV4 = -1;
  const lastColon = s.lastIndexOf(':');
  if (s.indexOf('.') >= 0) {
    tailV4 = parseIPv4(s.slice(lastColon + 1));
    if (tailV4 < 0) return null;
    s = s.slice(0, lastColon + 1) + '0:0';
  }
  const dbl = s.indexOf('::');
  if (dbl >= 0) {
    if (s.indexOf('::', dbl + 1) >= 0) return null;
    const left = s.slice(0, dbl) ? s.slice(0, dbl).split(':') : [];
    const right = s.slice(dbl + 2) ? s.slice(dbl + 2).split(':') : [];
    if (left.length + right.length > 7) return null;
    words = [...left, ...new Array<string>(8 - left.length - right.length).fill('0'), ...right];
  } else {
    words = s.split(':');
    if (words.length !== 8) return null;
  }
  for (let i = 0; i < 8; i++) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(words[i])) return null;
    const v = parseInt(words[i], 16);
    out[2 * i] = v >> 8;
    out[2 * i + 1] = v & 255;
  }
  if (tailV4 >= 0) {
    out[12] = tailV4 >>> 24; out[13] = (tailV4 >>> 16) & 255; out[14] = (tailV4 >>> 8) & 255; out[15] = tailV4 & 255;
  }
  return out;
}

/** The family (4 or 6) of an address in text form, or 0 if it is neither. */
export function addressFamily(s: string): 0 | 4 | 6 {
  if (parseIPv4(s) >= 0) return 4;
  if (parseIPv6(s) !== null) return 6;
  return 0;
}
