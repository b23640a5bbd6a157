/**
 * The relay's core without sockets: what goes upstream for what comes from
 * downstream — envelopes with the origin, its site and the path, re-wrapping
 * with loop detection along a chain of relays, loss counts that survive a
 * dropped payload, heartbeats and RELAY_STATS.
 */
import { describe, expect, test } from 'vitest';
import { decodeMessages, encodeMessages, Msg, type Message } from '../../protocol/index.js';
import { arrivedPath, ForwardCode, type ForwardCredit, type ForwardHead } from '../../protocol/forward.js';
import { splitInternal } from '../../protocol/framing.js';
import { Forwarder, type Downstream } from '../../relay/forwarder.js';

const T0 = 1_763_000_000_000_000;
const data = (id: number): Message =>
  ({ ...Msg.DATA, conn_id: id, ts: T0 + id, interval_us: 100_000, fwd_pkts: 2, fwd_bytes: 1000 + id, rev_pkts: 3, rev_bytes: 4500 });

interface Sent { payload: Buffer; messages: number; credits: ForwardCredit[] }
type Envelope = ForwardHead & { inner: Buffer };

function relay(relayId: number, o: Partial<{ heartbeatMs: number; statsMs: number; maxOrigins: number }> = {}): { f: Forwarder; sent: Sent[] } {
  const sent: Sent[] = [];
  const f = new Forwarder({ relayId, maxDatagram: 1400, heartbeatMs: 5000, statsMs: 1000, maxOrigins: 100, ...o },
    (payload, messages, credits) => sent.push({ payload, messages, credits }), 0);
  return { f, sent };
}

function messages(sent: Sent[]): Message[] {
  return sent.flatMap((s) => {
    const d = decodeMessages(s.payload, true);
    if (!d.ok) throw new Error(d.code);
    return d.messages;
  });
}
const envelopes = (sent: Sent[]): Envelope[] => messages(sent).filter((m) => m.type === Msg.FORWARD.type) as unknown as Envelope[];
const stats = (sent: Sent[]): Message[] => messages(sent).filter((m) => m.type === Msg.RELAY_STATS.type);

const paris: Downstream = { probeId: 7, site: { lat: 48.856613, lng: 2.352222, name: 'paris-1' } };

/** What a relay's session layer hands on for a payload: module 0 decoded, the rest raw. */
function fromPayload(f: Forwarder, peer: Downstream, payload: Buffer, lost: number, now: number): string[] {
  const s = splitInternal(payload);
  if (!s.ok) throw new Error(s.code);
  return f.received(peer, s.internal, s.rawCount > 0 ? s.raw : undefined, lost, now);
}

describe('Forwarder', () => {
  test('a probe\'s messages go up unread in an envelope naming the probe, its site and this relay', () => {
    const { f, sent } = relay(100);
    const raw = encodeMessages([data(1), data(2)]);
    f.received(paris, [], raw, 3, 10);
    f.flush();
    const [e] = envelopes(sent);
    expect(e).toMatchObject({ origin_id: 7, path: [{ relay_id: 100 }], site_lat: 48_856_613, site_lng: 2_352_222, site_name: 'paris-1', lost: 3, dropped: 0 });
    expect(e.inner.equals(raw)).toBe(true);
    expect(f.counters).toMatchObject({ datagrams: 1, messages: 2, lost: 3 });
  });

  test('a chain of relays re-wraps, appending each id, and glougloud reads the chain from the path', () => {
    const a = relay(100);
    const b = relay(200);
    const c = relay(300);
    const raw = encodeMessages([data(1)]);
    a.f.received(paris, [], raw, 2, 0);
    a.f.flush();
    for (const s of a.sent) fromPayload(b.f, { probeId: 100, site: { lat: 0, lng: 0, name: 'edge' } }, s.payload, 0, 0);
    b.f.flush();
    for (const s of b.sent) fromPayload(c.f, { probeId: 200, site: { lat: 0, lng: 0, name: 'core' } }, s.payload, 0, 0);
    c.f.flush();
    const [e] = envelopes(c.sent);
    expect(e.path).toEqual([{ relay_id: 100 }, { relay_id: 200 }, { relay_id: 300 }]);
    expect(e).toMatchObject({ origin_id: 7, site_name: 'paris-1', lost: 2 });
    expect(e.inner.equals(raw)).toBe(true);
    expect(arrivedPath(e, 300)).toEqual({ ok: true, via: [100, 200, 300] });
    expect(b.f.counters.rewrapped).toBe(1);
  });

  test('loop detection: an envelope that already went through this relay is refused and counted', () => {
    const a = relay(100);
    const b = relay(200);
    a.f.received(paris, [], encodeMessages([data(1)]), 0, 0);
    a.f.flush();
    for (const s of a.sent) fromPayload(b.f, { probeId: 100, site: paris.site }, s.payload, 0, 0);
    b.f.flush();
    // Misconfigured: relay 100 is also downstream of relay 200's output.
    const refused = b.sent.flatMap((s) => fromPayload(a.f, { probeId: 200, site: paris.site }, s.payload, 0, 1000));
    expect(refused).toEqual([ForwardCode.LOOP]);
    expect(a.f.counters.loops).toBe(1);
    a.f.tick(1000, [], true);
    a.f.flush();
    expect(stats(a.sent).at(-1)).toMatchObject({ loops: 1 });
  });

  test('an envelope whose path does not end with its sender is refused', () => {
    const { f, sent } = relay(200);
    const forged: Message = { ...Msg.FORWARD, origin_id: 7, path: [{ relay_id: 100 }], site_lat: 0, site_lng: 0, site_name: '', lost: 0, dropped: 0, inner: encodeMessages([data(1)]) };
    expect(f.received({ probeId: 150, site: paris.site }, [forged], undefined, 0, 0)).toEqual([ForwardCode.PATH]);
    f.flush();
    expect(envelopes(sent)).toEqual([]);
  });

  test('a downstream relay\'s RELAY_STATS goes up as its own message, in an envelope with it as origin', () => {
    const { f, sent } = relay(200);
    const rs: Message = { ...Msg.RELAY_STATS, ts: T0, interval_us: 1_000_000, sessions: 4, datagrams: 10, lost: 1, dropped: 0, auth_failures: 2, replays: 0, unknown_sessions: 0, loops: 0, refused: 0 };
    fromPayload(f, { probeId: 100, site: { lat: 1, lng: 2, name: 'edge' } }, encodeMessages([rs]), 5, 0);
    f.flush();
    const [e] = envelopes(sent);
    expect(e).toMatchObject({ origin_id: 100, path: [{ relay_id: 200 }], site_name: 'edge', lost: 5 });
    const inner = decodeMessages(e.inner, true);
    if (!inner.ok) expect.fail(inner.code);
    expect(inner.messages[0]).toMatchObject({ module: 0, type: 10, sessions: 4, auth_failures: 2 });
  });

  test('what a dropped payload carried comes back in the origin\'s next envelope', () => {
    const a = relay(100);
    a.f.received(paris, [], encodeMessages([data(1), data(2), data(3)]), 4, 0);
    a.f.flush();
    expect(a.sent).toHaveLength(1);
    // The upstream buffer was full: the payload is gone.
    a.f.dropped(a.sent[0].credits, a.sent[0].messages);
    a.f.received(paris, [], encodeMessages([data(4)]), 0, 10);
    a.f.flush();
    const e = envelopes(a.sent.slice(1));
    expect(e[0]).toMatchObject({ origin_id: 7, lost: 4, dropped: 3 });
    expect(a.f.counters.dropped).toBe(3);
    a.f.tick(1000, [paris], true);
    a.f.flush();
    expect(stats(a.sent).at(-1)).toMatchObject({ dropped: 3, lost: 4, datagrams: 2, sessions: 1 });
  });

  test('a relay adds its own drops to the drops an envelope already carries', () => {
    const b = relay(200);
    b.f.dropped([{ origin: 7, messages: 5, lost: 0, dropped: 0 }], 5);
    const e: Message = { ...Msg.FORWARD, origin_id: 7, path: [{ relay_id: 100 }], site_lat: 0, site_lng: 0, site_name: '', lost: 1, dropped: 2, inner: Buffer.alloc(0) };
    b.f.received({ probeId: 100, site: paris.site }, [e], undefined, 0, 0);
    b.f.flush();
    expect(envelopes(b.sent)[0]).toMatchObject({ lost: 1, dropped: 7, path: [{ relay_id: 100 }, { relay_id: 200 }] });
  });

  test('heartbeats: an empty envelope for each probe silent for heartbeatMs, only while upstream is up', () => {
    const { f, sent } = relay(100, { heartbeatMs: 5000, statsMs: 60_000 });
    const berlin: Downstream = { probeId: 8, site: { lat: 52.52, lng: 13.4, name: 'berlin' } };
    f.received(paris, [], encodeMessages([data(1)]), 0, 0);
    f.tick(4000, [paris, berlin], false);
    f.tick(4000, [paris, berlin], true);
    f.flush();
    expect(envelopes(sent).map((e) => [e.origin_id, e.inner.length])).toEqual([[7, 36], [8, 0]]);
    f.tick(5500, [paris, berlin], true);
    f.flush();
    expect(envelopes(sent).slice(2).map((e) => [e.origin_id, e.inner.length])).toEqual([[7, 0]]);
    expect(f.counters.heartbeats).toBe(2);
  });

  test('RELAY_STATS every statsMs: deltas of refusals by kind, and the sessions gauge', () => {
    const { f, sent } = relay(100);
    for (const code of ['GG_ERR_AUTH_FAILED', 'GG_ERR_AUTH_FAILED', 'GG_ERR_REPLAYED', 'GG_ERR_UNKNOWN_SESSION', 'GG_ERR_RATE_LIMITED', 'GG_ERR_TRUNCATED'] as const) f.refused(code);
    f.tick(500, [paris], true);
    f.flush();
    expect(stats(sent)).toEqual([]);
    f.tick(1000, [paris], true);
    f.tick(1500, [paris], true);
    f.tick(2000, [], true);
    f.flush();
    const s = stats(sent);
    expect(s).toHaveLength(2);
    expect(s[0]).toMatchObject({ interval_us: 1_000_000, ts: 1_000_000, sessions: 1, auth_failures: 2, replays: 1, unknown_sessions: 1, refused: 2, loops: 0 });
    expect(s[1]).toMatchObject({ sessions: 0, auth_failures: 0, replays: 0, refused: 0 });
  });

  test('counts that would pass 2^32 - 1 are clamped, never wrapped', () => {
    const { f, sent } = relay(100);
    f.received(paris, [], encodeMessages([data(1)]), 0xffffffff, 0);
    f.received(paris, [], encodeMessages([data(2)]), 0, 0);
    f.dropped([{ origin: 7, messages: 1, lost: 0xffffffff, dropped: 0 }], 1);
    f.received(paris, [], encodeMessages([data(3)]), 10, 0);
    f.flush();
    expect(envelopes(sent).map((e) => e.lost)).toEqual([0xffffffff, 0, 0xffffffff]);
  });
});
