// spec/vectors/session.json: handshake transcripts, sealed datagrams, open
// failures and replay-window walks (spec/protocol.md §7).
import assert from 'node:assert/strict';
import { u8, u32, i32, str8, ramp, rep, hdr, msg, time } from './lib.mjs';
import { authMac, authResMac, sessionKeys, seal, open } from './crypto.mjs';

const MODE = { encrypt: 1, integrity: 2 };
const STATUS = { ok: 1, denied: 2 };

/** One handshake, bodies laid out field by field per §6.1. */
function handshake(h) {
  const hello = u32(h.probe_id) + u8(h.min_version) + u8(h.max_version) + u8(MODE[h.mode]) + h.nonce_p;
  const helloRes = u8(h.version) + u8(MODE[h.mode]) + u32(h.session_id) + h.nonce_s;
  const authNoMac = u32(h.probe_id) + i32(h.site_lat) + i32(h.site_lng) + str8(h.site_name);
  const mac = authMac(h.secret, hello, helloRes, authNoMac);
  const auth = authNoMac + mac;
  const resMac = h.status === 'ok' ? authResMac(h.secret, hello, helloRes, auth, STATUS.ok) : rep(0, 32);
  const keys = sessionKeys(h.secret, h.nonce_p, h.nonce_s, h.session_id, h.version);
  assert.equal(hello.length, 78);
  assert.equal(helloRes.length, 76);
  return {
    name: h.name,
    secret_hex: h.secret,
    probe_id: h.probe_id,
    version: h.version,
    session_id: h.session_id,
    mode: h.mode,
    hello_body_hex: hello,
    hello_res_body_hex: helloRes,
    auth_body_hex: auth,
    auth_mac_hex: mac,
    auth_res_status: h.status,
    auth_res_mac_hex: resMac,
    key_p2s_hex: keys.p2s,
    key_s2p_hex: keys.s2p,
  };
}

export const handshakes = [
  handshake({
    name: 'encrypt mode, accepted (32-byte secret)',
    secret: 'a3f1c2d4e5b60718293a4b5c6d7e8f90112233445566778899aabbccddeeff00',
    probe_id: 7, min_version: 1, max_version: 1, mode: 'encrypt', nonce_p: ramp(0x00, 32),
    version: 1, session_id: 0x12345678, nonce_s: ramp(0xa0, 32),
    site_lat: 48_856_613, site_lng: 2_352_222, site_name: 'paris-1', status: 'ok',
  }),
  handshake({
    name: 'integrity mode, probe speaks 1..3, server picks 1, UTF-8 site name (16-byte secret)',
    secret: '00112233445566778899aabbccddeeff',
    probe_id: 0xa11e, min_version: 1, max_version: 3, mode: 'integrity', nonce_p: ramp(0x40, 32),
    version: 1, session_id: 0x9abcdef0, nonce_s: ramp(0xe0, 32),
    site_lat: 47_376_887, site_lng: 8_541_694, site_name: 'Zürich – Lab', status: 'ok',
  }),
  handshake({
    name: 'denied although the mac is right (probe disabled on the server); 80-byte secret, longer than the HMAC block',
    secret: ramp(0x10, 80),
    probe_id: 0xffffffff, min_version: 1, max_version: 1, mode: 'encrypt', nonce_p: rep(0x11, 32),
    version: 1, session_id: 1, nonce_s: rep(0x22, 32),
    site_lat: -33_448_900, site_lng: -70_669_300, site_name: '', status: 'denied',
  }),
];

const [hs1, hs2] = handshakes;
const T = 1_709_294_400_123_456; // 2024-03-01T12:00:00.123456Z

const ping = (token, ts) => msg(0, 5, u32(token) + time(ts));
const pingRes = (token, ts) => msg(0, 6, u32(token) + time(ts));
const data = msg(1, 3, u32(1) + time(T) + u32(1_000_000) + u32(12) + u32(4_321) + u32(10) + u32(60_000));
const newconn4 = msg(1, 1, u32(1) + time(T) + u8(6) + '0000' + '0000' + 'c93a' + '01bb' + '04' + 'c0a8010a' + '5db8d822');

function sealed(name, keyHex, mode, header, payload) {
  const datagram = seal(keyHex, mode, header, payload);
  assert.equal(open(keyHex, mode, datagram), payload);
  return { name, key_hex: keyHex, mode, header_hex: header, payload_hex: payload, datagram_hex: datagram };
}

const s1 = sealed('encrypt, probe→server, seq 1, PING + DATA', hs1.key_p2s_hex, 'encrypt',
  hdr({ flags: 3, session_id: hs1.session_id, seq: 1 }), ping(1, T) + data);
const s5 = sealed('integrity, probe→server, seq 1, NEWCONN in clear', hs2.key_p2s_hex, 'integrity',
  hdr({ flags: 1, session_id: hs2.session_id, seq: 1 }), newconn4);

export const sealedVectors = [
  s1,
  sealed('encrypt, server→probe, seq 1, PING_RES', hs1.key_s2p_hex, 'encrypt',
    hdr({ flags: 3, session_id: hs1.session_id, seq: 1 }), pingRes(1, T)),
  sealed('encrypt, seq 2, empty payload (tag only)', hs1.key_p2s_hex, 'encrypt',
    hdr({ flags: 3, session_id: hs1.session_id, seq: 2 }), ''),
  sealed('encrypt, seq 2^32+1 (nonce uses all 8 seq bytes), BYE', hs1.key_p2s_hex, 'encrypt',
    hdr({ flags: 3, session_id: hs1.session_id, seq: 2 ** 32 + 1 }), msg(0, 8, u8(1))),
  sealed('encrypt, seq 2^53-1 (largest allowed), PING', hs1.key_p2s_hex, 'encrypt',
    hdr({ flags: 3, session_id: hs1.session_id, seq: 2 ** 53 - 1 }), ping(0xffffffff, 0)),
  s5,
  sealed('integrity, server→probe, seq 7, NOTICE info', hs2.key_s2p_hex, 'integrity',
    hdr({ flags: 1, session_id: hs2.session_id, seq: 7 }), msg(0, 7, u8(5) + u8(1) + u8(1) + str8('hello'))),
];

/** Flips one bit of byte `i` (negative: from the end). */
function flip(hex, i) {
  const d = Buffer.from(hex, 'hex');
  d[i < 0 ? d.length + i : i] ^= 0x01;
  return d.toString('hex');
}
function setByte(hex, i, v) {
  const d = Buffer.from(hex, 'hex');
  d[i] = v;
  return d.toString('hex');
}

function failing(name, keyHex, mode, datagram) {
  assert.equal(open(keyHex, mode, datagram), 'GG_ERR_AUTH_FAILED', name);
  return { name, key_hex: keyHex, mode, datagram_hex: datagram, error: 'GG_ERR_AUTH_FAILED' };
}

export const openErrors = [
  failing('last tag bit flipped', s1.key_hex, 'encrypt', flip(s1.datagram_hex, -1)),
  failing('first ciphertext byte flipped', s1.key_hex, 'encrypt', flip(s1.datagram_hex, 16)),
  failing('header seq changed 1 → 2 (AAD and nonce differ)', s1.key_hex, 'encrypt', setByte(s1.datagram_hex, 15, 2)),
  failing('header session_id changed', s1.key_hex, 'encrypt', flip(s1.datagram_hex, 7)),
  failing('wrong direction key (server→probe key on a probe→server datagram)', hs1.key_s2p_hex, 'encrypt', s1.datagram_hex),
  failing('payload shorter than the tag (15 bytes)', s1.key_hex, 'encrypt', s1.datagram_hex.slice(0, 32 + 30)),
  failing('no payload at all (header only)', s1.key_hex, 'encrypt', s1.datagram_hex.slice(0, 32)),
  failing('tag dropped (datagram cut 16 bytes short)', s1.key_hex, 'encrypt', s1.datagram_hex.slice(0, -32)),
  failing('integrity: clear payload byte changed', s5.key_hex, 'integrity', flip(s5.datagram_hex, 16 + 10)),
  failing('integrity: clear payload cut by one byte', s5.key_hex, 'integrity', s5.datagram_hex.slice(0, -34) + s5.datagram_hex.slice(-32)),
  failing('integrity datagram (flags 0x01, valid tag) in an encrypt session: downgrade refused', s5.key_hex, 'encrypt', s5.datagram_hex),
  failing('encrypt datagram (flags 0x03, valid tag) in an integrity session', s1.key_hex, 'integrity', s1.datagram_hex),
  failing('encrypt datagram relabelled integrity (flags 0x03 → 0x01)', s1.key_hex, 'integrity', setByte(s1.datagram_hex, 3, 1)),
];

/** Reference window (§7.6) used to check the expected columns written below. */
function walk(seqs) {
  let highest = 0;
  const seen = new Set([0]);
  return seqs.map((s) => {
    if (s > highest) {
      highest = s;
      seen.add(s);
      for (const x of seen) if (x <= highest - 1024) seen.delete(x);
      return 'ok';
    }
    if (s > highest - 1024 && !seen.has(s)) { seen.add(s); return 'ok'; }
    return 'GG_ERR_REPLAYED';
  });
}

const R = 'GG_ERR_REPLAYED';
const replayCases = [
  ['in order', [1, 2, 3, 4], ['ok', 'ok', 'ok', 'ok']],
  ['duplicate of the highest', [1, 2, 2], ['ok', 'ok', R]],
  ['seq 0 is never valid sealed', [0], [R]],
  ['seq 0 after traffic', [1, 2, 0], ['ok', 'ok', R]],
  ['reordered inside the window, then a duplicate', [1, 5, 3, 4, 2, 3], ['ok', 'ok', 'ok', 'ok', 'ok', R]],
  ['gaps are fine', [10, 20, 15, 11, 19], ['ok', 'ok', 'ok', 'ok', 'ok']],
  ['window edge: highest-1023 accepted, highest-1024 refused', [2000, 977, 976, 977], ['ok', 'ok', R, R]],
  ['window slides: old seq falls out', [2000, 3024, 2000, 2001], ['ok', 'ok', R, 'ok']],
  ['jump of exactly the window size', [1, 1025, 1, 2], ['ok', 'ok', R, 'ok']],
  ['jump far beyond the window', [1, 2, 3, 5000, 4000, 3977, 3976, 3], ['ok', 'ok', 'ok', 'ok', 'ok', 'ok', R, R]],
  ['stale mark from before a slide must not refuse a new seq', [6, 1100, 1030, 1030], ['ok', 'ok', 'ok', R]],
  ['large jump then the skipped seqs', [1, 100000, 99000, 98976, 98977, 1], ['ok', 'ok', 'ok', R, 'ok', R]],
  ['near 2^53', [2 ** 53 - 2, 2 ** 53 - 1, 2 ** 53 - 2, 2 ** 53 - 1], ['ok', 'ok', R, R]],
];

export const replay = replayCases.map(([name, seqs, expected]) => {
  assert.deepEqual(walk(seqs), expected, name);
  return { name, window: 1024, seqs, expected };
});

export const session = { handshake: handshakes, sealed: sealedVectors, open_errors: openErrors, replay };
