import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { NetStore, type NetMessage, type ProbeRef } from '../../../glougloud/modules/1-net.js';
import type { GeoLocator } from '../../../glougloud/geo/types.js';

const probe: ProbeRef = { id: 3, site: { lat: 1.5, lng: -2.25, name: 'lab' } };
const other: ProbeRef = { id: 4, site: { lat: 10, lng: 20, name: 'other' } };
const newconn = (conn_id: number, src: string, dst: string, sport = 1000, dport = 80): NetMessage =>
  ({ module: 1, type: 1, conn_id, ts: 0, proto: 6, vlan: 0, vlan_inner: 0, sport, dport, family: 4, src, dst });
const data = (conn_id: number, fwd_bytes: number, rev_bytes: number): NetMessage =>
  ({ module: 1, type: 3, conn_id, ts: 0, interval_us: 1e6, fwd_pkts: 1, fwd_bytes, rev_pkts: 1, rev_bytes });
const delconn = (conn_id: number): NetMessage => ({ module: 1, type: 2, conn_id, ts: 0, reason: 'rst' });

const byKey = (cmds: string[][], key: string) => cmds.filter((c) => c[1] === key);
const field = (cmd: string[] | undefined, f: string): string | undefined => {
  if (!cmd) return undefined;
  for (let i = 2; i + 1 < cmd.length; i += 2) if (cmd[i] === f) return cmd[i + 1];
  return undefined;
};

describe('NetStore commands', () => {
  it('writes one HSET per changed element and EXPIRE only when the TTL needs it', () => {
    const s = new NetStore();
    const t = 1_000_000;
    s.apply(probe, newconn(1, '10.0.0.1', '10.0.0.2'), t);
    const first = s.flush(t);
    expect(byKey(first, 'gg:1:c:3:1').map((c) => c[0])).toEqual(['HSET', 'EXPIRE']);
    expect(byKey(first, 'gg:1:c:3:1')[1]).toEqual(['EXPIRE', 'gg:1:c:3:1', '120']);
    expect(first.every((c) => c[0] === 'HSET' || c[0] === 'EXPIRE')).toBe(true);

    s.apply(probe, data(1, 10, 20), t + 1000);
    const second = s.flush(t + 1000);
    expect(second.map((c) => c[0])).toEqual(['HSET', 'HSET', 'HSET', 'HSET']); // conn, link, two nodes
    // Static fields are not rewritten.
    expect(field(byKey(second, 'gg:1:c:3:1')[0], 'src')).toBeUndefined();
    expect(field(byKey(second, 'gg:1:n:10.0.0.1')[0], 'first')).toBeUndefined();

    // Past half the TTL, the next write refreshes it.
    s.apply(probe, data(1, 1, 1), t + 61_000);
    const third = s.flush(t + 61_000);
    expect(byKey(third, 'gg:1:c:3:1').map((c) => c[0])).toEqual(['HSET', 'EXPIRE']);
    expect(byKey(third, 'gg:1:n:10.0.0.1').map((c) => c[0])).toEqual(['HSET']); // node TTL 300 s: not yet
    expect(s.flush(t + 61_001)).toEqual([]);
  });

  it('rewrites whole hashes with EXPIRE after forgetExpiries()', () => {
    const s = new NetStore();
    s.apply(probe, newconn(1, '10.0.0.1', '8.8.8.8'), 0);
    s.flush(0);
    s.forgetExpiries();
    s.apply(probe, data(1, 1, 1), 10);
    const cmds = s.flush(10);
    expect(byKey(cmds, 'gg:1:c:3:1').map((c) => c[0])).toEqual(['HSET', 'EXPIRE']);
    expect(field(byKey(cmds, 'gg:1:c:3:1')[0], 'src')).toBe('10.0.0.1');
    expect(field(byKey(cmds, 'gg:1:n:10.0.0.1')[0], 'site')).toBe('lab');
    expect(field(byKey(cmds, 'gg:1:l:10.0.0.1|8.8.8.8')[0], 'first')).toBe('0');
  });

  it('sends nothing for a connection opened and closed between two flushes, but counts it on the link', () => {
    const s = new NetStore();
    s.apply(probe, newconn(1, '10.0.0.1', '10.0.0.2'), 0);
    s.apply(probe, data(1, 5, 5), 1);
    s.apply(probe, delconn(1), 2);
    const cmds = s.flush(3);
    expect(byKey(cmds, 'gg:1:c:3:1')).toEqual([]);
    const link = byKey(cmds, 'gg:1:l:10.0.0.1|10.0.0.2')[0];
    expect([field(link, 'conns'), field(link, 'live'), field(link, 'bytes_ab')]).toEqual(['1', '0', '5']);
  });

  it('deletes the old connection when a NEWCONN reuses its id', () => {
    const s = new NetStore();
    s.apply(probe, newconn(1, '10.0.0.1', '10.0.0.2'), 0);
    s.flush(0);
    s.apply(probe, newconn(1, '10.0.0.3', '10.0.0.4'), 5);
    const cmds = s.flush(5);
    expect(cmds[0]).toEqual(['DEL', 'gg:1:c:3:1']);
    expect(field(byKey(cmds, 'gg:1:c:3:1').find((c) => c[0] === 'HSET'), 'src')).toBe('10.0.0.3');
    expect(field(byKey(cmds, 'gg:1:l:10.0.0.1|10.0.0.2')[0], 'live')).toBe('0');
    expect(s.stats.connReplaced).toBe(1);
  });

  it('keeps connections of different probes apart and records every probe that saw a node', () => {
    const s = new NetStore();
    s.apply(probe, newconn(1, '10.0.0.1', '8.8.8.8'), 7);
    s.apply(other, newconn(1, '10.9.9.9', '8.8.8.8'), 7);
    const cmds = s.flush(7);
    expect(byKey(cmds, 'gg:1:c:3:1')).toHaveLength(2);
    expect(byKey(cmds, 'gg:1:c:4:1')).toHaveLength(2);
    const node = byKey(cmds, 'gg:1:n:8.8.8.8')[0];
    expect([field(node, 'p:3'), field(node, 'p:4')]).toEqual(['7', '7']);
  });

  it('locates public nodes once, through the locator, and private ones at the site', () => {
    let calls = 0;
    const geo: GeoLocator = { locate: (a) => { calls++; return a === '8.8.8.8' ? { lat: 1, lng: 2, country_code: 'US', asn: 15169, as_org: 'G' } : null; } };
    const s = new NetStore({}, geo);
    s.apply(probe, newconn(1, '10.0.0.1', '8.8.8.8'), 0);
    s.apply(probe, newconn(2, '10.0.0.1', '8.8.8.8'), 0);
    const cmds = s.flush(0);
    expect(calls).toBe(1);
    expect(field(byKey(cmds, 'gg:1:n:8.8.8.8')[0], 'country')).toBe('US');
    expect(field(byKey(cmds, 'gg:1:n:10.0.0.1')[0], 'lat')).toBe('1.5');
    expect(field(byKey(cmds, 'gg:1:n:10.0.0.1')[0], 'lng')).toBe('-2.25');
  });

  it('lets a link throughput decay to 0 after traffic stops, skipping small changes', () => {
    const s = new NetStore({ rateWindowMs: 10_000, rateBuckets: 10, rateMinChange: 0.1 });
    s.apply(probe, newconn(1, '10.0.0.1', '10.0.0.2'), 0);
    s.apply(probe, data(1, 10_000, 0), 0);
    const bpsAt = (now: number) => field(byKey(s.flush(now), 'gg:1:l:10.0.0.1|10.0.0.2').find((c) => c.includes('bps')), 'bps');
    expect(bpsAt(0)).toBe('8000');
    s.apply(probe, data(1, 100, 0), 500); // +1 %: not worth a write
    expect(byKey(s.flush(500), 'gg:1:l:10.0.0.1|10.0.0.2').find((c) => c.includes('bps'))).toBeUndefined();
    expect(bpsAt(10_500)).toBe('0');
    expect(s.flush(12_000)).toEqual([]);
  });

  it('evicts the node that expires first beyond maxNodes and deletes its key', () => {
    const s = new NetStore({ maxNodes: 2 });
    const name = (addr: string): NetMessage => ({ module: 1, type: 4, ts: 0, rrtype: 12, family: 4, addr, name: `h-${addr}` });
    s.apply(probe, name('10.0.0.1'), 0);
    s.flush(0);
    s.apply(probe, name('10.0.0.2'), 1);
    s.flush(1);
    s.apply(probe, name('10.0.0.3'), 2);
    const cmds = s.flush(2);
    expect(cmds[0]).toEqual(['DEL', 'gg:1:n:10.0.0.1']);
    expect(s.stats.nodesEvicted).toBe(1);
    expect(s.sizes().nodes).toBe(2);
  });

  it('refuses connections beyond maxConnsPerProbe and evicts beyond maxConns', () => {
    const s = new NetStore({ maxConns: 3, maxConnsPerProbe: 2 });
    for (let i = 0; i < 3; i++) s.apply(probe, newconn(i, '10.0.0.1', '10.0.0.2'), i);
    expect(s.stats.connRefused).toBe(1);
    s.flush(3);
    s.apply(other, newconn(9, '10.0.0.5', '10.0.0.6'), 4);
    s.apply(other, newconn(10, '10.0.0.5', '10.0.0.6'), 5);
    const cmds = s.flush(6);
    expect(s.stats.connsEvicted).toBe(1);
    expect(cmds[0]).toEqual(['DEL', 'gg:1:c:3:0']);
    expect(s.sizes().conns).toBe(3);
  });

  it('ignores messages of other modules and unknown types, counting them', () => {
    const s = new NetStore();
    s.apply(probe, { module: 2, type: 1 }, 0);
    s.apply(probe, { module: 1, type: 77 }, 0);
    expect(s.stats.ignored).toBe(2);
    expect(s.flush(0)).toEqual([]);
  });

  it('rejects restored keys and hashes it does not write', () => {
    const s = new NetStore();
    const n = s.restore({
      conns: [
        { key: 'gg:1:c:3:1', hash: { state: 'active', family: '4', src: '10.0.0.1', dst: 'evil', proto: '6', sport: '1', dport: '2', vlan: '0', vlan_inner: '0' } },
        { key: 'gg:1:c:x:1', hash: {} },
        { key: 'other:key', hash: {} },
        { key: 'gg:1:c:3:2', hash: { state: 'active', family: '4', src: '10.0.0.1', dst: '10.0.0.2', proto: '6', sport: '99999', dport: '2', vlan: '0', vlan_inner: '0' } },
      ],
      nodes: [{ key: 'gg:1:n:not-an-ip', hash: {} }, { key: 'gg:1:n:10.0.0.1', hash: { bytes_in: '-5', names: '{bad json' } }],
    }, 0);
    // The malformed-src connection is taken as an unknown one (counters only); the others are rejected.
    expect(n).toBe(2);
    expect(s.stats.restoreRejected).toBe(4);
  });

  it('rejects unusable options with a precise message', () => {
    expect(() => new NetStore({ connTtlS: 0 })).toThrow(/connTtlS/);
    expect(() => new NetStore({ ttlRefreshFraction: 1 })).toThrow(/ttlRefreshFraction/);
    expect(() => new NetStore({ connTtlS: 200 })).toThrow(/connTtlS/);
  });
});

describe('NetStore invariants under random message sequences', () => {
  const addr = fc.constantFrom('10.0.0.1', '10.0.0.2', '8.8.8.8', '2001:db8::1', '192.168.0.9');
  const msg = fc.oneof(
    fc.record({ k: fc.constant('new'), id: fc.nat(6), src: addr, dst: addr }),
    fc.record({ k: fc.constant('data'), id: fc.nat(8), f: fc.nat(5000), r: fc.nat(5000) }),
    fc.record({ k: fc.constant('del'), id: fc.nat(8) }),
    fc.record({ k: fc.constant('tick'), dt: fc.integer({ min: 1, max: 90_000 }) }),
  );

  it('writes well-formed commands, sets a TTL on every key it creates, and keeps live counts true', { timeout: 20_000 }, () => {
    fc.assert(fc.property(fc.array(msg, { maxLength: 60 }), (ops) => {
      const s = new NetStore({ connTtlS: 60, maxConns: 5 });
      // A tiny Redis: hashes with an expiry time.
      const db = new Map<string, { h: Map<string, string>; exp: number }>();
      let now = 0;
      const run = (cmds: string[][]) => {
        for (const [k, v] of db) if (v.exp <= now) db.delete(k);
        for (const c of cmds) {
          expect(c.every((x) => typeof x === 'string')).toBe(true);
          if (c[0] === 'DEL') db.delete(c[1]);
          else if (c[0] === 'EXPIRE') { const e = db.get(c[1]); if (e) e.exp = now + Number(c[2]) * 1000; }
          else if (c[0] === 'HSET') {
            expect(c.length % 2).toBe(0);
            const e = db.get(c[1]) ?? { h: new Map(), exp: Infinity };
            for (let i = 2; i < c.length; i += 2) e.h.set(c[i], c[i + 1]);
            db.set(c[1], e);
          } else throw new Error(`unexpected ${c[0]}`);
        }
        for (const [k, v] of db) expect([k, v.exp]).not.toEqual([k, Infinity]);
      };
      for (const o of ops) {
        if (o.k === 'new') s.apply(probe, { ...newconn(o.id, o.src, o.dst), family: o.src.includes(':') || o.dst.includes(':') ? 6 : 4 }, now);
        else if (o.k === 'data') s.apply(probe, data(o.id, o.f, o.r), now);
        else if (o.k === 'del') s.apply(probe, delconn(o.id), now);
        else { now += o.dt; run(s.flush(now)); }
      }
      now += 1;
      run(s.flush(now));
      // Every link's live count is the number of its known connections still in Redis.
      for (const [k, v] of db) {
        if (!k.startsWith('gg:1:l:')) continue;
        const [a, b] = k.slice(7).split('|');
        let live = 0;
        for (const [ck, cv] of db) {
          if (!ck.startsWith('gg:1:c:') || cv.h.get('state') === 'unknown') continue;
          const x = cv.h.get('src'), y = cv.h.get('dst');
          if ((x === a && y === b) || (x === b && y === a)) live++;
        }
        expect(v.h.get('live')).toBe(String(live));
      }
      expect(s.sizes().conns).toBeLessThanOrEqual(5);
    }), { numRuns: 300 });
  });
});
