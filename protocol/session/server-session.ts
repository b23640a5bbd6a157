import { decodeMessages, encodeMessages, PROTOCOL_VERSION, type DatagramHeader, type Message } from '../datagram.js';
import { splitInternal } from '../framing.js';
import { Msg } from '../messages.js';
import { refuse, SessionCode, type SealMode, type SessionError } from './codes.js';
import type { SessionKeys } from './crypto.js';
import { ReplayWindow } from './replay-window.js';
import { openSealed, sealDatagram } from './seal.js';
import { sortTraffic, type CloseReason, type Site } from './session-messages.js';

/** Per-session counters, for stats and metrics. */
export interface SessionCounters {
  /** Authentic, fresh datagrams received. */
  datagrams: number;
  /** Messages decoded from them (session-layer ones included). */
  messages: number;
  /** Bytes of those datagrams, headers and tags included. */
  bytes: number;
  /** Seqs skipped over when the highest seq advanced (lost or not yet arrived). */
  lost: number;
  /** Datagrams that arrived after a higher seq (each was first counted as lost). */
  reordered: number;
  replays: number;
  authFailures: number;
  decodeErrors: number;
  /** Messages of unknown modules/types skipped. */
  skipped: number;
}

/** What one authentic sealed datagram amounted to. */
export type SealedOutcome =
  | { ok: true; kind: 'traffic'; messages: Message[]; skipped: number; seq: number; lost: number; reply?: Buffer; raw?: Buffer }
  | { ok: true; kind: 'bye'; reason: CloseReason }
  | SessionError;

/** What the handshake established, and what is kept to answer a retransmitted AUTH. */
export interface SessionInit {
  id: number;
  probeId: number;
  site: Site;
  version: number;
  mode: SealMode;
  keys: SessionKeys;
  authBody: Buffer;
  authResDatagram: Buffer;
  replayWindow: number;
  now: number;
  /**
   * Leave messages of modules other than 0 undecoded, only framed, and hand
   * them on as `raw` bytes (a relay passes them on unread).
   */
  passThrough?: boolean;
}

/** One established probe session on the server: identity, keys, replay state and counters. */
export class ServerSession {
  readonly id: number;
  readonly probeId: number;
  /** Where the probe says it stands (degrees), as sent in AUTH. */
  readonly site: Site;
  readonly version: number;
  readonly mode: SealMode;
  readonly establishedAt: number;
  /** Time (ms) of the last authentic datagram. */
  lastSeen: number;
  readonly counters: SessionCounters = {
    datagrams: 0, messages: 0, bytes: 0, lost: 0, reordered: 0, replays: 0, authFailures: 0, decodeErrors: 0, skipped: 0,
  };
  /** The AUTH this session was established with, and our answer: a retransmitted AUTH gets the same answer. */
  readonly authBody: Buffer;
  readonly authResDatagram: Buffer;
  private readonly keys: SessionKeys;
  private readonly window: ReplayWindow;
  private readonly passThrough: boolean;
  private sendSeq = 0;

  constructor(init: SessionInit) {
    this.id = init.id;
    this.probeId = init.probeId;
    this.site = init.site;
    this.version = init.version;
    this.mode = init.mode;
    this.keys = init.keys;
    this.authBody = init.authBody;
    this.authResDatagram = init.authResDatagram;
    this.window = new ReplayWindow(init.replayWindow);
    this.passThrough = init.passThrough === true;
    this.establishedAt = init.now;
    this.lastSeen = init.now;
  }

  /** Seals a payload to the probe with the next seq; null once seqs are exhausted. */
  seal(payload: Uint8Array): Buffer | null {
    if (this.sendSeq >= Number.MAX_SAFE_INTEGER) return null;
    this.sendSeq++;
    return sealDatagram({ version: PROTOCOL_VERSION, flags: 0, session_id: this.id, seq: this.sendSeq }, payload, this.keys.s2p, this.mode);
  }

  /** Opens, replay-checks and decodes a sealed datagram whose header names this session. Never throws on input. */
  receive(datagram: Uint8Array, h: DatagramHeader, now: number): SealedOutcome {
    const opened = openSealed(datagram, h, this.keys.p2s, this.mode);
    if (!opened.ok) {
      this.counters.authFailures++;
      return opened;
    }
    const previousTop = this.window.highest;
    if (!this.window.accept(h.seq)) {
      this.counters.replays++;
      return refuse(SessionCode.REPLAYED, `seq ${h.seq} replayed or older than the window`);
    }
    this.lastSeen = now;
    const c = this.counters;
    c.datagrams++;
    c.bytes += datagram.length;
    let lost = 0;
    if (h.seq > previousTop) lost = h.seq - previousTop - 1;
    else c.reordered++;
    c.lost += lost;
    let decoded: Message[];
    let skipped: number;
    let raw: Buffer | undefined;
    if (this.passThrough) {
      const s = splitInternal(opened.payload);
      if (!s.ok) {
        c.decodeErrors++;
        return s;
      }
      decoded = s.internal;
      skipped = s.skipped;
      c.messages += s.rawCount;
      if (s.rawCount > 0) raw = s.raw;
    } else {
      const d = decodeMessages(opened.payload);
      if (!d.ok) {
        c.decodeErrors++;
        return d;
      }
      decoded = d.messages;
      skipped = d.skipped;
    }
    c.messages += decoded.length;
    c.skipped += skipped;
    const t = sortTraffic(decoded);
    if (t.bye !== undefined) return { ok: true, kind: 'bye', reason: t.bye };
    const reply = t.replies.length > 0 ? this.seal(encodeMessages(t.replies)) : null;
    const out: SealedOutcome = { ok: true, kind: 'traffic', messages: t.app, skipped, seq: h.seq, lost };
    if (reply !== null) out.reply = reply;
    if (raw !== undefined) out.raw = raw;
    return out;
  }

  /** A sealed BYE for the probe. */
  bye(reason: Exclude<CloseReason, 'unknown_session'>): Buffer | null {
    return this.seal(encodeMessages([{ ...Msg.BYE, reason }]));
  }
}
