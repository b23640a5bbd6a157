/**
 * Hostile frames: 700 000 mutations of real frames (from every shared capture,
 * re-wrapped in every supported link layer) plus a fast-check property on
 * random bytes. The decoder must never throw, must keep every offset and
 * length inside the captured bytes, and must not look past the captured
 * length (decoding with different bytes after it gives the same result).
 */
import { readdirSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { openCaptureFile } from '../../../probe/capture/open.js';
import { decodePacket } from '../../../probe/decode/packet.js';
import { DecodeStatus, PacketInfo } from '../../../probe/decode/packet-info.js';

const DIR = '../shared/pcaps/';
const MUTATIONS = 700_000;
const LINK_TYPES = [0, 1, 12, 14, 101, 108, 113, 228, 229, 239, 276];

/** xorshift32: deterministic, so a failure names a reproducible iteration. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return s;
  };
}

interface Seed { link: number; bytes: Uint8Array }

/** Real frames, plus their IP packets re-wrapped in the other link layers. */
function seeds(): Seed[] {
  const out: Seed[] = [];
  const info = new PacketInfo();
  for (const f of readdirSync(DIR).filter((n) => /\.pcap(ng)?$/.test(n)).sort()) {
    const r = openCaptureFile(DIR + f);
    if (!r.ok) continue;
    let i = 0;
    r.reader.forEach((rec) => {
      if (i++ % 7 !== 0 || rec.capLen > 2000) return;
      const bytes = rec.data.slice();
      out.push({ link: rec.linkType, bytes });
      decodePacket(info, rec.linkType, bytes, 0, bytes.length, bytes.length);
      if (info.ipVersion === 0) return;
      const ip = bytes.subarray(info.ipOffset);
      const v6 = info.ipVersion === 6;
      const wrap = (link: number, hdr: number[]) => out.push({ link, bytes: Uint8Array.from([...hdr, ...ip]) });
      wrap(101, []);
      wrap(v6 ? 229 : 228, []);
      wrap(0, v6 ? [30, 0, 0, 0] : [2, 0, 0, 0]);
      wrap(108, v6 ? [0, 0, 0, 24] : [0, 0, 0, 2]);
      wrap(113, [0, 0, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0, v6 ? 0x86 : 0x08, v6 ? 0xdd : 0x00]);
      wrap(276, [v6 ? 0x86 : 0x08, v6 ? 0xdd : 0x00, 0, 0, 0, 0, 0, 2, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0]);
      const tlv = ip.length + 4;
      wrap(239, [v6 ? 10 : 2, 0, 0, 0, 8, 0, 1, 0, 8, 0, 3, 0, tlv & 255, tlv >> 8, 9, 0]);
    });
  }
  return out;
}

/** Describes the first broken invariant of a decode of b[start, end), or ''. */
function broken(info: PacketInfo, start: number, end: number): string {
  const within = (o: number) => Number.isInteger(o) && o >= start && o <= end;
  if (!(info.status >= 0 && info.status <= 4)) return `status ${info.status}`;
  if (!within(info.ipOffset) || !within(info.ipEnd) || info.ipEnd < info.ipOffset) return 'ip bounds';
  if (!within(info.l4Offset) || !within(info.payloadOffset)) return 'l4/payload offset';
  if (!(info.payloadLength >= 0) || !within(info.payloadOffset + info.payloadLength)) return 'payload length';
  if (info.ipVersion !== 0 && info.ipVersion !== 4 && info.ipVersion !== 6) return 'ip version';
  const alen = info.ipVersion === 6 ? 16 : 4;
  if (info.ipVersion !== 0 && (!within(info.srcOffset + alen) || !within(info.dstOffset + alen))) return 'address offsets';
  if (info.ipVersion !== 0 && info.payloadLength > 0 && info.payloadOffset + info.payloadLength > info.ipEnd) return 'payload past ip end';
  if (info.sport >>> 16 !== 0 || info.dport >>> 16 !== 0 || info.vlanCount > 8) return 'field range';
  const q = info.inner;
  const qlen = q.ipVersion === 6 ? 16 : 4;
  if (q.valid && (!within(q.srcOffset + qlen) || !within(q.dstOffset + qlen))) return 'quoted offsets';
  if (info.capLen !== end - start) return 'capLen';
  return '';
}

function signature(i: PacketInfo): string {
  return [i.status, i.ipVersion, i.src4, i.dst4, i.src6.join('.'), i.proto, i.sport, i.dport, i.tcpFlags, i.icmpType,
    i.payloadOffset, i.payloadLength, i.vlan, i.vlanInner, i.inner.valid, i.inner.sport, i.inner.dport, i.inner.icmpSeq].join(',');
}

describe('packet decoder under hostile input', () => {
  it(`survives ${MUTATIONS} mutated real frames`, () => {
    const all = seeds();
    expect(all.length).toBeGreaterThan(1500);
    const next = rng(0x9e3779b9);
    const work = new Uint8Array(4096);
    const info = new PacketInfo();
    const statuses = new Array<number>(5).fill(0);
    let failure = '';
    for (let n = 0; n < MUTATIONS && failure === ''; n++) {
      const seed = all[next() % all.length];
      const start = next() & 7;
      let len = seed.bytes.length;
      let link = seed.link;
      work.set(seed.bytes, start);
      const hot = Math.min(len, 96); // headers live at the front: aim most writes there
      const kind = next() % 9;
      if (kind === 0 || kind === 6) for (let k = 1 + (next() & 3); k > 0; k--) work[start + (next() % len)] ^= 1 << (next() & 7);
      if (kind === 1) for (let k = 1 + (next() & 3); k > 0; k--) work[start + (next() % hot)] = next() & 255;
      if (kind === 2 || kind === 6) len = next() % (len + 1);
      if ((kind === 3 || kind === 6) && hot >= 2) {
        const at = start + (next() % (hot - 1));
        const v = [0, 1, 4, 5, 8, 0x0f, 0xff, 0x8100, 0x86dd, 0xffff][next() % 10] ?? 0;
        work[at] = v >> 8; work[at + 1] = v & 255;
      }
      if (kind === 4) for (let k = 0; k < 4; k++) work[start + (next() % hot)] = (next() & 15) | ((next() & 15) << 4);
      if (kind === 5) { len = next() % 160; for (let k = 0; k < len; k++) work[start + k] = next() & 255; }
      if (kind === 7) link = next() % 5 === 0 ? next() % 400 : LINK_TYPES[next() % LINK_TYPES.length];
      if (kind === 8) { const cut = next() % (len + 1); len = Math.min(len, cut + (next() % 8)); }
      const end = start + len;
      for (let k = end; k < end + 16; k++) work[k] = next() & 255;
      try {
        decodePacket(info, link, work, start, len, len);
      } catch (e) {
        failure = `iteration ${n}: threw ${(e as Error).message}`;
        break;
      }
      statuses[info.status]++;
      const why = broken(info, start, end);
      if (why !== '') failure = `iteration ${n} (link ${link}): ${why}: ${Buffer.from(work.subarray(start, end)).toString('hex')}`;
      if ((n & 7) === 0) {
        const before = signature(info);
        for (let k = end; k < end + 16; k++) work[k] = ~work[k] & 255;
        decodePacket(info, link, work, start, len, len);
        if (signature(info) !== before) failure = `iteration ${n}: result depends on bytes after the captured length`;
      }
    }
    expect(failure).toBe('');
    // Every outcome was exercised, so the invariants were checked on each kind of path.
    for (const s of Object.values(DecodeStatus)) expect(statuses[s]).toBeGreaterThan(100);
  }, 60_000);

  it('never throws and stays in bounds on arbitrary bytes and link types (property)', () => {
    const info = new PacketInfo();
    fc.assert(
      fc.property(fc.constantFrom(...LINK_TYPES, 7, 300), fc.uint8Array({ maxLength: 200 }), fc.nat(8), (link, bytes, start) => {
        const buf = new Uint8Array(start + bytes.length);
        buf.set(bytes, start);
        decodePacket(info, link, buf, start, bytes.length, bytes.length);
        return broken(info, start, start + bytes.length) === '';
      }),
      { numRuns: 20_000, seed: 42 },
    );
  });
});
