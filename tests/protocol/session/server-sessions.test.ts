import { createHash } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { encodeDatagram, encodeMessages, type Message } from '../../../protocol/datagram.js';
import { ErrorCode } from '../../../protocol/errors.js';
import { Msg } from '../../../protocol/messages.js';
import { SessionCode } from '../../../protocol/session/codes.js';
import { ProbeSession, type ProbeSessionOptions } from '../../../protocol/session/probe-session.js';
import { ServerSessions, type ServerResult, type ServerSessionsOptions } from '../../../protocol/session/server-sessions.js';

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

const SECRETS = new Map([[7, Buffer.from('secret of probe seven')], [8, Buffer.from('secret of probe eight')]]);
const SRC = '192.0.2.10';
const site = { lat: -33.8688, lng: 151.2093, name: 'Sydney' };
const name: Message = { ...Msg.NAME, ts: 1_700_000_000_000_000, rrtype: 1, family: 4, addr: '203.0.113.5', name: 'example.org' };

function server(o: Partial<ServerSessionsOptions> = {}): ServerSessions {
  return new ServerSessions({ secretFor: (id) => SECRETS.get(id), randomBytes: seeded('server'), ...o });
}
function probe(o: Partial<ProbeSessionOptions> = {}, seed = 'probe'): ProbeSession {
  const probeId = o.probeId ?? 7;
  return new ProbeSession({ probeId, secret: SECRETS.get(probeId)!, site, randomBytes: seeded(seed), ...o });
}
function handshake(s: ServerSessions, p: ProbeSession, now = 0, src = SRC): ServerResult & { kind: 'established' } {
  const helloRes = as(s.receive(p.start(now), src, now), 'send');
  const auth = as(p.receive(helloRes.datagram, now), 'send');
  const est = as(s.receive(auth.datagram, src, now), 'established');
  as(p.receive(est.datagram, now), 'established');
  return est;
}
function data(p: ProbeSession): Buffer {
  return p.seal(encodeMessages([name]))!;
}

describe('sealed datagrams from hostile or broken senders', () => {
  test('a replayed sealed datagram is GG_ERR_REPLAYED and counted; fresh ones still pass', () => {
    const s = server();
    const p = probe();
    const session = handshake(s, p).session;
    const d1 = data(p);
    as(s.receive(d1, SRC, 1), 'messages');
    const r = as(s.receive(d1, SRC, 2), 'drop');
    expect(r.code).toBe(ErrorCode.REPLAYED);
    expect(r.session).toBe(session);
    expect(session.counters.replays).toBe(1);
    expect(session.counters.datagrams).toBe(1);
    as(s.receive(data(p), SRC, 3), 'messages');
  });

  test('late datagrams inside the window are accepted once; older than the window are replays', () => {
    const s = server({ replayWindow: 64 });
    const p = probe();
    const session = handshake(s, p).session;
    const held = data(p); // seq 1, delayed
    for (let i = 0; i < 10; i++) data(p);
    expect(as(s.receive(data(p), SRC, 1), 'messages')).toMatchObject({ seq: 12, lost: 11 });
    expect(as(s.receive(held, SRC, 1), 'messages')).toMatchObject({ seq: 1, lost: 0 });
    expect(session.counters).toMatchObject({ lost: 11, reordered: 1 });
    const old = data(p); // seq 13
    for (let i = 0; i < 70; i++) data(p);
    as(s.receive(data(p), SRC, 2), 'messages'); // seq 84: 13 is now outside a 64-wide window
    expect(as(s.receive(old, SRC, 2), 'drop').code).toBe(ErrorCode.REPLAYED);
  });

  test('every bit flip of a sealed datagram is refused, payload and tag flips as GG_ERR_AUTH_FAILED', () => {
    for (const mode of ['encrypt', 'integrity'] as const) {
      const s = server({ allowIntegrity: true });
      const p = probe({ mode });
      const session = handshake(s, p).session;
      const d = data(p);
      let authFailures = 0;
      for (let bit = 0; bit < d.length * 8; bit++) {
        const t = Buffer.from(d);
        t[bit >> 3] ^= 1 << (bit & 7);
        const r = as(s.receive(t, SRC, 1), 'drop');
        // Low seq word, payload and tag are only checked by the AEAD; the rest of the header
        // (magic, version, flags, session id, high seq word) may be refused earlier, by its own code.
        if (bit >> 3 >= 12) expect(r.code).toBe(ErrorCode.AUTH_FAILED);
        if (r.code === ErrorCode.AUTH_FAILED) authFailures++;
      }
      expect(session.counters.authFailures).toBe(authFailures);
      expect(authFailures).toBeGreaterThan((d.length - 16) * 8);
      // Nothing above burned a seq: the untouched datagram is still accepted.
      as(s.receive(d, SRC, 2), 'messages');
    }
  });

  test('a datagram sealed with the server→probe key (reflected back) does not authenticate', () => {
    const s = server();
    const p = probe();
    const session = handshake(s, p).session;
    const down = s.seal(session.id, encodeMessages([name]))!;
    expect(as(s.receive(down, SRC, 1), 'drop').code).toBe(ErrorCode.AUTH_FAILED);
  });

  test('a session-level decode error is counted, and the seq is still consumed', () => {
    const s = server();
    const p = probe();
    const session = handshake(s, p).session;
    const bad = p.seal(Buffer.from([1, 4, 0, 2, 0]))!; // NAME claiming 2 bytes with 1 present
    expect(as(s.receive(bad, SRC, 1), 'drop').code).toBe(ErrorCode.TRUNCATED);
    expect(session.counters.decodeErrors).toBe(1);
    expect(as(s.receive(bad, SRC, 1), 'drop').code).toBe(ErrorCode.REPLAYED);
  });

  test('unknown modules in a sealed payload are skipped and counted', () => {
    const s = server();
    const p = probe();
    const session = handshake(s, p).session;
    const payload = Buffer.concat([Buffer.from([9, 1, 0, 2, 0xaa, 0xbb]), encodeMessages([name])]);
    const r = as(s.receive(p.seal(payload)!, SRC, 1), 'messages');
    expect(r.skipped).toBe(1);
    expect(r.messages).toHaveLength(1);
    expect(session.counters.skipped).toBe(1);
  });
});

describe('version negotiation', () => {
  test('the highest common version is chosen and keys bind it', () => {
    const s = server({ versions: { min: 1, max: 2 } });
    const p = probe({ versions: { min: 1, max: 3 } });
    const est = handshake(s, p);
    expect(est.session.version).toBe(2);
    expect(p.version).toBe(2);
    as(s.receive(data(p), SRC, 1), 'messages');
    const s1 = server();
    const p1 = probe({ versions: { min: 1, max: 3 } });
    expect(handshake(s1, p1).session.version).toBe(1);
  });

  test('no common version: the server drops the HELLO and sends NOTICE(version); the probe gives up', () => {
    const s = server();
    const p = probe({ versions: { min: 2, max: 3 } });
    const r = as(s.receive(p.start(0), SRC, 0), 'drop');
    expect(r.code).toBe(ErrorCode.BAD_VERSION);
    expect(s.pendingCount).toBe(0);
    const e = as(p.receive(r.reply!, 0), 'error');
    expect(e).toMatchObject({ code: ErrorCode.BAD_VERSION, fatal: true });
    expect(p.state).toBe('closed');
  });

  test('a datagram of another header version gets a NOTICE only if the NOTICE is not larger', () => {
    const s = server();
    const hello = probe().start(0);
    hello[2] = 2;
    const r = as(s.receive(hello, SRC, 0), 'drop');
    expect(r.code).toBe(ErrorCode.BAD_VERSION);
    expect(r.reply).toBeDefined();
    expect(r.reply!.length).toBeLessThanOrEqual(hello.length);
    const p = probe({ versions: { min: 2, max: 2 } });
    p.start(0);
    expect(as(p.receive(r.reply!, 0), 'error').code).toBe(ErrorCode.BAD_VERSION);
    const short = as(s.receive(hello.subarray(0, 20), SRC, 0), 'drop');
    expect(short.code).toBe(ErrorCode.BAD_VERSION);
    expect(short.reply).toBeUndefined();
  });
});

describe('limits', () => {
  test('handshake rate per source; other sources and established sessions are unaffected', () => {
    const s = server({ handshakeRatePerSource: { perSecond: 1, burst: 3 } });
    const p = probe();
    const session = handshake(s, p, 0, '198.51.100.1').session; // HELLO + AUTH: 2 tokens
    const other = probe({}, 'other');
    expect(as(s.receive(other.start(0), '198.51.100.1', 0), 'send')).toBeDefined();
    const limited = as(s.receive(other.start(0), '198.51.100.1', 0), 'drop');
    expect(limited.code).toBe(SessionCode.RATE_LIMITED);
    expect(limited.reply).toBeUndefined();
    for (let i = 0; i < 100; i++) as(s.receive(data(p), '198.51.100.1', i), 'messages');
    expect(as(s.receive(other.start(0), '198.51.100.2', 0), 'send')).toBeDefined();
    // Refills with time.
    expect(as(s.receive(probe({}, 'later').start(1000), '198.51.100.1', 1000), 'send')).toBeDefined();
    expect(session.counters.datagrams).toBe(100);
  });

  test('pending handshakes are bounded (oldest dropped) and expire', () => {
    const s = server({ maxPendingHandshakes: 3, handshakeTimeoutMs: 5000 });
    const probes = [0, 1, 2, 3].map((i) => probe({}, `p${i}`));
    const res = probes.map((p, i) => as(s.receive(p.start(0), `src${i}`, 0), 'send'));
    expect(s.pendingCount).toBe(3);
    expect(s.stats.pendingEvicted).toBe(1);
    // The first handshake was evicted: its AUTH finds nothing.
    expect(as(s.receive(as(probes[0]!.receive(res[0]!.datagram, 0), 'send').datagram, 'src0', 0), 'drop').code).toBe(SessionCode.UNKNOWN_SESSION);
    // The second completes; the third expires.
    as(s.receive(as(probes[1]!.receive(res[1]!.datagram, 0), 'send').datagram, 'src1', 1), 'established');
    const late = as(probes[2]!.receive(res[2]!.datagram, 0), 'send').datagram;
    expect(as(s.receive(late, 'src2', 5000), 'drop').code).toBe(SessionCode.UNKNOWN_SESSION);
    s.tick(5000);
    expect(s.pendingCount).toBe(0);
  });

  test('the session table is bounded; a known probe may still re-handshake', () => {
    const s = server({ maxSessions: 1 });
    const p7 = probe();
    handshake(s, p7);
    const r = as(s.receive(probe({ probeId: 8 }).start(0), SRC, 0), 'drop');
    expect(r.code).toBe(SessionCode.SESSION_LIMIT);
    expect(handshake(s, probe({}, 'again'), 1).replaced).toBeDefined();
    expect(s.size).toBe(1);
  });

  test('idle sessions expire on tick; the probe learns it from NOTICE(unknown_session) and re-handshakes', () => {
    const s = server({ sessionTimeoutMs: 60_000 });
    const p = probe();
    const id = handshake(s, p).session.id;
    as(s.receive(data(p), SRC, 30_000), 'messages');
    expect(s.tick(89_999)).toEqual([]);
    expect(s.tick(90_000)).toEqual([id]);
    expect(s.stats.expired).toBe(1);
    const r = as(s.receive(data(p), SRC, 90_001), 'drop');
    expect(r.code).toBe(SessionCode.UNKNOWN_SESSION);
    expect(as(p.receive(r.reply!, 90_001), 'closed').reason).toBe('unknown_session');
    const again = handshake(s, p, 90_002);
    expect(again.session.id).not.toBe(id);
    as(s.receive(data(p), SRC, 90_003), 'messages');
  });

  test('unknown-session NOTICEs are rate limited per source and never larger than what they answer', () => {
    const p = probe();
    handshake(server(), p);
    // A restarted server: it knows nothing of the probe's session.
    const orphan = server({ noticeRatePerSource: { perSecond: 1, burst: 2 }, randomBytes: seeded('restarted') });
    const replies = [0, 1, 2, 3].map(() => as(orphan.receive(data(p), SRC, 0), 'drop').reply);
    expect(replies.map((r) => r !== undefined)).toEqual([true, true, false, false]);
    expect(replies[0]!.length).toBeLessThanOrEqual(data(p).length);
  });
});

describe('restarts and retransmissions', () => {
  test('a restarted probe replaces its old session cleanly', () => {
    const s = server();
    const before = probe();
    const old = handshake(s, before).session;
    const stale = data(before);
    const after = probe({}, 'restarted');
    const est = handshake(s, after, 10);
    expect(est.replaced).toBe(old);
    expect(s.size).toBe(1);
    expect(s.forProbe(7)).toBe(est.session);
    expect(as(s.receive(stale, SRC, 11), 'drop').code).toBe(SessionCode.UNKNOWN_SESSION);
    as(s.receive(data(after), SRC, 11), 'messages');
    expect(s.stats.replaced).toBe(1);
  });

  test('lost HELLO_RES and AUTH_RES: retransmissions get the same answers and one session', () => {
    const s = server();
    const p = probe({ handshakeRetryMs: 100 });
    const hello = p.start(0);
    const first = as(s.receive(hello, SRC, 0), 'send').datagram; // lost
    as(p.tick(99), 'none');
    const again = as(p.tick(100), 'send').datagram;
    expect(again.equals(hello)).toBe(true);
    expect(as(s.receive(again, SRC, 100), 'send').datagram.equals(first)).toBe(true);
    expect(s.pendingCount).toBe(1);
    const auth = as(p.receive(first, 100), 'send').datagram;
    const est = as(s.receive(auth, SRC, 100), 'established'); // its AUTH_RES is lost
    as(p.tick(150), 'none');
    const authAgain = as(p.tick(200), 'send').datagram;
    expect(authAgain.equals(auth)).toBe(true);
    const resend = as(s.receive(authAgain, SRC, 200), 'send');
    expect(resend.datagram.equals(est.datagram)).toBe(true);
    expect(s.stats.established).toBe(1);
    as(p.receive(resend.datagram, 200), 'established');
    as(s.receive(data(p), SRC, 201), 'messages');
  });

  test('plain datagrams that are not HELLO/AUTH, or carry extra messages, are dropped', () => {
    const s = server();
    const h = { version: 1, flags: 0, session_id: 0, seq: 0 };
    const bye: Message = { ...Msg.BYE, reason: 'shutdown' };
    expect(as(s.receive(encodeDatagram(h, [bye]), SRC, 0), 'drop').code).toBe(SessionCode.UNEXPECTED);
    expect(as(s.receive(encodeDatagram(h, [name]), SRC, 0), 'drop').code).toBe(SessionCode.UNEXPECTED);
    expect(as(s.receive(encodeDatagram(h, []), SRC, 0), 'drop').code).toBe(SessionCode.UNEXPECTED);
    const hello = probe().start(0);
    const twice = Buffer.concat([hello, hello.subarray(16)]);
    expect(as(s.receive(twice, SRC, 0), 'drop').code).toBe(SessionCode.UNEXPECTED);
    expect(as(s.receive(Buffer.from('GG'), SRC, 0), 'drop').code).toBe(ErrorCode.TRUNCATED);
    expect(as(s.receive(Buffer.alloc(40), SRC, 0), 'drop').code).toBe(ErrorCode.BAD_MAGIC);
  });
});

describe('properties', () => {
  const size = (r: ServerResult): number | undefined =>
    r.kind === 'drop' ? r.reply?.length : r.kind === 'send' || r.kind === 'established' ? r.datagram.length : undefined;

  test('random bytes never throw, never establish, and no reply is larger than its request', () => {
    const s = server({ handshakeRatePerSource: { perSecond: 1e6, burst: 1e6 } });
    const anyBytes = fc.uint8Array({ maxLength: 300, size: 'max' });
    const ggBytes = fc.tuple(fc.constantFrom(0, 1, 3), fc.integer({ min: 0, max: 0xffffffff }), fc.uint8Array({ maxLength: 200, size: 'max' }))
      .map(([flags, sid, rest]) => Buffer.concat([Buffer.from([0x47, 0x47, 1, flags]), Buffer.from(Uint32Array.of(sid).buffer), Buffer.alloc(8), rest]));
    fc.assert(
      fc.property(fc.oneof(anyBytes, ggBytes), fc.nat(1e6), (b, now) => {
        const r = s.receive(b, SRC, now);
        const n = size(r);
        return r.kind === 'drop' || r.kind === 'send' ? n === undefined || n <= b.length : false;
      }),
      { numRuns: 2000 },
    );
  });

  test('mutations of genuine HELLO and AUTH datagrams never throw and never forge a session', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(), fc.nat(255)), { minLength: 1, maxLength: 4 }), fc.nat(3), fc.boolean(), (flips, which, truncate) => {
        const s = server();
        const p = probe();
        const hello = p.start(0);
        const helloRes = as(s.receive(hello, SRC, 0), 'send').datagram;
        const auth = as(p.receive(helloRes, 0), 'send').datagram;
        const candidates = [hello, auth];
        const pick = Buffer.from(candidates[which % 2]!);
        for (const [at, x] of flips) pick[at % pick.length] ^= x || 1;
        const input = truncate ? pick.subarray(0, flips[0]![0] % pick.length) : pick;
        if (input.equals(candidates[which % 2]!)) return true; // flips that cancel out
        const r = s.receive(input, SRC, 0);
        if (r.kind === 'established') return false;
        // The genuine AUTH still works afterwards unless the mutated one consumed the handshake.
        const after = s.receive(auth, SRC, 0);
        return after.kind === 'established' || (after.kind === 'drop' && after.code === SessionCode.UNKNOWN_SESSION);
      }),
      { numRuns: 300 },
    );
  });

  test('a probe fed random bytes in any state never throws', () => {
    const s = server();
    const states: ProbeSession[] = [];
    const idle = probe({}, 'idle');
    const helloSent = probe({}, 'hs');
    helloSent.start(0);
    const authSent = probe({}, 'as');
    as(authSent.receive(as(s.receive(authSent.start(0), SRC, 0), 'send').datagram, 0), 'send');
    const established = probe({}, 'est');
    handshake(s, established);
    states.push(idle, helloSent, authSent, established);
    const ggBytes = fc.tuple(fc.constantFrom(0, 1, 3), fc.uint8Array({ minLength: 12, maxLength: 12 }), fc.uint8Array({ maxLength: 120, size: 'max' }))
      .map(([flags, ids, rest]) => Buffer.concat([Buffer.from([0x47, 0x47, 1, flags]), ids, rest]));
    fc.assert(
      fc.property(fc.constantFrom(0, 1, 2, 3), fc.oneof(fc.uint8Array({ maxLength: 200, size: 'max' }), ggBytes), (i, b) => {
        const r = states[i]!.receive(b, 1);
        return r.kind === 'error' || r.kind === 'none';
      }),
      { numRuns: 1000 },
    );
  });
});
