/**
 * Module 1 (network) on the viz side: how its Redis hashes
 * (spec/redis-schema.md) become graph elements. Node keys → nodes, link keys
 * → undirected edges, path keys → directed hop chains, connection keys → the
 * protocols and ports each link carries (for filters). Pure; every field is
 * checked, since what Redis holds is only as trustworthy as its writers.
 */
import { parseKey } from '../store/keys.js';
import type { GraphModule, SourceConn, SourceEdge, SourceNode, SourceRecord } from '../views/source-types.js';
import type { Attrs, AttrValue } from '../views/types.js';

const INT = /^-?\d{1,16}$/;
const NUM = /^-?\d{1,4}(\.\d{1,9})?$/;

/** A non-negative integer field, or null. */
function int(h: Record<string, string>, f: string): number | null {
  const v = h[f];
  if (v === undefined || !INT.test(v)) return null;
  const n = Number(v);
  return Number.isSafeInteger(n) && n >= 0 ? n : null;
}

const z = (n: number | null): number => n ?? 0;

/** A coordinate in millionths of a degree, or null. */
function e6(h: Record<string, string>, f: string, limit: number): number | null {
  const v = h[f];
  if (v === undefined || !NUM.test(v)) return null;
  const n = Number(v);
  return Math.abs(n) <= limit ? Math.round(n * 1e6) : null;
}

function str(h: Record<string, string>, f: string, max = 256): string | null {
  const v = h[f];
  return v === undefined || v.length === 0 || v.length > max ? null : v;
}

const NODE_INTS = ['first', 'last', 'bytes_in', 'bytes_out', 'pkts_in', 'pkts_out', 'asn', 'rrtype', 'hop'];
const NODE_STRS = ['scope', 'site', 'country', 'city', 'as_org', 'name'];
const MAX_NAMES = 16;

function names(v: string | undefined): AttrValue | null {
  if (v === undefined || v.length > 8192) return null;
  let parsed: unknown;
  try { parsed = JSON.parse(v); } catch { return null; }
  if (!Array.isArray(parsed)) return null;
  const out: AttrValue[] = [];
  for (const x of parsed.slice(0, MAX_NAMES)) {
    const o = x as { name?: unknown; rrtype?: unknown };
    if (typeof o?.name === 'string' && o.name.length <= 255 && Number.isInteger(o.rrtype)) out.push({ name: o.name, rrtype: o.rrtype as number });
  }
  return out;
}

/** A node hash → node; null when the hash is empty (the key is gone). */
export function netNode(addr: string, h: Record<string, string>): SourceNode | null {
  const fields = Object.keys(h);
  if (fields.length === 0) return null;
  const attrs: Attrs = { addr };
  for (const f of NODE_INTS) { const n = int(h, f); if (n !== null) attrs[f] = n; }
  for (const f of NODE_STRS) { const s = str(h, f); if (s !== null) attrs[f] = s; }
  const lat = e6(h, 'lat', 90), lng = e6(h, 'lng', 180);
  if (lat !== null && lng !== null) { attrs.lat = lat / 1e6; attrs.lng = lng / 1e6; }
  const n = names(h.names);
  if (n !== null) attrs.names = n;
  const probes: Record<string, number> = {};
  const probeIds: number[] = [];
  for (const f of fields) {
    if (!f.startsWith('p:') || !/^p:(0|[1-9]\d{0,9})$/.test(f)) continue;
    const id = Number(f.slice(2));
    const t = int(h, f);
    if (id > 0xffffffff || t === null) continue;
    probes[String(id)] = t;
    probeIds.push(id);
  }
  probeIds.sort((a, b) => a - b);
  if (probeIds.length) attrs.probes = probes;
  const first = z(int(h, 'first')), last = z(int(h, 'last')), hop = z(int(h, 'hop'));
  return {
    id: addr, attrs, probeIds, time: Math.max(first, last, hop),
    bytesIn: z(int(h, 'bytes_in')), bytesOut: z(int(h, 'bytes_out')), pktsIn: z(int(h, 'pkts_in')), pktsOut: z(int(h, 'pkts_out')),
    last, latE6: lat !== null && lng !== null ? lat : null, lngE6: lat !== null && lng !== null ? lng : null,
    country: str(h, 'country', 8), asn: int(h, 'asn'), asOrg: str(h, 'as_org'), site: str(h, 'site'),
  };
}

/** A link hash → edge; null when the hash is empty. */
export function netLink(a: string, b: string, h: Record<string, string>): SourceEdge | null {
  if (Object.keys(h).length === 0) return null;
  const last = z(int(h, 'last'));
  return {
    id: `l:${a}|${b}`, kind: 'link', a, b, probe: -1, time: last,
    bytesAB: z(int(h, 'bytes_ab')), bytesBA: z(int(h, 'bytes_ba')), pktsAB: z(int(h, 'pkts_ab')), pktsBA: z(int(h, 'pkts_ba')),
    bps: z(int(h, 'bps')), conns: z(int(h, 'conns')), live: z(int(h, 'live')), first: z(int(h, 'first')), last,
  };
}

const MAX_HOPS = 64;

/** A path hash → its chain of hops between consecutive answering routers ([] when gone or unusable). */
export function netPath(probe: number, dst: string, h: Record<string, string>): SourceEdge[] {
  const raw = h.hops;
  if (raw === undefined || raw.length > 16_384) return [];
  let hops: unknown;
  try { hops = JSON.parse(raw); } catch { return []; }
  if (!Array.isArray(hops)) return [];
  const seen = z(int(h, 'seen'));
  const addrs: string[] = [];
  for (const x of hops.slice(0, MAX_HOPS)) {
    const addr = (x as { addr?: unknown })?.addr;
    if (typeof addr === 'string' && addr.length <= 45 && parseKey(`gg:1:n:${addr}`) !== null) addrs.push(addr);
  }
  const out: SourceEdge[] = [];
  for (let i = 0; i + 1 < addrs.length; i++) {
    if (addrs[i] === addrs[i + 1]) continue;
    out.push({
      id: `p:${probe}:${dst}:${i}`, kind: 'hop', a: addrs[i], b: addrs[i + 1], probe, time: seen,
      bytesAB: 0, bytesBA: 0, pktsAB: 0, pktsBA: 0, bps: 0, conns: 0, live: 0, first: seen, last: seen,
    });
  }
  return out;
}

/** A connection hash → the link it belongs to and its protocol and ports; null if gone or not yet known. */
export function netConn(probe: number, h: Record<string, string>): SourceConn | null {
  const src = h.src, dst = h.dst;
  const proto = int(h, 'proto'), sport = int(h, 'sport'), dport = int(h, 'dport');
  if (src === undefined || dst === undefined || proto === null || sport === null || dport === null) return null;
  if (parseKey(`gg:1:n:${src}`) === null || parseKey(`gg:1:n:${dst}`) === null) return null;
  const link = src < dst ? `l:${src}|${dst}` : `l:${dst}|${src}`;
  return { link, proto, sport, dport, probe };
}

/** Module 1's graph mapping. */
export const NET_GRAPH: GraphModule = {
  id: 1,
  channels: ['__keyspace@*__:gg:1:*'],
  patterns: ['gg:1:n:*', 'gg:1:l:*', 'gg:1:p:*', 'gg:1:c:*'],
  record(key: string, hash: Record<string, string>): SourceRecord | null {
    const k = parseKey(key);
    if (k === null) return null;
    switch (k.kind) {
      case 'node': return { kind: 'node', key, id: k.addr, node: netNode(k.addr, hash) };
      case 'link': { const e = netLink(k.a, k.b, hash); return { kind: 'edges', key, edges: e ? [e] : [] }; }
      case 'path': return { kind: 'edges', key, edges: netPath(k.probe, k.dst, hash) };
      case 'conn': return { kind: 'conn', key, conn: netConn(k.probe, hash) };
      default: return null;
    }
  },
  needsRead(key: string, event: string, known: boolean): boolean {
    if (event === 'expire') return false;
    // A known connection's protocol and ports never change: its counter updates need no read.
    if (known && event === 'hset' && key.startsWith('gg:1:c:')) return false;
    return true;
  },
};
