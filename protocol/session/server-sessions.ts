import { randomBytes as cryptoRandomBytes } from 'node:crypto';
import { decodeHeader, Flags, HEADER_SIZE, MESSAGE_HEADER_SIZE, SUPPORTED_VERSIONS, type DatagramHeader, type Message } from '../datagram.js';
import { ErrorCode } from '../errors.js';
import { Msg } from '../messages.js';
import { SessionCode, type SealMode, type SessionCodeValue } from './codes.js';
import { authMac, authResMac, deriveKeys, MAC_SIZE, macEqual } from './crypto.js';
import { DEFAULT_REPLAY_WINDOW } from './replay-window.js';
import { ServerSession } from './server-session.js';
import { AuthStatus, commonVersion, plainDatagram, readPlain, type CloseReason, type VersionRange } from './session-messages.js';
import { TokenBuckets, type RateLimit } from './token-bucket.js';

export { ServerSession, type SessionCounters } from './server-session.js';

/** Server-side session settings; everything but secretFor has a default. */
export interface ServerSessionsOptions {
  /** The secret of a configured probe, or undefined for an unknown probe id. */
  secretFor(probeId: number): Uint8Array | undefined;
  versions: VersionRange;
  /** Grant integrity-only sessions when asked (debugging); otherwise such probes get encrypt. */
  allowIntegrity: boolean;
  /** An established session with no authentic datagram for this long is expired by tick(). */
  sessionTimeoutMs: number;
  /** A HELLO not followed by its AUTH within this long is forgotten. */
  handshakeTimeoutMs: number;
  maxSessions: number;
  /** Handshakes between HELLO and AUTH; the oldest is dropped when full. */
  maxPendingHandshakes: number;
  /** Plain (handshake) datagrams allowed per source key. */
  handshakeRatePerSource: RateLimit;
  /** Unsolicited NOTICEs (unknown session, bad version) sent per source key. */
  noticeRatePerSource: RateLimit;
  /** Source keys tracked by each rate limiter. */
  maxSources: number;
  replayWindow: number;
  randomBytes: (n: number) => Buffer;
  /** Hand messages of modules other than 0 on undecoded, as `raw` (relays). */
  passThrough: boolean;
}

/** Defaults for the optional server-session settings. */
export const DEFAULT_SERVER_SESSIONS_OPTIONS: Omit<ServerSessionsOptions, 'secretFor'> = {
  versions: SUPPORTED_VERSIONS,
  allowIntegrity: false,
  sessionTimeoutMs: 60_000,
  handshakeTimeoutMs: 10_000,
  maxSessions: 10_000,
  maxPendingHandshakes: 1_024,
  handshakeRatePerSource: { perSecond: 2, burst: 10 },
  noticeRatePerSource: { perSecond: 1, burst: 3 },
  maxSources: 65_536,
  replayWindow: DEFAULT_REPLAY_WINDOW,
  randomBytes: cryptoRandomBytes,
  passThrough: false,
};

/**
 * What the owner must do with a received datagram. Every `datagram`/`reply`
 * goes back to the sender. Drops carry a stable code for counters and debug logs.
 */
export type ServerResult =
  | { kind: 'send'; datagram: Buffer; session?: ServerSession }
  | { kind: 'established'; session: ServerSession; datagram: Buffer; replaced?: ServerSession }
  | { kind: 'messages'; session: ServerSession; messages: Message[]; skipped: number; seq: number; lost: number; reply?: Buffer; raw?: Buffer }
  | { kind: 'closed'; session: ServerSession; reason: CloseReason }
  | { kind: 'drop'; code: SessionCodeValue; detail: string; session?: ServerSession; reply?: Buffer };

/** Server-wide counters. */
export interface ServerStats {
  handshakes: number;
  established: number;
  denied: number;
  replaced: number;
  expired: number;
  pendingEvicted: number;
  drops: Partial<Record<SessionCodeValue, number>>;
}

interface Pending {
  id: number;
  probeId: number;
  version: number;
  mode: SealMode;
  nonceP: Buffer;
  nonceS: Buffer;
  helloBody: Buffer;
  helloResBody: Buffer;
  helloResDatagram: Buffer;
  createdAt: number;
}

// Text of NOTICEs kept short: they answer unauthenticated datagrams and must not amplify.
const NOTICE_TEXT = { version: 'unsupported version', unknown_session: '', rate_limited: 'server full' } as const;

function resolve(o: Partial<ServerSessionsOptions> & Pick<ServerSessionsOptions, 'secretFor'>): ServerSessionsOptions {
  const r = { ...DEFAULT_SERVER_SESSIONS_OPTIONS, ...o };
  const positive = ['sessionTimeoutMs', 'handshakeTimeoutMs', 'maxSessions', 'maxPendingHandshakes', 'maxSources'] as const;
  for (const k of positive) if (!(r[k] > 0)) throw new RangeError(`${k} must be > 0`);
  if (!(r.versions.min >= 1 && r.versions.min <= r.versions.max && r.versions.max <= 255)) throw new RangeError('bad version range');
  return r;
}

/**
 * The server side of the session layer for many probes: handshakes, the
 * session table, sealed-datagram checks, limits and expiry. Owns no socket
 * and no timer; never throws on input bytes.
 */
export class ServerSessions {
  private readonly o: ServerSessionsOptions;
  private readonly sessions = new Map<number, ServerSession>();
  private readonly byProbe = new Map<number, ServerSession>();
  /** In arrival order, so the first entry is the oldest. */
  private readonly pending = new Map<number, Pending>();
  /** Pending handshakes by HELLO body, so a retransmitted HELLO gets the same HELLO_RES. */
  private readonly pendingByHello = new Map<string, Pending>();
  private readonly handshakeBuckets: TokenBuckets;
  private readonly noticeBuckets: TokenBuckets;
  /** Server-wide counters. */
  readonly stats: ServerStats = { handshakes: 0, established: 0, denied: 0, replaced: 0, expired: 0, pendingEvicted: 0, drops: {} };

  constructor(options: Partial<ServerSessionsOptions> & Pick<ServerSessionsOptions, 'secretFor'>) {
    this.o = resolve(options);
    this.handshakeBuckets = new TokenBuckets(this.o.handshakeRatePerSource, this.o.maxSources);
    this.noticeBuckets = new TokenBuckets(this.o.noticeRatePerSource, this.o.maxSources);
  }

  /** Number of established sessions. */
  get size(): number { return this.sessions.size; }
  /** Number of handshakes waiting for their AUTH. */
  get pendingCount(): number { return this.pending.size; }
  /** An established session by id. */
  get(id: number): ServerSession | undefined { return this.sessions.get(id); }
  /** The established session of a probe. */
  forProbe(probeId: number): ServerSession | undefined { return this.byProbe.get(probeId); }
  /** All established sessions. */
  all(): IterableIterator<ServerSession> { return this.sessions.values(); }

  /** Handles one datagram from `sourceKey` (the sender's host, for rate limiting). Never throws on input bytes. */
  receive(datagram: Uint8Array, sourceKey: string, now: number): ServerResult {
    const h = decodeHeader(datagram);
    if (!h.ok) {
      // Another version's probe gets told which versions we speak, if it can be done without amplification.
      const notice = h.code === ErrorCode.BAD_VERSION ? this.notice('version', 0, datagram.length, sourceKey, now) : undefined;
      return this.drop(h.code, h.detail, undefined, notice);
    }
    if (h.header.flags & Flags.SEALED) return this.receiveSealed(datagram, h.header, sourceKey, now);
    if (!this.handshakeBuckets.take(sourceKey, now)) return this.drop(SessionCode.RATE_LIMITED, `handshake rate exceeded by ${sourceKey}`);
    const r = readPlain(datagram);
    if (!r.ok) return this.drop(r.code, r.detail);
    if (r.header.seq !== 0) return this.drop(SessionCode.UNEXPECTED, 'plain datagram with a seq');
    const m = r.message;
    if (m.module === Msg.HELLO.module && m.type === Msg.HELLO.type) return this.onHello(r.header, m, r.body, datagram.length, sourceKey, now);
    if (m.module === Msg.AUTH.module && m.type === Msg.AUTH.type) return this.onAuth(r.header, m, r.body, datagram.length, now);
    return this.drop(SessionCode.UNEXPECTED, `plain message ${m.module}/${m.type} from a probe`);
  }

  /** Seals a payload for a session's probe; null for an unknown session. */
  seal(sessionId: number, payload: Uint8Array): Buffer | null {
    return this.sessions.get(sessionId)?.seal(payload) ?? null;
  }

  /** Ends a session; returns the sealed BYE for its probe. */
  close(sessionId: number, reason: Exclude<CloseReason, 'unknown_session'> = 'shutdown'): Buffer | null {
    const s = this.sessions.get(sessionId);
    if (s === undefined) return null;
    this.remove(s);
    return s.bye(reason);
  }

  /** Expires idle sessions and stale handshakes; returns the ids of the sessions expired. */
  tick(now: number): number[] {
    const expired: number[] = [];
    for (const s of this.sessions.values()) {
      if (now - s.lastSeen >= this.o.sessionTimeoutMs) {
        this.remove(s);
        expired.push(s.id);
      }
    }
    this.stats.expired += expired.length;
    for (const p of this.pending.values()) {
      if (now - p.createdAt >= this.o.handshakeTimeoutMs) this.forgetPending(p);
    }
    this.handshakeBuckets.sweep(now);
    this.noticeBuckets.sweep(now);
    return expired;
  }

  private receiveSealed(datagram: Uint8Array, h: DatagramHeader, sourceKey: string, now: number): ServerResult {
    const session = this.sessions.get(h.session_id);
    if (session === undefined) {
      // Tells a probe whose session we lost (e.g. after a restart) to handshake again now rather than after its timeout.
      return this.drop(SessionCode.UNKNOWN_SESSION, `no session ${h.session_id}`, undefined,
        this.notice('unknown_session', h.session_id, datagram.length, sourceKey, now));
    }
    const r = session.receive(datagram, h, now);
    if (!r.ok) return this.drop(r.code, r.detail, session);
    if (r.kind === 'bye') {
      this.remove(session);
      return { kind: 'closed', session, reason: r.reason };
    }
    if (r.messages.length === 0 && r.skipped === 0 && r.reply !== undefined && r.raw === undefined) return { kind: 'send', datagram: r.reply, session };
    const out: ServerResult = { kind: 'messages', session, messages: r.messages, skipped: r.skipped, seq: r.seq, lost: r.lost };
    if (r.reply !== undefined) out.reply = r.reply;
    if (r.raw !== undefined) out.raw = r.raw;
    return out;
  }

  private onHello(h: DatagramHeader, m: Message, body: Buffer, size: number, sourceKey: string, now: number): ServerResult {
    if (h.session_id !== 0) return this.drop(SessionCode.UNEXPECTED, 'HELLO with a session id');
    const probeId = m.probe_id as number;
    if (this.o.secretFor(probeId) === undefined) return this.drop(SessionCode.UNKNOWN_PROBE, `probe ${probeId} is not configured`);
    const version = commonVersion({ min: m.min_version as number, max: m.max_version as number }, this.o.versions);
    if (version === undefined) {
      return this.drop(SessionCode.BAD_VERSION, `probe speaks ${m.min_version}..${m.max_version}`, undefined, this.notice('version', 0, size, sourceKey, now, false));
    }
    const again = this.pendingByHello.get(body.toString('hex'));
    if (again !== undefined && now - again.createdAt < this.o.handshakeTimeoutMs) return { kind: 'send', datagram: again.helloResDatagram };
    if (this.sessions.size >= this.o.maxSessions && !this.byProbe.has(probeId)) {
      return this.drop(SessionCode.SESSION_LIMIT, 'session table full', undefined, this.notice('rate_limited', 0, size, sourceKey, now, false));
    }
    if (this.pending.size >= this.o.maxPendingHandshakes) {
      const oldest = this.pending.values().next().value;
      if (oldest !== undefined) this.forgetPending(oldest);
      this.stats.pendingEvicted++;
    }
    const id = this.newSessionId();
    const mode: SealMode = m.mode === 'integrity' && this.o.allowIntegrity ? 'integrity' : 'encrypt';
    const nonceS = this.random(32);
    const helloResDatagram = plainDatagram(id, { ...Msg.HELLO_RES, version, mode, session_id: id, nonce: nonceS });
    const p: Pending = {
      id, probeId, version, mode, nonceP: Buffer.from(m.nonce as Buffer), nonceS, helloBody: body,
      helloResBody: Buffer.from(helloResDatagram.subarray(HEADER_SIZE + MESSAGE_HEADER_SIZE)), helloResDatagram, createdAt: now,
    };
    this.pending.set(id, p);
    this.pendingByHello.set(body.toString('hex'), p);
    this.stats.handshakes++;
    return { kind: 'send', datagram: helloResDatagram };
  }

  private onAuth(h: DatagramHeader, m: Message, body: Buffer, size: number, now: number): ServerResult {
    const p = this.pending.get(h.session_id);
    if (p === undefined || now - p.createdAt >= this.o.handshakeTimeoutMs) {
      const s = this.sessions.get(h.session_id);
      // Our AUTH_RES was lost and the probe repeats its AUTH: answer the same again, change nothing.
      if (s !== undefined && s.authBody.equals(body)) return { kind: 'send', datagram: s.authResDatagram, session: s };
      if (p !== undefined) this.forgetPending(p);
      return this.drop(SessionCode.UNKNOWN_SESSION, `no handshake ${h.session_id}`);
    }
    // One AUTH per HELLO: a failed attempt costs the sender a new handshake.
    this.forgetPending(p);
    const secret = this.o.secretFor(p.probeId);
    const withoutMac = body.subarray(0, body.length - MAC_SIZE);
    if (secret === undefined || m.probe_id !== p.probeId || !macEqual(authMac(secret, p.helloBody, p.helloResBody, withoutMac), m.mac as Buffer)) {
      this.stats.denied++;
      const denied = plainDatagram(p.id, { ...Msg.AUTH_RES, status: 'denied', mac: Buffer.alloc(MAC_SIZE) });
      return this.drop(SessionCode.AUTH_FAILED, `probe ${p.probeId} failed authentication`, undefined, denied.length <= size ? denied : undefined);
    }
    const old = this.byProbe.get(p.probeId);
    if (old !== undefined) this.remove(old);
    else if (this.sessions.size >= this.o.maxSessions) return this.drop(SessionCode.SESSION_LIMIT, 'session table full');
    const mac = authResMac(secret, p.helloBody, p.helloResBody, body, AuthStatus.ok);
    const authResDatagram = plainDatagram(p.id, { ...Msg.AUTH_RES, status: 'ok', mac });
    const session = new ServerSession({
      id: p.id, probeId: p.probeId, version: p.version, mode: p.mode,
      site: { lat: (m.site_lat as number) / 1e6, lng: (m.site_lng as number) / 1e6, name: m.site_name as string },
      keys: deriveKeys(secret, p.nonceP, p.nonceS, p.id, p.version),
      authBody: body, authResDatagram, replayWindow: this.o.replayWindow, now, passThrough: this.o.passThrough,
    });
    this.sessions.set(session.id, session);
    this.byProbe.set(session.probeId, session);
    this.stats.established++;
    if (old === undefined) return { kind: 'established', session, datagram: authResDatagram };
    this.stats.replaced++;
    return { kind: 'established', session, datagram: authResDatagram, replaced: old };
  }

  /** A plain NOTICE to an unauthenticated sender, if it is no larger than what it answers and the source is within its notice rate. */
  private notice(code: keyof typeof NOTICE_TEXT, sessionId: number, answering: number, sourceKey: string, now: number, limited = true): Buffer | undefined {
    const d = plainDatagram(sessionId, { ...Msg.NOTICE, code, min_version: this.o.versions.min, max_version: this.o.versions.max, text: NOTICE_TEXT[code] });
    if (d.length > answering) return undefined;
    if (limited && !this.noticeBuckets.take(sourceKey, now)) return undefined;
    return d;
  }

  private drop(code: SessionCodeValue, detail: string, session?: ServerSession, reply?: Buffer): ServerResult {
    this.stats.drops[code] = (this.stats.drops[code] ?? 0) + 1;
    const out: ServerResult = { kind: 'drop', code, detail };
    if (session !== undefined) out.session = session;
    if (reply !== undefined) out.reply = reply;
    return out;
  }

  private remove(s: ServerSession): void {
    this.sessions.delete(s.id);
    if (this.byProbe.get(s.probeId) === s) this.byProbe.delete(s.probeId);
  }

  private forgetPending(p: Pending): void {
    this.pending.delete(p.id);
    const key = p.helloBody.toString('hex');
    if (this.pendingByHello.get(key) === p) this.pendingByHello.delete(key);
  }

  /** A random non-zero id used by no session or handshake; falls back to scanning if the random source repeats itself. */
  private newSessionId(): number {
    let id = 0;
    for (let i = 0; i < 8; i++) {
      id = this.random(4).readUInt32BE(0);
      if (id !== 0 && !this.sessions.has(id) && !this.pending.has(id)) return id;
    }
    do id = (id + 1) >>> 0; while (id === 0 || this.sessions.has(id) || this.pending.has(id));
    return id;
  }

  private random(n: number): Buffer {
    const b = this.o.randomBytes(n);
    if (b.length !== n) throw new RangeError(`randomBytes(${n}) returned ${b.length} bytes`);
    return Buffer.from(b);
  }
}
