/** Network-order reads shared by the header decoders. */

/** Big-endian u16 at p. */
export function be16(b: Uint8Array, p: number): number {
  return (b[p] << 8) | b[p + 1];
}

/** Big-endian u32 at p. */
export function be32(b: Uint8Array, p: number): number {
  return ((b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]) >>> 0;
}

/** Reads 16 address bytes at p as four big-endian words. */
export function readWords(w: Uint32Array, b: Uint8Array, p: number): void {
  w[0] = be32(b, p);
  w[1] = be32(b, p + 4);
  w[2] = be32(b, p + 8);
  w[3] = be32(b, p + 12);
}
