/**
 * The --trace planner on its own: which addresses it traces, how fast it
 * starts traceroutes, how it paces and stops their datagrams, and that its
 * memory stays bounded whatever it is offered. Times are µs passed in.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { resolveProbeConfig } from '../../../probe/probe-config.js';
import { classifyAddress, resolveTracePlanOptions, TracePlanner, type TracePlanOptions, type TraceSend } from '../../../probe/trace/trace-planner.js';

const S = 1_000_000;

/** Runs due() every stepUs from `from` to `to` (inclusive), collecting the sends with their time. */
function drive(p: TracePlanner, from: number, to: number, stepUs: number): { t: number; send: TraceSend }[] {
  const out: { t: number; send: TraceSend }[] = [];
  for (let t = from; t <= to; t += stepUs) for (const send of p.due(t)) out.push({ t, send });
  return out;
}

describe('classifyAddress', () => {
  it.each([
    ['8.8.8.8', 4, '8.8.8.8', 'queued'],
    ['198.18.21.2', 4, '198.18.21.2', 'queued'],
    ['10.1.2.3', 4, '10.1.2.3', 'queued'],
    ['0.0.0.0', 4, '0.0.0.0', 'unspecified'],
    ['127.0.0.53', 4, '127.0.0.53', 'loopback'],
    ['169.254.1.1', 4, '169.254.1.1', 'link_local'],
    ['224.0.0.251', 4, '224.0.0.251', 'multicast'],
    ['239.255.255.250', 4, '239.255.255.250', 'multicast'],
    ['255.255.255.255', 4, '255.255.255.255', 'reserved'],
    ['2001:4860:4860::8888', 6, '2001:4860:4860::8888', 'queued'],
    ['2001:DB8:0:0:0:0:0:1', 6, '2001:db8::1', 'queued'],
    ['::', 6, '::', 'unspecified'],
    ['::1', 6, '::1', 'loopback'],
    ['fe80::1', 6, 'fe80::1', 'link_local'],
    ['febf::1', 6, 'febf::1', 'link_local'],
    ['fec0::1', 6, 'fec0::1', 'queued'],
    ['ff02::1:ff00:1', 6, 'ff02::1:ff00:1', 'multicast'],
    ['::ffff:1.2.3.4', 6, '::ffff:1.2.3.4', 'reserved'],
    ['example.net', 0, 'example.net', 'not_ip'],
    ['', 0, '', 'not_ip'],
    ['1.2.3.256', 0, '1.2.3.256', 'not_ip'],
  ] as const)('%s', (addr, family, text, outcome) => {
    expect(classifyAddress(addr)).toEqual({ family, text, outcome });
  });
});

describe('resolveTracePlanOptions', () => {
  it.each([
    [{ ratePerS: 0 }],
    [{ maxHops: 0 }],
    [{ maxHops: 31 }],
    [{ maxHops: 2.5 }],
    [{ paceUs: 0 }],
    [{ maxInFlight: 0 }],
    [{ maxQueue: 0 }],
    [{ maxRemembered: 0 }],
    [{ firstPort: 65530 }],
  ] as [Partial<TracePlanOptions>][])('refuses %j', (o) => {
    expect(() => resolveTracePlanOptions(o)).toThrow(RangeError);
  });

  it('fills the defaults: 2/s, 30 hops, 20 ms apart, classic ports', () => {
    expect(resolveTracePlanOptions()).toMatchObject({ ratePerS: 2, maxHops: 30, paceUs: 20_000, firstPort: 33434 });
  });
});

describe('--trace on the command line', () => {
  it('goes with a live capture only, with its defaults', () => {
    const live = resolveProbeConfig({ interface: 'eth0', print: true, trace: true });
    expect(live.ok && live.config.trace).toEqual({ ratePerS: 2, maxHops: 30 });
    const off = resolveProbeConfig({ interface: 'eth0', print: true });
    expect(off.ok && off.config.trace).toBeNull();
    expect(resolveProbeConfig({ read: 'x.pcap', print: true, trace: true })).toEqual({ ok: false, error: '--trace goes with -i IFACE' });
    expect(resolveProbeConfig({ simulate: true, print: true, trace: true })).toEqual({ ok: false, error: '--trace goes with -i IFACE' });
  });

  it.each([
    [{ traceRate: '3' }, false],
    [{ trace: true, traceRate: '0' }, false],
    [{ trace: true, traceMaxHops: '31' }, false],
    [{ trace: true, traceMaxHops: '2.5' }, false],
    [{ trace: true, traceRate: '0.5', traceMaxHops: '12' }, true],
  ] as const)('%j', (extra, ok) => {
    const r = resolveProbeConfig({ interface: 'eth0', print: true, ...extra });
    expect(r.ok).toBe(ok);
    if (r.ok) expect(r.config.trace).toEqual({ ratePerS: 0.5, maxHops: 12 });
  });
});

describe('TracePlanner', () => {
  it('skips its own addresses and the server, in canonical form', () => {
    const p = new TracePlanner({}, ['192.0.2.10', '2001:DB8::A', 'gg.example.net']);
    expect(p.offer('192.0.2.10', 0)).toBe('own');
    expect(p.offer('2001:db8:0::a', 0)).toBe('own');
    expect(p.offer('192.0.2.11', 0)).toBe('queued');
    p.setOwnAddresses(['192.0.2.12']);
    expect(p.offer('192.0.2.10', 0)).toBe('queued');
    expect(p.offer('192.0.2.12', 0)).toBe('own');
    expect(p.stats.offers).toMatchObject({ own: 3, queued: 2 });
  });

  it('sends one datagram per TTL, paced, to the classic traceroute ports', () => {
    const p = new TracePlanner({ maxHops: 5 });
    expect(p.nextWake()).toBe(-1);
    p.offer('203.0.113.9', 0);
    expect(p.nextWake()).toBe(0);
    const sends = drive(p, 0, S, 5_000);
    expect(sends.map(({ t, send }) => [t, send.ttl, send.port])).toEqual([
      [0, 1, 33434], [20_000, 2, 33435], [40_000, 3, 33436], [60_000, 4, 33437], [80_000, 5, 33438],
    ]);
    expect(sends.every(({ send }) => send.dst === '203.0.113.9' && send.family === 4)).toBe(true);
    expect(p.inFlight).toBe(0);
    expect(p.nextWake()).toBe(-1);
    expect(p.stats).toMatchObject({ started: 1, datagrams: 5, stoppedEarly: 0 });
  });

  it('a late timer never sends two TTLs of one trace at once', () => {
    const p = new TracePlanner({ maxHops: 3 });
    p.offer('2001:db8::7', 0);
    expect(p.due(0).map((s) => [s.ttl, s.family])).toEqual([[1, 6]]);
    expect(p.due(500_000).map((s) => s.ttl)).toEqual([2]);
    expect(p.due(500_000).map((s) => s.ttl)).toEqual([]);
    expect(p.nextWake()).toBe(520_000);
  });

  it('stops sending higher TTLs once the destination\'s TRACE came', () => {
    const p = new TracePlanner({ maxHops: 30 });
    p.offer('198.51.100.1', 0);
    drive(p, 0, 20_000, 20_000);
    p.answered('198.51.100.1');
    expect(drive(p, 40_000, S, 20_000)).toEqual([]);
    expect(p.stats).toMatchObject({ datagrams: 2, stoppedEarly: 1 });
    // A TRACE for a destination not being traced changes nothing.
    p.answered('198.51.100.2');
    expect(p.stats.stoppedEarly).toBe(1);
  });

  it('traces a destination once per revisit period', () => {
    const p = new TracePlanner({ maxHops: 1, revisitUs: 600 * S });
    expect(p.offer('203.0.113.1', 0)).toBe('queued');
    expect(p.offer('203.0.113.1', 1)).toBe('recent'); // still queued
    drive(p, 0, S, 20_000);
    expect(p.offer('203.0.113.1', 599 * S)).toBe('recent');
    expect(p.stats.offers.recent).toBe(2);
    expect(p.offer('203.0.113.1', 600 * S)).toBe('queued');
    expect(drive(p, 600 * S, 601 * S, 20_000)).toHaveLength(1);
    expect(p.stats.started).toBe(2);
  });

  it('starts traceroutes no faster than the rate, after an initial burst of the bucket size', () => {
    const p = new TracePlanner({ ratePerS: 2, maxHops: 1, maxQueue: 1000 });
    for (let i = 0; i < 100; i++) p.offer(`203.0.113.${i}`, 0);
    const starts = drive(p, 0, 10 * S, 10_000).map(({ t }) => t);
    // 2 at once (the bucket), then one every 500 ms: 2 + 20 in 10 s.
    expect(starts.length).toBe(22);
    expect(starts.slice(0, 3)).toEqual([0, 0, 500_000]);
    expect(p.queued).toBe(78);
  });

  it('a fractional rate starts one traceroute, then one per 1/rate seconds', () => {
    const p = new TracePlanner({ ratePerS: 0.1, maxHops: 1 });
    for (let i = 0; i < 5; i++) p.offer(`203.0.113.${i}`, 0);
    expect(drive(p, 0, 25 * S, 100_000).map(({ t }) => t)).toEqual([0, 10 * S, 20 * S]);
  });

  it('keeps at most maxInFlight traceroutes sending', () => {
    const p = new TracePlanner({ ratePerS: 100, maxInFlight: 3, maxHops: 10 });
    for (let i = 0; i < 10; i++) p.offer(`203.0.113.${i}`, 0);
    expect(p.due(0)).toHaveLength(3);
    expect(p.inFlight).toBe(3);
    // The first three finish at TTL 10 (180 ms); three more start right after.
    drive(p, 20_000, 180_000, 20_000);
    expect(p.inFlight).toBe(0);
    expect(p.due(200_000)).toHaveLength(3);
  });

  it('drops offers beyond the queue, and they may be offered again', () => {
    const p = new TracePlanner({ maxQueue: 2 });
    expect(['203.0.113.1', '203.0.113.2', '203.0.113.3'].map((a) => p.offer(a, 0))).toEqual(['queued', 'queued', 'queue_full']);
    p.due(0); // starts both
    expect(p.offer('203.0.113.3', 1)).toBe('queued');
  });

  it('remembers at most maxRemembered destinations, forgetting the oldest first', () => {
    const p = new TracePlanner({ maxRemembered: 3, maxQueue: 100, revisitUs: 600 * S });
    for (let i = 1; i <= 5; i++) p.offer(`203.0.113.${i}`, i);
    expect(p.rememberedCount).toBe(3);
    expect(p.stats.forgottenEarly).toBe(2);
    drive(p, 10, 100 * S, S);
    expect(p.offer('203.0.113.5', 100 * S)).toBe('recent');
    expect(p.offer('203.0.113.1', 100 * S)).toBe('queued'); // forgotten early
  });

  it('keeps every limit under any sequence of offers, TRACEs and ticks', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('offer' as const), host: fc.integer({ min: 0, max: 12 }), v6: fc.boolean() }),
      fc.record({ kind: fc.constant('answered' as const), host: fc.integer({ min: 0, max: 12 }), v6: fc.boolean() }),
      fc.record({ kind: fc.constant('tick' as const), dtUs: fc.integer({ min: 0, max: 3 * S }) }),
    );
    const opts = fc.record({
      ratePerS: fc.constantFrom(0.5, 1, 2, 7),
      maxHops: fc.integer({ min: 1, max: 30 }),
      maxInFlight: fc.integer({ min: 1, max: 4 }),
      maxQueue: fc.integer({ min: 1, max: 8 }),
      maxRemembered: fc.integer({ min: 1, max: 16 }),
      revisitUs: fc.constantFrom(0, 100_000, 5 * S, 600 * S),
    });
    fc.assert(fc.property(opts, fc.array(op, { maxLength: 300 }), (o, ops) => {
      const p = new TracePlanner({ ...o, paceUs: 20_000 });
      const addr = (host: number, v6: boolean): string => (v6 ? `2001:db8::${host}` : `203.0.113.${host}`);
      let now = 0;
      const startTimes: number[] = [];
      const lastTtl = new Map<string, number>();
      for (const x of ops) {
        if (x.kind === 'offer') p.offer(addr(x.host, x.v6), now);
        else if (x.kind === 'answered') {
          p.answered(addr(x.host, x.v6));
          lastTtl.delete(addr(x.host, x.v6));
        } else {
          now += x.dtUs;
          for (const s of p.due(now)) {
            // Each trace's TTLs go up by one from 1; a TTL 1 starts a trace only once the last one of that destination is over.
            if (s.ttl === 1) {
              startTimes.push(now);
              expect(lastTtl.get(s.dst) ?? o.maxHops).toBe(o.maxHops);
            } else expect(s.ttl).toBe((lastTtl.get(s.dst) ?? 0) + 1);
            lastTtl.set(s.dst, s.ttl);
            expect(s.ttl).toBeLessThanOrEqual(o.maxHops);
            expect(s.port).toBe(33434 + s.ttl - 1);
          }
        }
        expect(p.queued).toBeLessThanOrEqual(o.maxQueue);
        expect(p.inFlight).toBeLessThanOrEqual(o.maxInFlight);
        expect(p.rememberedCount).toBeLessThanOrEqual(o.maxRemembered);
      }
      // Every traceroute started sent its TTL 1: none was started twice over.
      expect(p.stats.started).toBe(startTimes.length);
      // Token bucket: over any window, at most the bucket plus rate × window starts.
      const cap = Math.max(1, o.ratePerS);
      for (let i = 0; i < startTimes.length; i++) {
        for (let j = i; j < startTimes.length; j++) {
          expect(j - i + 1).toBeLessThanOrEqual(cap + ((startTimes[j] - startTimes[i]) * o.ratePerS) / S + 1e-9);
        }
      }
    }), { numRuns: 300 });
  });
});
