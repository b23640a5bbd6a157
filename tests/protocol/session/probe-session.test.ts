import { createHash } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { decodeDatagram, encodeMessages } from '../../../protocol/datagram.js';
import { ErrorCode } from '../../../protocol/errors.js';
import { Msg } from '../../../protocol/messages.js';
import { SessionCode } from '../../../protocol/session/codes.js';
import { ProbeSession, type ProbeSessionOptions } from '../../../protocol/session/probe-session.js';
import { ServerSessions } from '../../../protocol/session/server-sessions.js';
import { plainDatagram } from '../../../protocol/session/session-messages.js';

/** Deterministic randomBytes: SHA-256 of a seed and a counter. */
function seeded(seed: string): (n: number) => Buffer {
  let i = 0;
  return (n) => {
    const out = Buffer.alloc(n);
    for (let o = 0; o < n; ) o += createHash('sha256').update(`${seed}/${i++}`).digest().copy(out, o);
    return out;
  };
}

function as<R extends { kind: string }, K extends R['kind']>(r: R, kind: K): Extract<R, { kind: K }> {
  expect(r.kind, 'code' in r ? String(r.code) : undefined).toBe(kind);
  return r as Extract<R, { kind: K }>;
}

const SECRET = Buffer.from('probe secret');
const SRC = '203.0.113.9';
const site = { lat: 0, lng: -0.000001, name: '' };

function pair(o: Partial<ProbeSessionOptions> = {}): { s: ServerSessions; p: ProbeSession } {
  const s = new ServerSessions({ secretFor: (id) => (id === 1 ? SECRET : undefined), randomBytes: seeded('s') });
  const p = new ProbeSession({ probeId: 1, secret: SECRET, site, randomBytes: seeded('p'), ...o });
  return { s, p };
}
function establish(s: ServerSessions, p: ProbeSession, now: number): number {
  const hr = as(s.receive(p.start(now), SRC, now), 'send');
  const est = as(s.receive(as(p.receive(hr.datagram, now), 'send').datagram, SRC, now), 'established');
  as(p.receive(est.datagram, now), 'established');
  return est.session.id;
}
function typeOf(datagram: Buffer): number | undefined {
  const d = decodeDatagram(datagram);
  return d.ok ? d.messages[0]?.type : undefined;
}

describe('ProbeSession handshake timing', () => {
  test('HELLO is retransmitted with doubling delays up to the cap, then the handshake times out', () => {
    const { p } = pair({ handshakeRetryMs: 100, handshakeRetryMaxMs: 400, handshakeTimeoutMs: 2000 });
    expect(p.state).toBe('idle');
    expect(p.tick(0).kind).toBe('none');
    const hello = p.start(0);
    expect(p.state).toBe('hello_sent');
    const sentAt: number[] = [];
    for (let t = 0; t < 2000; t += 10) {
      const r = p.tick(t);
      if (r.kind === 'send') {
        expect(r.datagram.equals(hello)).toBe(true);
        sentAt.push(t);
      } else expect(r.kind).toBe('none');
    }
    expect(sentAt).toEqual([100, 300, 700, 1100, 1500, 1900]);
    expect(as(p.tick(2000), 'closed').reason).toBe('timeout');
    expect(p.state).toBe('closed');
    expect(p.tick(2100).kind).toBe('none');
  });

  test('start() again begins a new handshake with a new nonce', () => {
    const { p } = pair();
    const a = p.start(0);
    const b = p.start(5);
    expect(a.equals(b)).toBe(false);
    expect(p.state).toBe('hello_sent');
  });

  test('seal() before establishment returns null', () => {
    const { p } = pair();
    expect(p.seal(Buffer.alloc(4))).toBeNull();
    p.start(0);
    expect(p.seal(Buffer.alloc(4))).toBeNull();
  });
});

describe('ProbeSession keepalive and liveness', () => {
  test('PING only when the server has been quiet for keepaliveMs, at most once per keepaliveMs', () => {
    const { s, p } = pair({ keepaliveMs: 1000, deadAfterMs: 3500 });
    establish(s, p, 0);
    expect(p.tick(999).kind).toBe('none');
    const ping = as(p.tick(1000), 'send').datagram;
    expect(p.tick(1500).kind).toBe('none'); // unanswered, not yet due again
    const again = as(p.tick(2000), 'send').datagram;
    expect(again.equals(ping)).toBe(false); // new seq, new token
    // Answered: quiet again for a full keepalive before the next PING.
    as(p.receive(as(s.receive(again, SRC, 2000), 'send').datagram, 2010), 'none');
    expect(p.rttMs).toBe(10);
    expect(p.tick(3009).kind).toBe('none');
    expect(p.tick(3010).kind).toBe('send');
  });

  test('nothing authentic heard for deadAfterMs: the session is reported dead', () => {
    const { s, p } = pair({ keepaliveMs: 1000, deadAfterMs: 3000 });
    establish(s, p, 0);
    p.tick(1000);
    p.tick(2000);
    // Forged datagrams do not keep it alive.
    const forged = Buffer.from(p.seal(Buffer.alloc(0))!);
    forged[forged.length - 1] ^= 1;
    as(p.receive(forged, 2500), 'error');
    expect(as(p.tick(3000), 'closed').reason).toBe('timeout');
    expect(p.state).toBe('closed');
  });

  test('a PING from the server is answered with PING_RES carrying its token and ts', () => {
    const { s, p } = pair();
    const id = establish(s, p, 0);
    const ping = s.seal(id, encodeMessages([{ ...Msg.PING, token: 0xdeadbeef, ts: 123_456 }]))!;
    const reply = as(p.receive(ping, 10), 'send').datagram;
    const r = as(s.receive(reply, SRC, 11), 'messages');
    expect(r.messages).toEqual([]);
    expect(s.get(id)!.counters.messages).toBe(1);
  });

  test('a sealed datagram from the server is accepted once', () => {
    const { s, p } = pair();
    const id = establish(s, p, 0);
    const d = s.seal(id, encodeMessages([{ ...Msg.PING_RES, token: 1, ts: 1 }]))!;
    expect(p.receive(d, 1).kind).toBe('none');
    expect(as(p.receive(d, 2), 'error').code).toBe(ErrorCode.REPLAYED);
    expect(p.counters.replays).toBe(1);
  });
});

describe('ProbeSession refuses what it should not believe', () => {
  test('HELLO_RES with a version outside the probe range, or a downgraded mode, is ignored', () => {
    const { p } = pair({ versions: { min: 1, max: 1 } });
    p.start(0);
    const res = (version: number, mode: string) =>
      plainDatagram(77, { ...Msg.HELLO_RES, version, mode, session_id: 77, nonce: Buffer.alloc(32, 1) });
    expect(as(p.receive(res(2, 'encrypt'), 0), 'error')).toMatchObject({ code: ErrorCode.BAD_VERSION, fatal: false });
    expect(as(p.receive(res(1, 'integrity'), 0), 'error')).toMatchObject({ code: SessionCode.BAD_MODE, fatal: false });
    expect(p.state).toBe('hello_sent');
    // Header and body disagreeing on the session id.
    const mismatched = res(1, 'encrypt');
    mismatched.writeUInt32BE(78, 4);
    expect(as(p.receive(mismatched, 0), 'error').code).toBe(SessionCode.UNEXPECTED);
    const auth = as(p.receive(res(1, 'encrypt'), 0), 'send').datagram;
    expect(typeOf(auth)).toBe(Msg.AUTH.type);
    expect(p.state).toBe('auth_sent');
    expect(p.sessionId).toBe(77);
  });

  test('AUTH_RES for another session id, and sealed datagrams before establishment, are ignored', () => {
    const { s, p } = pair();
    const hr = as(s.receive(p.start(0), SRC, 0), 'send');
    const est = as(s.receive(as(p.receive(hr.datagram, 0), 'send').datagram, SRC, 0), 'established');
    const wrongId = Buffer.from(est.datagram);
    wrongId.writeUInt32BE((p.sessionId + 1) >>> 0, 4);
    expect(as(p.receive(wrongId, 0), 'error').code).toBe(SessionCode.UNEXPECTED);
    const early = s.seal(est.session.id, encodeMessages([{ ...Msg.PING, token: 1, ts: 1 }]))!;
    expect(as(p.receive(early, 0), 'error').code).toBe(SessionCode.UNKNOWN_SESSION);
    as(p.receive(est.datagram, 0), 'established');
  });

  test('NOTICEs: rate_limited is not fatal; unknown_session only counts for our session id', () => {
    const { s, p } = pair();
    p.start(0);
    const notice = (code: string, sid: number) =>
      plainDatagram(sid, { ...Msg.NOTICE, code, min_version: 1, max_version: 1, text: '' });
    expect(as(p.receive(notice('rate_limited', 0), 0), 'error')).toMatchObject({ code: SessionCode.RATE_LIMITED, fatal: false });
    expect(p.state).toBe('hello_sent');
    // A version NOTICE that overlaps our range changes nothing.
    expect(as(p.receive(notice('version', 0), 0), 'error').fatal).toBe(false);
    const id = establish(s, p, 1);
    expect(as(p.receive(notice('unknown_session', (id + 1) >>> 0), 2), 'error').fatal).toBe(false);
    expect(p.state).toBe('established');
    expect(as(p.receive(notice('unknown_session', id), 2), 'closed').reason).toBe('unknown_session');
  });

  test('options are validated', () => {
    const base = { probeId: 1, secret: SECRET, site };
    expect(() => new ProbeSession({ ...base, probeId: 0 })).toThrow(RangeError);
    expect(() => new ProbeSession({ ...base, site: { lat: 91, lng: 0, name: '' } })).toThrow(RangeError);
    expect(() => new ProbeSession({ ...base, site: { lat: 0, lng: 0, name: 'é'.repeat(33) } })).toThrow(RangeError);
    expect(() => new ProbeSession({ ...base, keepaliveMs: 1000, deadAfterMs: 1000 })).toThrow(RangeError);
    expect(() => new ProbeSession({ ...base, secret: Buffer.alloc(0) })).toThrow(RangeError);
  });
});
