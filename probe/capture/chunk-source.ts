/**
 * A sliding window over a capture file read with fs.readSync in large chunks
 * (streams cost about 3× here), or over a Buffer already in memory. Records
 * that straddle a chunk boundary are made contiguous by moving the unread tail
 * to the front before the next read.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { CaptureErrorCode, captureError, type CaptureError } from './reader.js';

/** Byte window the readers parse from: bytes buf[pos, end) are valid, buf[0] is at file offset `base`. */
export class ChunkSource {
  buf: Uint8Array;
  pos = 0;
  end: number;
  base = 0;
  /** Set when readSync failed; the source then behaves as if the file ended. */
  ioError: string | null = null;
  private fd: number;
  /** False for a descriptor lent by the caller: close() leaves it open. */
  private readonly owned: boolean;
  private eof: boolean;
  /** File size when known (regular files), else -1: lets a record longer than the rest of the file fail without growing the window. */
  private readonly size: number;

  private constructor(buf: Uint8Array, end: number, fd: number, size: number, owned = true) {
    this.buf = buf;
    this.end = end;
    this.fd = fd;
    this.owned = owned;
    this.eof = fd < 0;
    this.size = size;
  }

  /** A source over bytes already in memory; records are views into `bytes`, nothing is copied. */
  static fromBuffer(bytes: Uint8Array): ChunkSource {
    return new ChunkSource(bytes, bytes.length, -1, bytes.length);
  }

  /** Opens `path` for chunked reading, or returns PCAP_ERR_OPEN. */
  static fromFile(path: string, chunkSize: number): ChunkSource | CaptureError {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (e) {
      return captureError(CaptureErrorCode.OPEN, `cannot open ${path}: ${(e as Error).message}`, 0);
    }
    return new ChunkSource(new Uint8Array(chunkSize), 0, fd, regularFileSize(fd));
  }

  /**
   * A source over a descriptor opened elsewhere (as root, before privileges
   * went). A regular file is read from its first byte whatever the
   * descriptor's position, so it can be read again; close() leaves it open.
   */
  static fromFd(fd: number, chunkSize: number): ChunkSource {
    return new ChunkSource(new Uint8Array(chunkSize), 0, fd, regularFileSize(fd), false);
  }

  /** File offset of buf[pos]. */
  get offset(): number {
    return this.base + this.pos;
  }

  /** Bytes left from pos to the end of the input, as far as is known (at least those in the window). */
  remaining(): number {
    return this.size >= 0 ? Math.max(this.size - this.offset, this.end - this.pos) : this.end - this.pos;
  }

  /** Makes at least n bytes available from pos; false if the file ends (or fails) first. */
  ensure(n: number): boolean {
    if (this.end - this.pos >= n) return true;
    if (this.eof) return false;
    return this.fill(n);
  }

  /** Releases the file descriptor; the source then looks ended. */
  close(): void {
    if (this.fd >= 0 && this.owned) {
      try { closeSync(this.fd); } catch { /* already closed: nothing to release */ }
    }
    this.fd = -1;
    this.eof = true;
    this.pos = this.end;
  }

  private fill(n: number): boolean {
    const rem = this.end - this.pos;
    const cannot = this.size >= 0 && this.offset + n > this.size;
    if (n > this.buf.length && !cannot) {
      // Only reached for records the caller has already bounded by its limits.
      const bigger = new Uint8Array(Math.max(n, this.buf.length * 2));
      bigger.set(this.buf.subarray(this.pos, this.end), 0);
      this.buf = bigger;
    } else if (this.pos > 0 && rem > 0) {
      this.buf.copyWithin(0, this.pos, this.end);
    }
    this.base += this.pos;
    this.pos = 0;
    this.end = rem;
    const want = Math.min(n, this.buf.length);
    while (this.end < want && !this.eof) {
      let got = 0;
      try {
        // Regular files are read at explicit offsets (buf holds [base, base + end)), so a lent descriptor's position never matters.
        got = readSync(this.fd, this.buf, this.end, this.buf.length - this.end, this.size >= 0 ? this.base + this.end : null);
      } catch (e) {
        this.ioError = (e as Error).message;
        this.eof = true;
        break;
      }
      if (got === 0) this.eof = true;
      else this.end += got;
    }
    return this.end >= n;
  }
}

/** Size of a regular file, else -1 (pipes, devices: read sequentially, size unknown). */
function regularFileSize(fd: number): number {
  try {
    const st = fstatSync(fd);
    return st.isFile() ? st.size : -1;
  } catch {
    return -1; // size unknown: only the early refusal of oversized records is lost
  }
}
