import { randomBytes as cryptoRandomBytes } from 'node:crypto';
import { decodeHeader, decodeMessages, encodeMessages, Flags, HEADER_SIZE, MESSAGE_HEADER_SIZE, PROTOCOL_VERSION, SUPPORTED_VERSIONS, type DatagramHeader, type Message } from '../datagram.js';
import { Msg } from '../messages.js';
import { SessionCode, type SealMode, type SessionCodeValue } from './codes.js';
import { authMac, authResMac, deriveKeys, MAC_SIZE, macEqual, type SessionKeys } from './crypto.js';
import { ReplayWindow, DEFAULT_REPLAY_WINDOW } from './replay-window.js';
import { openSealed, sealDatagram } from './seal.js';
import { AuthStatus, commonVersion, plainDatagram, readPlain, singleBody, sortTraffic, toMicrodegrees, type CloseReason, type Site, type VersionRange } from './session-messages.js';

/** Probe-side session settings; everything but identity has a default. */
export interface ProbeSessionOptions {
  probeId: number;
  secret: Uint8Array;
  site: Site;
  /** Protection to ask for; `integrity` is for debugging only. */
  mode: SealMode;
  versions: VersionRange;
  /** First handshake retransmission delay; doubles up to handshakeRetryMaxMs. */
  handshakeRetryMs: number;
  handshakeRetryMaxMs: number;
  /** A handshake not finished after this long is abandoned (reported as closed/timeout). */
  handshakeTimeoutMs: number;
  /** PING when nothing was heard from the server for this long. */
  keepaliveMs: number;
  /** The session is dead when nothing authentic was heard for this long. */
  deadAfterMs: number;
  replayWindow: number;
  randomBytes: (n: number) => Buffer;
}

/** Defaults for the optional probe-session settings. */
export const DEFAULT_PROBE_SESSION_OPTIONS = {
  mode: 'encrypt' as SealMode,
  versions: SUPPORTED_VERSIONS as VersionRange,
  handshakeRetryMs: 500,
  handshakeRetryMaxMs: 8_000,
  handshakeTimeoutMs: 30_000,
  keepaliveMs: 10_000,
  deadAfterMs: 35_000,
  replayWindow: DEFAULT_REPLAY_WINDOW,
  randomBytes: cryptoRandomBytes as (n: number) => Buffer,
};

/** Where the probe is in its session's life. */
export type ProbeState = 'idle' | 'hello_sent' | 'auth_sent' | 'established' | 'closed';

/**
 * What the owner must do after receive()/tick(): send a datagram, hand messages
 * on, note an error (fatal ones close the session), or re-handshake after 'closed'.
 */
export type ProbeResult =
  | { kind: 'none' }
  | { kind: 'send'; datagram: Buffer }
  | { kind: 'established'; sessionId: number; version: number; mode: SealMode }
  | { kind: 'messages'; messages: Message[]; skipped: number; seq: number; reply?: Buffer }
  | { kind: 'error'; code: SessionCodeValue; detail: string; fatal: boolean }
  | { kind: 'closed'; reason: CloseReason };

/** What the probe counts about the datagrams it received. */
export interface ProbeCounters { datagrams: number; authFailures: number; replays: number; decodeErrors: number; ignored: number }

const NONE: ProbeResult = { kind: 'none' };
const MAX_SEQ = Number.MAX_SAFE_INTEGER;

function resolve(o: Partial<ProbeSessionOptions> & Pick<ProbeSessionOptions, 'probeId' | 'secret' | 'site'>): ProbeSessionOptions {
  const r = { ...DEFAULT_PROBE_SESSION_OPTIONS, ...o };
  if (!Number.isInteger(r.probeId) || r.probeId < 1 || r.probeId > 0xffffffff) throw new RangeError(`probeId ${r.probeId}`);
  if (r.secret.length === 0) throw new RangeError('empty probe secret');
  const lat = toMicrodegrees(r.site.lat);
  const lng = toMicrodegrees(r.site.lng);
  if (!(Math.abs(lat) <= 90_000_000) || !(Math.abs(lng) <= 180_000_000)) throw new RangeError('site outside lat ±90 / lng ±180');
  if (Buffer.byteLength(r.site.name, 'utf8') > 64) throw new RangeError('site name longer than 64 UTF-8 bytes');
  if (!(r.versions.min >= 1 && r.versions.min <= r.versions.max && r.versions.max <= 255)) throw new RangeError('bad version range');
  if (!(r.keepaliveMs > 0 && r.deadAfterMs > r.keepaliveMs)) throw new RangeError('deadAfterMs must exceed keepaliveMs');
  if (!(r.handshakeRetryMs > 0 && r.handshakeRetryMaxMs >= r.handshakeRetryMs)) throw new RangeError('bad handshake retry delays');
  return r;
}

/**
 * The probe side of a session, as a pure state machine:
 * idle → hello_sent → auth_sent → established → closed. Owns no socket and no
 * timer: the owner sends what it returns and calls tick() now and then.
 */
export class ProbeSession {
  private readonly o: ProbeSessionOptions;
  private st: ProbeState = 'idle';
  /** Last handshake datagram, resent as is on retransmission. */
  private pendingDatagram: Buffer | null = null;
  private helloBody: Buffer | null = null;
  private nonceP: Buffer | null = null;
  /** The AUTH_RES mac a server knowing the secret will send. */
  private expectedAuthRes: Buffer | null = null;
  private handshakeStartedAt = 0;
  private nextRetryAt = 0;
  private retryDelay = 0;
  private id = 0;
  private negotiated = 0;
  private granted: SealMode = 'encrypt';
  private keys: SessionKeys | null = null;
  private sendSeq = 0;
  private window: ReplayWindow;
  private lastHeard = 0;
  private lastPing: { token: number; at: number } | null = null;
  private lastPingAt = -Infinity;
  /** Round-trip time of the last answered PING, in ms. */
  rttMs: number | undefined;
  /** Counts of received datagrams and of those refused. */
  readonly counters: ProbeCounters = { datagrams: 0, authFailures: 0, replays: 0, decodeErrors: 0, ignored: 0 };

  constructor(options: Partial<ProbeSessionOptions> & Pick<ProbeSessionOptions, 'probeId' | 'secret' | 'site'>) {
    this.o = resolve(options);
    this.window = new ReplayWindow(this.o.replayWindow);
  }

  /** Current state. */
  get state(): ProbeState { return this.st; }
  /** Session id assigned by the server (0 before HELLO_RES). */
  get sessionId(): number { return this.id; }
  /** Negotiated protocol version (0 before HELLO_RES). */
  get version(): number { return this.negotiated; }
  /** Protection granted by the server. */
  get mode(): SealMode { return this.granted; }

  /** Starts (or restarts) a handshake with a fresh nonce; returns the HELLO datagram. */
  start(now: number): Buffer {
    this.reset();
    this.nonceP = this.random(32);
    const datagram = plainDatagram(0, {
      ...Msg.HELLO, probe_id: this.o.probeId, min_version: this.o.versions.min, max_version: this.o.versions.max,
      mode: this.o.mode, nonce: this.nonceP,
    });
    this.helloBody = singleBody(datagram);
    this.st = 'hello_sent';
    this.handshakeStartedAt = now;
    this.armRetry(datagram, now);
    return datagram;
  }

  /** Handles one datagram from the server. Never throws on input bytes. */
  receive(datagram: Uint8Array, now: number): ProbeResult {
    const h = decodeHeader(datagram);
    if (!h.ok) return this.ignore(h.code, h.detail);
    return h.header.flags & Flags.SEALED ? this.receiveSealed(datagram, h.header, now) : this.receivePlain(datagram, now);
  }

  /** Seals an application payload with the next seq; null when no session is established. */
  seal(payload: Uint8Array): Buffer | null {
    if (this.st !== 'established' || this.keys === null || this.sendSeq >= MAX_SEQ) return null;
    this.sendSeq++;
    return sealDatagram({ version: PROTOCOL_VERSION, flags: 0, session_id: this.id, seq: this.sendSeq }, payload, this.keys.p2s, this.granted);
  }

  /** Ends the session; returns the sealed BYE to send, if there was a session to end. */
  close(reason: Exclude<CloseReason, 'unknown_session'> = 'shutdown'): Buffer | null {
    const bye = this.seal(encodeMessages([{ ...Msg.BYE, reason }]));
    this.st = 'closed';
    return bye;
  }

  /** Retransmits the handshake, keeps the session alive, and notices when it died. */
  tick(now: number): ProbeResult {
    if (this.st === 'hello_sent' || this.st === 'auth_sent') {
      if (now - this.handshakeStartedAt >= this.o.handshakeTimeoutMs) return this.die('timeout');
      if (now < this.nextRetryAt || this.pendingDatagram === null) return NONE;
      this.retryDelay = Math.min(this.retryDelay * 2, this.o.handshakeRetryMaxMs);
      this.nextRetryAt = now + this.retryDelay;
      return { kind: 'send', datagram: this.pendingDatagram };
    }
    if (this.st !== 'established') return NONE;
    if (now - this.lastHeard >= this.o.deadAfterMs) return this.die('timeout');
    if (now - this.lastHeard < this.o.keepaliveMs || now - this.lastPingAt < this.o.keepaliveMs) return NONE;
    const token = this.random(4).readUInt32BE(0);
    const ping = this.seal(encodeMessages([{ ...Msg.PING, token, ts: Math.max(0, Math.floor(now * 1000)) }]));
    if (ping === null) return this.die('error');
    this.lastPing = { token, at: now };
    this.lastPingAt = now;
    return { kind: 'send', datagram: ping };
  }

  private receivePlain(datagram: Uint8Array, now: number): ProbeResult {
    const r = readPlain(datagram);
    if (!r.ok) return this.ignore(r.code, r.detail);
    const handler = r.message.module === Msg.HELLO_RES.module ? this.plainHandlers[r.message.type] : undefined;
    if (handler === undefined) return this.ignore(SessionCode.UNEXPECTED, 'plain message outside the handshake');
    return handler(r.header, r.message, r.body, now);
  }

  // Plain (handshake-phase) messages from the server, by module-0 type.
  private readonly plainHandlers: Record<number, (h: DatagramHeader, m: Message, body: Buffer, now: number) => ProbeResult> = {
    [Msg.HELLO_RES.type]: (h, m, body, now) => this.onHelloRes(h, m, body, now),
    [Msg.AUTH_RES.type]: (h, m, _body, now) => this.onAuthRes(h, m, now),
    [Msg.NOTICE.type]: (h, m) => this.onNotice(h, m),
  };

  private onHelloRes(h: DatagramHeader, m: Message, body: Buffer, now: number): ProbeResult {
    if (this.st !== 'hello_sent') return this.ignore(SessionCode.UNEXPECTED, `HELLO_RES in state ${this.st}`);
    const version = m.version as number;
    if (h.session_id !== m.session_id) return this.ignore(SessionCode.UNEXPECTED, 'HELLO_RES session id differs from its header');
    if (commonVersion({ min: version, max: version }, this.o.versions) === undefined) {
      return this.ignore(SessionCode.BAD_VERSION, `server chose version ${version}`);
    }
    // A server may upgrade integrity to encrypt, never the reverse.
    if (m.mode !== this.o.mode && m.mode !== 'encrypt') return this.ignore(SessionCode.BAD_MODE, `server granted ${String(m.mode)}`);
    this.id = h.session_id;
    this.negotiated = version;
    this.granted = m.mode as SealMode;
    const helloResBody = body;
    const secret = this.o.secret;
    const auth = plainDatagram(this.id, {
      ...Msg.AUTH, probe_id: this.o.probeId, site_lat: toMicrodegrees(this.o.site.lat), site_lng: toMicrodegrees(this.o.site.lng),
      site_name: this.o.site.name, mac: Buffer.alloc(MAC_SIZE),
    });
    // The MAC is the body's last field: compute it over what precedes it and write it in place.
    const macAt = auth.length - MAC_SIZE;
    authMac(secret, this.helloBody!, helloResBody, auth.subarray(HEADER_SIZE + MESSAGE_HEADER_SIZE, macAt)).copy(auth, macAt);
    const authBody = singleBody(auth);
    this.keys = deriveKeys(secret, this.nonceP!, m.nonce as Buffer, this.id, version);
    this.expectedAuthRes = authResMac(secret, this.helloBody!, helloResBody, authBody, AuthStatus.ok);
    this.st = 'auth_sent';
    this.armRetry(auth, now);
    return { kind: 'send', datagram: auth };
  }

  private onAuthRes(h: DatagramHeader, m: Message, now: number): ProbeResult {
    if (this.st !== 'auth_sent' || h.session_id !== this.id) return this.ignore(SessionCode.UNEXPECTED, `AUTH_RES in state ${this.st}`);
    if (m.status === 'denied') {
      this.st = 'closed';
      return { kind: 'error', code: SessionCode.DENIED, detail: 'server denied the probe id or secret', fatal: true };
    }
    // Mutual authentication: only a server that knows the secret can produce this MAC.
    if (!macEqual(m.mac as Buffer, this.expectedAuthRes!)) {
      this.counters.authFailures++;
      return this.ignore(SessionCode.AUTH_FAILED, 'AUTH_RES mac does not match: server does not know the secret');
    }
    this.st = 'established';
    this.pendingDatagram = null;
    this.lastHeard = now;
    return { kind: 'established', sessionId: this.id, version: this.negotiated, mode: this.granted };
  }

  private onNotice(h: DatagramHeader, m: Message): ProbeResult {
    const code = m.code as string;
    if (code === 'version' && this.st === 'hello_sent'
      && commonVersion({ min: m.min_version as number, max: m.max_version as number }, this.o.versions) === undefined) {
      this.st = 'closed';
      return { kind: 'error', code: SessionCode.BAD_VERSION, detail: `server speaks versions ${m.min_version}..${m.max_version}`, fatal: true };
    }
    // Unauthenticated, so only believed for the session id we hold (an off-path sender does not know it).
    if (code === 'unknown_session' && (this.st === 'established' || this.st === 'auth_sent') && h.session_id === this.id) {
      return this.die('unknown_session');
    }
    if (code === 'rate_limited') return this.ignore(SessionCode.RATE_LIMITED, 'server is rate limiting handshakes');
    return this.ignore(SessionCode.UNEXPECTED, `NOTICE ${code} in state ${this.st}`);
  }

  private receiveSealed(datagram: Uint8Array, h: DatagramHeader, now: number): ProbeResult {
    if (this.st !== 'established' || this.keys === null || h.session_id !== this.id) {
      return this.ignore(SessionCode.UNKNOWN_SESSION, `sealed datagram for session ${h.session_id}`);
    }
    const opened = openSealed(datagram, h, this.keys.s2p, this.granted);
    if (!opened.ok) {
      this.counters.authFailures++;
      return this.ignore(opened.code, opened.detail);
    }
    if (!this.window.accept(h.seq)) {
      this.counters.replays++;
      return this.ignore(SessionCode.REPLAYED, `seq ${h.seq} replayed or too old`);
    }
    this.lastHeard = now;
    this.counters.datagrams++;
    const d = decodeMessages(opened.payload);
    if (!d.ok) {
      this.counters.decodeErrors++;
      return this.ignore(d.code, d.detail);
    }
    const t = sortTraffic(d.messages);
    for (const pong of t.pongs) {
      if (this.lastPing !== null && pong.token === this.lastPing.token) {
        this.rttMs = now - this.lastPing.at;
        this.lastPing = null;
      }
    }
    if (t.bye !== undefined) {
      this.st = 'closed';
      return { kind: 'closed', reason: t.bye };
    }
    const reply = t.replies.length > 0 ? this.seal(encodeMessages(t.replies)) ?? undefined : undefined;
    if (t.app.length > 0 || d.skipped > 0) {
      return reply ? { kind: 'messages', messages: t.app, skipped: d.skipped, seq: h.seq, reply }
        : { kind: 'messages', messages: t.app, skipped: d.skipped, seq: h.seq };
    }
    return reply ? { kind: 'send', datagram: reply } : NONE;
  }

  private ignore(code: SessionCodeValue, detail: string): ProbeResult {
    this.counters.ignored++;
    return { kind: 'error', code, detail, fatal: false };
  }

  private die(reason: CloseReason): ProbeResult {
    this.st = 'closed';
    return { kind: 'closed', reason };
  }

  private armRetry(datagram: Buffer, now: number): void {
    this.pendingDatagram = datagram;
    this.retryDelay = this.o.handshakeRetryMs;
    this.nextRetryAt = now + this.retryDelay;
  }

  private random(n: number): Buffer {
    const b = this.o.randomBytes(n);
    if (b.length !== n) throw new RangeError(`randomBytes(${n}) returned ${b.length} bytes`);
    return Buffer.from(b);
  }

  private reset(): void {
    this.pendingDatagram = null;
    this.helloBody = null;
    this.nonceP = null;
    this.expectedAuthRes = null;
    this.id = 0;
    this.negotiated = 0;
    this.granted = this.o.mode;
    this.keys = null;
    this.sendSeq = 0;
    this.window = new ReplayWindow(this.o.replayWindow);
    this.lastPing = null;
    this.lastPingAt = -Infinity;
    this.rttMs = undefined;
  }
}
