/**
 * What every capture-file reader (classic pcap, pcapng) shares: the reusable
 * record it fills, its stable error codes, and its named limits.
 */

/** Stable error codes of the capture-file readers; tests and counters use these, never message text. */
export const CaptureErrorCode = {
  OPEN: 'PCAP_ERR_OPEN',
  READ: 'PCAP_ERR_READ',
  BAD_MAGIC: 'PCAP_ERR_BAD_MAGIC',
  BAD_VERSION: 'PCAP_ERR_BAD_VERSION',
  TRUNCATED_HEADER: 'PCAP_ERR_TRUNCATED_HEADER',
  TRUNCATED_RECORD: 'PCAP_ERR_TRUNCATED_RECORD',
  CAPLEN_TOO_BIG: 'PCAP_ERR_CAPLEN_TOO_BIG',
  ZERO_LENGTH_BLOCK: 'PCAP_ERR_ZERO_LENGTH_BLOCK',
  BAD_BLOCK_LENGTH: 'PCAP_ERR_BAD_BLOCK_LENGTH',
  BLOCK_TOO_BIG: 'PCAP_ERR_BLOCK_TOO_BIG',
  BAD_BYTE_ORDER: 'PCAP_ERR_BAD_BYTE_ORDER',
  BAD_OPTION: 'PCAP_ERR_BAD_OPTION',
  UNKNOWN_INTERFACE: 'PCAP_ERR_UNKNOWN_INTERFACE',
  TOO_MANY_INTERFACES: 'PCAP_ERR_TOO_MANY_INTERFACES',
} as const;

export type CaptureErrorCodeValue = (typeof CaptureErrorCode)[keyof typeof CaptureErrorCode];

/** A reading failure: stable code, human detail naming the file offset, and that offset. */
export interface CaptureError {
  ok: false;
  code: CaptureErrorCodeValue;
  detail: string;
  offset: number;
}

/** Builds the failure value readers return instead of throwing. */
export function captureError(code: CaptureErrorCodeValue, detail: string, offset: number): CaptureError {
  return { ok: false, code, detail: `${detail} (file offset ${offset})`, offset };
}

/** Bounds that keep a hostile file from costing memory or time; all overridable. */
export interface ReaderLimits {
  /** Bytes read per readSync call. */
  chunkSize: number;
  /** Largest classic-pcap captured length accepted regardless of the file's snap length (libpcap's MAXIMUM_SNAPLEN). */
  maxCapLen: number;
  /** Largest pcapng block, and largest classic-pcap record a huge declared snap length may allow. */
  maxBlockLen: number;
  /** Interface Description Blocks kept per pcapng section. */
  maxInterfaces: number;
}

/** Defaults for {@link ReaderLimits}. */
export const DEFAULT_READER_LIMITS: Readonly<ReaderLimits> = {
  chunkSize: 4 * 1024 * 1024,
  maxCapLen: 262144,
  maxBlockLen: 16 * 1024 * 1024,
  maxInterfaces: 1024,
};

/** Fills unspecified limits from the defaults. */
export function resolveLimits(limits?: Partial<ReaderLimits>): ReaderLimits {
  const r = { ...DEFAULT_READER_LIMITS, ...limits };
  // Tiny chunks only cost speed (the window grows to fit a record), so only absurd values are raised.
  r.chunkSize = Math.max(64, r.chunkSize | 0);
  return r;
}

/**
 * One packet record. Readers reuse a single instance: its fields and the bytes
 * under `buf` are valid only until the next call to `next()`.
 */
export class CaptureRecord {
  /** LINKTYPE_* of the interface the packet was captured on. */
  linkType = 0;
  /** Capture time, microseconds since the Unix epoch. */
  tsMicros = 0;
  /** Bytes present in the file. */
  capLen = 0;
  /** Bytes the packet had on the wire. */
  origLen = 0;
  /** The reader's current window; packet bytes are buf[dataStart, dataStart + capLen). */
  buf: Uint8Array = EMPTY;
  /** Index of the first packet byte in `buf`. */
  dataStart = 0;
  /** File offset of the record header (pcap) or block (pcapng). */
  offset = 0;
  /** pcapng interface id (0 for classic pcap). */
  interfaceId = 0;

  /** The packet bytes as a view (allocates a view object: keep off the hot path). */
  get data(): Uint8Array {
    return this.buf.subarray(this.dataStart, this.dataStart + this.capLen);
  }
}

const EMPTY = new Uint8Array(0);

/** The common face of the pcap and pcapng readers. */
export interface CaptureReader {
  readonly format: 'pcap' | 'pcapng';
  /** Set once reading stopped on a bad file; every good record before it was delivered. */
  readonly error: CaptureError | null;
  /** The next record, or null at end of file or after an error (then `error` says which). */
  next(): CaptureRecord | null;
  /** Delivers every remaining record to `onRecord`; returns the error that stopped reading, or null at a clean end. */
  forEach(onRecord: (rec: CaptureRecord) => void): CaptureError | null;
  /** Releases the file; later calls to next() return null. */
  close(): void;
}

/** Result of opening a reader. */
export type OpenResult<R> = { ok: true; reader: R } | CaptureError;
