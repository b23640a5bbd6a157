/**
 * Hostile capture files: 200 000 mutations each of real pcap and pcapng
 * files (bit flips, random bytes, truncations, random values written into
 * length fields, spliced and appended bytes) through the in-memory entry
 * point, and a sample through the file path with tiny chunks, which must
 * agree. Readers must never throw, must terminate, and must only hand out
 * records inside the input.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openCaptureBuffer, openCaptureFile } from '../../../probe/capture/open.js';
import { CaptureErrorCode, type CaptureReader, type OpenResult } from '../../../probe/capture/reader.js';
import { decodeRecord } from '../../../probe/decode/packet.js';
import { PacketInfo } from '../../../probe/decode/packet-info.js';

const DIR = '../shared/pcaps/';
const MUTATIONS_PER_FORMAT = 200_000;
const FILE_SAMPLE = 400;
const CODES = new Set<string>(Object.values(CaptureErrorCode));

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return s;
  };
}

function h(hex: string): Uint8Array {
  return Uint8Array.from(Buffer.from(hex.replace(/\s+/g, ''), 'hex'));
}

/** Big-endian pcapng exercising what the shared files lack: if_tsresol/tsoffset, SPB, OPB, an unknown block, a second section. */
const SYNTHETIC_PCAPNG = h(`
  0a0d0d0a 0000001c 1a2b3c4d 0001 0000 ffffffffffffffff 0000001c
  00000001 0000002c 0001 0000 00000040 0009 0001 86000000 000e 0008 0000000000000005 0000 0000 0000002c
  00000003 00000014 00000008 4500001c 00000014
  00000002 0000002c 0000 0000 00000000 00001000 00000008 00000008 4500001c 00000000 0000 0000 0000002c
  00000bad 00000010 01020304 00000010
  0a0d0d0a 1c000000 4d3c2b1a 0100 0000 ffffffffffffffff 1c000000
  01000000 14000000 6500 0000 00000000 14000000
  06000000 28000000 00000000 00000000 00000001 08000000 08000000 4500001c 00000000 28000000`);

interface Seed { bytes: Uint8Array; lengthFields: number[] }

/** Offsets of the length fields of a pcap file (snaplen, each record's lengths). */
function pcapFields(b: Uint8Array): number[] {
  const le = b[0] === 0xd4 || b[0] === 0x4d;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const out = [16];
  for (let p = 24; p + 16 <= b.length; ) {
    out.push(p + 8, p + 12);
    p += 16 + dv.getUint32(p + 8, le);
  }
  return out;
}

/** Offsets of the length fields of a pcapng file (both block lengths, packet lengths, interface ids). */
function pcapngFields(b: Uint8Array): number[] {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const out: number[] = [];
  let le = true;
  for (let p = 0; p + 12 <= b.length; ) {
    if (dv.getUint32(p, true) === 0x0a0d0d0a) le = dv.getUint32(p + 8, true) === 0x1a2b3c4d;
    const len = dv.getUint32(p + 4, le);
    if (len < 12) break;
    out.push(p + 4, p + len - 4, p + 8);
    const type = dv.getUint32(p, le);
    if (type === 6 || type === 2) out.push(p + 20, p + 24);
    if (type === 1 && len > 20) out.push(p + 18);
    p += len;
  }
  return out;
}

function seeds(names: string[], fields: (b: Uint8Array) => number[], extra: Uint8Array[] = []): Seed[] {
  return [...names.map((n) => readFileSync(DIR + n)), ...extra].map((b) => {
    const bytes = Uint8Array.from(b);
    return { bytes, lengthFields: fields(bytes) };
  });
}

/** Applies one random mutation to seed copied into work; returns the mutated length. */
function mutate(seed: Seed, work: Uint8Array, next: () => number): number {
  const src = seed.bytes;
  work.set(src, 0);
  let len = src.length;
  const kind = next() % 8;
  if (kind === 0) for (let k = 1 + (next() & 7); k > 0; k--) work[next() % len] ^= 1 << (next() & 7);
  else if (kind === 1) for (let k = 1 + (next() & 3); k > 0; k--) work[next() % len] = next() & 255;
  else if (kind === 2) len = next() % (len + 1);
  else if (kind === 3 || kind === 4) {
    // A length field gets a hostile value: tiny, huge, unaligned, or just off.
    const at = kind === 3 && seed.lengthFields.length > 0 ? seed.lengthFields[next() % seed.lengthFields.length] : next() % (len - 3);
    const old = work[at] | (work[at + 1] << 8) | (work[at + 2] << 16) | (work[at + 3] << 24);
    const choices = [0, 1, 4, 8, 12, 13, 0xffffffff, 0xfffffffc, 0x7fffffff, 0x01000000, old + 4, old - 4, old + 1, next()];
    const v = choices[next() % choices.length] >>> 0;
    if (next() & 1) { work[at] = v & 255; work[at + 1] = (v >>> 8) & 255; work[at + 2] = (v >>> 16) & 255; work[at + 3] = v >>> 24; }
    else { work[at + 3] = v & 255; work[at + 2] = (v >>> 8) & 255; work[at + 1] = (v >>> 16) & 255; work[at] = v >>> 24; }
  } else if (kind === 5) {
    // Splice: a slice of the file copied over another place (blocks appearing mid-record).
    const from = next() % len;
    const n = Math.min(next() % 64, len - from);
    work.copyWithin(next() % (len - n + 1), from, from + n);
  } else if (kind === 6) {
    const n = next() % 48;
    for (let k = 0; k < n; k++) work[len + k] = next() & 255;
    len += n;
  } else {
    for (let k = 0; k < 3; k++) work[next() % len] ^= 1 << (next() & 7);
    len = next() % (len + 1);
  }
  return len;
}

/**
 * Reads everything, checking every record; returns how reading ended and how
 * many records it gave, plus (when `sig` is given) each record's identity.
 * Throws a description of the first broken invariant.
 */
function readChecked(opened: OpenResult<CaptureReader>, input: Uint8Array, info: PacketInfo, inMemory: boolean, sig: number[] | null): { end: string; records: number } {
  if (!opened.ok) {
    if (!CODES.has(opened.code) || !(opened.offset >= 0 && opened.offset <= input.length)) throw new Error(`open error ${opened.code} at ${opened.offset}`);
    return { end: `open:${opened.code}@${opened.offset}`, records: 0 };
  }
  const reader = opened.reader;
  // Every record consumes at least 12 bytes, so more than length/12 + 1 records means a loop.
  const maxRecords = Math.floor(input.length / 12) + 1;
  let records = 0;
  for (let rec = reader.next(); rec !== null; rec = reader.next()) {
    if (++records > maxRecords) throw new Error('reader does not terminate');
    if (!(rec.offset >= 0 && rec.offset < input.length)) throw new Error(`record offset ${rec.offset}`);
    if (!(rec.dataStart >= 0 && rec.dataStart + rec.capLen <= rec.buf.length)) throw new Error('record data outside its buffer');
    if (inMemory && (rec.buf !== input || rec.dataStart + rec.capLen > input.length)) throw new Error('record data outside the input');
    if (!Number.isFinite(rec.tsMicros) || !Number.isInteger(rec.capLen) || !Number.isInteger(rec.linkType)) throw new Error('record fields');
    decodeRecord(info, rec);
    if (sig !== null) sig.push(rec.offset, rec.capLen, rec.origLen, rec.tsMicros, rec.linkType, info.status, info.sport, info.payloadLength);
  }
  const err = reader.error;
  if (err !== null && (!CODES.has(err.code) || !(err.offset >= 0 && err.offset <= input.length))) throw new Error(`error ${err.code} at ${err.offset}`);
  return { end: err === null ? 'end' : `${err.code}@${err.offset}`, records };
}

const dir = mkdtempSync(join(tmpdir(), 'ggprobe-fuzz-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.each([
  ['pcap', seeds(['dns_ptr.pcap', 'dns_a_aaaa_mx.pcap', 'tcp_handshake_nano_sll.pcap', 'pptp_bigendian.pcap', 'icmp_dot1q.pcap', 'nflog_http.pcap'], pcapFields), 0x1234567],
  ['pcapng', seeds(['pcapng_multi_interface.pcapng', 'dns_lab_a_ptr.pcapng', 'http_ip4and6.pcapng'], pcapngFields, [SYNTHETIC_PCAPNG]), 0x7654321],
] as const)('%s reader under hostile input', (_format, seedList, seedValue) => {
  it('starts from seeds that read cleanly', () => {
    const info = new PacketInfo();
    for (const seed of seedList) {
      const r = readChecked(openCaptureBuffer(seed.bytes), seed.bytes, info, true, null);
      expect(r.end).toBe('end');
      expect(r.records).toBeGreaterThan(0);
    }
  });

  it(`survives ${MUTATIONS_PER_FORMAT} mutated files in memory`, () => {
    const next = rng(seedValue);
    const work = new Uint8Array(8192);
    const info = new PacketInfo();
    const outcomes = new Map<string, number>();
    let records = 0;
    for (let n = 0; n < MUTATIONS_PER_FORMAT; n++) {
      const seed = seedList[next() % seedList.length];
      const len = mutate(seed, work, next);
      const input = work.subarray(0, len);
      let r: { end: string; records: number };
      try {
        r = readChecked(openCaptureBuffer(input), input, info, true, null);
      } catch (e) {
        throw new Error(`iteration ${n}: ${(e as Error).message}: ${Buffer.from(input).toString('hex')}`);
      }
      const end = r.end.replace(/@.*/, '');
      outcomes.set(end, (outcomes.get(end) ?? 0) + 1);
      records += r.records;
    }
    expect(records).toBeGreaterThan(MUTATIONS_PER_FORMAT);
    expect(outcomes.get('end') ?? 0).toBeGreaterThan(1000);
    expect(outcomes.get(CaptureErrorCode.TRUNCATED_RECORD) ?? 0).toBeGreaterThan(1000);
    expect(outcomes.size).toBeGreaterThan(5);
  }, 60_000);

  it(`reads ${FILE_SAMPLE} mutated files from disk in tiny chunks exactly as from memory`, () => {
    const next = rng(seedValue ^ 0xabcdef);
    const work = new Uint8Array(8192);
    const info = new PacketInfo();
    const path = join(dir, `sample.${_format}`);
    for (let n = 0; n < FILE_SAMPLE; n++) {
      const seed = seedList[next() % seedList.length];
      const len = mutate(seed, work, next);
      const input = work.slice(0, len);
      writeFileSync(path, input);
      const memSig: number[] = [];
      const fileSig: number[] = [];
      const fromMemory = readChecked(openCaptureBuffer(input), input, info, true, memSig);
      const fromFile = readChecked(openCaptureFile(path, { chunkSize: 64 + (next() % 512) }), input, info, false, fileSig);
      expect(fromFile, `iteration ${n}`).toEqual(fromMemory);
      expect(fileSig, `iteration ${n}`).toEqual(memSig);
    }
  }, 60_000);
});
