import type { Socket, RemoteInfo } from 'node:dgram';
import type { Message } from '../../protocol/datagram.js';
import type { Logger } from '../../protocol/edge/log.js';
import type { ServerSession, ServerSessions, SessionCounters } from '../../protocol/session/server-sessions.js';
import type { IngestModules, ProbeRef } from '../modules/index.js';
import type { Site } from '../config.js';
import { accumulate, probeStatsCommands, serverStatsCommands, type IngestCounters } from './stats.js';

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
    datagrams: 0, bytes: 0, messages: 0, dropped: 0, skippedMessages: 0, unknownModule: 0, drops: {},
  };
  private statsDueAt = 0;
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
      case 'messages':
        this.ingest(this.notePeer(r.session, rinfo).probe, r.messages, now);
        this.counters.skippedMessages += r.skipped;
        if (r.reply) this.reply(r.reply, rinfo);
        return;
      case 'send':
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
    accumulate(t, p.session.counters);
  }

  private ingest(probe: ProbeRef, messages: Message[], now: number): void {
    for (let i = 0; i < messages.length; i++) {
      const m = messages[i];
      const mod = this.modules.byId[m.module];
      if (mod === undefined) { this.counters.unknownModule++; continue; }
      mod.apply(probe, m, now);
    }
    this.counters.messages += messages.length;
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
      for (const c of serverStatsCommands(this.counters, this.sessions.stats, this.sessions.size, now)) commands.push(c);
    }
    if (commands.length) this.sink.write(commands);
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
