/**
 * Module 1 (network) in glougloud: aggregates NEWCONN/DELCONN/DATA/NAME/TRACE
 * messages between flushes and turns what changed into Redis commands
 * (spec/redis-schema.md). Pure: no I/O, no timers; `now` (ms, Date.now()) is
 * passed in. The daemon calls apply() per decoded message and flush() on its
 * tick, pipelines the result, and calls forgetExpiries() whenever writes may
 * have been lost (a dropped flush, a reconnect, a Redis restart).
 */
import { NO_GEO, type GeoLocator } from '../geo/types.js';
import { pathKey } from '../store/keys.js';
import { PathEntry, type ProbeRef, type ProbeState, addName } from '../store/net-entries.js';
import { type StoredNet, restoreNet } from '../store/net-restore.js';
import { NetTables, type NetStoreSizes, type NetStoreStats, zeroStats } from '../store/net-tables.js';
import { type NetStoreOptions, resolveNetStoreOptions } from '../store/options.js';
import { rateAdd } from '../store/rate.js';

export type { ProbeRef, Site } from '../store/net-entries.js';
export type { StoredHash, StoredNet } from '../store/net-restore.js';
export type { NetStoreSizes, NetStoreStats } from '../store/net-tables.js';

/** A decoded message (protocol/datagram.ts `Message`): module, type and its fields by name. */
export interface NetMessage { module: number; type: number; [field: string]: unknown }

/** One TRACE hop as decoded. */
interface Hop { ttl: number; rtt_us: number | null; addr: string | null }

type Handler = (t: NetTables, ps: ProbeState, m: NetMessage, now: number) => void;

// Fields are read as the decoder produced them (protocol/modules/1-net.ts): types and ranges are already checked.
const HANDLERS: (Handler | undefined)[] = [];

// NEWCONN: conn_id ts proto vlan vlan_inner sport dport family src dst
HANDLERS[1] = (t, ps, m, now) => {
  t.stats.newconn++;
  const id = m.conn_id as number;
  const old = ps.conns.get(id);
  if (old) { t.stats.connReplaced++; t.endConn(old, true); }
  const c = t.addConn(ps, id, now);
  if (!c) return;
  c.known = true;
  c.state = 'new';
  c.proto = m.proto as number; c.vlan = m.vlan as number; c.vlanInner = m.vlan_inner as number;
  c.sport = m.sport as number; c.dport = m.dport as number; c.family = m.family as number;
  c.src = m.src as string; c.dst = m.dst as string;
  c.srcIsA = c.src <= c.dst;
  const l = t.connLink(c, now);
  l.conns++;
  l.last = now;
  t.touchLink(l);
  t.seen((c.srcNode = t.node(c.src, ps, now)), ps, now);
  t.seen((c.dstNode = t.node(c.dst, ps, now)), ps, now);
};

// DELCONN: conn_id ts reason
HANDLERS[2] = (t, ps, m) => {
  t.stats.delconn++;
  const id = m.conn_id as number;
  const c = ps.conns.get(id);
  if (c) { t.endConn(c, true); return; }
  // Perhaps written before a restart without restore, or by DATA we could not track: delete anyway.
  t.stats.delconnUnknownConn++;
  t.deleteKey(ps.connPrefix + id);
};

// DATA: conn_id ts interval_us fwd_pkts fwd_bytes rev_pkts rev_bytes
HANDLERS[3] = (t, ps, m, now) => {
  t.stats.data++;
  const id = m.conn_id as number;
  const fb = m.fwd_bytes as number, fp = m.fwd_pkts as number, rb = m.rev_bytes as number, rp = m.rev_pkts as number;
  let c = ps.conns.get(id);
  if (!c) {
    t.stats.dataUnknownConn++;
    const added = t.addConn(ps, id, now);
    if (!added) return;
    c = added;
  }
  c.fwdBytes += fb; c.fwdPkts += fp; c.revBytes += rb; c.revPkts += rp;
  c.last = now;
  t.touchConn(c);
  if (!c.known) return;
  if (c.state === 'new') c.state = 'active';
  const l = t.connLink(c, now);
  if (c.srcIsA) { l.bytesAB += fb; l.pktsAB += fp; l.bytesBA += rb; l.pktsBA += rp; }
  else { l.bytesBA += fb; l.pktsBA += fp; l.bytesAB += rb; l.pktsAB += rp; }
  l.last = now;
  rateAdd(l, t.rateShape, fb + rb, now);
  t.touchLink(l);
  let s = c.srcNode;
  if (!s || !s.alive) s = c.srcNode = t.node(c.src, ps, now);
  s.bytesOut += fb; s.pktsOut += fp; s.bytesIn += rb; s.pktsIn += rp;
  t.seen(s, ps, now);
  let d = c.dstNode;
  if (!d || !d.alive) d = c.dstNode = t.node(c.dst, ps, now);
  d.bytesIn += fb; d.pktsIn += fp; d.bytesOut += rb; d.pktsOut += rp;
  t.seen(d, ps, now);
};

// NAME: ts rrtype family addr name
HANDLERS[4] = (t, ps, m, now) => {
  t.stats.name++;
  const n = t.node(m.addr as string, ps, now);
  addName(n, m.name as string, m.rrtype as number, t.options.maxNamesPerNode);
  t.touchNode(n);
};

// TRACE: ts family dst hops[ttl rtt_us addr]
HANDLERS[5] = (t, ps, m, now) => {
  t.stats.trace++;
  const hops = m.hops as Hop[];
  const dst = m.dst as string;
  const key = pathKey(ps.id, dst);
  let p = t.paths.get(key);
  if (!p) {
    if (t.paths.size >= t.options.maxPaths) {
      const victim = t.pathList.first();
      if (victim) { t.stats.pathsEvicted++; t.dropPath(victim, true); }
    }
    p = new PathEntry(key);
    t.paths.set(key, p);
    t.pathList.pushTail(p);
  }
  const list = hops.map((h) => ({ ttl: h.ttl, addr: h.addr, rtt_us: h.rtt_us }));
  p.fields = [
    'probe', String(ps.id), 'dst', dst, 'ts', String(Math.floor((m.ts as number) / 1000)),
    'seen', String(now), 'hops', JSON.stringify(list),
  ];
  t.touchPath(p);
  for (const h of hops) {
    if (h.addr === null) continue;
    const n = t.node(h.addr, ps, now);
    n.hop = now;
    n.hopDirty = true;
    t.touchNode(n);
  }
};

/** The module-1 aggregator: apply() messages, flush() commands. */
export class NetStore {
  /** Resolved options. */
  readonly options: NetStoreOptions;
  /** Counters (never reset by the store). */
  readonly stats: NetStoreStats = zeroStats();
  private readonly t: NetTables;

  constructor(options: Partial<NetStoreOptions> = {}, locator: GeoLocator = NO_GEO) {
    this.options = resolveNetStoreOptions(options);
    this.t = new NetTables(this.options, this.stats, locator);
  }

  /** Takes one decoded module-1 message from a probe into account. */
  apply(probe: ProbeRef, msg: NetMessage, now: number): void {
    this.stats.messages++;
    const h = msg.module === 1 ? HANDLERS[msg.type] : undefined;
    if (h) h(this.t, this.t.probe(probe), msg, now);
    else this.stats.ignored++;
  }

  /**
   * Everything that changed since the last flush, as Redis commands: DELs
   * first, then per changed key one HSET (absolute values) followed by EXPIRE
   * when due. Entries whose key Redis has expired leave memory here.
   */
  flush(now: number): string[][] {
    const out = this.t.flush(now);
    this.stats.flushes++;
    this.stats.commands += out.length;
    return out;
  }

  /** Makes the next write of every entry send EXPIRE again (writes may have been lost). */
  forgetExpiries(): void {
    this.t.forgetExpiries();
  }

  /**
   * Re-enters the nodes, links and connections read back from Redis at
   * start-up, before the first apply(): totals continue from there, DATA finds
   * its connection again, and live counts are recounted. Returns how many entries were taken.
   */
  restore(stored: StoredNet, now: number): number {
    return restoreNet(this.t, stored, now);
  }

  /** Entries held in memory now. */
  sizes(): NetStoreSizes {
    return this.t.sizes();
  }
}
