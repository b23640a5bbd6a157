/**
 * The in-memory entries of the network store (one per Redis key) and the
 * command that writes one entry. Entries hold absolute values (totals since
 * the key was created, restored at start-up), so a write is one HSET of what
 * changed — one keyspace notification per element per flush — and a lost
 * write heals itself at the next one. Pure: no I/O, time passed in.
 */
import { classifyAddress } from '../geo/reserved.js';
import type { GeoLocator } from '../geo/types.js';
import { Expiring, type TtlPolicy } from './expiry-list.js';
import { connKeyPrefix, linkKey, nodeKey } from './keys.js';
import type { RateState } from './rate.js';

/** Where a probe stands (degrees); private addresses it sees are placed there. */
export interface Site { lat: number; lng: number; name: string }

/** A probe as the store sees it. */
export interface ProbeRef { id: number; site: Site }

/** Per-probe state: its connections and precomputed key parts. */
export interface ProbeState {
  id: number;
  site: Site | null;
  conns: Map<number, ConnEntry>;
  connPrefix: string;
  /** Node field holding when this probe last saw the node. */
  seenField: string;
}

/** One DNS name of a node and the record type that gave it. */
export interface NodeName { name: string; rrtype: number }

/** A node (address): totals since its key was created. */
export class NodeEntry extends Expiring {
  readonly key: string;
  alive = true;
  dirty = false;
  /** Location fields (field, value, ...), rewritten whenever the whole hash is. */
  geo: string[] = [];
  bytesIn = 0; bytesOut = 0; pktsIn = 0; pktsOut = 0;
  last = 0;
  /** Last time the node was a TRACE hop (0: never); `hopDirty`: not written yet. */
  hop = 0;
  hopDirty = false;
  /** Probes that saw it since the last write (the first one inline: usually there is only one). */
  seenBy: ProbeState | null = null;
  seenMore: ProbeState[] | null = null;
  names: NodeName[] | null = null;
  namesDirty = false;

  constructor(readonly addr: string, public first: number) {
    super();
    this.key = nodeKey(addr);
  }
}

/** A link (unordered address pair, a < b by code unit): totals, `a`'s point of view. */
export class LinkEntry extends Expiring implements RateState {
  readonly key: string;
  alive = true;
  dirty = false;
  bytesAB = 0; bytesBA = 0; pktsAB = 0; pktsBA = 0;
  /** Connections ever seen on it. */
  conns = 0;
  /** Connections live now (in memory). */
  live = 0;
  last = 0;
  rateRing: Uint32Array | null = null;
  rateBucket = 0;
  bpsWritten = 0;

  constructor(x: string, y: string, public first: number) {
    super();
    this.key = linkKey(x, y);
  }
}

/** Connection state as written in its hash. */
export type ConnState = 'new' | 'active' | 'unknown';

/** A connection; `known`: its endpoints are known (NEWCONN or restored), else only DATA was seen. */
export class ConnEntry extends Expiring {
  readonly key: string;
  alive = true;
  dirty = false;
  known = false;
  /** Its key exists in Redis (written by a flush, or restored). */
  written = false;
  state: ConnState = 'unknown';
  proto = 0; vlan = 0; vlanInner = 0; sport = 0; dport = 0; family = 0;
  src = ''; dst = '';
  srcIsA = true;
  first: number; last: number;
  fwdBytes = 0; fwdPkts = 0; revBytes = 0; revPkts = 0;
  link: LinkEntry | null = null;
  srcNode: NodeEntry | null = null;
  dstNode: NodeEntry | null = null;

  constructor(readonly probe: ProbeState, readonly id: number, now: number) {
    super();
    this.key = probe.connPrefix + id;
    this.first = now;
    this.last = now;
  }
}

/** A path (probe → destination), rewritten whole by each TRACE. */
export class PathEntry extends Expiring {
  alive = true;
  dirty = false;
  fields: string[] = [];

  constructor(readonly key: string) {
    super();
  }
}

/** A fresh probe state. */
export function makeProbe(id: number, site: Site | null): ProbeState {
  return { id, site, conns: new Map(), connPrefix: connKeyPrefix(id), seenField: `p:${id}` };
}

function num(v: number): string {
  // Coordinates: 6 decimals (~0.1 m) is all a map needs, and keeps hashes small.
  return Number.isInteger(v) ? String(v) : String(Math.round(v * 1e6) / 1e6);
}

/** The location fields of a new node: the probe's site for reserved space, else the locator's answer. */
export function locationFields(addr: string, site: Site | null, locator: GeoLocator): string[] {
  const scope = classifyAddress(addr);
  if (scope !== 'public') {
    return site ? ['scope', scope, 'lat', num(site.lat), 'lng', num(site.lng), 'site', site.name] : ['scope', scope];
  }
  const g = locator.locate(addr);
  const f = ['scope', scope];
  if (!g) return f;
  if (g.lat !== undefined && g.lng !== undefined) f.push('lat', num(g.lat), 'lng', num(g.lng));
  if (g.country_code) f.push('country', g.country_code);
  if (g.city) f.push('city', g.city);
  if (g.asn !== undefined) f.push('asn', String(g.asn));
  if (g.as_org) f.push('as_org', g.as_org);
  return f;
}

/** Records that a probe saw the node since the last write. */
export function markSeen(n: NodeEntry, ps: ProbeState): void {
  if (n.seenBy === null) n.seenBy = ps;
  else if (n.seenBy !== ps && !(n.seenMore ??= []).includes(ps)) n.seenMore.push(ps);
}

/** Adds `name` first in the node's list (moving it if present), keeping at most `max`. */
export function addName(n: NodeEntry, name: string, rrtype: number, max: number): void {
  const list = (n.names ??= []);
  const i = list.findIndex((x) => x.name === name);
  if (i === 0 && list[0].rrtype === rrtype) return;
  if (i > 0) list.splice(i, 1);
  else if (i === 0) list.shift();
  list.unshift({ name, rrtype });
  if (list.length > max) list.length = max;
  n.namesDirty = true;
}

/** Sends EXPIRE if due; true if it was (the caller then moves the entry to its list's tail). */
function expire(out: string[][], e: Expiring, key: string, ttl: TtlPolicy, now: number): boolean {
  if (!ttl.due(e, now)) return false;
  out.push(['EXPIRE', key, ttl.arg]);
  ttl.sent(e, now);
  return true;
}

// A write carries every field whenever it also sends EXPIRE: the key is new,
// Redis may have lost it (mustExpire), or its TTL is running low — and then it
// may expire before this write lands, which would leave a partial hash.
// Otherwise only what changes.

/** The HSET of a node (and EXPIRE when due); true if EXPIRE was sent. */
export function writeNode(n: NodeEntry, now: number, ttl: TtlPolicy, out: string[][]): boolean {
  const full = ttl.due(n, now);
  const h = [
    'HSET', n.key, 'bytes_in', String(n.bytesIn), 'bytes_out', String(n.bytesOut),
    'pkts_in', String(n.pktsIn), 'pkts_out', String(n.pktsOut),
  ];
  if (full) { h.push('first', String(n.first)); for (const f of n.geo) h.push(f); }
  if (n.last) h.push('last', String(n.last));
  if (n.seenBy) {
    const last = String(n.last);
    h.push(n.seenBy.seenField, last);
    if (n.seenMore) { for (const p of n.seenMore) h.push(p.seenField, last); n.seenMore = null; }
    n.seenBy = null;
  }
  if (n.hop && (n.hopDirty || full)) h.push('hop', String(n.hop));
  n.hopDirty = false;
  if (n.names && (n.namesDirty || full)) {
    h.push('name', n.names[0].name, 'rrtype', String(n.names[0].rrtype), 'names', JSON.stringify(n.names));
  }
  n.namesDirty = false;
  out.push(h);
  return expire(out, n, n.key, ttl, now);
}

/** The HSET of a link; `bps` null when it did not move enough to be rewritten. */
export function writeLink(l: LinkEntry, bps: number | null, now: number, ttl: TtlPolicy, out: string[][]): boolean {
  const h = [
    'HSET', l.key, 'bytes_ab', String(l.bytesAB), 'bytes_ba', String(l.bytesBA),
    'pkts_ab', String(l.pktsAB), 'pkts_ba', String(l.pktsBA), 'conns', String(l.conns), 'live', String(l.live),
  ];
  const full = ttl.due(l, now);
  if (l.last) h.push('last', String(l.last));
  if (full) h.push('first', String(l.first));
  if (bps !== null) l.bpsWritten = bps;
  if (bps !== null || full) h.push('bps', String(l.bpsWritten));
  out.push(h);
  return expire(out, l, l.key, ttl, now);
}

/** The HSET of a link whose only change is its decaying throughput. */
export function writeLinkRate(l: LinkEntry, bps: number, now: number, ttl: TtlPolicy, out: string[][]): boolean {
  if (ttl.due(l, now)) return writeLink(l, bps, now, ttl, out);
  l.bpsWritten = bps;
  out.push(['HSET', l.key, 'bps', String(bps)]);
  return expire(out, l, l.key, ttl, now);
}

/** The HSET of a connection. */
export function writeConn(c: ConnEntry, now: number, ttl: TtlPolicy, out: string[][]): boolean {
  const h = [
    'HSET', c.key, 'state', c.state, 'last', String(c.last),
    'fwd_bytes', String(c.fwdBytes), 'fwd_pkts', String(c.fwdPkts), 'rev_bytes', String(c.revBytes), 'rev_pkts', String(c.revPkts),
  ];
  if (!c.written || ttl.due(c, now)) {
    h.push('probe', String(c.probe.id), 'first', String(c.first));
    if (c.known) {
      h.push(
        'proto', String(c.proto), 'family', String(c.family), 'src', c.src, 'sport', String(c.sport),
        'dst', c.dst, 'dport', String(c.dport), 'vlan', String(c.vlan), 'vlan_inner', String(c.vlanInner),
      );
    }
  }
  c.written = true;
  out.push(h);
  return expire(out, c, c.key, ttl, now);
}

/** The HSET of a path's latest TRACE. */
export function writePath(p: PathEntry, now: number, ttl: TtlPolicy, out: string[][]): boolean {
  out.push(['HSET', p.key, ...p.fields]);
  return expire(out, p, p.key, ttl, now);
}
