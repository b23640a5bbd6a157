/**
 * pcapng reader: sections in either byte order, per-interface link type,
 * snap length and timestamp resolution; Enhanced, Simple and (obsolete)
 * Packet Blocks; every other block skipped by its length.
 *
 * Every block:  0 type | 4 total length | body | total length again
 * SHB body:     8 byte-order magic 1a2b3c4d | 12 major, minor (u16) | 16 section length (i64, -1 = unknown) | options
 * IDB body:     8 link type (u16), reserved (u16) | 12 snap length | options (if_tsresol = 9, if_tsoffset = 14)
 * EPB body:     8 interface id | 12 ts high | 16 ts low | 20 captured length | 24 original length | 28 data, options
 * OPB body:     8 interface id (u16), drops (u16) | then as EPB
 * SPB body:     8 original length | 12 data (interface 0, captured length bounded by the block and the snap length)
 */
import { u16, u32, u32le } from './bytes.js';
import { ChunkSource } from './chunk-source.js';
import { ticksToMicros, tsResolution, type TsResolution } from './pcapng-time.js';
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

const BT_SHB = 0x0a0d0d0a;
const BT_IDB = 1;
const BT_OPB = 2;
const BT_SPB = 3;
const BT_EPB = 6;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
const OPT_END = 0;
const OPT_IF_TSRESOL = 9;
const OPT_IF_TSOFFSET = 14;

/** True when the first bytes are a pcapng Section Header Block type. */
export function isPcapngMagic(b: Uint8Array): boolean {
  return b.length >= 4 && u32le(b, 0) === BT_SHB;
}

// What block() did: produced a packet record, consumed some other block, or stopped.
const PACKET = 0;
const OTHER = 1;
const STOP = 2;

/** Reads packet records from a pcapng file; one reusable record, errors as values. */
export class PcapngReader implements CaptureReader {
  readonly format = 'pcapng' as const;
  error: CaptureError | null = null;
  /** Sections seen so far. */
  sections = 0;
  private readonly src: ChunkSource;
  private readonly limits: ReaderLimits;
  private readonly rec = new CaptureRecord();
  private le = true;
  private done = false;
  // Interfaces of the current section, as parallel arrays indexed by interface id.
  private ifLinkType: number[] = [];
  private ifSnapLen: number[] = [];
  private ifTs: TsResolution[] = [];

  private constructor(src: ChunkSource, limits: ReaderLimits) {
    this.src = src;
    this.limits = limits;
  }

  /** Opens a pcapng file by path. */
  static open(path: string, limits?: Partial<ReaderLimits>): OpenResult<PcapngReader> {
    const l = resolveLimits(limits);
    const src = ChunkSource.fromFile(path, l.chunkSize);
    if (!(src instanceof ChunkSource)) return src;
    const r = PcapngReader.fromSource(src, l);
    if (!r.ok) src.close();
    return r;
  }

  /** Reads a pcapng file already in memory (records are views into `bytes`). */
  static fromBuffer(bytes: Uint8Array, limits?: Partial<ReaderLimits>): OpenResult<PcapngReader> {
    return PcapngReader.fromSource(ChunkSource.fromBuffer(bytes), resolveLimits(limits));
  }

  /** Checks and consumes the first Section Header Block at the source's position. */
  static fromSource(src: ChunkSource, limits: ReaderLimits): OpenResult<PcapngReader> {
    const at = src.offset;
    if (!src.ensure(4)) {
      if (src.ioError) return captureError(E.READ, `read failed: ${src.ioError}`, at);
      return captureError(E.TRUNCATED_HEADER, 'file too short for a pcapng section header', at);
    }
    if (u32le(src.buf, src.pos) !== BT_SHB) return captureError(E.BAD_MAGIC, 'not a pcapng file (first block is not a section header)', at);
    const reader = new PcapngReader(src, limits);
    reader.block();
    if (reader.error) return reader.error;
    return { ok: true, reader };
  }

  next(): CaptureRecord | null {
    for (;;) {
      if (this.done) return null;
      const what = this.block();
      if (what === PACKET) return this.rec;
      if (what === STOP) return null;
    }
  }

  forEach(onRecord: (rec: CaptureRecord) => void): CaptureError | null {
    for (let r = this.next(); r !== null; r = this.next()) onRecord(r);
    return this.error;
  }

  close(): void {
    this.done = true;
    this.src.close();
  }

  /** Reads one whole block at the source position. */
  private block(): number {
    const src = this.src;
    if (!src.ensure(8)) return this.endOrTruncated(8);
    let b = src.buf;
    let p = src.pos;
    const at = src.offset;
    let type = u32le(b, p);
    if (type === BT_SHB) {
      // The byte order of this section, and so of this very block's length, is in the SHB body.
      if (!src.ensure(12)) return this.endOrTruncated(12);
      b = src.buf;
      p = src.pos;
      if (u32le(b, p + 8) === BYTE_ORDER_MAGIC) this.le = true;
      else if (u32(b, p + 8, false) === BYTE_ORDER_MAGIC) this.le = false;
      else return this.fail(E.BAD_BYTE_ORDER, 'section header byte-order magic is neither 1a2b3c4d nor 4d3c2b1a', at + 8);
    } else {
      type = u32(b, p, this.le);
    }
    const le = this.le;
    const len = u32(b, p + 4, le);
    if (len === 0) return this.fail(E.ZERO_LENGTH_BLOCK, `block of type 0x${type.toString(16)} has total length 0`, at);
    if (len < 12 || (len & 3) !== 0) return this.fail(E.BAD_BLOCK_LENGTH, `block total length ${len} is below 12 or not a multiple of 4`, at);
    if (len > this.limits.maxBlockLen) return this.fail(E.BLOCK_TOO_BIG, `block total length ${len} exceeds the maximum ${this.limits.maxBlockLen}`, at);
    if (!src.ensure(len)) return this.endOrTruncated(len);
    b = src.buf;
    p = src.pos;
    if (u32(b, p + len - 4, le) !== len) {
      return this.fail(E.BAD_BLOCK_LENGTH, `block trailing length ${u32(b, p + len - 4, le)} differs from its leading length ${len}`, at);
    }
    let what = OTHER;
    if (type === BT_EPB || type === BT_OPB) what = this.packetBlock(b, p, len, at, type === BT_OPB);
    else if (type === BT_SPB) what = this.simplePacket(b, p, len, at);
    else if (type === BT_IDB) what = this.interfaceBlock(b, p, len, at);
    else if (type === BT_SHB) what = this.sectionHeader(b, p, len, at);
    if (what !== STOP) src.pos = p + len;
    return what;
  }

  private sectionHeader(b: Uint8Array, p: number, len: number, at: number): number {
    if (len < 28) return this.fail(E.BAD_BLOCK_LENGTH, `section header block length ${len} is below 28`, at);
    const major = u16(b, p + 12, this.le);
    if (major !== 1) return this.fail(E.BAD_VERSION, `unsupported pcapng major version ${major}`, at + 12);
    this.sections++;
    this.ifLinkType.length = 0;
    this.ifSnapLen.length = 0;
    this.ifTs.length = 0;
    return OTHER;
  }

  private interfaceBlock(b: Uint8Array, p: number, len: number, at: number): number {
    if (len < 20) return this.fail(E.BAD_BLOCK_LENGTH, `interface description block length ${len} is below 20`, at);
    if (this.ifLinkType.length >= this.limits.maxInterfaces) {
      return this.fail(E.TOO_MANY_INTERFACES, `more than ${this.limits.maxInterfaces} interfaces in one section`, at);
    }
    const le = this.le;
    let resol = 6;
    let offsetSec = 0;
    const end = p + len - 4;
    for (let o = p + 16; o + 4 <= end; ) {
      const code = u16(b, o, le);
      const olen = u16(b, o + 2, le);
      if (code === OPT_END) break;
      if (o + 4 + olen > end) return this.fail(E.BAD_OPTION, `interface option ${code} of length ${olen} overruns its block`, at + (o - p));
      if (code === OPT_IF_TSRESOL && olen >= 1) resol = b[o + 4];
      else if (code === OPT_IF_TSOFFSET && olen === 8) {
        const hi = u32(b, o + 4 + (le ? 4 : 0), le) | 0;
        const lo = u32(b, o + 4 + (le ? 0 : 4), le);
        offsetSec = hi * 4294967296 + lo;
      }
      o += 4 + ((olen + 3) & ~3);
    }
    const ts = tsResolution(resol, offsetSec);
    if (ts === null) return this.fail(E.BAD_OPTION, `interface timestamp resolution 0x${resol.toString(16)} is out of range`, at);
    this.ifLinkType.push(u16(b, p + 8, le));
    this.ifSnapLen.push(u32(b, p + 12, le));
    this.ifTs.push(ts);
    return OTHER;
  }

  private packetBlock(b: Uint8Array, p: number, len: number, at: number, obsolete: boolean): number {
    if (len < 32) return this.fail(E.BAD_BLOCK_LENGTH, `packet block length ${len} is below 32`, at);
    const le = this.le;
    const ifId = obsolete ? u16(b, p + 8, le) : u32(b, p + 8, le);
    if (ifId >= this.ifLinkType.length) return this.fail(E.UNKNOWN_INTERFACE, `packet on interface ${ifId}, but the section describes ${this.ifLinkType.length}`, at);
    const capLen = u32(b, p + 20, le);
    if (capLen > len - 32) return this.fail(E.CAPLEN_TOO_BIG, `packet captured length ${capLen} exceeds its block (${len - 32} bytes of data room)`, at);
    const rec = this.rec;
    rec.linkType = this.ifLinkType[ifId];
    rec.interfaceId = ifId;
    rec.tsMicros = ticksToMicros(this.ifTs[ifId], u32(b, p + 12, le), u32(b, p + 16, le));
    rec.capLen = capLen;
    rec.origLen = u32(b, p + 24, le);
    rec.buf = b;
    rec.dataStart = p + 28;
    rec.offset = at;
    return PACKET;
  }

  /** SPB has no timestamp: the record keeps the previous one so time never runs backward. */
  private simplePacket(b: Uint8Array, p: number, len: number, at: number): number {
    if (len < 16) return this.fail(E.BAD_BLOCK_LENGTH, `simple packet block length ${len} is below 16`, at);
    if (this.ifLinkType.length === 0) return this.fail(E.UNKNOWN_INTERFACE, 'simple packet block before any interface description', at);
    const origLen = u32(b, p + 8, this.le);
    const snap = this.ifSnapLen[0];
    let capLen = Math.min(origLen, len - 16);
    if (snap > 0 && snap < capLen) capLen = snap;
    const rec = this.rec;
    rec.linkType = this.ifLinkType[0];
    rec.interfaceId = 0;
    rec.capLen = capLen;
    rec.origLen = origLen;
    rec.buf = b;
    rec.dataStart = p + 12;
    rec.offset = at;
    return PACKET;
  }

  private endOrTruncated(need: number): number {
    const src = this.src;
    const have = src.remaining();
    if (src.ioError) return this.fail(E.READ, `read failed: ${src.ioError}`, src.offset);
    if (have === 0) {
      this.done = true;
      src.close();
      return STOP;
    }
    return this.fail(E.TRUNCATED_RECORD, `file cut short in the middle of a block: it needs ${need} bytes, file has ${have}`, src.offset);
  }

  private fail(code: (typeof E)[keyof typeof E], detail: string, offset: number): number {
    this.error = captureError(code, detail, offset);
    this.done = true;
    this.src.close();
    return STOP;
  }
}
