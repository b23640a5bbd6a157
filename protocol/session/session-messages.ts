import { decodeDatagram, encodeDatagram, HEADER_SIZE, MESSAGE_HEADER_SIZE, PROTOCOL_VERSION, type DatagramHeader, type Message } from '../datagram.js';
import { Msg } from '../messages.js';
import { refuse, SessionCode, type SessionError } from './codes.js';

/**
 * Building and reading module-0 (session layer) messages, shared by the probe
 * and the server state machines.
 */

/** An inclusive range of protocol versions. */
export interface VersionRange { min: number; max: number }

/** Where a probe stands, in degrees, and its display name (≤ 64 UTF-8 bytes). */
export interface Site { lat: number; lng: number; name: string }

/** Why a session ended: the BYE reasons, plus the server no longer knowing it. */
export type CloseReason = 'shutdown' | 'restart' | 'timeout' | 'denied' | 'error' | 'unknown_session';

/** AUTH_RES status byte values (module 0's `status` enum). */
export const AuthStatus = { ok: 1, denied: 2 } as const;

/** Highest version in both ranges, or undefined if they do not meet. */
export function commonVersion(a: VersionRange, b: VersionRange): number | undefined {
  const v = Math.min(a.max, b.max);
  return v >= Math.max(a.min, b.min) ? v : undefined;
}

/** Degrees → the i32 microdegrees AUTH carries. */
export function toMicrodegrees(deg: number): number {
  return Math.round(deg * 1e6);
}

/** A handshake-style datagram: plain, seq 0, exactly one message. */
export function plainDatagram(sessionId: number, msg: Message): Buffer {
  return encodeDatagram({ version: PROTOCOL_VERSION, flags: 0, session_id: sessionId, seq: 0 }, [msg]);
}

/** The body bytes of the single message of a datagram built by plainDatagram or checked by readPlain. */
export function singleBody(datagram: Uint8Array): Buffer {
  // Copied: the transcript outlives the receive buffer, which the owner may reuse.
  return Buffer.from(datagram.subarray(HEADER_SIZE + MESSAGE_HEADER_SIZE));
}

/** A plain datagram holding exactly one known message, with that message's raw body (for the MAC transcript). */
export interface PlainMessage { ok: true; header: DatagramHeader; message: Message; body: Buffer }

/**
 * Decodes a plain datagram strictly and requires exactly one message: the
 * handshake MACs are computed over raw bodies, so nothing else may ride along.
 */
export function readPlain(datagram: Uint8Array): PlainMessage | SessionError {
  const r = decodeDatagram(datagram, true);
  if (!r.ok) return r;
  if (r.messages.length !== 1) return refuse(SessionCode.UNEXPECTED, `plain datagram with ${r.messages.length} messages`);
  return { ok: true, header: r.header, message: r.messages[0]!, body: singleBody(datagram) };
}

/** What a sealed payload asks of the session layer, and what it carries for the application. */
export interface SessionTraffic {
  /** Messages of other modules, in order. */
  app: Message[];
  /** PING_RES answers owed, in order. */
  replies: Message[];
  /** PING_RES received (token, ts). */
  pongs: Message[];
  /** Reason of a BYE, if one was received. */
  bye?: CloseReason;
}

type SessionHandler = (m: Message, t: SessionTraffic) => void;

// Module-0 messages inside a sealed payload, by type; the others (handshake, NOTICE) have no meaning there and are ignored.
const sessionHandlers: Record<number, SessionHandler> = {
  [Msg.PING.type]: (m, t) => { t.replies.push({ ...Msg.PING_RES, token: m.token, ts: m.ts }); },
  [Msg.PING_RES.type]: (m, t) => { t.pongs.push(m); },
  [Msg.BYE.type]: (m, t) => { t.bye = m.reason as CloseReason; },
  // Relaying is the application's business: envelopes and relay health go up with the other modules' messages.
  [Msg.FORWARD.type]: (m, t) => { t.app.push(m); },
  [Msg.RELAY_STATS.type]: (m, t) => { t.app.push(m); },
};

/** Splits decoded sealed messages into session-layer work and application messages. */
export function sortTraffic(messages: readonly Message[]): SessionTraffic {
  const t: SessionTraffic = { app: [], replies: [], pongs: [] };
  for (const m of messages) {
    if (m.module !== Msg.PING.module) t.app.push(m);
    else sessionHandlers[m.type]?.(m, t);
  }
  return t;
}
