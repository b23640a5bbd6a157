import { describe, expect, it } from 'vitest';
import { connKey, linkKey, nodeKey, parseKey, pathKey, probeKey } from '../../../glougloud/store/keys.js';
import { type RateState, rateAdd, rateBps, rateShape } from '../../../glougloud/store/rate.js';
import { missingNotifyClasses, notifyClasses, withNotifyClasses } from '../../../glougloud/store/notify.js';
import { ExpiryList, Expiring, TtlPolicy } from '../../../glougloud/store/expiry-list.js';

describe('keys', () => {
  it('builds and parses every kind of key, IPv6 included', () => {
    expect(parseKey(nodeKey('2001:db8::1'))).toEqual({ kind: 'node', addr: '2001:db8::1' });
    expect(parseKey(connKey(7, 4294967295))).toEqual({ kind: 'conn', probe: 7, conn: 4294967295 });
    expect(parseKey(pathKey(7, 'fe80::1'))).toEqual({ kind: 'path', probe: 7, dst: 'fe80::1' });
    expect(parseKey(probeKey(12))).toEqual({ kind: 'probe', probe: 12 });
    expect(linkKey('10.0.0.2', '10.0.0.1')).toBe('gg:1:l:10.0.0.1|10.0.0.2');
    expect(linkKey('10.0.0.1', '10.0.0.2')).toBe('gg:1:l:10.0.0.1|10.0.0.2');
    expect(parseKey(linkKey('::1', '10.0.0.1'))).toEqual({ kind: 'link', a: '10.0.0.1', b: '::1' });
  });

  it('rejects foreign and malformed keys', () => {
    for (const k of ['gg:2:n:1.2.3.4', 'gg:1:n:nope', 'gg:1:c:1:-1', 'gg:1:c:1:4294967296', 'gg:1:l:10.0.0.2|10.0.0.1', 'gg:1:x:1', 'gg:1:p:a:1.2.3.4', 'foo', 'gg:0:probe:01']) {
      expect(parseKey(k)).toBeNull();
    }
  });
});

describe('rate window', () => {
  const shape = rateShape(10_000, 10);
  const r = (): RateState => ({ rateRing: null, rateBucket: 0 });

  it('averages bytes over the window in bits per second and forgets what left it', () => {
    const s = r();
    expect(rateBps(s, shape, 0)).toBe(0);
    rateAdd(s, shape, 1000, 0);
    rateAdd(s, shape, 1000, 4_500);
    expect(rateBps(s, shape, 5_000)).toBe(1600);
    expect(rateBps(s, shape, 10_500)).toBe(800); // the first bucket left the window
    expect(rateBps(s, shape, 60_000)).toBe(0);
  });

  it('puts late samples in the newest bucket and saturates a bucket instead of wrapping', () => {
    const s = r();
    rateAdd(s, shape, 10, 5_000);
    rateAdd(s, shape, 10, 1_000);
    expect(rateBps(s, shape, 5_000)).toBe(16);
    rateAdd(s, shape, 0xffffffff, 5_000);
    expect(rateBps(s, shape, 5_000)).toBe(Math.round((0xffffffff * 8) / 10));
  });
});

describe('notify classes', () => {
  it('expands A and reports what is missing', () => {
    expect(notifyClasses('AK').has('x')).toBe(true);
    expect(missingNotifyClasses('AK')).toBe('');
    expect(missingNotifyClasses('')).toBe('Kghxe');
    expect(missingNotifyClasses('Eg')).toBe('Khxe');
    expect(withNotifyClasses('El')).toBe('ElKghxe');
  });
});

describe('expiry list and TTL policy', () => {
  it('keeps entries in the order their EXPIRE was sent and refreshes below the fraction', () => {
    const list = new ExpiryList<Expiring>();
    const ttl = new TtlPolicy(100, 0.5);
    const a = new Expiring(), b = new Expiring();
    list.pushTail(a); list.pushTail(b);
    expect(ttl.due(a, 0)).toBe(true);
    ttl.sent(a, 0); ttl.sent(b, 10);
    expect(ttl.due(a, 49_999)).toBe(false);
    expect(ttl.due(a, 50_001)).toBe(true);
    list.pushTail(a);
    expect(list.first()).toBe(b);
    expect(list.after(b)).toBe(a);
    list.remove(b);
    expect(list.first()).toBe(a);
    expect(list.size).toBe(1);
    list.forgetExpiries();
    expect(ttl.due(a, 0)).toBe(true);
  });
});
