/**
 * The session layer as a relay runs it (ServerSessions with passThrough):
 * sealed payloads are opened and replay-checked as always, module 0 is
 * decoded for the session layer and relaying, everything else is handed on
 * as framed bytes, unread.
 */
import { describe, expect, test } from 'vitest';
import { encodeMessages, Msg, type Message } from '../../protocol/index.js';
import { ProbeSession } from '../../protocol/session/probe-session.js';
import { ServerSessions, type ServerResult } from '../../protocol/session/server-sessions.js';

const secret = Buffer.from('a probe secret of some length');
const site = { lat: 1, lng: 2, name: 'edge' };
const data: Message = { ...Msg.DATA, conn_id: 1, ts: 1_763_000_000_000_000, interval_us: 1, fwd_pkts: 1, fwd_bytes: 60, rev_pkts: 0, rev_bytes: 0 };

function pair(passThrough: boolean): { s: ServerSessions; p: ProbeSession } {
  const s = new ServerSessions({ secretFor: (id) => (id === 7 ? secret : undefined), passThrough });
  const p = new ProbeSession({ probeId: 7, secret, site });
  let d = p.start(0);
  for (let i = 0; i < 3 && p.state !== 'established'; i++) {
    const r = s.receive(d, 'src', 0) as ServerResult & { datagram: Buffer };
    const back = p.receive(r.datagram, 0);
    if (back.kind === 'send') d = back.datagram;
  }
  expect(p.state).toBe('established');
  return { s, p };
}

function messages(r: ServerResult): ServerResult & { kind: 'messages' } {
  if (r.kind !== 'messages') throw new Error(`${r.kind} ${'code' in r ? r.code : ''}`);
  return r;
}

describe('ServerSessions with passThrough', () => {
  test('other modules are handed on as their bytes, not decoded', () => {
    const { s, p } = pair(true);
    const payload = encodeMessages([data, { ...data, conn_id: 2 }]);
    const r = messages(s.receive(p.seal(payload)!, 'src', 1));
    expect(r.messages).toEqual([]);
    expect(r.raw?.equals(payload)).toBe(true);
    expect(r.session.counters.messages).toBe(2);
  });

  test('without passThrough the same payload is decoded, as glougloud needs', () => {
    const { s, p } = pair(false);
    const r = messages(s.receive(p.seal(encodeMessages([data]))!, 'src', 1));
    expect(r.raw).toBeUndefined();
    expect(r.messages.map((m) => m.conn_id)).toEqual([1]);
  });

  test('module 0 is still the session layer\'s: PING is answered, FORWARD and RELAY_STATS come decoded', () => {
    const { s, p } = pair(true);
    const fwd: Message = { ...Msg.FORWARD, origin_id: 9, path: [{ relay_id: 7 }], site_lat: 0, site_lng: 0, site_name: '', lost: 0, dropped: 0, inner: encodeMessages([data]) };
    const r = messages(s.receive(p.seal(encodeMessages([{ ...Msg.PING, token: 5, ts: 1 }, data, fwd]))!, 'src', 1));
    expect(r.reply).toBeDefined();
    expect(r.raw?.equals(encodeMessages([data]))).toBe(true);
    expect(r.messages.map((m) => [m.type, m.origin_id])).toEqual([[Msg.FORWARD.type, 9]]);
    const pong = p.receive(r.reply!, 2);
    expect(pong.kind).toBe('none');
  });

  test('a payload whose framing is cut short is refused whole and counted', () => {
    const { s, p } = pair(true);
    const payload = encodeMessages([data]);
    const r = s.receive(p.seal(payload.subarray(0, payload.length - 1))!, 'src', 1);
    expect(r.kind === 'drop' ? r.code : r.kind).toBe('GG_ERR_TRUNCATED');
    expect([...s.all()][0].counters.decodeErrors).toBe(1);
  });

  test('a BYE ends the session even in passThrough', () => {
    const { s, p } = pair(true);
    const r = s.receive(p.close('shutdown')!, 'src', 1);
    expect(r.kind).toBe('closed');
    expect(s.size).toBe(0);
  });
});
