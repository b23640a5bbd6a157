import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  DatagramPacker, decodeDatagram, decodeMessages, encodeDatagram, encodeMessages, ErrorCode, Msg, MODULES,
} from '../../protocol/index.js';
import { anyMessageArb, messageArb, tableView } from '../helpers/protocol-arbitraries.js';

const header = { version: 1, flags: 0, session_id: 42, seq: 0 };

describe('round trip', () => {
  for (const mod of MODULES) {
    for (const msg of mod.messages) {
      test(`${mod.name} ${msg.name} encodes and decodes to itself`, () => {
        fc.assert(fc.property(messageArb(mod, msg), (m) => {
          const r = decodeDatagram(encodeDatagram(header, [m]), true);
          expect(r.ok).toBe(true);
          if (r.ok) expect(r.messages.map(tableView)).toEqual([tableView(m)]);
        }), { numRuns: 300 });
      });
    }
  }

  test('many mixed messages in one payload keep their order', () => {
    fc.assert(fc.property(fc.array(anyMessageArb, { maxLength: 30 }), (ms) => {
      const r = decodeMessages(encodeMessages(ms), true);
      expect(r.ok).toBe(true);
      if (r.ok) expect(r.messages.map(tableView)).toEqual(ms.map(tableView));
    }), { numRuns: 200 });
  });
});

describe('DatagramPacker', () => {
  test('packs every message exactly once into payloads within the limit', () => {
    fc.assert(fc.property(fc.array(anyMessageArb, { maxLength: 120 }), fc.integer({ min: 1100, max: 9000 }), (ms, max) => {
      const packer = new DatagramPacker(max);
      const payloads: Buffer[] = [];
      for (const m of ms) { const p = packer.add(m); if (p) payloads.push(p); }
      const last = packer.flush();
      if (last) payloads.push(last);
      const out = payloads.flatMap((p) => {
        expect(p.length).toBeLessThanOrEqual(max - 32);
        const r = decodeMessages(p, true);
        if (!r.ok) throw new Error(r.code);
        return r.messages;
      });
      expect(out.map(tableView)).toEqual(ms.map(tableView));
    }), { numRuns: 100 });
  });

  test('fills datagrams: 1400-byte datagrams carry ~38 DATA messages', () => {
    const packer = new DatagramPacker(1400);
    const payloads: Buffer[] = [];
    for (let i = 0; i < 1000; i++) {
      const p = packer.add({ ...Msg.DATA, conn_id: i, ts: 1, interval_us: 1, fwd_pkts: 1, fwd_bytes: 1, rev_pkts: 0, rev_bytes: 0 });
      if (p) payloads.push(p);
    }
    expect(payloads[0].length).toBe(36 * Math.floor((1400 - 32) / 36));
  });
});

describe('bad values are refused by the encoder', () => {
  const data = { ...Msg.DATA, conn_id: 1, ts: 1, interval_us: 1, fwd_pkts: 1, fwd_bytes: 1, rev_pkts: 0, rev_bytes: 0 };
  test.each([
    ['a negative counter', { ...data, fwd_bytes: -1 }],
    ['a counter past u32', { ...data, fwd_bytes: 2 ** 32 }],
    ['a fractional counter', { ...data, fwd_pkts: 1.5 }],
    ['a time past 2^53', { ...data, ts: 2 ** 53 }],
    ['an unknown enum name', { ...Msg.DELCONN, conn_id: 1, ts: 1, reason: 'bored' }],
    ['an inherited enum name', { ...Msg.DELCONN, conn_id: 1, ts: 1, reason: 'toString' }],
    ['an address of the wrong family', { ...Msg.NAME, ts: 1, rrtype: 1, family: 4, addr: '::1', name: 'x' }],
    ['a string over its maximum', { ...Msg.NAME, ts: 1, rrtype: 1, family: 4, addr: '1.2.3.4', name: 'x'.repeat(256) }],
    ['a VLAN id over 4095', { ...Msg.NEWCONN, conn_id: 1, ts: 1, proto: 6, vlan: 4096, vlan_inner: 0, sport: 1, dport: 2, family: 4, src: '1.2.3.4', dst: '1.2.3.5' }],
  ])('%s', (_name, m) => {
    expect(() => encodeMessages([m])).toThrow(RangeError);
  });
});

describe('decoder errors', () => {
  const good = encodeDatagram(header, [{ ...Msg.DELCONN, conn_id: 1, ts: 1, reason: 'rst' }]);
  const withByte = (i: number, v: number) => { const b = Buffer.from(good); b[i] = v; return b; };
  test.each([
    ['short header', good.subarray(0, 10), ErrorCode.TRUNCATED],
    ['bad magic', withByte(0, 0x48), ErrorCode.BAD_MAGIC],
    ['other version', withByte(2, 2), ErrorCode.BAD_VERSION],
    ['reserved flag', withByte(3, 4), ErrorCode.BAD_FLAGS],
    ['encrypted without sealed', withByte(3, 2), ErrorCode.BAD_FLAGS],
    ['cut in a message', good.subarray(0, good.length - 1), ErrorCode.TRUNCATED],
    ['bad enum', withByte(good.length - 1, 9), ErrorCode.FIELD_RANGE],
    ['length too long for the fields', Buffer.concat([withByte(19, good[19] + 1), Buffer.from([0])]), ErrorCode.LENGTH_MISMATCH],
  ])('%s', (_n, bytes, code) => {
    const r = decodeDatagram(bytes);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.code).toBe(code);
  });

  test('unknown modules are skipped by length, and refused in strict mode', () => {
    const payload = Buffer.concat([
      Buffer.from('09010003aabbcc', 'hex'),
      encodeMessages([{ ...Msg.DELCONN, conn_id: 1, ts: 1, reason: 'rst' }]),
      Buffer.from('01630000', 'hex'),
    ]);
    const r = decodeMessages(payload);
    expect(r.ok && r.skipped).toBe(2);
    expect(r.ok && r.messages.map(tableView)).toEqual([{ module: 1, type: 2, conn_id: 1, ts: 1, reason: 'rst' }]);
    const s = decodeMessages(payload, true);
    expect(!s.ok && s.code).toBe(ErrorCode.UNKNOWN_MODULE);
    const t = decodeMessages(Buffer.from('01630000', 'hex'), true);
    expect(!t.ok && t.code).toBe(ErrorCode.UNKNOWN_TYPE);
  });
});
