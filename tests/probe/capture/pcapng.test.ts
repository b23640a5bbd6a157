/**
 * pcapng reader: a hand-written hex file anchors the block builder below,
 * which then composes sections in both byte orders, timestamp resolutions,
 * SPB/OPB, unknown blocks and every block-level error.
 */
import { describe, expect, it } from 'vitest';
import { PcapngReader } from '../../../probe/capture/pcapng.js';
import { CaptureErrorCode as E, type CaptureError, type ReaderLimits } from '../../../probe/capture/reader.js';

function h(...parts: string[]): Uint8Array {
  return Uint8Array.from(Buffer.from(parts.join('').replace(/\s+/g, ''), 'hex'));
}

const HAND_WRITTEN = h(
  '0a0d0d0a 1c000000 4d3c2b1a 0100 0000 ffffffffffffffff 1c000000', // SHB, little-endian, section length -1
  '01000000 14000000 0100 0000 00000400 14000000', // IDB: Ethernet, snaplen 262144, microseconds
  '06000000 24000000 00000000 31af0500 40e2a507 04000000 3c000000 deadbeef 24000000', // EPB: 1600000000.123456
);

// --- block builder -------------------------------------------------------------
function u16(v: number, le: boolean): Buffer { const b = Buffer.alloc(2); if (le) b.writeUInt16LE(v); else b.writeUInt16BE(v); return b; }
function u32(v: number, le: boolean): Buffer { const b = Buffer.alloc(4); if (le) b.writeUInt32LE(v >>> 0); else b.writeUInt32BE(v >>> 0); return b; }
function pad4(b: Uint8Array): Buffer { return Buffer.concat([b, Buffer.alloc((4 - (b.length % 4)) % 4)]); }
function block(type: number, body: Uint8Array, le: boolean): Buffer {
  const padded = pad4(body);
  const len = 12 + padded.length;
  return Buffer.concat([u32(type, le), u32(len, le), padded, u32(len, le)]);
}
function opt(code: number, value: Uint8Array, le: boolean): Buffer { return Buffer.concat([u16(code, le), u16(value.length, le), pad4(value)]); }
function shb(le: boolean): Buffer {
  return block(0x0a0d0d0a, Buffer.concat([u32(0x1a2b3c4d, le), u16(1, le), u16(0, le), Buffer.alloc(8, 0xff)]), le);
}
function idb(link: number, snap: number, le: boolean, ...opts: Buffer[]): Buffer {
  const end = opts.length ? opt(0, new Uint8Array(0), le) : Buffer.alloc(0);
  return block(1, Buffer.concat([u16(link, le), u16(0, le), u32(snap, le), ...opts, end]), le);
}
function i64(v: bigint, le: boolean): Buffer { const b = Buffer.alloc(8); if (le) b.writeBigInt64LE(v); else b.writeBigInt64BE(v); return b; }
function ticks(t: bigint, le: boolean): Buffer { return Buffer.concat([u32(Number(t >> 32n), le), u32(Number(t & 0xffffffffn), le)]); }
function epb(ifId: number, t: bigint, data: Uint8Array, origLen: number, le: boolean): Buffer {
  return block(6, Buffer.concat([u32(ifId, le), ticks(t, le), u32(data.length, le), u32(origLen, le), pad4(data)]), le);
}
function opb(ifId: number, t: bigint, data: Uint8Array, le: boolean): Buffer {
  return block(2, Buffer.concat([u16(ifId, le), u16(0, le), ticks(t, le), u32(data.length, le), u32(data.length, le), pad4(data)]), le);
}
function spb(origLen: number, data: Uint8Array, le: boolean): Buffer { return block(3, Buffer.concat([u32(origLen, le), pad4(data)]), le); }
const DATA = Buffer.from('0102030405060708090a', 'hex');

interface Seen { linkType: number; ifId: number; ts: number; capLen: number; origLen: number; offset: number; data: string }
function readAll(bytes: Uint8Array, limits?: Partial<ReaderLimits>): { records: Seen[]; error: CaptureError | null } {
  const r = PcapngReader.fromBuffer(bytes, limits);
  if (!r.ok) return { records: [], error: r };
  const records: Seen[] = [];
  const error = r.reader.forEach((rec) => records.push({
    linkType: rec.linkType, ifId: rec.interfaceId, ts: rec.tsMicros, capLen: rec.capLen, origLen: rec.origLen, offset: rec.offset,
    data: Buffer.from(rec.data).toString('hex'),
  }));
  return { records, error };
}

describe('pcapng', () => {
  it('reads the hand-written file, and the builder produces the same bytes', () => {
    const { records, error } = readAll(HAND_WRITTEN);
    expect(error).toBeNull();
    expect(records).toEqual([{ linkType: 1, ifId: 0, ts: 1600000000123456, capLen: 4, origLen: 60, offset: 48, data: 'deadbeef' }]);
    const built = Buffer.concat([shb(true), idb(1, 262144, true), epb(0, 1600000000123456n, h('deadbeef'), 60, true)]);
    expect(built.toString('hex')).toBe(Buffer.from(HAND_WRITTEN).toString('hex'));
  });

  it('reads a big-endian section the same way', () => {
    const { records, error } = readAll(Buffer.concat([shb(false), idb(1, 262144, false), epb(0, 1600000000123456n, h('deadbeef'), 60, false)]));
    expect(error).toBeNull();
    expect(records).toEqual([{ linkType: 1, ifId: 0, ts: 1600000000123456, capLen: 4, origLen: 60, offset: 48, data: 'deadbeef' }]);
  });

  it('applies each interface its own link type, resolution and offset', () => {
    const le = true;
    const file = Buffer.concat([
      shb(le),
      idb(1, 0, le, opt(9, h('09'), le)), // nanoseconds
      idb(101, 0, le, opt(9, h('94'), le)), // 2^-20 s
      idb(113, 0, le, opt(9, h('03'), le), opt(14, i64(10n, le), le)), // milliseconds, +10 s
      epb(0, 1600000000123456789n, DATA, 10, le),
      epb(1, 3n << 20n | 1n << 19n, DATA, 10, le),
      epb(2, 1234n, DATA, 10, le),
    ]);
    const { records, error } = readAll(file);
    expect(error).toBeNull();
    expect(records.map((r) => [r.linkType, r.ifId, r.ts])).toEqual([[1, 0, 1600000000123456], [101, 1, 3_500_000], [113, 2, 1_234_000 + 10_000_000]]);
  });

  it('takes SPB length from IDB 0 snap length and keeps the previous timestamp; reads OPB', () => {
    const file = Buffer.concat([shb(true), idb(276, 6, true), epb(0, 42n, DATA, 10, true), spb(10, DATA, true), spb(3, DATA.subarray(0, 3), true), opb(0, 77n, DATA, true)]);
    const { records, error } = readAll(file);
    expect(error).toBeNull();
    expect(records.map((r) => [r.linkType, r.ts, r.capLen, r.origLen, r.data])).toEqual([
      [276, 42, 10, 10, '0102030405060708090a'],
      [276, 42, 6, 10, '010203040506'],
      [276, 42, 3, 3, '010203'],
      [276, 77, 10, 10, '0102030405060708090a'],
    ]);
  });

  it('skips unknown and non-packet blocks by length', () => {
    const file = Buffer.concat([shb(true), block(0x0bad, h('00112233445566'), true), idb(1, 0, true), block(5, Buffer.alloc(20), true), block(4, h('0000 0000'), true), epb(0, 1n, DATA, 10, true)]);
    const { records, error } = readAll(file);
    expect([error, records.length, records[0].offset]).toEqual([null, 1, 28 + 20 + 20 + 32 + 16]);
  });

  it('starts each section afresh: byte order and interfaces', () => {
    const file = Buffer.concat([
      shb(true), idb(1, 0, true), idb(101, 0, true), epb(1, 1n, DATA, 10, true),
      shb(false), idb(113, 0, false), epb(0, 2n, DATA, 10, false), epb(1, 3n, DATA, 10, false),
    ]);
    const r = PcapngReader.fromBuffer(file);
    if (!r.ok) throw new Error(r.code);
    const seen: number[][] = [];
    const error = r.reader.forEach((rec) => seen.push([rec.linkType, rec.tsMicros]));
    expect(seen).toEqual([[101, 1], [113, 2]]);
    expect(r.reader.sections).toBe(2);
    expect(error?.code).toBe(E.UNKNOWN_INTERFACE);
  });

  describe('errors, each after every good record before it', () => {
    const good = Buffer.concat([shb(true), idb(1, 0, true), epb(0, 1n, DATA, 10, true)]);
    const at = good.length;
    const cases: Array<[string, Buffer, string]> = [
      ['zero-length block', Buffer.concat([good, h('06000000 00000000')]), E.ZERO_LENGTH_BLOCK],
      ['length below 12', Buffer.concat([good, h('06000000 08000000 08000000')]), E.BAD_BLOCK_LENGTH],
      ['length not a multiple of 4', Buffer.concat([good, h('06000000 0d000000 00 0d000000')]), E.BAD_BLOCK_LENGTH],
      ['trailing length differs', Buffer.concat([good, h('0bad0000 0c000000 10000000')]), E.BAD_BLOCK_LENGTH],
      ['block over the limit', Buffer.concat([good, h('06000000 fcffffff 00000000')]), E.BLOCK_TOO_BIG],
      ['block cut short', Buffer.concat([good, epb(0, 1n, DATA, 10, true).subarray(0, 30)]), E.TRUNCATED_RECORD],
      ['header cut short', Buffer.concat([good, h('060000')]), E.TRUNCATED_RECORD],
      ['captured length beyond the block', Buffer.concat([good, block(6, Buffer.concat([u32(0, true), ticks(1n, true), u32(99, true), u32(99, true), DATA]), true)]), E.CAPLEN_TOO_BIG],
      ['EPB too short for its fields', Buffer.concat([good, block(6, Buffer.alloc(8), true)]), E.BAD_BLOCK_LENGTH],
      ['unknown interface', Buffer.concat([good, epb(5, 1n, DATA, 10, true)]), E.UNKNOWN_INTERFACE],
      ['option overrunning its block', Buffer.concat([good, block(1, Buffer.concat([u16(1, true), u16(0, true), u32(0, true), u16(9, true), u16(200, true)]), true)]), E.BAD_OPTION],
      ['decimal resolution beyond 10^-19', Buffer.concat([good, idb(1, 0, true, opt(9, h('14'), true))]), E.BAD_OPTION],
      ['second section with bad byte-order magic', Buffer.concat([good, h('0a0d0d0a 1c000000 11223344 0100 0000 ffffffffffffffff 1c000000')]), E.BAD_BYTE_ORDER],
      ['second section of version 2', Buffer.concat([good, h('0a0d0d0a 1c000000 4d3c2b1a 0200 0000 ffffffffffffffff 1c000000')]), E.BAD_VERSION],
    ];
    it.each(cases)('%s', (_name, file, code) => {
      const { records, error } = readAll(file);
      expect(records.length).toBe(1);
      expect(error?.code).toBe(code);
      expect(error?.offset).toBeGreaterThanOrEqual(at);
      expect(error?.detail).toContain(`offset ${error?.offset}`);
    });

    it('too many interfaces', () => {
      const { error } = readAll(Buffer.concat([good, idb(1, 0, true), idb(1, 0, true)]), { maxInterfaces: 2 });
      expect([error?.code, error?.offset]).toEqual([E.TOO_MANY_INTERFACES, at + 20]);
    });
  });

  it('refuses files that do not start with a valid section header', () => {
    expect(readAll(h('d4c3b2a1 02000400')).error?.code).toBe(E.BAD_MAGIC);
    expect(readAll(h('0a0d0d0a 1c00')).error?.code).toBe(E.TRUNCATED_RECORD);
    expect(readAll(h('0a0d0d0a 1c000000 00000000 0100 0000 ffffffffffffffff 1c000000')).error?.code).toBe(E.BAD_BYTE_ORDER);
    expect(readAll(h('0a0d0d0a 10000000 4d3c2b1a 10000000')).error?.code).toBe(E.BAD_BLOCK_LENGTH);
    expect(readAll(h('0a0d')).error?.code).toBe(E.TRUNCATED_HEADER);
  });
});
