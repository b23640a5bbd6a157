/**
 * FORWARD envelopes without sockets: the framing walk a relay does instead of
 * decoding, the path checks (loop detection) at a relay and at glougloud, and
 * the packer that cuts a run of messages at message boundaries to fill
 * upstream datagrams. Every payload produced is checked with the real decoder.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { decodeMessages, encodeMessages, Msg, type Message } from '../../protocol/index.js';
import { arrivedPath, extendPath, ForwardCode, ForwardPacker, MAX_RELAY_PATH, type ForwardCredit, type ForwardHead } from '../../protocol/forward.js';
import { countFrames, frameEnd, splitInternal } from '../../protocol/framing.js';
import { anyMessageArb, tableView } from '../helpers/protocol-arbitraries.js';

const T0 = 1_763_000_000_000_000;
const data = (id: number): Message =>
  ({ ...Msg.DATA, conn_id: id, ts: T0 + id, interval_us: 100_000, fwd_pkts: 2, fwd_bytes: 1000 + id, rev_pkts: 3, rev_bytes: 4500 });
const head = (over: Partial<ForwardHead> = {}): ForwardHead =>
  ({ origin_id: 7, path: [{ relay_id: 100 }], site_lat: 48_856_613, site_lng: 2_352_222, site_name: 'paris-1', lost: 0, dropped: 0, ...over });

interface Out { payload: Buffer; messages: number; credits: ForwardCredit[] }

function packer(maxDatagram = 1400): { p: ForwardPacker; out: Out[] } {
  const out: Out[] = [];
  return { p: new ForwardPacker((payload, messages, credits) => out.push({ payload, messages, credits }), maxDatagram), out };
}

/** Decodes every payload; returns its FORWARDs. */
function envelopes(out: Out[]): (ForwardHead & { inner: Buffer })[] {
  return out.flatMap(({ payload }) => {
    const d = decodeMessages(payload, true);
    if (!d.ok) throw new Error(`${d.code}: ${d.detail}`);
    return d.messages.filter((m) => m.type === Msg.FORWARD.type) as unknown as (ForwardHead & { inner: Buffer })[];
  });
}

describe('framing walk', () => {
  test('frameEnd and countFrames follow the length fields, and stop at a cut-short frame', () => {
    const p = encodeMessages([data(1), data(2)]);
    expect(frameEnd(p, 0)).toBe(36);
    expect(frameEnd(p, 36)).toBe(72);
    expect(countFrames(p)).toEqual({ ok: true, count: 2 });
    expect(frameEnd(p.subarray(0, 70), 36)).toBe(-1);
    const cut = countFrames(p.subarray(0, 39));
    expect(cut.ok).toBe(false);
    if (!cut.ok) expect(cut.code).toBe('GG_ERR_TRUNCATED');
  });

  test('splitInternal hands a probe\'s payload on as it is, without reading its bodies', () => {
    // A body that would fail to decode (vlan 5000 > 4095): a relay does not look.
    const bad = encodeMessages([data(1)]);
    const newconn = Buffer.from('0101001e' + '00000001' + '000612981d893240' + '06' + '1388' + '0000' + '9c40' + '01bb' + '04' + '0a010203' + '08080808', 'hex');
    const payload = Buffer.concat([bad, newconn]);
    expect(decodeMessages(payload).ok).toBe(false);
    const s = splitInternal(payload);
    if (!s.ok) expect.fail(s.code);
    expect(s.raw).toBe(payload);
    expect(s.rawCount).toBe(2);
    expect(s.internal).toEqual([]);
  });

  test('splitInternal decodes module 0 and keeps the rest in order, framed', () => {
    const payload = encodeMessages([data(1), { ...Msg.PING, token: 9, ts: T0 }, data(2)]);
    const s = splitInternal(payload);
    if (!s.ok) expect.fail(s.code);
    expect(s.internal.map(tableView)).toEqual([{ module: 0, type: 5, token: 9, ts: T0 }]);
    expect(s.raw.equals(encodeMessages([data(1), data(2)]))).toBe(true);
    expect(s.rawCount).toBe(2);
  });

  test('splitInternal refuses cut-short framing and faulty module-0 messages with the decoder\'s codes', () => {
    const payload = encodeMessages([data(1)]);
    const cut = splitInternal(payload.subarray(0, 30));
    expect(cut.ok ? 'ok' : cut.code).toBe('GG_ERR_TRUNCATED');
    const badBye = Buffer.concat([payload, Buffer.from('0008000109', 'hex')]);
    const r = splitInternal(badBye);
    expect(r.ok ? 'ok' : r.code).toBe('GG_ERR_FIELD_RANGE');
  });
});

describe('path checks', () => {
  test('a relay appends itself to the path of an envelope from its downstream relay', () => {
    const r = extendPath(head({ path: [{ relay_id: 100 }, { relay_id: 150 }] }), 150, 200);
    expect(r).toEqual({ ok: true, path: [{ relay_id: 100 }, { relay_id: 150 }, { relay_id: 200 }] });
  });

  test('loop detection: a relay refuses an envelope that already holds its own id', () => {
    const loop = extendPath(head({ path: [{ relay_id: 200 }, { relay_id: 150 }] }), 150, 200);
    expect(loop.ok ? 'ok' : loop.code).toBe(ForwardCode.LOOP);
    const own = extendPath(head({ origin_id: 200, path: [{ relay_id: 150 }] }), 150, 200);
    expect(own.ok ? 'ok' : own.code).toBe(ForwardCode.LOOP);
    const originOnPath = extendPath(head({ origin_id: 150, path: [{ relay_id: 150 }] }), 150, 200);
    expect(originOnPath.ok ? 'ok' : originOnPath.code).toBe(ForwardCode.LOOP);
  });

  test('the path must end with the relay that sent it, and have room', () => {
    const spoofed = extendPath(head({ path: [{ relay_id: 100 }] }), 150, 200);
    expect(spoofed.ok ? 'ok' : spoofed.code).toBe(ForwardCode.PATH);
    const empty = extendPath(head({ path: [] }), 150, 200);
    expect(empty.ok ? 'ok' : empty.code).toBe(ForwardCode.PATH);
    const full = Array.from({ length: MAX_RELAY_PATH }, (_, i) => ({ relay_id: 1000 + i }));
    const r = extendPath(head({ path: full }), 1015, 200);
    expect(r.ok ? 'ok' : r.code).toBe(ForwardCode.PATH);
    expect(extendPath(head({ path: full.slice(1) }), 1015, 200).ok).toBe(true);
  });

  test('at glougloud the chain is the path, which must end with the session\'s relay and never repeat', () => {
    expect(arrivedPath(head({ path: [{ relay_id: 100 }, { relay_id: 200 }] }), 200)).toEqual({ ok: true, via: [100, 200] });
    const wrongSender = arrivedPath(head({ path: [{ relay_id: 100 }] }), 200);
    expect(wrongSender.ok ? 'ok' : wrongSender.code).toBe(ForwardCode.PATH);
    const twice = arrivedPath(head({ path: [{ relay_id: 200 }, { relay_id: 100 }, { relay_id: 200 }] }), 200);
    expect(twice.ok ? 'ok' : twice.code).toBe(ForwardCode.LOOP);
    const originOnPath = arrivedPath(head({ origin_id: 100, path: [{ relay_id: 100 }] }), 100);
    expect(originOnPath.ok ? 'ok' : originOnPath.code).toBe(ForwardCode.LOOP);
  });
});

describe('ForwardPacker', () => {
  test('envelopes of a run of messages give back exactly the run, in order, within the datagram size', () => {
    fc.assert(fc.property(
      fc.array(fc.array(anyMessageArb, { maxLength: 40 }), { minLength: 1, maxLength: 8 }),
      fc.integer({ min: 576, max: 9000 }),
      (runs, max) => {
        const { p, out } = packer(max);
        const inners = runs.map((ms) => encodeMessages(ms));
        inners.forEach((inner, i) => p.wrap(head({ origin_id: i + 1, lost: i }), inner));
        p.flush();
        const limit = max - 32;
        for (const o of out) {
          // Oversize only when one framed message alone is too big for a datagram (spec §8 rule 5).
          if (o.payload.length > limit) expect(envelopes([o])).toHaveLength(1);
        }
        const env = envelopes(out);
        inners.forEach((inner, i) => {
          const mine = env.filter((e) => e.origin_id === i + 1);
          expect(Buffer.concat(mine.map((e) => e.inner)).equals(inner)).toBe(true);
          // Counts ride on the first envelope only.
          expect(mine.map((e) => e.lost)).toEqual(mine.map((_, k) => (k === 0 ? i : 0)));
        });
        // Every envelope holds whole messages.
        for (const e of env) expect(countFrames(e.inner).ok).toBe(true);
      },
    ), { numRuns: 150 });
  });

  test('full downstream datagrams are repacked into full upstream datagrams', () => {
    const { p, out } = packer(1400);
    const full = encodeMessages(Array.from({ length: 38 }, (_, i) => data(i))); // 1368 bytes: a full datagram's payload
    expect(full.length).toBe(1368);
    for (let i = 0; i < 100; i++) p.wrap(head(), full);
    p.flush();
    // At worst two envelopes (39 bytes each here) share a datagram: 35 DATA of 36 bytes still fit in what is left.
    expect(out.length).toBeLessThanOrEqual(Math.ceil(3800 / Math.floor((1368 - 2 * 39) / 36)) + 1);
    // A datagram is handed on only when not even one more message in a new envelope fits.
    for (const o of out.slice(0, -1)) expect(o.payload.length).toBeGreaterThan(1368 - 39 - 36);
    expect(out.reduce((n, o) => n + o.messages, 0)).toBe(3800);
  });

  test('credits say which origin each payload carried, and how much', () => {
    const { p, out } = packer(1400);
    p.wrap(head({ origin_id: 1, lost: 4, dropped: 2 }), encodeMessages([data(1), data(2)]));
    p.wrap(head({ origin_id: 2 }), encodeMessages([data(3)]));
    p.flush();
    expect(out).toHaveLength(1);
    expect(out[0].messages).toBe(3);
    expect(out[0].credits).toEqual([
      { origin: 1, messages: 2, lost: 4, dropped: 2 },
      { origin: 2, messages: 1, lost: 0, dropped: 0 },
    ]);
  });

  test('an empty run is one heartbeat envelope; a message too big for any datagram travels alone', () => {
    const { p, out } = packer(1400);
    p.wrap(head({ lost: 1 }), Buffer.alloc(0));
    const hops = Array.from({ length: 64 }, (_, i) => ({ ttl: i + 1, rtt_us: 1000, addr: `2001:db8::${i + 1}` }));
    const trace = encodeMessages([{ ...Msg.TRACE, ts: T0, family: 6, dst: '2001:db8::ffff', hops }]);
    expect(trace.length).toBe(1374);
    p.wrap(head(), Buffer.concat([trace, encodeMessages([data(1)])]));
    p.flush();
    const env = envelopes(out);
    expect(env[0].inner.length).toBe(0);
    expect(env[0].lost).toBe(1);
    expect(out.map((o) => o.payload.length)).toEqual([out[0].payload.length, 1374 + 39, out[2].payload.length]);
    expect(out[1].payload.length).toBeGreaterThan(1368);
    expect(Buffer.concat(env.slice(1).map((e) => e.inner)).equals(Buffer.concat([trace, encodeMessages([data(1)])]))).toBe(true);
  });

  test('a message whose envelope would pass 64 KiB of body is refused and counted', () => {
    const { p, out } = packer(1400);
    const huge = Buffer.alloc(4 + 65_535);
    huge[0] = 200; // a private module: relays pass it on unread, if it fits
    huge.writeUInt16BE(65_535, 2);
    expect(p.wrap(head(), Buffer.concat([huge, encodeMessages([data(1)])]))).toBe(1);
    p.flush();
    expect(p.oversize).toBe(1);
    expect(envelopes(out).map((e) => e.inner.length)).toEqual([36]);
    // Nothing else to carry: the counts go up alone.
    p.wrap(head({ lost: 3 }), huge);
    p.flush();
    expect(envelopes(out.slice(1)).map((e) => [e.inner.length, e.lost])).toEqual([[0, 3]]);
  });

  test('the relay\'s own messages are packed with the envelopes', () => {
    const { p, out } = packer(1400);
    p.wrap(head(), encodeMessages([data(1)]));
    p.add({ ...Msg.RELAY_STATS, ts: T0, interval_us: 1_000_000, sessions: 1, datagrams: 3, lost: 0, dropped: 0, auth_failures: 0, replays: 0, unknown_sessions: 0, loops: 0, refused: 0 });
    p.flush();
    const d = decodeMessages(out[0].payload, true);
    if (!d.ok) expect.fail(d.code);
    expect(d.messages.map((m) => m.type)).toEqual([Msg.FORWARD.type, Msg.RELAY_STATS.type]);
    expect(out[0].messages).toBe(2);
  });
});
