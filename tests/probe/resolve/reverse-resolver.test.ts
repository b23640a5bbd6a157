/**
 * The pure reverse-lookup scheduler: the token bucket, the cache of names and
 * failures (with its lifetimes and size bound), the queue bound, one lookup
 * per address at a time, the in-flight cap and timeout, passive PTR names,
 * the counters, and a property over random runs that no window of time ever
 * sees more lookups than the bucket allows.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_REVERSE_RESOLVER_OPTIONS, ReverseResolver, type ReverseResolverOptions } from '../../../probe/resolve/reverse-resolver.js';

/** A resolver that records the names it emits. */
function make(options: Partial<ReverseResolverOptions> = {}): { r: ReverseResolver; names: [string, string][] } {
  const names: [string, string][] = [];
  const r = new ReverseResolver((addr, name) => names.push([addr, name]), options);
  return { r, names };
}

/** n distinct public test addresses (RFC 5737 ranges). */
function addrs(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `${i < 254 ? '198.51.100' : '203.0.113'}.${(i % 254) + 1}`);
}

describe('ReverseResolver', () => {
  it('has the documented defaults', () => {
    expect(DEFAULT_REVERSE_RESOLVER_OPTIONS).toMatchObject({
      ratePerS: 20, burst: 20, maxQueue: 4096, maxInFlight: 16, cacheEntries: 65_536, positiveTtlMs: 3_600_000, negativeTtlMs: 300_000,
    });
  });

  it('looks a new address up once, emits its first sane name, and counts', () => {
    const { r, names } = make();
    r.seen('198.51.100.7', 0);
    expect(r.due(0)).toEqual(['198.51.100.7']);
    expect(r.outstanding).toBe(1);
    r.answered('198.51.100.7', ['Host-7.Example.NET.', 'other.example.net'], 5);
    expect(names).toEqual([['198.51.100.7', 'host-7.example.net']]);
    expect(r.idle).toBe(true);
    expect(r.counters).toMatchObject({ requested: 1, lookedUp: 1, answered: 1, failed: 0, cacheHits: 0 });
  });

  it('answers from the cache until the name expires, then looks up again', () => {
    const { r, names } = make({ positiveTtlMs: 1000 });
    r.seen('198.51.100.7', 0);
    r.due(0);
    r.answered('198.51.100.7', ['a.example'], 10);
    for (const t of [20, 500, 1009]) {
      r.seen('198.51.100.7', t);
      expect(r.due(t)).toEqual([]);
    }
    expect(r.counters.cacheHits).toBe(3);
    r.seen('198.51.100.7', 1010);
    expect(r.due(1010)).toEqual(['198.51.100.7']);
    expect(names).toHaveLength(1);
  });

  it('remembers failures for the negative lifetime only', () => {
    const { r, names } = make({ positiveTtlMs: 3_600_000, negativeTtlMs: 300_000 });
    r.seen('198.51.100.9', 0);
    r.due(0);
    r.answered('198.51.100.9', null, 0);
    expect(r.counters.failed).toBe(1);
    r.seen('198.51.100.9', 299_999);
    expect(r.due(299_999)).toEqual([]);
    expect(r.counters.cacheHits).toBe(1);
    r.seen('198.51.100.9', 300_000);
    expect(r.due(300_000)).toEqual(['198.51.100.9']);
    expect(names).toEqual([]);
  });

  it('counts answers without a sane host name as failed (and invalid), and remembers them as failures', () => {
    const { r, names } = make();
    const a = addrs(4);
    for (const x of a) r.seen(x, 0);
    expect(r.due(0)).toEqual(a);
    r.answered(a[0], ['evil name.example'], 1);
    r.answered(a[1], ['x'.repeat(64) + '.example'], 1);
    r.answered(a[2], [], 1);
    r.answered(a[3], ['bad"quote.example', 'Good.Example.'], 1);
    expect(names).toEqual([[a[3], 'good.example']]);
    expect(r.counters).toMatchObject({ answered: 1, failed: 3, invalid: 2 });
    r.seen(a[0], 2);
    expect(r.due(2)).toEqual([]);
  });

  it('never looks up an address twice at once: queued or in flight, a sighting is only counted', () => {
    const { r } = make();
    r.seen('198.51.100.1', 0);
    r.seen('198.51.100.1', 0);
    expect(r.queued).toBe(1);
    expect(r.due(0)).toEqual(['198.51.100.1']);
    r.seen('198.51.100.1', 1);
    expect(r.due(1)).toEqual([]);
    expect(r.counters).toMatchObject({ requested: 3, pending: 2, lookedUp: 1 });
  });

  it('starts a burst at once, then no more than the rate', () => {
    const { r } = make({ ratePerS: 20, burst: 20, maxInFlight: 1000 });
    for (const x of addrs(100)) r.seen(x, 0);
    expect(r.due(0)).toHaveLength(20);
    expect(r.due(0)).toHaveLength(0);
    expect(r.due(49)).toHaveLength(0);
    expect(r.due(50)).toHaveLength(1);
    expect(r.due(1050)).toHaveLength(20);
    // The bucket holds no more than the burst, however long the pause.
    expect(r.due(100_000)).toHaveLength(20);
    expect(r.counters.lookedUp).toBe(61);
  });

  it('gains no tokens from a clock that steps back', () => {
    const { r } = make({ ratePerS: 10, burst: 1 });
    for (const x of addrs(5)) r.seen(x, 0);
    expect(r.due(10_000)).toHaveLength(1);
    expect(r.due(5_000)).toHaveLength(0);
    expect(r.due(10_050)).toHaveLength(0);
    expect(r.due(10_100)).toHaveLength(1);
  });

  it('keeps at most maxInFlight lookups outstanding', () => {
    const { r } = make({ maxInFlight: 16, burst: 100, ratePerS: 100 });
    const a = addrs(40);
    for (const x of a) r.seen(x, 0);
    const first = r.due(0);
    expect(first).toHaveLength(16);
    expect(r.due(1000)).toEqual([]);
    r.answered(first[0], null, 1000);
    r.answered(first[1], ['b.example'], 1000);
    expect(r.due(1000)).toEqual([a[16], a[17]]);
  });

  it('bounds the queue: beyond maxQueue an address is skipped and counted, and may get in later', () => {
    const { r } = make({ maxQueue: 4 });
    const a = addrs(6);
    for (const x of a) r.seen(x, 0);
    expect(r.queued).toBe(4);
    expect(r.counters.skippedQueue).toBe(2);
    expect(r.due(0)).toEqual(a.slice(0, 4));
    r.seen(a[5], 1);
    expect(r.due(1)).toEqual([a[5]]);
  });

  it('skips addresses no resolver can name, and looks up private ones', () => {
    const { r } = make();
    const skipped = ['0.0.0.0', '224.0.0.251', '239.255.255.250', '255.255.255.255', '169.254.1.2', '::', 'ff02::fb', 'fe80::1', '::ffff:192.0.2.1', 'not-an-address', ''];
    const looked = ['10.1.2.3', '192.168.1.1', '172.16.0.9', '127.0.0.1', 'fd00::1', '2001:db8::1', '141.142.220.255'];
    for (const x of [...skipped, ...looked]) r.seen(x, 0);
    expect(r.counters.skippedAddress).toBe(skipped.length);
    expect(r.due(0).sort()).toEqual([...looked].sort());
  });

  it('gives up a lookup unanswered after inFlightTimeoutMs, and ignores its late answer', () => {
    const { r, names } = make({ inFlightTimeoutMs: 30_000, negativeTtlMs: 300_000 });
    r.seen('198.51.100.3', 0);
    r.due(0);
    expect(r.due(29_999)).toEqual([]);
    expect(r.outstanding).toBe(1);
    r.due(30_000);
    expect(r.outstanding).toBe(0);
    expect(r.counters).toMatchObject({ failed: 1, timedOut: 1 });
    r.answered('198.51.100.3', ['late.example'], 31_000);
    expect(names).toEqual([]);
    expect(r.counters.late).toBe(1);
    // The failure is remembered like any other.
    r.seen('198.51.100.3', 32_000);
    expect(r.due(32_000)).toEqual([]);
  });

  it('ignores an answer nobody asked for', () => {
    const { r, names } = make();
    r.answered('198.51.100.4', ['x.example'], 0);
    expect(names).toEqual([]);
    expect(r.counters.late).toBe(1);
    expect(r.cached).toBe(0);
  });

  it('bounds the cache, dropping the least recently used', () => {
    const { r } = make({ cacheEntries: 3 });
    const a = addrs(4);
    for (const x of a.slice(0, 3)) r.seen(x, 0);
    for (const x of r.due(0)) r.answered(x, ['n.example'], 0);
    r.seen(a[0], 1); // a hit: a[0] is now the most recently used
    r.seen(a[3], 2);
    r.answered(r.due(2)[0], ['m.example'], 2);
    expect(r.cached).toBe(3);
    r.seen(a[0], 3);
    expect(r.due(3)).toEqual([]);
    r.seen(a[1], 4); // the least recently used, dropped
    expect(r.due(4)).toEqual([a[1]]);
  });

  it('takes a PTR name seen on the wire instead of looking up, unless its own lookup is in flight', () => {
    const { r, names } = make();
    r.seen('198.51.100.5', 0);
    r.known('198.51.100.5', 'seen.example', 1);
    expect(r.due(1)).toEqual([]);
    r.seen('198.51.100.5', 2);
    expect(r.due(2)).toEqual([]);
    expect(r.counters).toMatchObject({ passive: 1, cacheHits: 1, lookedUp: 0 });
    r.seen('198.51.100.6', 3);
    expect(r.due(3)).toEqual(['198.51.100.6']);
    r.known('198.51.100.6', 'wire.example', 4);
    r.answered('198.51.100.6', ['own.example'], 5);
    expect(names).toEqual([['198.51.100.6', 'own.example']]);
    // Names from the wire are not emitted again: the pipeline already did.
    expect(names.some(([, n]) => n === 'seen.example')).toBe(false);
  });

  it('reports a pair once when a lookup and the wire both give it, in either order, within repeatMs', () => {
    const { r, names } = make({ repeatMs: 60_000 });
    // The lookup answers first: the same pair from the wire is a repeat (the caller drops it).
    r.seen('198.51.100.20', 0);
    r.due(0);
    r.answered('198.51.100.20', ['a.example'], 10);
    expect(r.known('198.51.100.20', 'a.example', 20)).toBe(true);
    // Another name, or the same one much later, is news.
    expect(r.known('198.51.100.20', 'b.example', 30)).toBe(false);
    r.seen('198.51.100.21', 0);
    r.due(0);
    r.answered('198.51.100.21', ['c.example'], 10);
    expect(r.known('198.51.100.21', 'c.example', 60_010)).toBe(false);
    // The wire answers first, while the lookup is in flight: the lookup's same answer is not emitted.
    r.seen('198.51.100.22', 100);
    r.due(100);
    expect(r.known('198.51.100.22', 'd.example', 105)).toBe(false);
    r.answered('198.51.100.22', ['D.example.'], 110);
    expect(names).toEqual([['198.51.100.20', 'a.example'], ['198.51.100.21', 'c.example']]);
    expect(r.counters.repeats).toBe(2);
    // A failed lookup keeps the name the wire gave meanwhile.
    r.seen('198.51.100.23', 200);
    r.due(200);
    r.known('198.51.100.23', 'e.example', 201);
    r.answered('198.51.100.23', null, 202);
    r.seen('198.51.100.23', 400_000);
    expect(r.due(400_000)).toEqual([]);
  });

  it('refuses nonsensical limits', () => {
    for (const bad of [{ ratePerS: 0 }, { ratePerS: Number.NaN }, { burst: 0.5 }, { maxQueue: 0 }, { maxInFlight: 0 }, { cacheEntries: 0 }, { negativeTtlMs: -1 }, { inFlightTimeoutMs: 0 }, { repeatMs: -1 }]) {
      expect(() => make(bad)).toThrow(RangeError);
    }
  });

  it('property: lookups never outrun the token bucket, nor repeat an address in flight or still remembered', () => {
    type Op = { kind: 'seen'; addr: number; dt: number } | { kind: 'due'; dt: number } | { kind: 'answer'; pick: number; ok: boolean; dt: number };
    // Mostly short steps, sometimes a quiet spell long enough to fill the bucket.
    const dt = fc.oneof({ arbitrary: fc.nat(300), weight: 5 }, { arbitrary: fc.integer({ min: 1000, max: 30_000 }), weight: 1 });
    const op: fc.Arbitrary<Op> = fc.oneof(
      { arbitrary: fc.record({ kind: fc.constant('seen' as const), addr: fc.nat(39), dt: fc.constant(0) }), weight: 3 },
      { arbitrary: fc.record({ kind: fc.constant('due' as const), dt }), weight: 2 },
      { arbitrary: fc.record({ kind: fc.constant('answer' as const), pick: fc.nat(100), ok: fc.boolean(), dt: fc.nat(50) }), weight: 2 },
    );
    fc.assert(fc.property(
      fc.double({ min: 0.5, max: 50, noNaN: true }), fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 16 }),
      fc.array(op, { maxLength: 400 }),
      (ratePerS, burst, maxInFlight, ops) => {
        const positiveTtlMs = 2000;
        const negativeTtlMs = 700;
        const { r } = make({ ratePerS, burst, maxInFlight, maxQueue: 16, positiveTtlMs, negativeTtlMs, inFlightTimeoutMs: 1e12 });
        const pool = addrs(40);
        const starts: number[] = [];
        const inFlight: string[] = [];
        const until = new Map<string, number>();
        let now = 0;
        for (const o of ops) {
          now += o.dt;
          if (o.kind === 'seen') r.seen(pool[o.addr], now);
          else if (o.kind === 'due') {
            for (const a of r.due(now)) {
              expect(inFlight).not.toContain(a);
              expect(now >= (until.get(a) ?? 0)).toBe(true);
              inFlight.push(a);
              starts.push(now);
            }
          } else if (inFlight.length > 0) {
            const [a] = inFlight.splice(o.pick % inFlight.length, 1);
            r.answered(a, o.ok ? ['n.example'] : null, now);
            until.set(a, now + (o.ok ? positiveTtlMs : negativeTtlMs));
          }
          expect(r.outstanding).toBe(inFlight.length);
          expect(r.outstanding).toBeLessThanOrEqual(maxInFlight);
          expect(r.queued).toBeLessThanOrEqual(16);
        }
        // Token bucket: any window [t_i, t_j] holds at most burst + rate × its length.
        for (let i = 0; i < starts.length; i++) {
          for (let j = i; j < starts.length; j++) {
            expect(j - i + 1).toBeLessThanOrEqual(burst + (ratePerS * (starts[j] - starts[i])) / 1000 + 1e-9);
          }
        }
        // In particular, any one second holds at most burst + rate.
        for (let i = 0; i < starts.length; i++) {
          const inSecond = starts.filter((t) => t >= starts[i] && t < starts[i] + 1000).length;
          expect(inSecond).toBeLessThanOrEqual(burst + ratePerS);
        }
      },
    ), { numRuns: 300 });
  });
});
