/** Module 1's hashes → graph elements: every field checked, foreign or broken values dropped, never a throw. */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { NET_GRAPH, netConn, netNode, netPath } from '../../../glougloud/modules/1-net-graph.js';

describe('module 1 → graph', () => {
  test('a node hash as the store writes it', () => {
    const n = netNode('8.8.8.8', {
      first: '1000', last: '2000', 'p:1': '2000', 'p:17': '1500', bytes_in: '10', bytes_out: '20', pkts_in: '1', pkts_out: '2',
      scope: 'public', lat: '37.751000', lng: '-97.822000', country: 'US', asn: '15169', as_org: 'GOOGLE',
      name: 'dns.google', rrtype: '1', names: '[{"name":"dns.google","rrtype":1}]', hop: '2500',
    });
    expect(n).toMatchObject({
      id: '8.8.8.8', probeIds: [1, 17], time: 2500, bytesIn: 10, bytesOut: 20, latE6: 37_751_000, lngE6: -97_822_000, country: 'US', asn: 15169,
      attrs: { addr: '8.8.8.8', probes: { 1: 2000, 17: 1500 }, lat: 37.751, lng: -97.822, names: [{ name: 'dns.google', rrtype: 1 }], name: 'dns.google' },
    });
    expect(netNode('8.8.8.8', {})).toBe(null);
  });

  test('broken values are dropped, not trusted', () => {
    const n = netNode('10.0.0.1', { first: 'soon', bytes_in: '-5', lat: '95', lng: '1', names: '{"x":', 'p:abc': '1', 'p:01': '2', city: 'x'.repeat(300) })!;
    expect(n.attrs).toEqual({ addr: '10.0.0.1' });
    expect(n.probeIds).toEqual([]);
    expect(n.latE6).toBe(null);
  });

  test('a path becomes a chain between answering hops', () => {
    const hops = JSON.stringify([{ ttl: 1, addr: '10.0.0.1', rtt_us: 1 }, { ttl: 2, addr: null, rtt_us: null }, { ttl: 3, addr: '1.1.1.1', rtt_us: 3 }, { ttl: 4, addr: '1.1.1.1', rtt_us: 4 }, { ttl: 5, addr: '9.9.9.9', rtt_us: 5 }]);
    const e = netPath(2, '9.9.9.9', { hops, seen: '77' });
    expect(e.map((x) => [x.a, x.b, x.kind, x.probe, x.time])).toEqual([['10.0.0.1', '1.1.1.1', 'hop', 2, 77], ['1.1.1.1', '9.9.9.9', 'hop', 2, 77]]);
    expect(netPath(2, '9.9.9.9', { hops: 'nope' })).toEqual([]);
    expect(netPath(2, '9.9.9.9', { hops: '[{"addr":"not an address"},{"addr":"1.1.1.1"}]' })).toEqual([]);
  });

  test('a connection names its link, protocol and ports', () => {
    expect(netConn(1, { src: '10.0.0.2', dst: '10.0.0.1', proto: '6', sport: '40000', dport: '443' })).toEqual({ link: 'l:10.0.0.1|10.0.0.2', proto: 6, sport: 40000, dport: 443, probe: 1 });
    expect(netConn(1, { state: 'unknown', fwd_bytes: '1' })).toBe(null);
  });

  test('keys route to the right mapping; foreign keys are ignored', () => {
    expect(NET_GRAPH.record('gg:1:l:1.1.1.1|8.8.8.8', { bytes_ab: '5' })).toMatchObject({ kind: 'edges', edges: [{ id: 'l:1.1.1.1|8.8.8.8', bytesAB: 5 }] });
    expect(NET_GRAPH.record('gg:1:l:8.8.8.8|1.1.1.1', { bytes_ab: '5' })).toBe(null);
    expect(NET_GRAPH.record('gg:9:x', {})).toBe(null);
    expect(NET_GRAPH.needsRead('gg:1:c:1:2', 'hset', true)).toBe(false);
    expect(NET_GRAPH.needsRead('gg:1:c:1:2', 'del', true)).toBe(true);
    expect(NET_GRAPH.needsRead('gg:1:n:1.1.1.1', 'expire', false)).toBe(false);
  });

  test('any hash: never throws', () => {
    fc.assert(fc.property(fc.constantFrom('gg:1:n:1.2.3.4', 'gg:1:l:1.2.3.4|5.6.7.8', 'gg:1:p:1:5.6.7.8', 'gg:1:c:1:1'), fc.dictionary(fc.string(), fc.string()), (key, hash) => {
      NET_GRAPH.record(key, hash);
    }), { numRuns: 500 });
  });
});
