import { decodeMessages, MESSAGE_HEADER_SIZE, type Message } from './datagram.js';
import { ErrorCode, fail, type Result } from './errors.js';

/**
 * A payload's framing without its bodies: where each message ends and which
 * module it belongs to. What a relay reads of the messages it passes on, and
 * all it needs to cut a payload at message boundaries. Never throws.
 */

/** Offset just after the message that starts at `o`, or -1 when its framing is cut short (spec §9, 8a–8b). */
export function frameEnd(payload: Uint8Array, o: number): number {
  if (payload.length - o < MESSAGE_HEADER_SIZE) return -1;
  const end = o + MESSAGE_HEADER_SIZE + ((payload[o + 2] << 8) | payload[o + 3]);
  return end <= payload.length ? end : -1;
}

/** Number of messages in a payload, or a GG_ERR_TRUNCATED failure when a frame is cut short. */
export function countFrames(payload: Uint8Array): Result<{ count: number }> {
  let count = 0;
  for (let o = 0; o < payload.length; count++) {
    const end = frameEnd(payload, o);
    if (end < 0) return fail(ErrorCode.TRUNCATED, 'message framing cut short', o);
    o = end;
  }
  return { ok: true, count };
}

/** A sealed payload split into its module-0 messages (decoded) and everything else (bytes, unread). */
export interface SplitPayload {
  /** Decoded module-0 messages (session layer, relay envelopes), in order. */
  internal: Message[];
  /** The other messages, framed, in order; a view of the payload when it held nothing else. */
  raw: Buffer;
  /** Messages in `raw`. */
  rawCount: number;
  /** Module-0 messages of unknown types, skipped. */
  skipped: number;
}

const EMPTY = Buffer.alloc(0);

/**
 * Splits a payload for a receiver that passes messages on without reading
 * them: module 0 is decoded (the session layer must act on it), the rest is
 * only framed. Fails on a cut-short frame or a faulty module-0 message.
 */
export function splitInternal(payload: Buffer): Result<SplitPayload> {
  let internalFrames: [number, number][] | null = null;
  let rawCount = 0;
  for (let o = 0; o < payload.length;) {
    const end = frameEnd(payload, o);
    if (end < 0) return fail(ErrorCode.TRUNCATED, 'message framing cut short', o);
    if (payload[o] === 0) (internalFrames ??= []).push([o, end]);
    else rawCount++;
    o = end;
  }
  // The common case, a probe's traffic: nothing of module 0, the payload goes on as it is.
  if (internalFrames === null) return { ok: true, internal: [], raw: payload, rawCount, skipped: 0 };
  // A relay's traffic is all module 0 (envelopes): decoded in place, without a copy.
  const d = decodeMessages(rawCount === 0 ? payload : Buffer.concat(internalFrames.map(([s, e]) => payload.subarray(s, e))));
  if (!d.ok) return d;
  let raw = EMPTY;
  if (rawCount > 0) {
    const parts: Buffer[] = [];
    let at = 0;
    for (const [s, e] of internalFrames) {
      if (s > at) parts.push(payload.subarray(at, s));
      at = e;
    }
    if (at < payload.length) parts.push(payload.subarray(at));
    raw = Buffer.concat(parts);
  }
  return { ok: true, internal: d.messages, raw, rawCount, skipped: d.skipped };
}
