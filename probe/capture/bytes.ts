/** Little helpers to read file-format integers in either byte order without a DataView per call. */

/** Unsigned 32-bit integer at p, little-endian. */
export function u32le(b: Uint8Array, p: number): number {
  return (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24)) >>> 0;
}

/** Unsigned 32-bit integer at p, big-endian. */
export function u32be(b: Uint8Array, p: number): number {
  return ((b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]) >>> 0;
}

/** Unsigned 32-bit integer at p in the given byte order. */
export function u32(b: Uint8Array, p: number, le: boolean): number {
  return le ? u32le(b, p) : u32be(b, p);
}

/** Unsigned 16-bit integer at p in the given byte order. */
export function u16(b: Uint8Array, p: number, le: boolean): number {
  return le ? b[p] | (b[p + 1] << 8) : (b[p] << 8) | b[p + 1];
}
