/**
 * Opens a capture file of either format, chosen by its first bytes rather
 * than its name.
 */
import { ChunkSource } from './chunk-source.js';
import { isPcapMagic, PcapReader } from './pcap-file.js';
import { isPcapngMagic, PcapngReader } from './pcapng.js';
import {
  CaptureErrorCode,
  captureError,
  resolveLimits,
  type CaptureReader,
  type OpenResult,
  type ReaderLimits,
} from './reader.js';

/** Opens a classic pcap or pcapng file by path. */
export function openCaptureFile(path: string, limits?: Partial<ReaderLimits>): OpenResult<CaptureReader> {
  const l = resolveLimits(limits);
  const src = ChunkSource.fromFile(path, l.chunkSize);
  if (!(src instanceof ChunkSource)) return src;
  const r = fromSource(src, l);
  if (!r.ok) src.close();
  return r;
}

/** Reads a classic pcap or pcapng file already in memory. */
export function openCaptureBuffer(bytes: Uint8Array, limits?: Partial<ReaderLimits>): OpenResult<CaptureReader> {
  return fromSource(ChunkSource.fromBuffer(bytes), resolveLimits(limits));
}

function fromSource(src: ChunkSource, limits: ReaderLimits): OpenResult<CaptureReader> {
  src.ensure(4);
  if (src.ioError) return captureError(CaptureErrorCode.READ, `read failed: ${src.ioError}`, 0);
  const head = src.buf.subarray(src.pos, Math.min(src.end, src.pos + 4));
  if (isPcapngMagic(head)) return PcapngReader.fromSource(src, limits);
  if (isPcapMagic(head)) return PcapReader.fromSource(src, limits);
  if (head.length < 4) return captureError(CaptureErrorCode.TRUNCATED_HEADER, `file has only ${head.length} bytes`, 0);
  return captureError(CaptureErrorCode.BAD_MAGIC, 'neither a pcap nor a pcapng file (unknown magic number)', 0);
}
