/**
 * Random live states for the view tests: Redis hashes of module 1 as the
 * probes server writes them (spec/redis-schema.md), over a small universe of
 * addresses so that elements collide, groups fill and filters bite.
 */
import fc from 'fast-check';
import { NET_GRAPH } from '../../../glougloud/modules/1-net-graph.js';
import type { SourceRecord } from '../../../glougloud/views/source-types.js';
import { connKey, linkKey, nodeKey, pathKey } from '../../../glougloud/store/keys.js';

export const T0 = 1_763_000_000_000;

export const ADDRS = ['10.0.0.1', '10.0.0.2', '10.0.1.7', '192.168.1.10', '8.8.8.8', '8.8.4.4', '1.1.1.1', '93.184.216.34', '2001:db8::1', '2001:db8::2', 'fe80::1', '203.0.113.9'];

/** One change to the live state, at time `now` + dt. */
export type Op =
  | { op: 'node'; addr: string; fields: Record<string, string> | null }
  | { op: 'link'; a: string; b: string; fields: Record<string, string> | null }
  | { op: 'path'; probe: number; dst: string; hops: (string | null)[] | null; seen: number }
  | { op: 'conn'; probe: number; id: number; fields: Record<string, string> | null }
  | { op: 'time'; dt: number };

const addr = fc.constantFrom(...ADDRS);
const ago = fc.integer({ min: 0, max: 40_000 });

const nodeFields = fc.record({
  ago, bytesIn: fc.integer({ min: 0, max: 5000 }), bytesOut: fc.integer({ min: 0, max: 5000 }),
  probes: fc.subarray([1, 2, 3]), asn: fc.option(fc.constantFrom(100, 200)), country: fc.option(fc.constantFrom('US', 'FR')),
  site: fc.option(fc.constantFrom('Paris', 'Lab')), lat: fc.integer({ min: -90_000_000, max: 90_000_000 }),
  lng: fc.integer({ min: -180_000_000, max: 180_000_000 }), named: fc.boolean(), traffic: fc.boolean(),
});

const linkFields = fc.record({
  ago, ab: fc.integer({ min: 0, max: 5000 }), ba: fc.integer({ min: 0, max: 5000 }), bps: fc.integer({ min: 0, max: 2000 }),
  conns: fc.integer({ min: 0, max: 5 }),
});

/** An operation, with its fields as Redis strings; `now` is applied when it runs. */
export const opArb: fc.Arbitrary<(now: number) => Op> = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(addr, fc.option(nodeFields, { freq: 5 })).map(([a, f]) => (now: number): Op => {
    if (!f) return { op: 'node', addr: a, fields: null };
    const h: Record<string, string> = {
      first: String(now - f.ago - 1000), bytes_in: String(f.bytesIn), bytes_out: String(f.bytesOut),
      pkts_in: String(f.bytesIn >> 4), pkts_out: String(f.bytesOut >> 4), scope: a.startsWith('10.') ? 'private' : 'public',
      lat: (f.lat / 1e6).toFixed(6), lng: (f.lng / 1e6).toFixed(6),
    };
    if (f.traffic) h.last = String(now - f.ago);
    for (const p of f.probes) h[`p:${p}`] = String(now - f.ago);
    if (f.asn !== null) { h.asn = String(f.asn); h.as_org = `Org ${f.asn}`; }
    if (f.country !== null) h.country = f.country;
    if (f.site !== null) h.site = f.site;
    if (f.named) { h.name = `h${a.length}.example`; h.rrtype = '1'; h.names = JSON.stringify([{ name: h.name, rrtype: 1 }]); }
    return { op: 'node', addr: a, fields: h };
  }) },
  { weight: 5, arbitrary: fc.tuple(addr, addr, fc.option(linkFields, { freq: 5 })).map(([a, b, f]) => (now: number): Op => {
    const [x, y] = a < b ? [a, b] : [b, a];
    if (!f) return { op: 'link', a: x, b: y, fields: null };
    return { op: 'link', a: x, b: y, fields: {
      first: String(now - f.ago - 5000), last: String(now - f.ago), bytes_ab: String(f.ab), bytes_ba: String(f.ba),
      pkts_ab: String(f.ab >> 5), pkts_ba: String(f.ba >> 5), conns: String(f.conns), live: String(f.conns >> 1), bps: String(f.bps),
    } };
  }) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom(1, 2), addr, fc.option(fc.array(fc.option(addr, { freq: 4 }), { maxLength: 5 }), { freq: 4 }), ago)
    .map(([probe, dst, hops, a]) => (now: number): Op => ({ op: 'path', probe, dst, hops, seen: now - a })) },
  { weight: 3, arbitrary: fc.tuple(fc.constantFrom(1, 2), fc.integer({ min: 1, max: 6 }), addr, addr, fc.constantFrom(6, 17), fc.constantFrom(53, 443, 8080), fc.boolean())
    .map(([probe, id, src, dst, proto, dport, gone]) => (): Op => ({ op: 'conn', probe, id, fields: gone ? null : {
      probe: String(probe), proto: String(proto), family: src.includes(':') ? '6' : '4', src, sport: '40000', dst, dport: String(dport), state: 'active',
    } })) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 20_000 }).map((dt) => (): Op => ({ op: 'time', dt })) },
);

/** The record the viz server would read for an operation (null for a time step). */
export function recordOf(o: Op): SourceRecord | null {
  switch (o.op) {
    case 'node': return NET_GRAPH.record(nodeKey(o.addr), o.fields ?? {});
    case 'link': return NET_GRAPH.record(linkKey(o.a, o.b), o.fields ?? {});
    case 'path': {
      if (o.hops === null) return NET_GRAPH.record(pathKey(o.probe, o.dst), {});
      const hops = o.hops.map((h, i) => ({ ttl: i + 1, addr: h, rtt_us: h ? 1000 * (i + 1) : null }));
      return NET_GRAPH.record(pathKey(o.probe, o.dst), { probe: String(o.probe), dst: o.dst, ts: String(o.seen), seen: String(o.seen), hops: JSON.stringify(hops) });
    }
    case 'conn': return NET_GRAPH.record(connKey(o.probe, o.id), o.fields ?? {});
    default: return null;
  }
}

/** Raw configurations a client might send (all valid). */
export const configArb = fc.record({
  grouping: fc.constantFrom('none', 'none', 'prefix', 'asn', 'country'),
  include: fc.subarray(['10.0.0.0/8', '8.8.0.0/16', '2001:db8::/32']),
  exclude: fc.subarray(['10.0.1.0/24', '1.1.1.1', 'fe80::/10']),
  probes: fc.option(fc.subarray([1, 2, 3], { minLength: 1 })),
  protocols: fc.subarray([6, 17], { maxLength: 1 }),
  ports: fc.subarray([53, 443], { maxLength: 1 }),
  minBytes: fc.constantFrom(0, 0, 100, 3000),
  minBps: fc.constantFrom(0, 0, 500),
  windowS: fc.constantFrom(0, 0, 10, 30),
  maxNodes: fc.constantFrom(1, 3, 6, 50_000),
  maxEdges: fc.constantFrom(0, 2, 5, 100_000),
  links: fc.boolean(),
  paths: fc.boolean(),
}, { requiredKeys: [] });
