/**
 * Offline address → autonomous system lookups from the `@ip-location-db/asn`
 * numeric CSV ranges ("start,end,asn,org", inclusive, sorted by start).
 * Each family is parsed straight from the file bytes into typed arrays on
 * first use (or by `load()`), then binary-searched.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { parseIPv4, parseIPv6 } from '../../protocol/address.js';
import { embeddedIPv4 } from './reserved.js';

/** An address's autonomous system. */
export interface AsnRecord { asn: number; as_org: string }

/** Where the CSV files are; defaults to the installed `@ip-location-db/asn` package. */
export interface AsnPaths { v4Path: string; v6Path: string }

/** Load cost of one family, for the start-up log. */
export interface AsnLoadInfo { family: 4 | 6; rows: number; orgs: number; ms: number; bytes: number }

/** Paths of the CSV files shipped by `@ip-location-db/asn`. */
export function defaultAsnPaths(): AsnPaths {
  const req = createRequire(import.meta.url);
  const dir = req.resolve('@ip-location-db/asn/package.json').replace(/package\.json$/, '');
  return { v4Path: `${dir}asn-ipv4-num.csv`, v6Path: `${dir}asn-ipv6-num.csv` };
}

/** One family's ranges: `words` u32 words per bound, most significant first. */
interface RangeTable {
  words: number;
  starts: Uint32Array;
  ends: Uint32Array;
  asns: Uint32Array;
  orgIdx: Uint32Array;
  orgs: string[];
  count: number;
}

const COMMA = 0x2c, NL = 0x0a, CR = 0x0d, QUOTE = 0x22;
// An organisation name never contains a line break in these files, so a line ends at the first NL.

/** Parses a decimal integer of up to 128 bits at buf[i..] into `out[o..o+words)`; returns the index after it. */
function parseDecimal(buf: Buffer, i: number, out: Uint32Array, o: number, words: number): number {
  if (words === 1) {
    let v = 0;
    for (; i < buf.length; i++) {
      const d = buf[i] - 0x30;
      if (d < 0 || d > 9) break;
      v = v * 10 + d;
    }
    out[o] = v > 0xffffffff ? 0xffffffff : v;
    return i;
  }
  // 128-bit: eight 16-bit limbs, fed up to 9 digits at a time (limb * 1e9 + carry < 2^53).
  LIMBS.fill(0);
  for (;;) {
    let chunk = 0, mul = 1;
    for (; mul < 1e9 && i < buf.length; i++) {
      const d = buf[i] - 0x30;
      if (d < 0 || d > 9) break;
      chunk = chunk * 10 + d;
      mul *= 10;
    }
    if (mul === 1) break;
    let carry = chunk;
    for (let l = 7; l >= 0; l--) {
      const v = LIMBS[l] * mul + carry;
      carry = Math.floor(v / 65536);
      LIMBS[l] = v - carry * 65536;
    }
    if (mul < 1e9) break;
  }
  for (let w = 0; w < 4; w++) out[o + w] = LIMBS[2 * w] * 65536 + LIMBS[2 * w + 1];
  return i;
}

const LIMBS = new Float64Array(8);

function grow(a: Uint32Array, n: number): Uint32Array {
  const b = new Uint32Array(n);
  b.set(a);
  return b;
}

function sameBytes(buf: Buffer, a: number, ae: number, b: number, be: number): boolean {
  if (ae - a !== be - b) return false;
  for (; a < ae; a++, b++) if (buf[a] !== buf[b]) return false;
  return true;
}

function rehash(hashes: number[], size: number): Int32Array {
  const t = new Int32Array(size).fill(-1);
  const mask = size - 1;
  for (let k = 0; k < hashes.length; k++) {
    let slot = hashes[k] & mask;
    while (t[slot] >= 0) slot = (slot + 1) & mask;
    t[slot] = k;
  }
  return t;
}

/** Decodes an organisation field as written in the file (optionally quoted, "" for a quote). */
function decodeOrg(buf: Buffer, s: number, e: number): string {
  if (buf[s] !== QUOTE) return buf.toString('utf8', s, e);
  const inner = buf.toString('utf8', s + 1, buf[e - 1] === QUOTE && e - 1 > s ? e - 1 : e);
  return inner.includes('""') ? inner.replaceAll('""', '"') : inner;
}

/**
 * Parses the CSV bytes of one family. Malformed lines are skipped, never fatal.
 * Organisation names repeat a lot (412 k rows, 75 k names for IPv4), so rows
 * are deduplicated on the raw bytes by hash and only new names become strings.
 */
export function parseAsnCsv(buf: Buffer, words: 1 | 4): RangeTable {
  let cap = Math.max(1024, Math.ceil(buf.length / (words === 1 ? 40 : 90)));
  let starts: Uint32Array = new Uint32Array(cap * words), ends: Uint32Array = new Uint32Array(cap * words);
  let asns: Uint32Array = new Uint32Array(cap), orgIdx: Uint32Array = new Uint32Array(cap);
  const orgs: string[] = [];
  const orgStart: number[] = [], orgEnd: number[] = [], orgHash: number[] = [];
  // Open-addressing table of org indexes keyed by the FNV-1a hash of the raw bytes.
  const slots = new Int32Array(1 << 18).fill(-1);
  let mask = slots.length - 1;
  let table: Int32Array = slots;
  const lastOfAsn = new Map<number, number>();
  let n = 0;
  let i = 0;
  const len = buf.length;
  while (i < len) {
    if (buf[i] === NL || buf[i] === CR) { i++; continue; }
    if (n === cap) {
      cap *= 2;
      starts = grow(starts, cap * words); ends = grow(ends, cap * words);
      asns = grow(asns, cap); orgIdx = grow(orgIdx, cap);
    }
    const lineStart = i;
    i = parseDecimal(buf, i, starts, n * words, words);
    let ok = i > lineStart && buf[i] === COMMA;
    const e0 = ++i;
    i = parseDecimal(buf, i, ends, n * words, words);
    ok = ok && i > e0 && buf[i] === COMMA;
    let asn = 0;
    const a0 = ++i;
    for (; i < len; i++) {
      const d = buf[i] - 0x30;
      if (d < 0 || d > 9) break;
      asn = asn * 10 + d;
    }
    ok = ok && i > a0 && buf[i] === COMMA && asn <= 0xffffffff;
    const os = ++i;
    const nl = buf.indexOf(NL, os);
    const lineEnd = nl < 0 ? len : nl;
    const oe = lineEnd > os && buf[lineEnd - 1] === CR ? lineEnd - 1 : lineEnd;
    i = lineEnd + 1;
    if (!ok) continue;
    // Names follow the AS number almost always: try the last name seen for it first.
    let k = lastOfAsn.get(asn) ?? -1;
    if (k < 0 || !sameBytes(buf, orgStart[k], orgEnd[k], os, oe)) {
      let h = 0x811c9dc5;
      for (let j = os; j < oe; j++) h = Math.imul(h ^ buf[j], 0x01000193);
      let slot = h & mask;
      k = table[slot];
      while (k >= 0 && !(orgHash[k] === h && sameBytes(buf, orgStart[k], orgEnd[k], os, oe))) {
        slot = (slot + 1) & mask;
        k = table[slot];
      }
      if (k < 0) {
        k = orgs.length;
        orgs.push(decodeOrg(buf, os, oe));
        orgStart.push(os); orgEnd.push(oe); orgHash.push(h);
        table[slot] = k;
        if (orgs.length * 2 > table.length) { table = rehash(orgHash, table.length * 2); mask = table.length - 1; }
      }
      lastOfAsn.set(asn, k);
    }
    asns[n] = asn;
    orgIdx[n] = k;
    n++;
  }
  // Trim the over-allocation so the resident size is the data's.
  return sortRanges({
    words, orgs, count: n,
    starts: starts.slice(0, n * words), ends: ends.slice(0, n * words),
    asns: asns.slice(0, n), orgIdx: orgIdx.slice(0, n),
  });
}

/** The files are sorted; if one is not, sort it rather than answer wrongly. */
function sortRanges(t: RangeTable): RangeTable {
  const w = t.words;
  let sorted = true;
  for (let r = 1; r < t.count && sorted; r++) if (cmpAt(t.starts, r * w, (r - 1) * w, w) < 0) sorted = false;
  if (sorted) return t;
  const order = Array.from({ length: t.count }, (_, r) => r);
  order.sort((x, y) => cmpAt(t.starts, x * w, y * w, w));
  const out: RangeTable = {
    words: w, count: t.count, orgs: t.orgs,
    starts: new Uint32Array(t.count * w), ends: new Uint32Array(t.count * w),
    asns: new Uint32Array(t.count), orgIdx: new Uint32Array(t.count),
  };
  order.forEach((from, to) => {
    out.starts.set(t.starts.subarray(from * w, from * w + w), to * w);
    out.ends.set(t.ends.subarray(from * w, from * w + w), to * w);
    out.asns[to] = t.asns[from];
    out.orgIdx[to] = t.orgIdx[from];
  });
  return out;
}

/** Compares key (words at k) with table bound (words at t); -1, 0 or 1. */
function cmp(key: Uint32Array, a: Uint32Array, t: number, words: number): number {
  for (let w = 0; w < words; w++) {
    const x = key[w], y = a[t + w];
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/** Compares two bounds of the same array. */
function cmpAt(a: Uint32Array, x: number, y: number, words: number): number {
  for (let w = 0; w < words; w++) {
    const p = a[x + w], q = a[y + w];
    if (p !== q) return p < q ? -1 : 1;
  }
  return 0;
}

/** Finds the range containing key, or -1. Ranges are sorted by start and disjoint. */
function search(t: RangeTable, key: Uint32Array): number {
  let lo = 0, hi = t.count - 1, found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (cmp(key, t.starts, mid * t.words, t.words) >= 0) { found = mid; lo = mid + 1; } else hi = mid - 1;
  }
  if (found < 0 || cmp(key, t.ends, found * t.words, t.words) > 0) return -1;
  return found;
}

function tableBytes(t: RangeTable): number {
  let s = 0;
  for (const o of t.orgs) s += 2 * o.length + 16;
  return (t.count * t.words * 8) + t.count * 8 + s;
}

/** ASN lookups over both families, each loaded lazily on first use. */
export class AsnTable {
  private v4: RangeTable | null = null;
  private v6: RangeTable | null = null;
  private readonly key4 = new Uint32Array(1);
  private readonly key6 = new Uint32Array(4);
  /** Load costs so far, one entry per loaded family. */
  readonly loads: AsnLoadInfo[] = [];

  constructor(private readonly paths: AsnPaths = defaultAsnPaths()) {}

  /** Loads both families now (asynchronous read), so that no lookup pays for it later. */
  async load(): Promise<void> {
    if (!this.v4) this.v4 = this.install(4, await readFile(this.paths.v4Path));
    if (!this.v6) this.v6 = this.install(6, await readFile(this.paths.v6Path));
  }

  private install(family: 4 | 6, buf: Buffer): RangeTable {
    const t0 = performance.now();
    const t = parseAsnCsv(buf, family === 4 ? 1 : 4);
    this.loads.push({ family, rows: t.count, orgs: t.orgs.length, ms: performance.now() - t0, bytes: tableBytes(t) });
    return t;
  }

  private table(family: 4 | 6): RangeTable {
    if (family === 4) return (this.v4 ??= this.install(4, readFileSync(this.paths.v4Path)));
    return (this.v6 ??= this.install(6, readFileSync(this.paths.v6Path)));
  }

  /** The AS of an address in text form, or null (unknown, unparsable, or not announced). */
  lookup(addr: string): AsnRecord | null {
    let v4 = parseIPv4(addr);
    if (v4 < 0) {
      const b = parseIPv6(addr);
      if (b === null) return null;
      v4 = embeddedIPv4(b);
      if (v4 < 0) {
        for (let w = 0; w < 4; w++) this.key6[w] = ((b[4 * w] << 24) | (b[4 * w + 1] << 16) | (b[4 * w + 2] << 8) | b[4 * w + 3]) >>> 0;
        return this.record(this.table(6), this.key6);
      }
    }
    this.key4[0] = v4;
    return this.record(this.table(4), this.key4);
  }

  private record(t: RangeTable, key: Uint32Array): AsnRecord | null {
    const i = search(t, key);
    return i < 0 ? null : { asn: t.asns[i], as_org: t.orgs[t.orgIdx[i]] };
  }
}
