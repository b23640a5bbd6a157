import type { Message } from '../../protocol/datagram.js';
import type { Site } from '../../protocol/session/session-messages.js';
import type { ProbeRef } from '../modules/index.js';
import { probeKey } from '../store/keys.js';
import { PROBE_STATS_TTL_S } from './stats.js';

/**
 * Who owns each probe id, and what glougloud knows of the probes it reaches
 * through relays (spec §7.8). Probe ids are unique per glougloud wherever the
 * probe sits: the first way an id is seen (its direct session, or a relay
 * chain) keeps it; another way at the same time is a collision, counted and
 * refused, until the owner has been silent for `ownerTimeoutMs`. Pure: no
 * I/O, no timers.
 */

/** The way a probe reaches glougloud: '' for its own session, else the relay chain "first>...>last". */
export type Way = string;

/** A probe reached through relays. */
export interface RelayedProbe {
  id: number;
  via: Way;
  /** Handed to the module stores; a new object only when the site changes (they cache on identity). */
  ref: ProbeRef;
  firstSeen: number;
  lastSeen: number;
  /** FORWARD envelopes received for it. */
  forwards: number;
  messages: number;
  /** Bytes of its inner messages. */
  bytes: number;
  /** Datagrams lost before its first relay, as the relay counted them. */
  viaLost: number;
  /** Messages dropped by relays of its chain (upstream buffer full). */
  viaDropped: number;
  decodeErrors: number;
}

/** The totals of a relay's RELAY_STATS (its health downstream). */
export interface RelayHealth {
  sessions: number; datagrams: number; lost: number; dropped: number; authFailures: number; replays: number;
  unknownSessions: number; loops: number; refused: number; updated: number;
}

/** Settings: how long an owner keeps an id after its last datagram, how many relayed probes are remembered. */
export interface OriginTableOptions { ownerTimeoutMs: number; maxProbes: number; forgetAfterMs: number }

/** Defaults: a relay heartbeats every 5 s and a direct probe pings every 10 s, so 30 s of silence means gone. */
export const DEFAULT_ORIGIN_TABLE: OriginTableOptions = { ownerTimeoutMs: 30_000, maxProbes: 100_000, forgetAfterMs: 600_000 };

/** A probe id already in use another way. */
export interface Collision { ok: false; owner: Way }

const sameSite = (a: Site, b: Site): boolean => a.lat === b.lat && a.lng === b.lng && a.name === b.name;

/** Probe id ownership, relayed probes and relay health. */
export class OriginTable {
  private readonly o: OriginTableOptions;
  private readonly owners = new Map<number, { way: Way; lastSeen: number }>();
  private readonly relayed = new Map<number, RelayedProbe>();
  private readonly health = new Map<number, RelayHealth>();
  private readonly collisions = new Map<number, number>();

  constructor(options: Partial<OriginTableOptions> = {}) {
    this.o = { ...DEFAULT_ORIGIN_TABLE, ...options };
  }

  /** Claims `id` for `way` at `now`: ok when it is free, already this way's, or its owner went silent. */
  claim(id: number, way: Way, now: number): { ok: true; moved: Way | null } | Collision {
    const owner = this.owners.get(id);
    if (owner === undefined) {
      this.owners.set(id, { way, lastSeen: now });
      return { ok: true, moved: null };
    }
    if (owner.way === way) {
      owner.lastSeen = now;
      return { ok: true, moved: null };
    }
    if (now - owner.lastSeen < this.o.ownerTimeoutMs) {
      this.collisions.set(id, (this.collisions.get(id) ?? 0) + 1);
      return { ok: false, owner: owner.way };
    }
    const from = owner.way;
    owner.way = way;
    owner.lastSeen = now;
    return { ok: true, moved: from };
  }

  /**
   * An envelope for `id` that came through `via` (first relay to last):
   * claims the id, then returns the probe's record with its counts updated.
   */
  forward(id: number, via: readonly number[], site: Site, lost: number, dropped: number, now: number): { ok: true; probe: RelayedProbe; moved: Way | null } | Collision {
    const way = via.join('>');
    const claim = this.claim(id, way, now);
    if (!claim.ok) return claim;
    let p = this.relayed.get(id);
    if (p === undefined) {
      if (this.relayed.size >= this.o.maxProbes) this.forgetOldest();
      p = { id, via: way, ref: { id, site }, firstSeen: now, lastSeen: now, forwards: 0, messages: 0, bytes: 0, viaLost: 0, viaDropped: 0, decodeErrors: 0 };
      this.relayed.set(id, p);
    }
    if (!sameSite(p.ref.site, site)) p.ref = { id, site };
    p.via = way;
    p.lastSeen = now;
    p.forwards++;
    p.viaLost += lost;
    p.viaDropped += dropped;
    return { ok: true, probe: p, moved: claim.moved };
  }

  /** Adds a relay's RELAY_STATS to its totals (`sessions` is a gauge). */
  relayStats(relayId: number, m: Message, now: number): void {
    let h = this.health.get(relayId);
    if (h === undefined) {
      h = { sessions: 0, datagrams: 0, lost: 0, dropped: 0, authFailures: 0, replays: 0, unknownSessions: 0, loops: 0, refused: 0, updated: now };
      this.health.set(relayId, h);
    }
    h.sessions = m.sessions as number;
    h.datagrams += m.datagrams as number;
    h.lost += m.lost as number;
    h.dropped += m.dropped as number;
    h.authFailures += m.auth_failures as number;
    h.replays += m.replays as number;
    h.unknownSessions += m.unknown_sessions as number;
    h.loops += m.loops as number;
    h.refused += m.refused as number;
    h.updated = now;
  }

  /** A relayed probe's record. */
  probe(id: number): RelayedProbe | undefined { return this.relayed.get(id); }
  /** A relay's health totals. */
  relayHealth(id: number): RelayHealth | undefined { return this.health.get(id); }
  /** Collisions counted for an id. */
  collisionsOf(id: number): number { return this.collisions.get(id) ?? 0; }

  /**
   * Commands writing what this table knows into `gg:0:probe:<id>`, for the
   * probes and relays heard from in the last `ownerTimeoutMs`, and every id
   * with collisions; forgets relayed probes silent for `forgetAfterMs`.
   */
  statsCommands(now: number): string[][] {
    const out: string[][] = [];
    const touched = new Set<number>();
    for (const p of this.relayed.values()) {
      if (now - p.lastSeen > this.o.forgetAfterMs) { this.relayed.delete(p.id); continue; }
      if (now - p.lastSeen > this.o.ownerTimeoutMs) continue;
      const s = p.ref.site;
      out.push(['HSET', probeKey(p.id), 'via', p.via, 'via_lost', String(p.viaLost), 'via_dropped', String(p.viaDropped),
        'via_forwards', String(p.forwards), 'messages', String(p.messages), 'bytes', String(p.bytes), 'decode_errors', String(p.decodeErrors),
        'established_at', String(p.firstSeen), 'last_seen', String(p.lastSeen),
        'site_name', s.name, 'site_lat', String(s.lat), 'site_lng', String(s.lng), 'updated', String(now)]);
      touched.add(p.id);
    }
    for (const [id, h] of this.health) {
      if (now - h.updated > this.o.forgetAfterMs) { this.health.delete(id); continue; }
      if (now - h.updated > this.o.ownerTimeoutMs) continue;
      out.push(['HSET', probeKey(id), 'relay_sessions', String(h.sessions), 'relay_datagrams', String(h.datagrams),
        'relay_lost', String(h.lost), 'relay_dropped', String(h.dropped), 'relay_auth_failures', String(h.authFailures),
        'relay_replays', String(h.replays), 'relay_unknown_sessions', String(h.unknownSessions), 'relay_loops', String(h.loops),
        'relay_refused', String(h.refused), 'relay_updated', String(h.updated)]);
      touched.add(id);
    }
    for (const [id, n] of this.collisions) {
      out.push(['HSET', probeKey(id), 'collisions', String(n)]);
      touched.add(id);
    }
    for (const id of touched) out.push(['EXPIRE', probeKey(id), String(PROBE_STATS_TTL_S)]);
    for (const [id, owner] of this.owners) {
      if (now - owner.lastSeen <= this.o.forgetAfterMs) continue;
      this.owners.delete(id);
      this.collisions.delete(id);
    }
    return out;
  }

  private forgetOldest(): void {
    let oldest: RelayedProbe | undefined;
    for (const p of this.relayed.values()) if (oldest === undefined || p.lastSeen < oldest.lastSeen) oldest = p;
    if (oldest !== undefined) this.relayed.delete(oldest.id);
  }
}
