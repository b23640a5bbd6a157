/**
 * The table on its own: keys from real packet fields, index churn against a
 * Map model (backward-shift deletion must never lose an entry), LRU lists,
 * free-slot order and connection ids.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DecodeStatus, PacketInfo } from '../../../probe/decode/packet-info.js';
import { Cls, ConnectionTable, State, STRIDE, W_NEXT } from '../../../probe/track/connection-table.js';
import { FlowKey, KeyKind, flowKeyOf } from '../../../probe/track/flow-key.js';

function udp(p: PacketInfo, src: number, dst: number, sport: number, dport: number, vlan = 0): PacketInfo {
  p.reset(1, 60, 60);
  p.ipVersion = 4;
  p.src4 = src >>> 0;
  p.dst4 = dst >>> 0;
  p.proto = 17;
  p.hasPorts = true;
  p.sport = sport;
  p.dport = dport;
  p.vlan = vlan;
  p.l4Offset = 34;
  p.ipEnd = 60;
  return p;
}

describe('flow keys', () => {
  const p = new PacketInfo();
  const k = new FlowKey();

  it('both directions give the same key and hash, with swapped telling which way the packet went', () => {
    expect(flowKeyOf(k, udp(p, 0xc0000201, 0x0a000001, 5353, 53), 9)).toBe(KeyKind.OK);
    const fwd = { w: [...k.w], ports: k.ports, meta: k.meta, hash: k.hash, swapped: k.swapped };
    flowKeyOf(k, udp(p, 0x0a000001, 0xc0000201, 53, 5353), 9);
    expect({ w: [...k.w], ports: k.ports, meta: k.meta, hash: k.hash }).toEqual({ w: fwd.w, ports: fwd.ports, meta: fwd.meta, hash: fwd.hash });
    expect(k.swapped).toBe(!fwd.swapped);
    // Same address on both sides (loopback): the ports decide the order.
    flowKeyOf(k, udp(p, 0x7f000001, 0x7f000001, 40000, 6379), 9);
    const h = k.hash;
    flowKeyOf(k, udp(p, 0x7f000001, 0x7f000001, 6379, 40000), 9);
    expect(k.hash).toBe(h);
  });

  it('refuses packets whose key fields were not captured', () => {
    udp(p, 1, 2, 3, 4);
    p.hasPorts = false;
    p.status = DecodeStatus.TRUNCATED;
    expect(flowKeyOf(k, p, 9)).toBe(KeyKind.NONE);
    p.reset(1, 40, 40);
    p.ipVersion = 4; p.proto = 1; p.l4Offset = 34; p.ipEnd = 36; p.status = DecodeStatus.TRUNCATED;
    expect(flowKeyOf(k, p, 9)).toBe(KeyKind.NONE);
    p.ipEnd = 38;
    expect(flowKeyOf(k, p, 9)).toBe(KeyKind.OK);
    p.proto = 47; // stopped inside IPv6 extension headers
    expect(flowKeyOf(k, p, 9)).toBe(KeyKind.NONE);
    p.status = DecodeStatus.OK;
    expect(flowKeyOf(k, p, 9)).toBe(KeyKind.OK);
    p.status = DecodeStatus.NOT_IP;
    expect(flowKeyOf(k, p, 9)).toBe(KeyKind.NONE);
    udp(p, 1, 2, 3, 4).fragOffset = 8;
    p.fragment = true;
    expect(flowKeyOf(k, p, 9)).toBe(KeyKind.LATER_FRAGMENT);
  });
});

describe('ConnectionTable', () => {
  it('finds exactly what was inserted through any sequence of inserts and releases', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 12 }), fc.array(fc.tuple(fc.nat(40), fc.boolean()), { maxLength: 300 }), (cap, ops) => {
      const t = new ConnectionTable(cap);
      const p = new PacketInfo();
      const k = new FlowKey();
      const model = new Map<number, number>();
      // Few addresses and ports so probe runs collide and wrap around the index.
      const keyOf = (n: number) => flowKeyOf(k, udp(p, 0x0a000000 + (n % 7), 0x0a000100 + (n % 5), n, 53, n % 3), 1);
      for (const [n, remove] of ops) {
        keyOf(n);
        const found = t.find(k);
        expect(found).toBe(model.get(n) ?? -1);
        if (found >= 0 && remove) {
          t.release(found);
          model.delete(n);
        } else if (found < 0) {
          const s = t.allocate();
          if (s < 0) { expect(model.size).toBe(cap); continue; }
          t.insert(s, k);
          t.link(s, State.ACTIVE, Cls.UDP);
          model.set(n, s);
        }
        expect(t.size).toBe(model.size);
      }
      for (let n = 0; n <= 40; n++) {
        keyOf(n);
        expect(t.find(k)).toBe(model.get(n) ?? -1);
      }
    }), { numRuns: 300 });
  });

  it('keeps each class list in touch order and reuses freed slots last', () => {
    const t = new ConnectionTable(4);
    const order = (cls: number) => {
      const out: number[] = [];
      for (let s = t.head[cls]; s >= 0; s = t.I[s * STRIDE + W_NEXT]) out.push(s);
      return out;
    };
    const slots = [t.allocate(), t.allocate(), t.allocate()];
    expect(slots).toEqual([0, 1, 2]);
    const p = new PacketInfo();
    const k = new FlowKey();
    for (const s of slots) {
      flowKeyOf(k, udp(p, 1, 2, 1000 + s, 53), 1);
      t.insert(s, k);
      t.link(s, State.ACTIVE, Cls.UDP);
    }
    expect(order(Cls.UDP)).toEqual([2, 1, 0]);
    t.touch(0);
    expect(order(Cls.UDP)).toEqual([0, 2, 1]);
    expect(t.tail[Cls.UDP]).toBe(1);
    t.unlink(2);
    t.link(2, State.TCP_ESTABLISHED, Cls.TCP_ESTABLISHED);
    expect([order(Cls.UDP), order(Cls.TCP_ESTABLISHED), [...t.counts.slice(0, 4)]]).toEqual([[0, 1], [2], [0, 1, 0, 2]]);
    t.release(1);
    expect(t.find(k)).toBe(2);
    flowKeyOf(k, udp(p, 1, 2, 1001, 53), 1);
    expect(t.find(k)).toBe(-1);
    expect([t.allocate(), t.allocate(), t.allocate()]).toEqual([3, 1, -1]);
  });

  it('gives ids unique among live slots, changing with every reuse of a slot', () => {
    const t = new ConnectionTable(3);
    const a = t.newId(0);
    const b = t.newId(1);
    const a2 = t.newId(0);
    expect(new Set([a, b, a2]).size).toBe(3);
    expect([a, b]).toEqual([1, 2]);
    for (let i = 0; i < 1000; i++) expect(t.newId(0)).not.toBe(b);
  });
});
