/**
 * Classic pcap reader on hand-written files: both byte orders, both timestamp
 * precisions, and every way a header or record can be wrong.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openCaptureBuffer } from '../../../probe/capture/open.js';
import { PcapReader } from '../../../probe/capture/pcap-file.js';
import { CaptureErrorCode as E, type CaptureError, type CaptureRecord } from '../../../probe/capture/reader.js';

function h(...parts: string[]): Uint8Array {
  return Uint8Array.from(Buffer.from(parts.join('').replace(/\s+/g, ''), 'hex'));
}

// Little-endian microsecond header: v2.4, snaplen 65535, Ethernet.
const LE_US = 'd4c3b2a1 0200 0400 00000000 00000000 ffff0000 01000000';
// Big-endian nanosecond header: v2.4, snaplen 262144, raw IP (101).
const BE_NS = 'a1b23c4d 0002 0004 00000000 00000000 00040000 00000065';

interface Seen { linkType: number; tsMicros: number; capLen: number; origLen: number; offset: number; data: string }

function readAll(bytes: Uint8Array): { records: Seen[]; error: CaptureError | null } {
  const r = PcapReader.fromBuffer(bytes);
  if (!r.ok) throw new Error(r.code);
  const records: Seen[] = [];
  const error = r.reader.forEach((rec: CaptureRecord) => records.push({
    linkType: rec.linkType, tsMicros: rec.tsMicros, capLen: rec.capLen, origLen: rec.origLen, offset: rec.offset,
    data: Buffer.from(rec.data).toString('hex'),
  }));
  return { records, error };
}

function openError(bytes: Uint8Array): string {
  const r = PcapReader.fromBuffer(bytes);
  return r.ok ? 'ok' : r.code;
}

describe('classic pcap', () => {
  it('reads a little-endian microsecond file', () => {
    const { records, error } = readAll(h(LE_US,
      '00e1f505 40420f00 04000000 3c000000 deadbeef', // 100000000 s; an out-of-range 1000000 µs is added as is
      '01e1f505 00000000 02000000 02000000 cafe'));
    expect(error).toBeNull();
    expect(records).toEqual([
      { linkType: 1, tsMicros: 100_000_000 * 1e6 + 1_000_000, capLen: 4, origLen: 60, offset: 24, data: 'deadbeef' },
      { linkType: 1, tsMicros: 100_000_001 * 1e6, capLen: 2, origLen: 2, offset: 44, data: 'cafe' },
    ]);
  });

  it('reads a big-endian nanosecond file, truncating to microseconds', () => {
    const { records, error } = readAll(h(BE_NS, '5f5e1000 3b9ac9ff 00000001 00000001 45'));
    expect(error).toBeNull();
    expect(records).toEqual([{ linkType: 101, tsMicros: 1_600_000_000 * 1e6 + 999_999, capLen: 1, origLen: 1, offset: 24, data: '45' }]);
  });

  it('keeps only the low 16 bits of the link-type field (the rest is FCS information)', () => {
    const r = PcapReader.fromBuffer(h('d4c3b2a1 0200 0400 00000000 00000000 ffff0000 01000010'));
    expect(r.ok && r.reader.linkType).toBe(1);
  });

  it('ends cleanly with no records', () => {
    expect(readAll(h(LE_US))).toEqual({ records: [], error: null });
  });

  it('rejects bad magic, a short header and an unknown major version', () => {
    expect(openError(h('d4c3b2a2 0200 0400 00000000 00000000 ffff0000 01000000'))).toBe(E.BAD_MAGIC);
    expect(openError(h('d4c3b2a1 0200 0400'))).toBe(E.TRUNCATED_HEADER);
    expect(openError(h('d4c3b2a1 0300 0400 00000000 00000000 ffff0000 01000000'))).toBe(E.BAD_VERSION);
    expect(openError(new Uint8Array(0))).toBe(E.TRUNCATED_HEADER);
    const auto = openCaptureBuffer(h('00000000 0200 0400'));
    expect(auto.ok ? 'ok' : auto.code).toBe(E.BAD_MAGIC);
  });

  it('stops with TRUNCATED_RECORD at the offset of a cut record, after the good ones', () => {
    const cutData = readAll(h(LE_US, '00000000 00000000 01000000 01000000 aa', '00000000 00000000 08000000 08000000 0102'));
    expect(cutData.records.length).toBe(1);
    expect([cutData.error?.code, cutData.error?.offset]).toEqual([E.TRUNCATED_RECORD, 41]);
    expect(cutData.error?.detail).toContain('41');
    const cutHeader = readAll(h(LE_US, '00000000 00000000 01000000 01000000 aa', '0000'));
    expect([cutHeader.records.length, cutHeader.error?.code, cutHeader.error?.offset]).toEqual([1, E.TRUNCATED_RECORD, 41]);
  });

  it('refuses an absurd captured length without allocating for it', () => {
    const { records, error } = readAll(h(LE_US, '00000000 00000000 ffffffff ffffffff 00'));
    expect(records.length).toBe(0);
    expect([error?.code, error?.offset]).toEqual([E.CAPLEN_TOO_BIG, 24]);
    // A huge declared snap length only raises the bound to the block limit.
    const big = readAll(h('d4c3b2a1 0200 0400 00000000 00000000 ffffffff 01000000', '00000000 00000000 00000020 00000020 00'));
    expect(big.error?.code).toBe(E.CAPLEN_TOO_BIG);
    // Above the snap length but within libpcap's maximum is accepted (libpcap does too).
    const small = readAll(h('d4c3b2a1 0200 0400 00000000 00000000 04000000 01000000', '00000000 00000000 08000000 08000000 0102030405060708'));
    expect([small.error, small.records.length]).toEqual([null, 1]);
  });

  it('reads the same records from a file as from memory, records straddling chunks included', () => {
    const parts = [LE_US];
    for (let i = 0; i < 200; i++) {
      const len = (i * 37) % 300;
      const hdr = Buffer.alloc(16);
      hdr.writeUInt32LE(i, 0); hdr.writeUInt32LE(i * 1000, 4); hdr.writeUInt32LE(len, 8); hdr.writeUInt32LE(len + 4, 12);
      parts.push(hdr.toString('hex'), Buffer.alloc(len, i & 255).toString('hex'));
    }
    const bytes = h(...parts);
    const path = join(dir, 'straddle.pcap');
    writeFileSync(path, bytes);
    const fromFile = PcapReader.open(path, { chunkSize: 100 });
    if (!fromFile.ok) throw new Error(fromFile.code);
    const a: string[] = [];
    fromFile.reader.forEach((r) => a.push(`${r.offset} ${r.tsMicros} ${r.origLen} ${Buffer.from(r.data).toString('hex')}`));
    const b: string[] = [];
    const mem = PcapReader.fromBuffer(bytes);
    if (!mem.ok) throw new Error(mem.code);
    mem.reader.forEach((r) => b.push(`${r.offset} ${r.tsMicros} ${r.origLen} ${Buffer.from(r.data).toString('hex')}`));
    expect(a.length).toBe(200);
    expect(a).toEqual(b);
    expect(fromFile.reader.error).toBeNull();
  });

  it('returns null after close', () => {
    const r = PcapReader.fromBuffer(h(LE_US, '00000000 00000000 01000000 01000000 aa'));
    if (!r.ok) throw new Error(r.code);
    r.reader.close();
    expect(r.reader.next()).toBeNull();
    expect(r.reader.error).toBeNull();
  });
});

const dir = mkdtempSync(join(tmpdir(), 'ggprobe-pcap-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
