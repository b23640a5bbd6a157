/**
 * Start-up restore of the network store from the hashes read back from Redis
 * (SCAN `gg:1:n:*`, `gg:1:l:*`, `gg:1:c:*`; HGETALL and PTTL each). Entries
 * hold totals and are written absolutely, so every key that exists must be
 * known before the first flush, or its totals would restart from 0. The
 * (probe, conn_id) index is rebuilt so that DATA after a restart reaches the
 * right link and nodes, and each link's live count is recounted from the
 * connections that still exist. Hashes are input like any other: anything
 * odd is rejected and counted.
 */
import { addressFamily } from '../../protocol/address.js';
import type { Expiring, ExpiryList, TtlPolicy } from './expiry-list.js';
import { parseKey } from './keys.js';
import { ConnEntry, LinkEntry, NodeEntry, type NodeName } from './net-entries.js';
import type { NetTables } from './net-tables.js';

/** One hash as read back from Redis; pttl in ms, -1 (or absent) when it has none or is unknown. */
export interface StoredHash { key: string; hash: Record<string, string>; pttl?: number }

/** What to restore; each list is optional. */
export interface StoredNet { nodes?: Iterable<StoredHash>; links?: Iterable<StoredHash>; conns?: Iterable<StoredHash> }

const MAX = Number.MAX_SAFE_INTEGER;
const GEO_FIELDS = ['scope', 'lat', 'lng', 'site', 'country', 'city', 'asn', 'as_org'];
const MAX_TEXT = 512;

function int(hash: Record<string, string>, f: string, max = MAX): number {
  const s = hash[f];
  if (s === undefined || !/^\d{1,16}$/.test(s)) return -1;
  const v = Number(s);
  return v <= max ? v : -1;
}

function orZero(v: number): number {
  return v < 0 ? 0 : v;
}

function setExpiry(e: Expiring, ttl: TtlPolicy, now: number, pttl: number | undefined): void {
  const known = pttl !== undefined && pttl >= 0;
  e.expireAt = now + (known ? Math.min(pttl, ttl.ms) : ttl.ms);
  // No TTL known: the next write sends EXPIRE and rewrites the whole hash.
  e.mustExpire = !known;
}

function names(json: string | undefined, max: number): NodeName[] | null {
  if (json === undefined || json.length > 64 * 1024) return null;
  try {
    const v: unknown = JSON.parse(json);
    if (!Array.isArray(v)) return null;
    const out: NodeName[] = [];
    for (const x of v.slice(0, max)) {
      const o = x as { name?: unknown; rrtype?: unknown };
      if (typeof o?.name !== 'string' || o.name.length > 255 || !Number.isInteger(o.rrtype)) return null;
      out.push({ name: o.name, rrtype: o.rrtype as number });
    }
    return out.length ? out : null;
  } catch {
    return null;
  }
}

function restoreNode(t: NetTables, s: StoredHash, now: number): NodeEntry | null {
  const k = parseKey(s.key);
  if (!k || k.kind !== 'node' || t.nodes.has(k.addr)) return null;
  const h = s.hash;
  const n = new NodeEntry(k.addr, orZero(int(h, 'first')) || now);
  n.bytesIn = orZero(int(h, 'bytes_in')); n.bytesOut = orZero(int(h, 'bytes_out'));
  n.pktsIn = orZero(int(h, 'pkts_in')); n.pktsOut = orZero(int(h, 'pkts_out'));
  n.last = orZero(int(h, 'last'));
  n.hop = orZero(int(h, 'hop'));
  n.names = names(h.names, t.options.maxNamesPerNode);
  for (const f of GEO_FIELDS) {
    const v = h[f];
    if (v !== undefined && v.length <= MAX_TEXT) n.geo.push(f, v);
  }
  setExpiry(n, t.nodeTtl, now, s.pttl);
  t.nodes.set(k.addr, n);
  return n;
}

function restoreLink(t: NetTables, s: StoredHash, now: number, liveBefore: Map<LinkEntry, number>): LinkEntry | null {
  const k = parseKey(s.key);
  if (!k || k.kind !== 'link' || t.links.has(`${k.a}|${k.b}`)) return null;
  const h = s.hash;
  const l = new LinkEntry(k.a, k.b, orZero(int(h, 'first')) || now);
  l.bytesAB = orZero(int(h, 'bytes_ab')); l.bytesBA = orZero(int(h, 'bytes_ba'));
  l.pktsAB = orZero(int(h, 'pkts_ab')); l.pktsBA = orZero(int(h, 'pkts_ba'));
  l.conns = orZero(int(h, 'conns'));
  l.last = orZero(int(h, 'last'));
  l.bpsWritten = orZero(int(h, 'bps'));
  setExpiry(l, t.linkTtl, now, s.pttl);
  t.links.set(`${k.a}|${k.b}`, l);
  liveBefore.set(l, int(h, 'live'));
  return l;
}

function restoreConn(t: NetTables, s: StoredHash, now: number): ConnEntry | null {
  const k = parseKey(s.key);
  if (!k || k.kind !== 'conn') return null;
  const ps = t.probeById(k.probe);
  if (ps.conns.has(k.conn) || ps.conns.size >= t.options.maxConnsPerProbe) return null;
  const h = s.hash;
  const fam = int(h, 'family', 6);
  const src = h.src ?? '', dst = h.dst ?? '';
  const known = h.state !== 'unknown' && (fam === 4 || fam === 6) && addressFamily(src) === fam && addressFamily(dst) === fam;
  const fields = {
    proto: int(h, 'proto', 255), sport: int(h, 'sport', 65535), dport: int(h, 'dport', 65535),
    vlan: int(h, 'vlan', 4095), vlanInner: int(h, 'vlan_inner', 4095),
  };
  if (known && Object.values(fields).some((v) => v < 0)) return null;
  const c = new ConnEntry(ps, k.conn, orZero(int(h, 'first')) || now);
  c.written = true;
  c.last = orZero(int(h, 'last')) || now;
  c.fwdBytes = orZero(int(h, 'fwd_bytes')); c.fwdPkts = orZero(int(h, 'fwd_pkts'));
  c.revBytes = orZero(int(h, 'rev_bytes')); c.revPkts = orZero(int(h, 'rev_pkts'));
  setExpiry(c, t.connTtl, now, s.pttl);
  if (known) {
    Object.assign(c, fields);
    c.known = true;
    c.family = fam;
    c.src = src; c.dst = dst; c.srcIsA = src <= dst;
    c.state = h.state === 'new' ? 'new' : 'active';
    const l = t.link(src, dst, now); // the restored link, or a new one if its key was gone
    l.live++;
    c.link = l;
  }
  ps.conns.set(k.conn, c);
  return c;
}

/** Lists restored entries in expiry order, before anything created from now on. */
function listAll<T extends Expiring>(list: ExpiryList<T>, entries: T[]): void {
  entries.sort((a, b) => a.expireAt - b.expireAt);
  for (const e of entries) list.pushTail(e);
}

/** Restores nodes, links and connections (in that order); returns how many entries were taken. */
export function restoreNet(t: NetTables, stored: StoredNet, now: number): number {
  const o = t.options;
  const take = <T>(src: Iterable<StoredHash> | undefined, room: () => boolean, one: (s: StoredHash) => T | null): T[] => {
    const out: T[] = [];
    for (const s of src ?? []) {
      const e = room() ? one(s) : null;
      if (e) out.push(e);
      else t.stats.restoreRejected++;
    }
    return out;
  };
  const liveBefore = new Map<LinkEntry, number>();
  const nodes = take(stored.nodes, () => t.nodes.size < o.maxNodes, (s) => restoreNode(t, s, now));
  const links = take(stored.links, () => t.links.size < o.maxLinks, (s) => restoreLink(t, s, now, liveBefore));
  listAll(t.nodeList, nodes);
  listAll(t.linkList, links);
  let pending = 0;
  const conns = take(stored.conns, () => t.connList.size + pending < o.maxConns, (s) => {
    const c = restoreConn(t, s, now);
    if (c) pending++;
    return c;
  });
  listAll(t.connList, conns);
  // Live counts that changed (connections that expired while we were away): write them.
  // A throughput written before the restart decays to 0 from the first flush on.
  for (const [l, before] of liveBefore) if (l.live !== before || l.bpsWritten > 0) t.touchLink(l);
  const n = nodes.length + links.length + conns.length;
  t.stats.restored += n;
  return n;
}
