// Hex helpers for writing protocol test vectors by hand from spec/protocol.md.
// Deliberately independent of protocol/: every byte here follows the spec text,
// so the vectors can catch a codec that drifts from it.

/** Big-endian unsigned integer of `size` bytes as lowercase hex. */
export function be(n, size) {
  let v = BigInt(n);
  if (v < 0n) throw new Error(`negative ${n}`);
  const hex = v.toString(16).padStart(size * 2, '0');
  if (hex.length > size * 2) throw new Error(`${n} does not fit in ${size} bytes`);
  return hex;
}

export const u8 = (n) => be(n, 1);
export const u16 = (n) => be(n, 2);
export const u32 = (n) => be(n, 4);
export const u64 = (n) => be(n, 8);
/** Two's complement 32-bit. */
export const i32 = (n) => be(BigInt.asUintN(32, BigInt(n)), 4);
/** Microsecond timestamp (u64). */
export const time = (n) => be(n, 8);

/** UTF-8 bytes of a string, as hex. */
export const utf8 = (s) => Buffer.from(s, 'utf8').toString('hex');
/** u8 byte length + UTF-8 bytes. */
export const str8 = (s) => u8(Buffer.byteLength(s, 'utf8')) + utf8(s);
/** u16 byte length + UTF-8 bytes. */
export const str16 = (s) => u16(Buffer.byteLength(s, 'utf8')) + utf8(s);

/** `n` bytes counting up from `start` (mod 256), as hex: readable fixed patterns for nonces and MACs. */
export function ramp(start, n) {
  let s = '';
  for (let i = 0; i < n; i++) s += u8((start + i) & 0xff);
  return s;
}
/** `n` copies of byte `b`, as hex. */
export const rep = (b, n) => u8(b).repeat(n);

/** The 16-byte datagram header. */
export function hdr({ version = 1, flags = 0, session_id = 0, seq = 0 } = {}) {
  return '4747' + u8(version) + u8(flags) + u32(session_id) + u64(seq);
}

/** One framed message whose length field is the real body length. */
export function msg(module, type, body) {
  if (body.length % 2) throw new Error('odd hex');
  return u8(module) + u8(type) + u16(body.length / 2) + body;
}

/** One framed message with an explicit (possibly wrong) length field. */
export const rawmsg = (module, type, length, body) => u8(module) + u8(type) + u16(length) + body;

/** The decoded form of a header as the vectors spell it. */
export const H = (session_id = 0, seq = 0, flags = 0, version = 1) => ({ version, flags, session_id, seq });

/**
 * A valid vector. `parts` are [hex, decodedMessage | null] pairs; null marks a
 * message the decoder skips (unknown module or type).
 */
export function valid(name, header, parts, { strict = false } = {}) {
  const skipped = parts.filter(([, m]) => m === null).length;
  return {
    name,
    hex: hdr(header) + parts.map(([h]) => h).join(''),
    decoded: { header, messages: parts.filter(([, m]) => m !== null).map(([, m]) => m), skipped },
    strict,
    roundtrip: skipped === 0,
  };
}

/** An invalid vector: decoding must fail with exactly `error`. */
export const invalid = (name, hex, error, strict = false) => ({ name, hex, error, strict });

/** Writes pretty JSON with one vector per block. */
export function toJson(v) {
  return JSON.stringify(v, null, 2) + '\n';
}
