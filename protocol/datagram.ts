import { buildPayloadDecoder, type Message } from './decoder.js';
import { buildMessageEncoder, type MessageEncoder } from './encoder.js';
import { ErrorCode, fail, type Result } from './errors.js';
import { MODULES } from './registry.js';

export type { Message } from './decoder.js';

/** The protocol version this build speaks. */
export const PROTOCOL_VERSION = 1;
/** Versions a receiver accepts (advertised in NOTICE). */
export const SUPPORTED_VERSIONS = { min: 1, max: 1 } as const;
/** Size of the fixed datagram header. */
export const HEADER_SIZE = 16;
/** Size of the AEAD tag appended to sealed datagrams. */
export const TAG_SIZE = 16;
/** Size of a message's framing (module, type, length). */
export const MESSAGE_HEADER_SIZE = 4;
/** Default largest datagram a sender builds: fits an Ethernet MTU with room for tunnels. */
export const DEFAULT_MAX_DATAGRAM = 1400;
/** Largest message body the u16 length can carry. */
export const MAX_MESSAGE_BODY = 0xffff;

/** Header flag bits. */
export const Flags = { SEALED: 1, ENCRYPTED: 2 } as const;
const KNOWN_FLAGS = Flags.SEALED | Flags.ENCRYPTED;
const MAGIC0 = 0x47;
const MAGIC1 = 0x47;

/** The fixed 16-byte header of every datagram. */
export interface DatagramHeader { version: number; flags: number; session_id: number; seq: number }

/** Reads and checks the header: magic, then version, then flags, then seq range. */
export function decodeHeader(buf: Uint8Array): Result<{ header: DatagramHeader }> {
  if (buf.length < HEADER_SIZE) return fail(ErrorCode.TRUNCATED, `datagram of ${buf.length} bytes is shorter than the header`, 0);
  if (buf[0] !== MAGIC0 || buf[1] !== MAGIC1) return fail(ErrorCode.BAD_MAGIC, 'not a glouglou datagram', 0);
  const version = buf[2];
  if (version !== PROTOCOL_VERSION) return fail(ErrorCode.BAD_VERSION, `protocol version ${version}, this build speaks ${PROTOCOL_VERSION}`, 2);
  const flags = buf[3];
  if ((flags & ~KNOWN_FLAGS) !== 0 || (flags & Flags.ENCRYPTED && !(flags & Flags.SEALED))) {
    return fail(ErrorCode.BAD_FLAGS, `flags 0x${flags.toString(16)}`, 3);
  }
  const session_id = ((buf[4] << 24) | (buf[5] << 16) | (buf[6] << 8) | buf[7]) >>> 0;
  const hi = ((buf[8] << 24) | (buf[9] << 16) | (buf[10] << 8) | buf[11]) >>> 0;
  const lo = ((buf[12] << 24) | (buf[13] << 16) | (buf[14] << 8) | buf[15]) >>> 0;
  if (hi > 0x1fffff) return fail(ErrorCode.FIELD_RANGE, 'sequence number beyond 2^53', 8);
  return { ok: true, header: { version, flags, session_id, seq: hi * 0x100000000 + lo } };
}

/** Writes the 16 header bytes at `offset`. */
export function writeHeader(out: Uint8Array, h: DatagramHeader, offset = 0): void {
  if (!Number.isSafeInteger(h.seq) || h.seq < 0) throw new RangeError(`bad seq ${h.seq}`);
  if (!Number.isInteger(h.session_id) || h.session_id < 0 || h.session_id > 0xffffffff) throw new RangeError(`bad session_id ${h.session_id}`);
  const hi = Math.floor(h.seq / 0x100000000);
  const lo = h.seq - hi * 0x100000000;
  const o = offset;
  out[o] = MAGIC0; out[o + 1] = MAGIC1; out[o + 2] = h.version; out[o + 3] = h.flags;
  out[o + 4] = h.session_id >>> 24; out[o + 5] = (h.session_id >>> 16) & 255; out[o + 6] = (h.session_id >>> 8) & 255; out[o + 7] = h.session_id & 255;
  out[o + 8] = hi >>> 24; out[o + 9] = (hi >>> 16) & 255; out[o + 10] = (hi >>> 8) & 255; out[o + 11] = hi & 255;
  out[o + 12] = lo >>> 24; out[o + 13] = (lo >>> 16) & 255; out[o + 14] = (lo >>> 8) & 255; out[o + 15] = lo & 255;
}

const decoder = buildPayloadDecoder(MODULES);

/**
 * Decodes a payload (a run of framed messages). Unknown modules and types are
 * skipped by their length and counted, unless `strict`. Never throws.
 */
export function decodeMessages(payload: Uint8Array, strict = false): Result<{ messages: Message[]; skipped: number }> {
  const n = payload.length;
  if (n === 0) return { ok: true, messages: [], skipped: 0 };
  const buf = Buffer.isBuffer(payload) ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.length);
  return decodeFast(buf, strict) ?? decodeInOrder(buf, strict);
}

/**
 * The fast path: framing walk, one binary-parser pass over the whole payload,
 * then the generated validators. Returns null on any error, leaving it to
 * decodeInOrder() to name the first one exactly.
 */
function decodeFast(payload: Buffer, strict: boolean): Result<{ messages: Message[]; skipped: number }> | null {
  const n = payload.length;
  let o = 0;
  while (o < n) {
    if (n - o < 4) return null;
    o += 4 + ((payload[o + 2] << 8) | payload[o + 3]);
  }
  if (o !== n) return null;
  let parsed: Message[];
  try {
    parsed = decoder.parse(payload).messages;
  } catch {
    return null;
  }
  // Module, type and length come from the bytes, not the parsed objects: reading
  // them from objects of many shapes is what makes a decoder slow.
  let skipped = 0;
  let start = 0;
  let kept: Message[] | null = null;
  for (let i = 0; i < parsed.length; i++) {
    const mod = payload[start];
    const type = payload[start + 1];
    const len = (payload[start + 2] << 8) | payload[start + 3];
    const info = decoder.knownModule[mod] ? decoder.info[mod][type] : undefined;
    if (info === undefined) {
      if (strict) return null;
      skipped++;
      if (kept === null) kept = parsed.slice(0, i);
    } else {
      const m = parsed[i];
      if (info.validate(m, (m._end as number) - start - 4, len, start) !== null) return null;
      if (kept !== null) kept.push(m);
    }
    start += 4 + len;
  }
  return { ok: true, messages: kept ?? parsed, skipped };
}

/** The slow path: one message at a time, so the error reported is the first one in the payload. */
function decodeInOrder(payload: Buffer, strict: boolean): Result<{ messages: Message[]; skipped: number }> {
  const n = payload.length;
  const messages: Message[] = [];
  let skipped = 0;
  for (let o = 0; o < n;) {
    if (n - o < 4) return fail(ErrorCode.TRUNCATED, 'message header cut short', o);
    const mod = payload[o];
    const type = payload[o + 1];
    const len = (payload[o + 2] << 8) | payload[o + 3];
    if (len > n - o - 4) return fail(ErrorCode.TRUNCATED, `message of ${len} bytes, ${n - o - 4} left`, o);
    const info = decoder.knownModule[mod] ? decoder.info[mod][type] : undefined;
    if (info === undefined) {
      if (strict) {
        return decoder.knownModule[mod]
          ? fail(ErrorCode.UNKNOWN_TYPE, `unknown type ${type} of module ${mod}`, o)
          : fail(ErrorCode.UNKNOWN_MODULE, `unknown module ${mod}`, o);
      }
      skipped++;
    } else {
      let m: Message;
      try {
        m = info.parseBody(payload.subarray(o + 4, o + 4 + len));
      } catch {
        return fail(ErrorCode.LENGTH_MISMATCH, `${info.spec.name}: body of ${len} bytes is shorter than its fields`, o);
      }
      const err = info.validate(m, m._end as number, len, o);
      if (err) return err;
      m.module = mod;
      m.type = type;
      messages.push(m);
    }
    o += 4 + len;
  }
  // Reached only when the fast path failed; getting here means it failed on something this path accepts.
  return { ok: true, messages, skipped };
}

/** Decodes a plain (unsealed) datagram: header, then messages. Never throws. */
export function decodeDatagram(buf: Uint8Array, strict = false): Result<{ header: DatagramHeader; messages: Message[]; skipped: number }> {
  const h = decodeHeader(buf);
  if (!h.ok) return h;
  if (h.header.flags & Flags.SEALED) return fail(ErrorCode.AUTH_FAILED, 'sealed datagram outside a session', 3);
  const m = decodeMessages(buf.subarray(HEADER_SIZE), strict);
  if (!m.ok) return m.offset === undefined ? m : { ...m, offset: m.offset + HEADER_SIZE };
  return { ok: true, header: h.header, messages: m.messages, skipped: m.skipped };
}

const encoders: (MessageEncoder | undefined)[][] = [];
for (const mod of MODULES) {
  encoders[mod.id] = [];
  for (const msg of mod.messages) encoders[mod.id][msg.type] = buildMessageEncoder(mod, msg);
}

function encoderFor(m: Message): MessageEncoder {
  const e = encoders[m.module]?.[m.type];
  if (!e) throw new RangeError(`no message type ${m.type} in module ${m.module}`);
  return e;
}

/** Encoded size of one message, framing included. */
export function messageSize(m: Message): number {
  const body = encoderFor(m).size(m as Record<string, unknown>);
  if (body > MAX_MESSAGE_BODY) throw new RangeError(`message body of ${body} bytes`);
  return MESSAGE_HEADER_SIZE + body;
}

/** Writes one framed message at `o`; returns the offset after it. */
export function writeMessage(m: Message, out: Buffer, o: number): number {
  const e = encoderFor(m);
  out[o] = m.module;
  out[o + 1] = m.type;
  const end = e.write(m as Record<string, unknown>, out, o + 4);
  out.writeUInt16BE(end - o - 4, o + 2);
  return end;
}

/** Encodes messages as one payload. Throws RangeError on values our own code should never produce. */
export function encodeMessages(msgs: readonly Message[]): Buffer {
  let size = 0;
  for (const m of msgs) size += messageSize(m);
  const out = Buffer.allocUnsafe(size);
  let o = 0;
  for (const m of msgs) o = writeMessage(m, out, o);
  return out;
}

/** Encodes a plain datagram: header, then messages. */
export function encodeDatagram(h: DatagramHeader, msgs: readonly Message[]): Buffer {
  let size = HEADER_SIZE;
  for (const m of msgs) size += messageSize(m);
  const out = Buffer.allocUnsafe(size);
  writeHeader(out, h);
  let o = HEADER_SIZE;
  for (const m of msgs) o = writeMessage(m, out, o);
  return out;
}

/** The body of one framed message (without its 4-byte framing). */
export function messageBody(encoded: Uint8Array): Uint8Array {
  return encoded.subarray(MESSAGE_HEADER_SIZE);
}

/**
 * Packs messages into payloads no larger than `maxDatagram - reserve` bytes,
 * so each becomes one datagram once a header (and tag) is added.
 */
export class DatagramPacker {
  private readonly buf: Buffer;
  private readonly limit: number;
  private used = 0;
  /** Messages in the payload being built. */
  count = 0;

  constructor(maxDatagram = DEFAULT_MAX_DATAGRAM, reserve = HEADER_SIZE + TAG_SIZE) {
    this.limit = maxDatagram - reserve;
    if (this.limit < 64) throw new RangeError(`datagram limit ${maxDatagram} too small`);
    this.buf = Buffer.allocUnsafe(Math.max(this.limit, MESSAGE_HEADER_SIZE + MAX_MESSAGE_BODY));
  }

  /** Adds a message; returns the finished payload if this message did not fit in it, else null. */
  add(m: Message): Buffer | null {
    const start = this.used;
    const end = writeMessage(m, this.buf, start);
    if (end > this.limit && start > 0) {
      const full = Buffer.from(this.buf.subarray(0, start));
      this.buf.copy(this.buf, 0, start, end);
      this.used = end - start;
      this.count = 1;
      return full;
    }
    // A message larger than the limit on its own is not dropped: it travels alone, in a larger datagram.
    this.used = end;
    this.count++;
    return null;
  }

  /** Returns the payload built so far (or null if empty) and starts a new one. */
  flush(): Buffer | null {
    if (this.used === 0) return null;
    const out = Buffer.from(this.buf.subarray(0, this.used));
    this.used = 0;
    this.count = 0;
    return out;
  }

  /** Bytes in the payload being built. */
  get size(): number { return this.used; }
}
