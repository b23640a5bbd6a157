import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { decodeHeader, decodeMessages, type Message } from '../../../protocol/datagram.js';
import { ErrorCode } from '../../../protocol/errors.js';
import { Msg } from '../../../protocol/messages.js';
import type { SealMode } from '../../../protocol/session/codes.js';
import { authMac, authResMac, deriveKeys } from '../../../protocol/session/crypto.js';
import { ProbeSession } from '../../../protocol/session/probe-session.js';
import { ReplayWindow } from '../../../protocol/session/replay-window.js';
import { openDatagram, sealDatagram } from '../../../protocol/session/seal.js';
import { ServerSessions } from '../../../protocol/session/server-sessions.js';

/**
 * Session vectors written by hand from the wire spec (spec/vectors/session.json):
 * the handshake MACs and keys, sealed datagrams, open failures and replay decisions.
 */

interface HandshakeVector {
  name: string; secret_hex: string; probe_id: number; version: number; session_id: number; mode?: SealMode;
  hello_body_hex: string; hello_res_body_hex: string; auth_body_hex: string; auth_mac_hex: string;
  auth_res_status: 'ok' | 'denied' | number; auth_res_mac_hex: string; key_p2s_hex: string; key_s2p_hex: string;
}
interface SealedVector { name: string; key_hex: string; mode: SealMode; header_hex: string; payload_hex: string; datagram_hex: string }
interface OpenErrorVector { name: string; key_hex: string; mode?: SealMode; datagram_hex: string; error: string }
interface ReplayVector { name: string; window: number; seqs: number[]; expected: string[] }
interface SessionVectors { handshake: HandshakeVector[]; sealed: SealedVector[]; open_errors: OpenErrorVector[]; replay: ReplayVector[] }

const FILE = fileURLToPath(new URL('../../../spec/vectors/session.json', import.meta.url));
const hex = (s: string) => Buffer.from(s, 'hex');
const STATUS = { ok: 1, denied: 2 } as const;

/** Decodes one message body of a known kind, framing it first. */
function body(kind: { module: number; type: number }, b: Buffer): Message {
  const framed = Buffer.concat([Buffer.from([kind.module, kind.type, b.length >> 8, b.length & 255]), b]);
  const r = decodeMessages(framed, true);
  if (!r.ok) throw new Error(`vector body does not decode: ${r.code}`);
  return r.messages[0]!;
}

/** randomBytes that hands out the given buffers in order (what the vector's peer drew). */
function scripted(...draws: Buffer[]): (n: number) => Buffer {
  return (n) => {
    const next = draws.shift();
    if (next === undefined || next.length !== n) throw new Error(`unexpected randomBytes(${n})`);
    return next;
  };
}

if (!existsSync(FILE)) {
  test('spec/vectors/session.json exists', () => {
    expect.fail(`missing ${FILE}: the session vectors must be written from the spec before this suite can run`);
  });
} else {
  const V = JSON.parse(readFileSync(FILE, 'utf8')) as SessionVectors;

  test('the vector file has every section', () => {
    for (const k of ['handshake', 'sealed', 'open_errors', 'replay'] as const) expect(V[k].length, k).toBeGreaterThan(0);
  });

  describe('handshake vectors', () => {
    for (const v of V.handshake) {
      test(`crypto: ${v.name}`, () => {
        const secret = hex(v.secret_hex);
        const hello = hex(v.hello_body_hex);
        const helloRes = hex(v.hello_res_body_hex);
        const auth = hex(v.auth_body_hex);
        expect(auth.subarray(-32).toString('hex')).toBe(v.auth_mac_hex);
        expect(authMac(secret, hello, helloRes, auth.subarray(0, -32)).toString('hex')).toBe(v.auth_mac_hex);
        const status = typeof v.auth_res_status === 'number' ? v.auth_res_status : STATUS[v.auth_res_status];
        if (status === STATUS.ok) expect(authResMac(secret, hello, helloRes, auth, status).toString('hex')).toBe(v.auth_res_mac_hex);
        else expect(v.auth_res_mac_hex).toBe('00'.repeat(32));
        const h = body(Msg.HELLO, hello);
        const hr = body(Msg.HELLO_RES, helloRes);
        expect(h.probe_id).toBe(v.probe_id);
        expect(hr).toMatchObject({ session_id: v.session_id, version: v.version });
        const keys = deriveKeys(secret, h.nonce as Buffer, hr.nonce as Buffer, v.session_id, v.version);
        expect(keys.p2s.toString('hex')).toBe(v.key_p2s_hex);
        expect(keys.s2p.toString('hex')).toBe(v.key_s2p_hex);
      });

      if (v.auth_res_status !== 'ok' && v.auth_res_status !== STATUS.ok) continue;
      test(`state machines reproduce the transcript: ${v.name}`, () => {
        // Give both sides the vector's random draws; their datagrams must then be the vector's bytes.
        const secret = hex(v.secret_hex);
        const h = body(Msg.HELLO, hex(v.hello_body_hex));
        const hr = body(Msg.HELLO_RES, hex(v.hello_res_body_hex));
        const a = body(Msg.AUTH, hex(v.auth_body_hex));
        const sid = Buffer.alloc(4);
        sid.writeUInt32BE(v.session_id);
        const server = new ServerSessions({
          secretFor: (id) => (id === v.probe_id ? secret : undefined),
          versions: { min: 1, max: v.version }, allowIntegrity: true,
          randomBytes: scripted(sid, Buffer.from(hr.nonce as Buffer)),
        });
        const probe = new ProbeSession({
          probeId: v.probe_id, secret, mode: h.mode as SealMode,
          versions: { min: h.min_version as number, max: h.max_version as number },
          site: { lat: (a.site_lat as number) / 1e6, lng: (a.site_lng as number) / 1e6, name: a.site_name as string },
          randomBytes: scripted(Buffer.from(h.nonce as Buffer)),
        });
        const helloD = probe.start(0);
        expect(helloD.subarray(20).toString('hex')).toBe(v.hello_body_hex);
        const r1 = server.receive(helloD, 'vector', 0);
        if (r1.kind !== 'send') throw new Error(`server answered ${r1.kind}`);
        expect(r1.datagram.subarray(20).toString('hex')).toBe(v.hello_res_body_hex);
        const r2 = probe.receive(r1.datagram, 0);
        if (r2.kind !== 'send') throw new Error(`probe answered ${r2.kind}`);
        expect(r2.datagram.subarray(20).toString('hex')).toBe(v.auth_body_hex);
        const r3 = server.receive(r2.datagram, 'vector', 0);
        if (r3.kind !== 'established') throw new Error(`server answered ${r3.kind}`);
        expect(r3.datagram.subarray(-32).toString('hex')).toBe(v.auth_res_mac_hex);
        expect(probe.receive(r3.datagram, 0).kind).toBe('established');
      });
    }
  });

  describe('sealed vectors', () => {
    for (const v of V.sealed) {
      test(v.name, () => {
        const key = hex(v.key_hex);
        const h = decodeHeader(hex(v.header_hex));
        if (!h.ok) throw new Error(`vector header does not decode: ${h.code}`);
        expect(sealDatagram(h.header, hex(v.payload_hex), key, v.mode).toString('hex')).toBe(v.datagram_hex);
        const r = openDatagram(hex(v.datagram_hex), key, v.mode);
        expect(r.ok).toBe(true);
        if (r.ok) expect(r.payload.toString('hex')).toBe(v.payload_hex);
      });
    }
  });

  describe('open error vectors', () => {
    for (const v of V.open_errors) {
      test(v.name, () => {
        expect(openDatagram(hex(v.datagram_hex), hex(v.key_hex), v.mode)).toMatchObject({ ok: false, code: v.error });
      });
    }
  });

  describe('replay vectors', () => {
    for (const v of V.replay) {
      test(v.name, () => {
        const w = new ReplayWindow(v.window);
        expect(v.seqs.map((s) => (w.accept(s) ? 'ok' : ErrorCode.REPLAYED))).toEqual(v.expected);
      });
    }
  });
}
