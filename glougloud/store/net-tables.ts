/**
 * The network store's tables: entries by key, their expiry lists, what is
 * dirty, and how a flush turns that into commands. Bounded: every table has a
 * limit, beyond which the entry that expires first is evicted. Pure.
 */
import type { GeoLocator } from '../geo/types.js';
import { ExpiryList, TtlPolicy } from './expiry-list.js';
import {
  ConnEntry, LinkEntry, NodeEntry, type PathEntry, type ProbeRef, type ProbeState,
  locationFields, makeProbe, markSeen, writeConn, writeLink, writeLinkRate, writeNode, writePath,
} from './net-entries.js';
import type { NetStoreOptions } from './options.js';
import { type RateShape, rateBps, rateShape } from './rate.js';

/** Counters of the store's work and of what it refused, for metrics. */
export interface NetStoreStats {
  messages: number; newconn: number; delconn: number; data: number; name: number; trace: number;
  /** Messages of another module or of an unknown type (should not reach the store). */
  ignored: number;
  dataUnknownConn: number; delconnUnknownConn: number; connReplaced: number;
  /** Connections refused because their probe was at maxConnsPerProbe (their DATA is dropped). */
  connRefused: number;
  connsExpired: number; connsEvicted: number; nodesExpired: number; nodesEvicted: number;
  linksExpired: number; linksEvicted: number; pathsExpired: number; pathsEvicted: number;
  geoLookups: number; flushes: number; commands: number; restored: number; restoreRejected: number;
}

/** All counters at zero. */
export function zeroStats(): NetStoreStats {
  return {
    messages: 0, newconn: 0, delconn: 0, data: 0, name: 0, trace: 0, ignored: 0,
    dataUnknownConn: 0, delconnUnknownConn: 0, connReplaced: 0, connRefused: 0,
    connsExpired: 0, connsEvicted: 0, nodesExpired: 0, nodesEvicted: 0, linksExpired: 0, linksEvicted: 0,
    pathsExpired: 0, pathsEvicted: 0, geoLookups: 0, flushes: 0, commands: 0, restored: 0, restoreRejected: 0,
  };
}

/** Entries currently held in memory. */
export interface NetStoreSizes { probes: number; conns: number; nodes: number; links: number; paths: number }

/** The tables; NetStore (modules/1-net.ts) feeds them messages. */
export class NetTables {
  readonly probes = new Map<number, ProbeState>();
  readonly nodes = new Map<string, NodeEntry>();
  /** Links by "a|b" (the key without its prefix). */
  readonly links = new Map<string, LinkEntry>();
  readonly paths = new Map<string, PathEntry>();
  readonly connList = new ExpiryList<ConnEntry>();
  readonly nodeList = new ExpiryList<NodeEntry>();
  readonly linkList = new ExpiryList<LinkEntry>();
  readonly pathList = new ExpiryList<PathEntry>();
  readonly connTtl: TtlPolicy;
  readonly nodeTtl: TtlPolicy;
  readonly linkTtl: TtlPolicy;
  readonly pathTtl: TtlPolicy;
  readonly rateShape: RateShape;
  private dirtyConns: ConnEntry[] = [];
  private dirtyNodes: NodeEntry[] = [];
  private dirtyLinks: LinkEntry[] = [];
  private dirtyPaths: PathEntry[] = [];
  private deletes: string[] = [];
  /** Links whose written bps is not 0: revisited each flush until it decays to 0. */
  private readonly rated = new Set<LinkEntry>();
  private lastRef: ProbeRef | null = null;
  private lastState: ProbeState | null = null;

  constructor(readonly options: NetStoreOptions, readonly stats: NetStoreStats, private readonly locator: GeoLocator) {
    const f = options.ttlRefreshFraction;
    this.connTtl = new TtlPolicy(options.connTtlS, f);
    this.nodeTtl = new TtlPolicy(options.nodeTtlS, f);
    this.linkTtl = new TtlPolicy(options.linkTtlS, f);
    this.pathTtl = new TtlPolicy(options.pathTtlS, f);
    this.rateShape = rateShape(options.rateWindowMs, options.rateBuckets);
  }

  /** Entries held in memory now. */
  sizes(): NetStoreSizes {
    return { probes: this.probes.size, conns: this.connList.size, nodes: this.nodes.size, links: this.links.size, paths: this.paths.size };
  }

  /** The state of a probe (created on first sight; its site follows the latest ProbeRef). */
  probe(p: ProbeRef): ProbeState {
    if (p === this.lastRef && this.lastState) return this.lastState;
    const ps = this.probeById(p.id);
    ps.site = p.site;
    this.lastRef = p;
    this.lastState = ps;
    return ps;
  }

  /** The state of a probe by id, created without a site if unknown (restore). */
  probeById(id: number): ProbeState {
    let ps = this.probes.get(id);
    if (!ps) { ps = makeProbe(id, null); this.probes.set(id, ps); }
    return ps;
  }

  /** The node of an address, entered (and located) on first sight. */
  node(addr: string, ps: ProbeState | null, now: number): NodeEntry {
    let n = this.nodes.get(addr);
    if (n) return n;
    if (this.nodes.size >= this.options.maxNodes) {
      const victim = this.nodeList.first();
      if (victim) { this.stats.nodesEvicted++; this.dropNode(victim, true); }
    }
    n = new NodeEntry(addr, now);
    this.stats.geoLookups++;
    n.geo = locationFields(addr, ps ? ps.site : null, this.locator);
    this.nodes.set(addr, n);
    this.nodeList.pushTail(n);
    this.touchNode(n);
    return n;
  }

  /** Marks a node as having changes to write. */
  touchNode(n: NodeEntry): void {
    if (!n.dirty) { n.dirty = true; this.dirtyNodes.push(n); }
  }

  /** Records that a probe saw a node at `now`. */
  seen(n: NodeEntry, ps: ProbeState, now: number): void {
    n.last = now;
    markSeen(n, ps);
    this.touchNode(n);
  }

  /** The link between two addresses, entered on first sight. */
  link(x: string, y: string, now: number): LinkEntry {
    const pair = x < y ? `${x}|${y}` : `${y}|${x}`;
    let l = this.links.get(pair);
    if (l) return l;
    if (this.links.size >= this.options.maxLinks) {
      const victim = this.linkList.first();
      if (victim) { this.stats.linksEvicted++; this.dropLink(victim, true); }
    }
    l = new LinkEntry(x, y, now);
    this.links.set(pair, l);
    this.linkList.pushTail(l);
    this.touchLink(l);
    return l;
  }

  /** Marks a link as having changes to write. */
  touchLink(l: LinkEntry): void {
    if (!l.dirty) { l.dirty = true; this.dirtyLinks.push(l); }
  }

  /** The link of a known connection, re-entered (counting the connection live) if it left memory. */
  connLink(c: ConnEntry, now: number): LinkEntry {
    let l = c.link;
    if (l && l.alive) return l;
    l = this.link(c.src, c.dst, now);
    l.live++;
    c.link = l;
    return l;
  }

  /** Marks a connection as having changes to write. */
  touchConn(c: ConnEntry): void {
    if (!c.dirty) { c.dirty = true; this.dirtyConns.push(c); }
  }

  /** Enters a connection, evicting at maxConns; null (counted) if its probe is at maxConnsPerProbe. */
  addConn(ps: ProbeState, id: number, now: number): ConnEntry | null {
    if (ps.conns.size >= this.options.maxConnsPerProbe) { this.stats.connRefused++; return null; }
    if (this.connList.size >= this.options.maxConns) {
      const victim = this.connList.first();
      if (victim) { this.stats.connsEvicted++; this.endConn(victim, true); }
    }
    const c = new ConnEntry(ps, id, now);
    ps.conns.set(id, c);
    this.connList.pushTail(c);
    this.touchConn(c);
    return c;
  }

  /** Forgets a connection: its link has one live connection less; `del`: its key is deleted too. */
  endConn(c: ConnEntry, del: boolean): void {
    c.alive = false;
    c.probe.conns.delete(c.id);
    this.connList.remove(c);
    if (del && c.written) this.deletes.push(c.key);
    const l = c.link;
    if (l && l.alive) { l.live--; this.touchLink(l); }
  }

  /** Deletes a connection key this store does not track. */
  deleteKey(key: string): void {
    this.deletes.push(key);
  }

  /** Marks a path as having changes to write. */
  touchPath(p: PathEntry): void {
    if (!p.dirty) { p.dirty = true; this.dirtyPaths.push(p); }
  }

  // An evicted entry's key is deleted: were it written again later from a new
  // entry, its totals would restart from 0 under the old key. An expired one's key is already gone.
  // (expireAt is finite once a flush has written the key.)
  private dropNode(n: NodeEntry, evicted: boolean): void {
    n.alive = false;
    this.nodes.delete(n.addr);
    this.nodeList.remove(n);
    if (evicted && n.expireAt !== Infinity) this.deletes.push(n.key);
  }

  private dropLink(l: LinkEntry, evicted: boolean): void {
    l.alive = false;
    this.links.delete(l.key.slice(7));
    this.linkList.remove(l);
    this.rated.delete(l);
    if (evicted && l.expireAt !== Infinity) this.deletes.push(l.key);
  }

  /** Forgets a path (expired, or evicted: then its key is deleted). */
  dropPath(p: PathEntry, evicted: boolean): void {
    p.alive = false;
    this.paths.delete(p.key);
    this.pathList.remove(p);
    if (evicted && p.expireAt !== Infinity) this.deletes.push(p.key);
  }

  /** Drops entries whose key Redis has expired by now (never one with pending changes). */
  private sweep(now: number): void {
    const st = this.stats;
    for (let c = this.connList.first(); c && c.expireAt <= now; ) {
      const next = this.connList.after(c);
      if (!c.dirty) { st.connsExpired++; this.endConn(c, false); }
      c = next;
    }
    for (let l = this.linkList.first(); l && l.expireAt <= now; ) {
      const next = this.linkList.after(l);
      if (!l.dirty) { st.linksExpired++; this.dropLink(l, false); }
      l = next;
    }
    for (let n = this.nodeList.first(); n && n.expireAt <= now; ) {
      const next = this.nodeList.after(n);
      if (!n.dirty) { st.nodesExpired++; this.dropNode(n, false); }
      n = next;
    }
    for (let p = this.pathList.first(); p && p.expireAt <= now; ) {
      const next = this.pathList.after(p);
      if (!p.dirty) { st.pathsExpired++; this.dropPath(p, false); }
      p = next;
    }
  }

  /** The bps to write for a link now, or null if it did not move enough since the last write. */
  private bpsUpdate(l: LinkEntry, now: number): number | null {
    const bps = l.rateRing ? rateBps(l, this.rateShape, now) : 0;
    const w = l.bpsWritten;
    if (bps === w) return null;
    if (bps !== 0 && w !== 0 && Math.abs(bps - w) <= this.options.rateMinChange * w) return null;
    if (bps === 0) this.rated.delete(l);
    else this.rated.add(l);
    return bps;
  }

  /** See NetStore.flush. */
  flush(now: number): string[][] {
    const out: string[][] = [];
    this.sweep(now);
    for (const k of this.deletes) out.push(['DEL', k]);
    this.deletes = [];
    const conns = this.dirtyConns;
    this.dirtyConns = [];
    for (const c of conns) {
      c.dirty = false;
      if (c.alive && writeConn(c, now, this.connTtl, out)) this.connList.pushTail(c);
    }
    const links = this.dirtyLinks;
    this.dirtyLinks = [];
    for (const l of links) {
      l.dirty = false;
      if (l.alive && writeLink(l, this.bpsUpdate(l, now), now, this.linkTtl, out)) this.linkList.pushTail(l);
    }
    // Idle links whose throughput still decays towards 0 (links written above answer null here).
    for (const l of this.rated) {
      if (!l.alive) { this.rated.delete(l); continue; }
      const bps = this.bpsUpdate(l, now);
      if (bps !== null && writeLinkRate(l, bps, now, this.linkTtl, out)) this.linkList.pushTail(l);
    }
    const nodes = this.dirtyNodes;
    this.dirtyNodes = [];
    for (const n of nodes) {
      n.dirty = false;
      if (n.alive && writeNode(n, now, this.nodeTtl, out)) this.nodeList.pushTail(n);
    }
    const paths = this.dirtyPaths;
    this.dirtyPaths = [];
    for (const p of paths) {
      p.dirty = false;
      if (p.alive && writePath(p, now, this.pathTtl, out)) this.pathList.pushTail(p);
    }
    return out;
  }

  /** See NetStore.forgetExpiries. */
  forgetExpiries(): void {
    this.connList.forgetExpiries();
    this.nodeList.forgetExpiries();
    this.linkList.forgetExpiries();
    this.pathList.forgetExpiries();
  }
}
