/**
 * Classic libpcap savefile reader: either byte order, microsecond or
 * nanosecond timestamps.
 *
 * File header (24 bytes)            Record header (16 bytes)
 *  0 magic a1b2c3d4 | a1b23c4d       0 ts seconds
 *  4 version major, minor (u16)      4 ts microseconds | nanoseconds
 *  8 thiszone, 12 sigfigs            8 captured length
 * 16 snaplen                        12 original length
 * 20 link type (low 16 bits; the high bits carry FCS information)
 */
import { u32be, u32le } from './bytes.js';
import { ChunkSource } from './chunk-source.js';
import {
  CaptureErrorCode as E,
  CaptureRecord,
  captureError,
  resolveLimits,
  type CaptureError,
  type CaptureReader,
  type OpenResult,
  type ReaderLimits,
} from './reader.js';

const MAGIC_MICRO = 0xa1b2c3d4;
const MAGIC_NANO = 0xa1b23c4d;
const FILE_HEADER_LEN = 24;
const RECORD_HEADER_LEN = 16;

/** True when the first bytes are a classic pcap magic number, in either byte order. */
export function isPcapMagic(b: Uint8Array): boolean {
  if (b.length < 4) return false;
  const be = u32be(b, 0);
  const le = u32le(b, 0);
  return be === MAGIC_MICRO || be === MAGIC_NANO || le === MAGIC_MICRO || le === MAGIC_NANO;
}

/** Reads records from a classic pcap file; one reusable record, errors as values. */
export class PcapReader implements CaptureReader {
  readonly format = 'pcap' as const;
  error: CaptureError | null = null;
  /** Link type from the file header. */
  readonly linkType: number;
  /** Snap length from the file header. */
  readonly snapLen: number;
  /** True when timestamps carry nanoseconds. */
  readonly nanosecond: boolean;
  /** True when the file was written little-endian. */
  readonly littleEndian: boolean;
  private readonly src: ChunkSource;
  private readonly maxCap: number;
  private readonly rec = new CaptureRecord();
  private done = false;

  private constructor(src: ChunkSource, le: boolean, nano: boolean, limits: ReaderLimits) {
    this.src = src;
    this.littleEndian = le;
    this.nanosecond = nano;
    const b = src.buf;
    const p = src.pos;
    this.snapLen = le ? u32le(b, p + 16) : u32be(b, p + 16);
    this.linkType = (le ? u32le(b, p + 20) : u32be(b, p + 20)) & 0xffff;
    // libpcap accepts records larger than the snap length up to its own maximum;
    // a file declaring a bigger snap length may have bigger records, within our block limit.
    this.maxCap = Math.max(limits.maxCapLen, Math.min(this.snapLen, limits.maxBlockLen));
    this.rec.linkType = this.linkType;
    src.pos += FILE_HEADER_LEN;
  }

  /** Opens a pcap file by path. */
  static open(path: string, limits?: Partial<ReaderLimits>): OpenResult<PcapReader> {
    const l = resolveLimits(limits);
    const src = ChunkSource.fromFile(path, l.chunkSize);
    if (!(src instanceof ChunkSource)) return src;
    const r = PcapReader.fromSource(src, l);
    if (!r.ok) src.close();
    return r;
  }

  /** Reads a pcap file already in memory (records are views into `bytes`). */
  static fromBuffer(bytes: Uint8Array, limits?: Partial<ReaderLimits>): OpenResult<PcapReader> {
    return PcapReader.fromSource(ChunkSource.fromBuffer(bytes), resolveLimits(limits));
  }

  /** Parses the file header at the source's position. */
  static fromSource(src: ChunkSource, limits: ReaderLimits): OpenResult<PcapReader> {
    const at = src.offset;
    if (!src.ensure(FILE_HEADER_LEN)) {
      if (src.ioError) return captureError(E.READ, `read failed: ${src.ioError}`, at);
      if (src.end - src.pos >= 4 && !isPcapMagic(src.buf.subarray(src.pos, src.pos + 4))) {
        return captureError(E.BAD_MAGIC, 'not a pcap file (unknown magic number)', at);
      }
      return captureError(E.TRUNCATED_HEADER, `pcap file header needs ${FILE_HEADER_LEN} bytes, file has ${src.end - src.pos}`, at);
    }
    const b = src.buf;
    const p = src.pos;
    const be = u32be(b, p);
    const le = u32le(b, p);
    let little: boolean;
    let nano: boolean;
    if (be === MAGIC_MICRO || be === MAGIC_NANO) { little = false; nano = be === MAGIC_NANO; }
    else if (le === MAGIC_MICRO || le === MAGIC_NANO) { little = true; nano = le === MAGIC_NANO; }
    else return captureError(E.BAD_MAGIC, `not a pcap file (magic 0x${be.toString(16).padStart(8, '0')})`, at);
    const major = little ? b[p + 4] | (b[p + 5] << 8) : (b[p + 4] << 8) | b[p + 5];
    if (major !== 2) return captureError(E.BAD_VERSION, `unsupported pcap major version ${major}`, at + 4);
    return { ok: true, reader: new PcapReader(src, little, nano, limits) };
  }

  next(): CaptureRecord | null {
    if (this.done) return null;
    const src = this.src;
    if (!src.ensure(RECORD_HEADER_LEN)) return this.endOrTruncated(RECORD_HEADER_LEN, -1);
    let b = src.buf;
    let p = src.pos;
    const le = this.littleEndian;
    const sec = le ? u32le(b, p) : u32be(b, p);
    const frac = le ? u32le(b, p + 4) : u32be(b, p + 4);
    const capLen = le ? u32le(b, p + 8) : u32be(b, p + 8);
    const origLen = le ? u32le(b, p + 12) : u32be(b, p + 12);
    if (capLen > this.maxCap) {
      return this.fail(captureError(E.CAPLEN_TOO_BIG, `record captured length ${capLen} exceeds the maximum ${this.maxCap}`, src.offset));
    }
    if (!src.ensure(RECORD_HEADER_LEN + capLen)) return this.endOrTruncated(RECORD_HEADER_LEN + capLen, capLen);
    b = src.buf;
    p = src.pos;
    const rec = this.rec;
    rec.tsMicros = sec * 1e6 + (this.nanosecond ? Math.floor(frac / 1000) : frac);
    rec.capLen = capLen;
    rec.origLen = origLen;
    rec.buf = b;
    rec.dataStart = p + RECORD_HEADER_LEN;
    rec.offset = src.base + p;
    src.pos = p + RECORD_HEADER_LEN + capLen;
    return rec;
  }

  forEach(onRecord: (rec: CaptureRecord) => void): CaptureError | null {
    for (let r = this.next(); r !== null; r = this.next()) onRecord(r);
    return this.error;
  }

  close(): void {
    this.done = true;
    this.src.close();
  }

  private endOrTruncated(need: number, capLen: number): null {
    const src = this.src;
    const have = src.remaining();
    if (src.ioError) return this.fail(captureError(E.READ, `read failed: ${src.ioError}`, src.offset));
    if (have === 0) {
      this.done = true;
      src.close();
      return null;
    }
    const what = capLen < 0
      ? `record header needs ${need} bytes, file has ${have}`
      : `record header promises ${capLen} bytes of packet data, file has ${have - RECORD_HEADER_LEN}`;
    return this.fail(captureError(E.TRUNCATED_RECORD, `file cut short in the middle of a record: ${what}`, src.offset));
  }

  private fail(err: CaptureError): null {
    this.error = err;
    this.done = true;
    this.src.close();
    return null;
  }
}
