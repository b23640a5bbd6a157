import { encodeMessages, type Message } from '../protocol/datagram.js';
import { ErrorCode } from '../protocol/errors.js';
import { extendPath, ForwardCode, ForwardPacker, type ForwardCodeValue, type ForwardCredit, type ForwardHead, type PathHop, type PayloadSink } from '../protocol/forward.js';
import { countFrames } from '../protocol/framing.js';
import { Msg } from '../protocol/messages.js';
import type { SessionCodeValue } from '../protocol/session/codes.js';
import { toMicrodegrees, type Site } from '../protocol/session/session-messages.js';

/**
 * The relay's core (spec §7.8), without sockets or timers: wraps what
 * downstream sessions send into FORWARD envelopes, re-wraps the envelopes of
 * downstream relays, keeps each origin's loss counts until an envelope
 * carries them up, sends heartbeats and RELAY_STATS. Payloads go to a sink
 * (the upstream link); the owner calls tick() and flush().
 */

/** Why a downstream datagram or envelope was refused: a session-layer or an envelope code. */
export type RefusalCode = SessionCodeValue | ForwardCodeValue;

/** Settings of the forwarder. */
export interface ForwarderOptions {
  /** This relay's probe id upstream. */
  relayId: number;
  maxDatagram: number;
  heartbeatMs: number;
  statsMs: number;
  /** Origins whose counts are kept at once; beyond it, new origins' counts only reach RELAY_STATS. */
  maxOrigins: number;
}

/** A downstream session as the forwarder sees it: the probe (or relay) id and the site it sent in AUTH. */
export interface Downstream { probeId: number; site: Site }

/** Cumulative counters, for logs and tests. */
export interface ForwarderCounters {
  /** Authentic downstream datagrams handled. */
  datagrams: number;
  /** Inner messages wrapped (own probes' and re-wrapped). */
  messages: number;
  /** FORWARDs of downstream relays re-wrapped. */
  rewrapped: number;
  /** Envelopes without messages sent for silent probes. */
  heartbeats: number;
  relayStats: number;
  /** Downstream datagrams lost (sequence gaps). */
  lost: number;
  /** Messages dropped because the upstream buffer was full. */
  dropped: number;
  /** FORWARDs refused by loop detection or a bad path. */
  loops: number;
  /** Downstream datagrams refused for any other reason. */
  refused: number;
}

/** The RELAY_STATS counts of the current interval. */
interface Interval {
  datagrams: number; lost: number; dropped: number; auth_failures: number; replays: number; unknown_sessions: number; loops: number; refused: number;
}

/** What the relay holds for one origin: its envelope head (own downstream probes) and counts not yet sent up. */
interface Origin {
  site: Site | null;
  head: Omit<ForwardHead, 'lost' | 'dropped'> | null;
  lost: number;
  dropped: number;
  lastSent: number;
}

const U32_MAX = 0xffffffff;
const EMPTY = Buffer.alloc(0);
const clamp = (n: number): number => Math.min(n, U32_MAX);

const zeroInterval = (): Interval => ({ datagrams: 0, lost: 0, dropped: 0, auth_failures: 0, replays: 0, unknown_sessions: 0, loops: 0, refused: 0 });

// Which RELAY_STATS count a refused downstream datagram goes to, by code; anything else is `refused`.
const REFUSAL_FIELD: Partial<Record<string, keyof Interval>> = {
  [ErrorCode.AUTH_FAILED]: 'auth_failures',
  [ErrorCode.REPLAYED]: 'replays',
  GG_ERR_UNKNOWN_SESSION: 'unknown_sessions',
  [ForwardCode.LOOP]: 'loops',
  [ForwardCode.PATH]: 'loops',
};

/** The forwarding core of a relay. */
export class Forwarder {
  readonly counters: ForwarderCounters = { datagrams: 0, messages: 0, rewrapped: 0, heartbeats: 0, relayStats: 0, lost: 0, dropped: 0, loops: 0, refused: 0 };
  private readonly packer: ForwardPacker;
  private readonly origins = new Map<number, Origin>();
  private readonly self: PathHop[];
  private interval = zeroInterval();
  private intervalStart: number;

  constructor(private readonly o: ForwarderOptions, sink: PayloadSink, now: number) {
    this.packer = new ForwardPacker(sink, o.maxDatagram);
    this.self = [{ relay_id: o.relayId }];
    this.intervalStart = now;
  }

  /** Bytes waiting in the upstream datagram being built. */
  get pending(): number { return this.packer.size; }
  /** Inner messages refused because no envelope could hold them. */
  get oversize(): number { return this.packer.oversize; }

  /**
   * One authentic downstream datagram: its decoded module-0 messages (FORWARD
   * and RELAY_STATS of a downstream relay), its other messages unread (`raw`),
   * and the datagrams lost before it on that session. Returns the refusal
   * codes of envelopes it could not pass on.
   */
  received(peer: Downstream, internal: readonly Message[], raw: Buffer | undefined, lost: number, now: number): RefusalCode[] {
    this.counters.datagrams++;
    this.interval.datagrams++;
    const refused: RefusalCode[] = [];
    const origin = this.origin(peer.probeId);
    if (lost > 0) {
      this.counters.lost += lost;
      this.interval.lost += lost;
      if (origin) origin.lost += lost;
    }
    for (const m of internal) {
      if (m.type === Msg.FORWARD.type) {
        const code = this.rewrap(peer, m as unknown as ForwardHead & { inner: Buffer }, now);
        if (code !== null) refused.push(code);
      } else if (m.type === Msg.RELAY_STATS.type) {
        // A downstream relay's health is its own message: it goes up like its traffic would.
        this.wrapOwn(peer, origin, encodeMessages([m]), now);
      }
    }
    if (raw !== undefined && raw.length > 0) this.wrapOwn(peer, origin, raw, now);
    return refused;
  }

  /** Counts a downstream datagram refused before it reached the forwarder (forged, replayed, unknown session, ...). */
  refused(code: RefusalCode): void {
    const field = REFUSAL_FIELD[code] ?? 'refused';
    this.interval[field]++;
    if (field === 'loops') this.counters.loops++;
    else this.counters.refused++;
  }

  /** An upstream payload was dropped (buffer full): its envelopes' counts and messages go back to their origins. */
  dropped(credits: readonly ForwardCredit[] | undefined, messages: number): void {
    this.counters.dropped += messages;
    this.interval.dropped += messages;
    for (const c of credits ?? []) {
      const origin = this.origin(c.origin);
      if (origin === undefined) continue;
      origin.dropped = clamp(origin.dropped + c.messages + c.dropped);
      origin.lost = clamp(origin.lost + c.lost);
    }
  }

  /**
   * Periodic work: while the upstream session is up, an empty envelope for
   * each live downstream session silent for heartbeatMs, and RELAY_STATS every
   * statsMs; origins with nothing to report are forgotten after a while.
   */
  tick(now: number, live: Iterable<Downstream>, upstreamUp: boolean): void {
    let sessions = 0;
    for (const peer of live) {
      sessions++;
      const origin = this.origin(peer.probeId);
      if (!upstreamUp || origin === undefined || now - origin.lastSent < this.o.heartbeatMs) continue;
      this.counters.heartbeats++;
      this.wrapOwn(peer, origin, EMPTY, now);
    }
    if (upstreamUp && now - this.intervalStart >= this.o.statsMs) {
      const i = this.interval;
      this.packer.add({
        ...Msg.RELAY_STATS, ts: Math.floor(now * 1000), interval_us: clamp(Math.round((now - this.intervalStart) * 1000)), sessions,
        datagrams: clamp(i.datagrams), lost: clamp(i.lost), dropped: clamp(i.dropped), auth_failures: clamp(i.auth_failures),
        replays: clamp(i.replays), unknown_sessions: clamp(i.unknown_sessions), loops: clamp(i.loops), refused: clamp(i.refused),
      });
      this.counters.relayStats++;
      this.interval = zeroInterval();
      this.intervalStart = now;
    }
    const forgetAfter = 4 * this.o.heartbeatMs;
    for (const [id, origin] of this.origins) {
      if (origin.lost === 0 && origin.dropped === 0 && now - origin.lastSent > forgetAfter) this.origins.delete(id);
    }
  }

  /** Hands on the upstream datagram being built. */
  flush(): void {
    this.packer.flush();
  }

  private origin(id: number): Origin | undefined {
    let origin = this.origins.get(id);
    if (origin === undefined) {
      if (this.origins.size >= this.o.maxOrigins) return undefined;
      origin = { site: null, head: null, lost: 0, dropped: 0, lastSent: -Infinity };
      this.origins.set(id, origin);
    }
    return origin;
  }

  /** Wraps messages of a downstream session's own probe: the envelope starts its path here. */
  private wrapOwn(peer: Downstream, origin: Origin | undefined, inner: Buffer, now: number): void {
    let base: Omit<ForwardHead, 'lost' | 'dropped'>;
    if (origin !== undefined && origin.site === peer.site && origin.head !== null) base = origin.head;
    else {
      base = {
        origin_id: peer.probeId, path: this.self,
        site_lat: toMicrodegrees(peer.site.lat), site_lng: toMicrodegrees(peer.site.lng), site_name: peer.site.name,
      };
      if (origin !== undefined) { origin.site = peer.site; origin.head = base; }
    }
    this.counters.messages += this.pack(this.withCounts(base, origin, 0, 0, now), inner);
  }

  /** Wraps, counting as dropped the messages no envelope could hold. */
  private pack(head: ForwardHead, inner: Buffer): number {
    const before = this.packer.oversize;
    const wrapped = this.packer.wrap(head, inner);
    const refused = this.packer.oversize - before;
    if (refused > 0) {
      this.counters.dropped += refused;
      this.interval.dropped += refused;
    }
    return wrapped;
  }

  /** Re-wraps a downstream relay's envelope: its path plus this relay, after the loop check. */
  private rewrap(peer: Downstream, f: ForwardHead & { inner: Buffer }, now: number): RefusalCode | null {
    const ext = extendPath(f, peer.probeId, this.o.relayId);
    if (!ext.ok) {
      this.refused(ext.code);
      return ext.code;
    }
    const frames = countFrames(f.inner);
    if (!frames.ok) {
      this.refused(ErrorCode.TRUNCATED);
      return ErrorCode.TRUNCATED;
    }
    const base = { origin_id: f.origin_id, path: ext.path, site_lat: f.site_lat, site_lng: f.site_lng, site_name: f.site_name };
    this.counters.rewrapped++;
    this.counters.messages += this.pack(this.withCounts(base, this.origin(f.origin_id), f.lost, f.dropped, now), f.inner);
    return null;
  }

  /** The head with the counts carried in plus the origin's own, which are then handed over. */
  private withCounts(base: Omit<ForwardHead, 'lost' | 'dropped'>, origin: Origin | undefined, lost: number, dropped: number, now: number): ForwardHead {
    if (origin !== undefined) {
      lost += origin.lost;
      dropped += origin.dropped;
      origin.lost = 0;
      origin.dropped = 0;
      origin.lastSent = now;
    }
    // A literal, not a spread: this runs once per downstream datagram.
    return {
      origin_id: base.origin_id, path: base.path, site_lat: base.site_lat, site_lng: base.site_lng, site_name: base.site_name,
      lost: clamp(lost), dropped: clamp(dropped),
    };
  }
}
