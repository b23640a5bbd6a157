/**
 * Opens a capture file of either format, chosen by its first bytes rather
 * than its name.
 */
import { closeSync, fstatSync, openSync } from 'node:fs';
import { ChunkSource } from './chunk-source.js';
import { isPcapMagic, PcapReader } from './pcap-file.js';
import { isPcapngMagic, PcapngReader } from './pcapng.js';
import {
  CaptureErrorCode,
  captureError,
  resolveLimits,
  type CaptureError,
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

/**
 * Reads a capture from a descriptor opened elsewhere (before privileges were
 * dropped); a regular file from its first byte each time, so --loop can read
 * it again once root is gone. Closing the reader leaves the descriptor open.
 */
export function openCaptureFd(fd: number, limits?: Partial<ReaderLimits>): OpenResult<CaptureReader> {
  const l = resolveLimits(limits);
  return fromSource(ChunkSource.fromFd(fd, l.chunkSize), l);
}

/** A capture file opened once (while still root) that can be read from its start again and again. */
export interface HeldCapture {
  /** A reader from the file's first byte (a pipe or device: the first time from the descriptor, then by path). */
  read(): OpenResult<CaptureReader>;
  /** Closes the descriptor. */
  close(): void;
}

/** Opens `path` for any number of reads: --loop starts each round from the same descriptor, so a root-only file still reads after privileges went. */
export function holdCaptureFile(path: string, limits?: Partial<ReaderLimits>): { ok: true; held: HeldCapture } | CaptureError {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    return captureError(CaptureErrorCode.OPEN, `cannot open ${path}: ${(e as Error).message}`, 0);
  }
  let regular = false;
  try { regular = fstatSync(fd).isFile(); } catch { /* unknown: treated as a stream */ }
  let reads = 0;
  return {
    ok: true,
    held: {
      read: () => (regular || reads++ === 0 ? openCaptureFd(fd, limits) : openCaptureFile(path, limits)),
      close: () => {
        if (fd < 0) return;
        try { closeSync(fd); } catch { /* already closed */ }
        fd = -1;
      },
    },
  };
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
