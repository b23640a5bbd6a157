import type { Socket, RemoteInfo } from 'node:dgram';
import { decodeMessages, type Message } from '../../protocol/datagram.js';
import type { Logger } from '../../protocol/edge/log.js';
import { arrivedPath, ForwardCode, type ForwardHead } from '../../protocol/forward.js';
import { Msg } from '../../protocol/messages.js';
import type { ServerSession, ServerSessions, SessionCounters } from '../../protocol/session/server-sessions.js';
import type { IngestModules, ProbeRef } from '../modules/index.js';
import type { Site } from '../config.js';
import type { RelayAllowlist } from './relay-allowlist.js';
import { OriginTable, type Way } from './relayed-origins.js';
import { accumulate, probeStatsCommands, serverStatsCommands, type IngestCounters } from './stats.js';

/** How often each live probe's counters are written to the log. */
const PROBE_LOG_EVERY_MS = 60_000;

/** A batch of Redis commands, written as one pipeline. */
export type Commands = string[][];

/** Where flushed commands go (the pipelined Redis writer). */
export interface CommandSink { write(commands: Commands): void }

/**
 * The probes server: wires the UDP socket to the session table and the
 * modules' Redis stores. Per datagram it only decodes and aggregates in
 * memory; Redis sees one pipeline per tick.
 */
export class ProbesServer {
  readonly counters: IngestCounters = {
    datagrams: 0, bytes: 0, messages: 0, dropped: 0, skippedMessages: 0, unknownModule: 0, forwards: 0, refusedForwards: 0, collisions: 0, drops: {},
  };
  /** Probe id ownership (direct or through relays), relayed probes, relay health. */
  readonly origins = new OriginTable();
  /** Last time a collision of (id, way) was logged, so a colliding probe is one warning a minute, not one per datagram. */
  private readonly collisionLogged = new Map<string, number>();
  private statsDueAt = 0;
  private logDueAt = Date.now() + PROBE_LOG_EVERY_MS;
  /** Live sessions and where each one's probe was last heard from (to answer it and to say BYE). */
  private readonly live = new Map<number, { session: ServerSession; probe: ProbeRef; address: string; port: number }>();
  /** Counters of each probe's finished sessions, so its stats survive restarts. */
  private readonly totals = new Map<number, SessionCounters>();

  constructor(
    private readonly socket: Socket,
    private readonly sessions: ServerSessions,
    private readonly modules: IngestModules,
    private readonly sink: CommandSink,
    private readonly log: Logger,
    /** The probe ids allowed to relay (probes.relays). */
    private readonly relays: RelayAllowlist,
    /** Configured site of a probe, for probes that do not say where they stand. */
    private readonly configuredSite: (probeId: number) => Site | undefined = () => undefined,
    private readonly statsEveryMs = 1000,
  ) {}

  /** Handles one datagram from the network. Never throws on its content. */
  onDatagram(msg: Buffer, rinfo: RemoteInfo, now: number): void {
    this.counters.datagrams++;
    this.counters.bytes += msg.length;
    const r = this.sessions.receive(msg, rinfo.address, now);
    switch (r.kind) {
      case 'messages': {
        const peer = this.notePeer(r.session, rinfo);
        if (this.owned(r.session.probeId, '', now)) this.ingest(r.session, peer.probe, r.messages, now);
        this.counters.skippedMessages += r.skipped;
        if (r.reply) this.reply(r.reply, rinfo);
        return;
      }
      case 'send':
        if (r.session) this.owned(r.session.probeId, '', now);
        this.reply(r.datagram, rinfo);
        return;
      case 'established':
        if (r.replaced) this.ended(r.replaced.id);
        this.notePeer(r.session, rinfo);
        this.reply(r.datagram, rinfo);
        this.log.info({ probe: r.session.probeId, session: r.session.id, from: `${rinfo.address}:${rinfo.port}`, site: r.session.site, replaced: r.replaced?.id }, 'probe session established');
        return;
      case 'closed':
        this.ended(r.session.id);
        this.log.info({ probe: r.session.probeId, session: r.session.id, reason: r.reason }, 'probe session closed');
        return;
      case 'drop':
        // Hostile or stale input: a counter and a debug line, never a warning per packet.
        this.counters.dropped++;
        this.counters.drops[r.code] = (this.counters.drops[r.code] ?? 0) + 1;
        this.log.debug({ code: r.code, detail: r.detail, from: `${rinfo.address}:${rinfo.port}` }, 'datagram dropped');
        if (r.reply) this.reply(r.reply, rinfo);
        return;
    }
  }

  private notePeer(session: ServerSession, rinfo: RemoteInfo): { probe: ProbeRef } {
    let p = this.live.get(session.id);
    if (p === undefined) {
      // The site the probe sent wins; a probe that sent none gets the configured one.
      const sent = session.site;
      const site = sent.name !== '' || sent.lat !== 0 || sent.lng !== 0 ? sent : (this.configuredSite(session.probeId) ?? sent);
      p = { session, probe: { id: session.probeId, site }, address: rinfo.address, port: rinfo.port };
      this.live.set(session.id, p);
    } else if (p.port !== rinfo.port || p.address !== rinfo.address) {
      p.address = rinfo.address;
      p.port = rinfo.port;
    }
    return p;
  }

  /** A session is over: fold its counters into its probe's totals. */
  private ended(id: number): void {
    const p = this.live.get(id);
    if (p === undefined) return;
    this.live.delete(id);
    let t = this.totals.get(p.session.probeId);
    if (t === undefined) {
      t = { datagrams: 0, messages: 0, bytes: 0, lost: 0, reordered: 0, replays: 0, authFailures: 0, decodeErrors: 0, skipped: 0 };
      this.totals.set(p.session.probeId, t);
    }
    // A session shorter than the stats period (a capture file sent at full speed) still leaves its health in Redis.
    this.sink.write(probeStatsCommands(p.session, Date.now(), t));
    accumulate(t, p.session.counters);
  }

  /** True when `id` may be used by `way`; a collision is counted and logged (once a minute per id and way). */
  private owned(id: number, way: Way, now: number): boolean {
    const c = this.origins.claim(id, way, now);
    if (c.ok) {
      if (c.moved !== null) this.log.info({ probe: id, from: c.moved || 'direct', to: way || 'direct' }, 'probe moved');
      return true;
    }
    this.collision(id, way, c.owner, now);
    return false;
  }

  private collision(id: number, way: Way, owner: Way, now: number): void {
    this.counters.collisions++;
    this.refuse(ForwardCode.COLLISION);
    const key = `${id} ${way}`;
    if (now - (this.collisionLogged.get(key) ?? -Infinity) < 60_000) return;
    if (this.collisionLogged.size > 10_000) this.collisionLogged.clear();
    this.collisionLogged.set(key, now);
    this.log.warn({ probe: id, via: way || 'direct', owner: owner || 'direct', code: ForwardCode.COLLISION },
      `probe id ${id} is already in use ${owner ? `through relays ${owner}` : 'by a direct session'}: refused, not merged`);
  }

  /** Counts a relay message refused because `id` is not a listed relay; warns once a minute per id, as it is a misconfiguration. */
  private notARelay(id: number, what: string, now: number): void {
    this.refuse(ForwardCode.NOT_A_RELAY);
    if (!this.relays.warnDue(id, now)) return;
    this.log.warn({ probe: id, code: ForwardCode.NOT_A_RELAY },
      `probe ${id} is not in probes.relays (--relays): ${what} refused; list it there if it is a relay`);
  }

  private refuse(code: string): void {
    this.counters.drops[code] = (this.counters.drops[code] ?? 0) + 1;
  }

  /** Hands each message to its module; module 0 here is relaying (FORWARD, RELAY_STATS), the session layer having taken the rest. */
  private ingest(session: ServerSession, probe: ProbeRef, messages: Message[], now: number): void {
    for (let i = 0; i < messages.length; i++) {
      const m = messages[i];
      if (m.module === Msg.FORWARD.module) { this.internal(session.probeId, m, now, session); continue; }
      const mod = this.modules.byId[m.module];
      if (mod === undefined) { this.counters.unknownModule++; continue; }
      mod.apply(probe, m, now);
    }
    this.counters.messages += messages.length;
  }

  /** A module-0 message of `from`: an envelope from its session (`session` given), or a relay's health. */
  private internal(from: number, m: Message, now: number, session?: ServerSession): void {
    if (m.type === Msg.RELAY_STATS.type) {
      // Relay health is only believed of relays: a probe could otherwise fill relay_* fields of any hash it reaches.
      if (this.relays.has(from)) this.origins.relayStats(from, m, now);
      else this.notARelay(from, 'its RELAY_STATS', now);
    } else if (m.type === Msg.FORWARD.type) {
      if (session !== undefined) this.forward(session, m as unknown as ForwardHead & { inner: Buffer }, now);
      else { this.counters.refusedForwards++; this.refuse(ForwardCode.NESTED); }
    }
  }

  /**
   * A FORWARD from a relay's session: check the sender and every relay of the
   * path are listed relays and the path is sound, claim the origin's id,
   * decode the inner messages as the origin's.
   */
  private forward(session: ServerSession, f: ForwardHead & { inner: Buffer }, now: number): void {
    this.counters.forwards++;
    if (!this.relays.has(session.probeId)) {
      this.counters.refusedForwards++;
      this.notARelay(session.probeId, `its FORWARD for probe ${f.origin_id}`, now);
      return;
    }
    const arrived = arrivedPath(f, session.probeId);
    if (!arrived.ok) {
      this.counters.refusedForwards++;
      this.refuse(arrived.code);
      this.log.debug({ code: arrived.code, relay: session.probeId }, arrived.detail);
      return;
    }
    // The last relay vouches for the path, but a chain is only as trusted as its least known relay: all must be listed.
    const unlisted = this.relays.unlisted(arrived.via);
    if (unlisted !== undefined) {
      this.counters.refusedForwards++;
      this.notARelay(unlisted, `a FORWARD for probe ${f.origin_id} through ${arrived.via.join('>')}`, now);
      return;
    }
    const origin = f.origin_id;
    let site: Site = { lat: f.site_lat / 1e6, lng: f.site_lng / 1e6, name: f.site_name };
    // A probe that did not say where it stands gets its configured site, as a direct one would.
    if (site.name === '' && site.lat === 0 && site.lng === 0) site = this.configuredSite(origin) ?? site;
    const r = this.origins.forward(origin, arrived.via, site, f.lost, f.dropped, now);
    if (!r.ok) {
      this.counters.refusedForwards++;
      this.collision(origin, arrived.via.join('>'), r.owner, now);
      return;
    }
    if (r.moved !== null) this.log.info({ probe: origin, from: r.moved || 'direct', to: r.probe.via }, 'probe moved');
    if (f.inner.length === 0) return;
    const d = decodeMessages(f.inner);
    if (!d.ok) {
      // As for a datagram: the first fault rejects the envelope's messages, all of them.
      r.probe.decodeErrors++;
      this.refuse(d.code);
      this.log.debug({ code: d.code, probe: origin, via: r.probe.via }, d.detail);
      return;
    }
    r.probe.messages += d.messages.length;
    r.probe.bytes += f.inner.length;
    this.counters.skippedMessages += d.skipped;
    const ref = r.probe.ref;
    for (let i = 0; i < d.messages.length; i++) {
      const m = d.messages[i];
      if (m.module === Msg.FORWARD.module) { this.internal(origin, m, now); continue; }
      const mod = this.modules.byId[m.module];
      if (mod === undefined) { this.counters.unknownModule++; continue; }
      mod.apply(ref, m, now);
    }
    this.counters.messages += d.messages.length;
  }

  private reply(datagram: Buffer, rinfo: RemoteInfo): void {
    this.socket.send(datagram, rinfo.port, rinfo.address);
  }

  /** Periodic work: expire sessions, flush every module's aggregate as one pipeline, write probe stats. */
  tick(now: number): void {
    const expired = this.sessions.tick(now);
    if (expired.length) {
      for (const id of expired) this.ended(id);
      this.log.info({ sessions: expired }, 'probe sessions expired');
    }
    const commands: Commands = [];
    for (const mod of this.modules.list) {
      const c = mod.flush(now);
      for (let i = 0; i < c.length; i++) commands.push(c[i]);
    }
    if (now >= this.statsDueAt) {
      this.statsDueAt = now + this.statsEveryMs;
      for (const s of this.sessions.all()) for (const c of probeStatsCommands(s, now, this.totals.get(s.probeId))) commands.push(c);
      for (const c of this.origins.statsCommands(now)) commands.push(c);
      for (const c of serverStatsCommands(this.counters, this.sessions.stats, this.sessions.size, now)) commands.push(c);
    }
    if (commands.length) this.sink.write(commands);
    if (now >= this.logDueAt) {
      // Probe health in the log too, once a minute: what Redis holds, for operators without a viz client.
      this.logDueAt = now + PROBE_LOG_EVERY_MS;
      for (const s of this.sessions.all()) {
        this.log.info({ probe: s.probeId, session: s.id, site: s.site.name, ...s.counters }, 'probe stats');
      }
    }
  }

  /** Ends every session (sending BYE) and flushes what is pending. */
  shutdown(now: number): void {
    for (const s of [...this.sessions.all()]) {
      const bye = this.sessions.close(s.id, 'shutdown');
      const peer = this.live.get(s.id);
      if (bye && peer) this.socket.send(bye, peer.port, peer.address);
      this.ended(s.id);
    }
    this.statsDueAt = 0;
    this.tick(now);
  }
}
