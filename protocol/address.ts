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
  // Hand-rolled: this runs for every address a probe encodes.
  const n = s.length;
  if (n < 7 || n > 15) return -1;
  let acc = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (digits === 3 || (digits > 0 && part === 0)) return -1; // too long, or a leading zero
      part = part * 10 + (c - 48);
      digits++;
    } else if (c === 46) {
      if (digits === 0 || part > 255 || dots === 3) return -1;
      acc = acc * 256 + part;
      part = 0; digits = 0; dots++;
    } else return -1;
  }
  if (dots !== 3 || digits === 0 || part > 255) return -1;
  return acc * 256 + part;
}

function hexVal(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/** Parses IPv6 text (with optional embedded IPv4 tail) into 16 bytes, or null if it is not one. */
export function parseIPv6(s: string): Uint8Array | null {
  const n = s.length;
  if (n < 2 || n > 45) return null;
  const words = new Array<number>(8);
  let count = 0;
  let gap = -1; // word index where "::" stands
  let i = 0;
  if (s.charCodeAt(0) === 58) {
    if (s.charCodeAt(1) !== 58) return null;
    gap = 0; i = 2;
    if (i === n) { return new Uint8Array(16); }
  }
  while (i < n) {
    // An IPv4 tail: the rest has a dot.
    const dot = s.indexOf('.', i);
    if (dot >= 0 && s.indexOf(':', i) < 0) {
      const v4 = parseIPv4(s.slice(i));
      if (v4 < 0 || count > 6) return null;
      words[count++] = Math.floor(v4 / 65536);
      words[count++] = v4 & 0xffff;
      i = n;
      break;
    }
    let v = 0;
    let d = 0;
    while (i < n) {
      const h = hexVal(s.charCodeAt(i));
      if (h < 0) break;
      v = v * 16 + h; d++; i++;
      if (d > 4) return null;
    }
    if (d === 0 || count === 8) return null;
    words[count++] = v;
    if (i === n) break;
    if (s.charCodeAt(i) !== 58) return null;
    i++;
    if (i < n && s.charCodeAt(i) === 58) {
      if (gap >= 0) return null;
      gap = count; i++;
    } else if (i === n) return null; // trailing single colon
  }
  if (gap < 0 ? count !== 8 : count > 7) return null;
  const out = new Uint8Array(16);
  const tail = gap < 0 ? 0 : count - gap;
  for (let k = 0; k < count; k++) {
    const pos = gap >= 0 && k >= gap ? 8 - tail + (k - gap) : k;
    out[2 * pos] = words[k] >>> 8;
    out[2 * pos + 1] = words[k] & 255;
  }
  return out;
}

/** The family (4 or 6) of an address in text form, or 0 if it is neither. */
export function addressFamily(s: string): 0 | 4 | 6 {
  if (parseIPv4(s) >= 0) return 4;
  if (parseIPv6(s) !== null) return 6;
  return 0;
}
