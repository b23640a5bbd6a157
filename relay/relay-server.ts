import type { RemoteInfo, Socket } from 'node:dgram';
import type { Logger } from '../protocol/edge/log.js';
import type { ServerSessions } from '../protocol/session/server-sessions.js';
import type { Forwarder } from './forwarder.js';

/** What the relay's downstream side counts (its upstream link counts for itself). */
export interface RelayServerCounters {
  datagrams: number;
  bytes: number;
  dropped: number;
  drops: Record<string, number>;
  sessionsEstablished: number;
  sessionsExpired: number;
  sessionsClosed: number;
}

/**
 * The relay's downstream side: wires the UDP socket to the session table and
 * the forwarder. Per datagram it only opens, checks and frames; what goes up
 * leaves in full datagrams, or at the latest flushMs after it arrived.
 */
export class RelayServer {
  readonly counters: RelayServerCounters = { datagrams: 0, bytes: 0, dropped: 0, drops: {}, sessionsEstablished: 0, sessionsExpired: 0, sessionsClosed: 0 };
  /** Where each session's peer was last heard from, to answer it and to say BYE. */
  private readonly peers = new Map<number, { address: string; port: number }>();
  private flushTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly socket: Socket,
    private readonly sessions: ServerSessions,
    private readonly forwarder: Forwarder,
    private readonly upstream: { readonly established: boolean },
    private readonly log: Logger,
    private readonly flushMs: number,
  ) {}

  /** Handles one datagram from downstream. Never throws on its content. */
  onDatagram(msg: Buffer, rinfo: RemoteInfo, now: number): void {
    this.counters.datagrams++;
    this.counters.bytes += msg.length;
    const r = this.sessions.receive(msg, rinfo.address, now);
    switch (r.kind) {
      case 'messages': {
        this.notePeer(r.session.id, rinfo);
        const refused = this.forwarder.received(r.session, r.messages, r.raw, r.lost, now);
        for (const code of refused) this.log.debug({ code, probe: r.session.probeId }, 'envelope refused');
        if (r.reply) this.reply(r.reply, rinfo);
        this.armFlush();
        return;
      }
      case 'send':
        if (r.session) this.notePeer(r.session.id, rinfo);
        this.reply(r.datagram, rinfo);
        return;
      case 'established':
        this.counters.sessionsEstablished++;
        if (r.replaced) this.peers.delete(r.replaced.id);
        this.notePeer(r.session.id, rinfo);
        this.reply(r.datagram, rinfo);
        this.log.info({ probe: r.session.probeId, session: r.session.id, from: `${rinfo.address}:${rinfo.port}`, replaced: r.replaced?.id }, 'downstream session established');
        return;
      case 'closed':
        this.counters.sessionsClosed++;
        this.peers.delete(r.session.id);
        this.log.info({ probe: r.session.probeId, session: r.session.id, reason: r.reason }, 'downstream session closed');
        return;
      case 'drop':
        // Hostile or stale input: a counter and a debug line, never a warning per packet.
        this.counters.dropped++;
        this.counters.drops[r.code] = (this.counters.drops[r.code] ?? 0) + 1;
        this.forwarder.refused(r.code);
        this.log.debug({ code: r.code, detail: r.detail, from: `${rinfo.address}:${rinfo.port}` }, 'datagram dropped');
        if (r.reply) this.reply(r.reply, rinfo);
        return;
    }
  }

  /** Periodic work: expire silent sessions, heartbeats and RELAY_STATS. */
  tick(now: number): void {
    const expired = this.sessions.tick(now);
    if (expired.length) {
      for (const id of expired) this.peers.delete(id);
      this.counters.sessionsExpired += expired.length;
      this.log.info({ sessions: expired }, 'downstream sessions expired');
    }
    this.forwarder.tick(now, this.sessions.all(), this.upstream.established);
    this.armFlush();
  }

  /** Ends every downstream session (BYE: probes handshake again as soon as the relay is back) and sends what is pending up. */
  shutdown(): void {
    for (const s of [...this.sessions.all()]) {
      const bye = this.sessions.close(s.id, 'shutdown');
      const peer = this.peers.get(s.id);
      if (bye && peer) this.socket.send(bye, peer.port, peer.address);
    }
    this.peers.clear();
    if (this.flushTimer) { clearTimeout(this.flushTimer); this.flushTimer = null; }
    this.forwarder.flush();
  }

  private notePeer(id: number, rinfo: RemoteInfo): void {
    const p = this.peers.get(id);
    if (p === undefined) this.peers.set(id, { address: rinfo.address, port: rinfo.port });
    else if (p.port !== rinfo.port || p.address !== rinfo.address) { p.address = rinfo.address; p.port = rinfo.port; }
  }

  private armFlush(): void {
    if (this.flushTimer !== null || this.forwarder.pending === 0) return;
    this.flushTimer = setTimeout(() => { this.flushTimer = null; this.forwarder.flush(); }, this.flushMs);
  }

  private reply(datagram: Buffer, rinfo: RemoteInfo): void {
    this.socket.send(datagram, rinfo.port, rinfo.address);
  }
}
