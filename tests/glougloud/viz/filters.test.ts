/**
 * What each filter and grouping of a view configuration promises
 * (spec/viz-protocol.md, "Filters in detail"), checked by hand on a small
 * live state: the incremental view and the from-scratch reference must both
 * give exactly the elements listed here.
 */
import { describe, expect, test } from 'vitest';
import { NET_GRAPH } from '../../../glougloud/modules/1-net-graph.js';
import { connKey, linkKey, nodeKey, pathKey } from '../../../glougloud/store/keys.js';
import { validateViewConfig } from '../../../glougloud/views/config.js';
import { referenceState } from '../../../glougloud/views/reference.js';
import { SourceGraph } from '../../../glougloud/views/source.js';
import type { SourceRecord } from '../../../glougloud/views/source-types.js';
import { type GraphState, serializeState } from '../../../glougloud/views/types.js';
import { View } from '../../../glougloud/views/view.js';

const NOW = 1_763_000_000_000;
const RECENT = String(NOW - 1000), OLD = String(NOW - 100_000);

function node(addr: string, bytes: number, probes: number[], extra: Record<string, string> = {}, last = RECENT): SourceRecord {
  const h: Record<string, string> = { first: String(Number(last) - 1000), last, bytes_in: String(bytes / 2), bytes_out: String(bytes / 2), ...extra };
  for (const p of probes) h[`p:${p}`] = last;
  return NET_GRAPH.record(nodeKey(addr), h)!;
}

function link(a: string, b: string, bytes: number, bps: number, last = RECENT): SourceRecord {
  return NET_GRAPH.record(linkKey(a, b), { first: last, last, bytes_ab: String(bytes / 4), bytes_ba: String((3 * bytes) / 4), bps: String(bps), conns: '1', live: '1' })!;
}

function conn(probe: number, id: number, src: string, dst: string, proto: number, dport: number): SourceRecord {
  return NET_GRAPH.record(connKey(probe, id), { src, dst, proto: String(proto), sport: '40000', dport: String(dport), state: 'active' })!;
}

const US = { asn: '15169', as_org: 'GOOGLE', country: 'US', lat: '37.751', lng: '-97.822' };
const source = new SourceGraph();
source.apply([
  node('10.0.0.1', 200, [1], { site: 'Paris' }),
  node('10.0.0.2', 50, [2]),
  node('192.168.1.5', 10, [1], {}, OLD),
  node('8.8.8.8', 5000, [1, 2], US),
  node('8.8.4.4', 3000, [1], US),
  node('1.1.1.1', 2000, [2], { asn: '13335', country: 'AU' }),
  node('2001:db8:1:2::1', 20, [1]),
  node('2001:db8:1:2::2', 20, [1]),
  link('10.0.0.1', '8.8.8.8', 4000, 1000),
  link('10.0.0.1', '8.8.4.4', 2000, 10),
  link('1.1.1.1', '10.0.0.2', 1600, 500),
  link('192.168.1.5', '8.8.8.8', 100, 1, OLD),
  link('2001:db8:1:2::1', '2001:db8:1:2::2', 300, 5),
  conn(1, 1, '10.0.0.1', '8.8.8.8', 6, 443),
  conn(2, 1, '10.0.0.2', '1.1.1.1', 17, 53),
  NET_GRAPH.record(pathKey(1, '8.8.8.8'), {
    seen: RECENT, hops: JSON.stringify([{ ttl: 1, addr: '10.0.0.254' }, { ttl: 2, addr: null }, { ttl: 3, addr: '100.64.0.1' }, { ttl: 4, addr: '8.8.8.8' }]),
  })!,
]);

const HOSTS = ['1.1.1.1', '10.0.0.1', '10.0.0.2', '192.168.1.5', '2001:db8:1:2::1', '2001:db8:1:2::2', '8.8.4.4', '8.8.8.8'];
const STUBS = ['10.0.0.254', '100.64.0.1'];
const LINKS = ['1.1.1.1|10.0.0.2', '10.0.0.1|8.8.4.4', '10.0.0.1|8.8.8.8', '192.168.1.5|8.8.8.8', '2001:db8:1:2::1|2001:db8:1:2::2'];
const HOPS = ['10.0.0.254>100.64.0.1', '100.64.0.1>8.8.8.8'];

/** The view for a raw configuration, checked equal to the reference; its keys. */
function view(raw: object, access = { modules: null, probes: null } as { modules: number[] | null; probes: number[] | null }): { nodes: string[]; edges: string[]; state: GraphState } {
  const c = validateViewConfig(raw, access);
  if (!c.ok) throw new Error(c.detail);
  const v = View.build(c.config, source, NOW);
  expect(serializeState(v.state)).toEqual(serializeState(referenceState(c.config, source, NOW)));
  return { nodes: [...v.state.nodes.keys()].sort(), edges: [...v.state.edges.keys()].sort(), state: v.state };
}

const sorted = (...l: string[][]): string[] => l.flat().sort();

describe('view filters', () => {
  test('no filter: every host, the stubs named by paths, links undirected, hops directed', () => {
    const v = view({});
    expect(v.nodes).toEqual(sorted(HOSTS, STUBS));
    expect(v.edges).toEqual(sorted(LINKS, HOPS));
    expect(v.state.nodes.get('10.0.0.254')).toEqual({ addr: '10.0.0.254', stub: true });
    expect(v.state.edges.get('10.0.0.1|8.8.8.8')).toMatchObject({ source: '10.0.0.1', target: '8.8.8.8', undirected: true, attributes: { kind: 'link', bytes: 4000, bytes_ab: 1000, bytes_ba: 3000, bps: 1000 } });
    expect(v.state.edges.get('100.64.0.1>8.8.8.8')).toMatchObject({ undirected: false, attributes: { kind: 'hop', paths: 1 } });
  });

  test('activity window: what was not active in the last windowS seconds goes', () => {
    const v = view({ windowS: 10 });
    expect(v.nodes).toEqual(sorted(HOSTS.filter((h) => h !== '192.168.1.5'), STUBS));
    expect(v.edges).toEqual(sorted(LINKS.filter((l) => !l.startsWith('192.')), HOPS));
  });

  test('minimum bytes and throughput hide links (not hops); nodes stay if they end a shown link or have the bytes', () => {
    const bytes = view({ minBytes: 1000 });
    expect(bytes.edges).toEqual(sorted(['1.1.1.1|10.0.0.2', '10.0.0.1|8.8.4.4', '10.0.0.1|8.8.8.8'], HOPS));
    expect(bytes.nodes).toEqual(sorted(['1.1.1.1', '10.0.0.1', '10.0.0.2', '8.8.4.4', '8.8.8.8'], STUBS));
    expect(view({ minBps: 600 }).edges).toEqual(sorted(['10.0.0.1|8.8.8.8'], HOPS));
  });

  test('include: edges with at least one end inside, lone nodes inside; exclude: nodes inside and all their edges', () => {
    const inc = view({ include: ['10.0.0.0/24'] });
    expect(inc.edges).toEqual(['1.1.1.1|10.0.0.2', '10.0.0.1|8.8.4.4', '10.0.0.1|8.8.8.8', '10.0.0.254>100.64.0.1']);
    expect(inc.nodes).toEqual(['1.1.1.1', '10.0.0.1', '10.0.0.2', '10.0.0.254', '100.64.0.1', '8.8.4.4', '8.8.8.8']);
    const v6 = view({ include: ['2001:db8::/32'] });
    expect(v6.edges).toEqual(['2001:db8:1:2::1|2001:db8:1:2::2']);
    const exc = view({ exclude: ['8.8.0.0/16', '2001:db8:1:2::2'] });
    expect(exc.nodes).toEqual(['1.1.1.1', '10.0.0.1', '10.0.0.2', '10.0.0.254', '100.64.0.1', '192.168.1.5', '2001:db8:1:2::1']);
    expect(exc.edges).toEqual(['1.1.1.1|10.0.0.2', '10.0.0.254>100.64.0.1']);
  });

  test('protocols and ports: only links carrying a matching live connection, with their ends', () => {
    expect(view({ protocols: ['udp'] })).toMatchObject({ edges: ['1.1.1.1|10.0.0.2'], nodes: ['1.1.1.1', '10.0.0.2'] });
    expect(view({ ports: [443] })).toMatchObject({ edges: ['10.0.0.1|8.8.8.8'], nodes: ['10.0.0.1', '8.8.8.8'] });
    expect(view({ protocols: ['tcp'], ports: [53] }).edges).toEqual([]);
  });

  test('probes: only what they saw, and nothing of the other probes in the attributes', () => {
    const v = view({}, { modules: null, probes: [2] });
    expect(v.nodes).toEqual(['1.1.1.1', '10.0.0.2', '8.8.8.8']);
    expect(v.edges).toEqual(['1.1.1.1|10.0.0.2']);
    expect(v.state.nodes.get('8.8.8.8')!.probes).toEqual({ 2: Number(RECENT) });
    expect(view({ probes: [1] }).edges).toEqual(sorted(['10.0.0.1|8.8.4.4', '10.0.0.1|8.8.8.8', '192.168.1.5|8.8.8.8', '2001:db8:1:2::1|2001:db8:1:2::2'], HOPS));
  });

  test('maxNodes keeps the most active nodes, maxEdges the most active edges between kept nodes', () => {
    expect(view({ maxNodes: 2 })).toMatchObject({ nodes: ['8.8.4.4', '8.8.8.8'], edges: [] });
    expect(view({ maxNodes: 3 })).toMatchObject({ nodes: ['1.1.1.1', '8.8.4.4', '8.8.8.8'], edges: [] });
    expect(view({ maxEdges: 1 }).edges).toEqual(['10.0.0.1|8.8.8.8']);
    expect(view({ maxEdges: 0 }).nodes).toEqual(sorted(HOSTS, STUBS));
  });

  test('links and paths can be switched off', () => {
    expect(view({ paths: false }).edges).toEqual(LINKS);
    expect(view({ links: false }).edges).toEqual(HOPS);
  });
});

describe('view grouping', () => {
  test('prefix: /24 and /64, links inside one group dropped, sums over the members', () => {
    const v = view({ grouping: 'prefix' });
    expect(v.nodes).toEqual(['1.1.1.0/24', '10.0.0.0/24', '100.64.0.0/24', '192.168.1.0/24', '2001:db8:1:2::/64', '8.8.4.0/24', '8.8.8.0/24']);
    expect(v.edges).toEqual(['1.1.1.0/24|10.0.0.0/24', '10.0.0.0/24>100.64.0.0/24', '10.0.0.0/24|8.8.4.0/24', '10.0.0.0/24|8.8.8.0/24', '100.64.0.0/24>8.8.8.0/24', '192.168.1.0/24|8.8.8.0/24']);
    expect(v.state.nodes.get('10.0.0.0/24')).toMatchObject({ group: 'prefix', members: 3, bytes_in: 125, bytes_out: 125 });
    expect(v.state.nodes.get('2001:db8:1:2::/64')).toMatchObject({ group: 'prefix', members: 2 });
  });

  test('ASN: hosts of one AS merged, then the site of the probe that located them, then themselves', () => {
    const v = view({ grouping: 'asn', paths: false });
    expect(v.nodes).toEqual(['10.0.0.2', '192.168.1.5', '2001:db8:1:2::1', '2001:db8:1:2::2', 'AS13335', 'AS15169', 'site:Paris']);
    expect(v.state.nodes.get('AS15169')).toMatchObject({ group: 'asn', asn: 15169, members: 2, bytes_in: 4000, bytes_out: 4000, country: 'US', as_org: 'GOOGLE', lat: 37.751, lng: -97.822 });
    expect(v.state.edges.get('AS15169|site:Paris')).toMatchObject({ attributes: { kind: 'link', links: 2, bytes: 6000 } });
    expect(v.edges).toContain('10.0.0.2|AS13335');
  });

  test('country', () => {
    const v = view({ grouping: 'country', paths: false, include: ['8.0.0.0/8', '1.0.0.0/8'] });
    expect(v.nodes).toEqual(['10.0.0.2', '192.168.1.5', 'country:AU', 'country:US', 'site:Paris']);
    expect(v.edges).toEqual(['10.0.0.2|country:AU', '192.168.1.5|country:US', 'country:US|site:Paris']);
    expect(v.state.nodes.get('country:US')).toMatchObject({ group: 'country', label: 'US', members: 2 });
  });
});
