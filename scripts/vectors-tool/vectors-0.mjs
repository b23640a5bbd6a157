// spec/vectors/module-0.json: the session-layer messages (spec §6.1).
import { i32, u32, utf8, ramp, rep, rawmsg, msg, hdr, H, valid, invalid } from './lib.mjs';
import { handshakes } from './vectors-session.mjs';

const hs = handshakes[0];
const T = 1_709_294_400_123_456;
const MAX_TIME = 2 ** 53 - 1;
const SID = 0x12345678;

// Bodies of the first handshake of session.json, re-laid out here by hand.
const helloBody = '00000007' + '01' + '01' + '01' + ramp(0x00, 32);
const helloResBody = '01' + '01' + '12345678' + ramp(0xa0, 32);
const authBody = '00000007' + i32(48_856_613) + i32(2_352_222) + '07' + utf8('paris-1') + hs.auth_mac_hex;
const authResBody = '01' + hs.auth_res_mac_hex;
if (helloBody !== hs.hello_body_hex || helloResBody !== hs.hello_res_body_hex || authBody !== hs.auth_body_hex) {
  throw new Error('module-0 handshake bodies disagree with session.json');
}

const text200 = 'x'.repeat(197) + 'é' + 'y'; // 197 + 2 + 1 = 200 bytes

// A framed DATA (module 1, type 3; spec §6.2) as a FORWARD carries it: conn 1, 100 ms, 2 packets of 1000 bytes out, 3 of 4500 back.
const dataInner = '0103' + '0020' + '00000001' + '000612981d893240' + '000186a0' + '00000002' + '000003e8' + '00000003' + '00001194';
// Relay ids 1..16: the longest path.
const path16 = Array.from({ length: 16 }, (_, i) => i + 1);
// A FORWARD body after its path: site (0, 0, ""), lost 0, dropped 0, no inner messages.
const fwdTail = i32(0) + i32(0) + '00' + '00000000' + '00000000' + '0000';

export const module0 = [
  // HELLO
  valid('HELLO, encrypt, versions 1..1 (session.json handshake 1)', H(), [
    [msg(0, 1, helloBody), { module: 0, type: 1, probe_id: 7, min_version: 1, max_version: 1, mode: 'encrypt', nonce: ramp(0x00, 32) }],
  ]),
  valid('HELLO, integrity, versions 1..3, largest probe id', H(), [
    [msg(0, 1, 'ffffffff' + '01' + '03' + '02' + rep(0xff, 32)),
      { module: 0, type: 1, probe_id: 0xffffffff, min_version: 1, max_version: 3, mode: 'integrity', nonce: rep(0xff, 32) }],
  ]),
  // HELLO_RES
  valid('HELLO_RES, new session 0x12345678 (session.json handshake 1)', H(SID), [
    [msg(0, 2, helloResBody), { module: 0, type: 2, version: 1, mode: 'encrypt', session_id: SID, nonce: ramp(0xa0, 32) }],
  ]),
  valid('HELLO_RES, integrity granted, session id 0xffffffff', H(0xffffffff), [
    [msg(0, 2, '01' + '02' + 'ffffffff' + rep(0, 32)), { module: 0, type: 2, version: 1, mode: 'integrity', session_id: 0xffffffff, nonce: rep(0, 32) }],
  ]),
  // AUTH
  valid('AUTH, Paris, ASCII site name (session.json handshake 1)', H(SID), [
    [msg(0, 3, authBody), { module: 0, type: 3, probe_id: 7, site_lat: 48_856_613, site_lng: 2_352_222, site_name: 'paris-1', mac: hs.auth_mac_hex }],
  ]),
  valid('AUTH, negative coordinates, UTF-8 site name', H(SID), [
    [msg(0, 3, '00000002' + 'fe01d33c' + 'fbc9a10c' + '0c' + '53c3a36f205061756c6f2031' + ramp(0x20, 32)),
      { module: 0, type: 3, probe_id: 2, site_lat: -33_434_820, site_lng: -70_672_116, site_name: 'São Paulo 1', mac: ramp(0x20, 32) }],
  ]),
  valid('AUTH, coordinate extremes (-90, 180), empty site name', H(SID), [
    [msg(0, 3, '00000001' + 'faa2b580' + '0aba9500' + '00' + rep(0xaa, 32)),
      { module: 0, type: 3, probe_id: 1, site_lat: -90_000_000, site_lng: 180_000_000, site_name: '', mac: rep(0xaa, 32) }],
  ]),
  valid('AUTH, coordinate extremes (90, -180), 64-byte site name', H(SID), [
    [msg(0, 3, '00000001' + '055d4a80' + 'f5456b00' + '40' + utf8('s'.repeat(64)) + rep(0x55, 32)),
      { module: 0, type: 3, probe_id: 1, site_lat: 90_000_000, site_lng: -180_000_000, site_name: 's'.repeat(64), mac: rep(0x55, 32) }],
  ]),
  // AUTH_RES
  valid('AUTH_RES ok (session.json handshake 1)', H(SID), [
    [msg(0, 4, authResBody), { module: 0, type: 4, status: 'ok', mac: hs.auth_res_mac_hex }],
  ]),
  valid('AUTH_RES denied, all-zero mac', H(SID), [
    [msg(0, 4, '02' + rep(0, 32)), { module: 0, type: 4, status: 'denied', mac: rep(0, 32) }],
  ]),
  // PING / PING_RES
  valid('PING', H(SID, 3), [
    [msg(0, 5, 'deadbeef' + '000612981d893240'), { module: 0, type: 5, token: 0xdeadbeef, ts: T }],
  ]),
  valid('PING, token 0, ts 0', H(SID, 4), [
    [msg(0, 5, '00000000' + '0000000000000000'), { module: 0, type: 5, token: 0, ts: 0 }],
  ]),
  valid('PING_RES, ts 2^53-1 (largest time)', H(SID, 5), [
    [msg(0, 6, 'deadbeef' + '001fffffffffffff'), { module: 0, type: 6, token: 0xdeadbeef, ts: MAX_TIME }],
  ]),
  // NOTICE
  valid('NOTICE version: server speaks 1..1', H(), [
    [msg(0, 7, '01' + '01' + '01' + '13' + utf8('unsupported version')),
      { module: 0, type: 7, code: 'version', min_version: 1, max_version: 1, text: 'unsupported version' }],
  ]),
  valid('NOTICE unknown_session, empty text', H(0xcafe0001), [
    [msg(0, 7, '02' + '01' + '01' + '00'), { module: 0, type: 7, code: 'unknown_session', min_version: 1, max_version: 1, text: '' }],
  ]),
  valid('NOTICE info, 4-byte UTF-8 and U+10FFFF', H(SID, 9), [
    [msg(0, 7, '05' + '01' + '02' + '0e' + '636166c3a9' + '20' + 'f09f909f' + 'f48fbfbf'),
      { module: 0, type: 7, code: 'info', min_version: 1, max_version: 2, text: 'café 🐟\u{10ffff}' }],
  ]),
  valid('NOTICE info, text starting with U+FEFF: a leading BOM is part of the string, not stripped', H(SID, 11), [
    [msg(0, 7, '05' + '01' + '01' + '06' + 'efbbbf' + '626f6d'), { module: 0, type: 7, code: 'info', min_version: 1, max_version: 1, text: '\ufeffbom' }],
  ]),
  valid('NOTICE denied, rate_limited, 200-byte text', H(), [
    [msg(0, 7, '03' + '01' + '01' + '00'), { module: 0, type: 7, code: 'denied', min_version: 1, max_version: 1, text: '' }],
    [msg(0, 7, '04' + '01' + '01' + 'c8' + utf8(text200)), { module: 0, type: 7, code: 'rate_limited', min_version: 1, max_version: 1, text: text200 }],
  ]),
  // BYE
  valid('BYE, every reason', H(SID, 10), [
    [msg(0, 8, '01'), { module: 0, type: 8, reason: 'shutdown' }],
    [msg(0, 8, '02'), { module: 0, type: 8, reason: 'restart' }],
    [msg(0, 8, '03'), { module: 0, type: 8, reason: 'timeout' }],
    [msg(0, 8, '04'), { module: 0, type: 8, reason: 'denied' }],
    [msg(0, 8, '05'), { module: 0, type: 8, reason: 'error' }],
  ]),
  valid('unknown type 11 of module 0 is skipped', H(SID), [
    [msg(0, 11, '0102'), null],
    [msg(0, 8, '01'), { module: 0, type: 8, reason: 'shutdown' }],
  ]),
  // FORWARD: the inner messages are opaque bytes to the codec, decoded as their hex.
  valid('FORWARD, one relay, one DATA inside', H(SID, 12), [
    [msg(0, 9, '00000007' + '01' + '00000064' + i32(48_856_613) + i32(2_352_222) + '07' + utf8('paris-1')
      + '00000003' + '00000000' + '0024' + dataInner),
      { module: 0, type: 9, origin_id: 7, path: [{ relay_id: 100 }], site_lat: 48_856_613, site_lng: 2_352_222, site_name: 'paris-1',
        lost: 3, dropped: 0, inner: dataInner }],
  ]),
  valid('FORWARD, two relays, empty inner (heartbeat), UTF-8 site name, largest counters', H(SID, 13), [
    [msg(0, 9, '00000007' + '02' + '00000064' + '000000c8' + 'fe01d33c' + 'fbc9a10c' + '0c' + '53c3a36f205061756c6f2031'
      + 'ffffffff' + 'ffffffff' + '0000'),
      { module: 0, type: 9, origin_id: 7, path: [{ relay_id: 100 }, { relay_id: 200 }], site_lat: -33_434_820, site_lng: -70_672_116,
        site_name: 'São Paulo 1', lost: 0xffffffff, dropped: 0xffffffff, inner: '' }],
  ]),
  valid('FORWARD, 16 relays (longest path), inner bytes that are no valid payload: relays do not read them', H(SID, 14), [
    [msg(0, 9, 'ffffffff' + '10' + path16.map(u32).join('') + i32(0) + i32(0) + '00' + '00000000' + '00000001' + '0003' + '474702'),
      { module: 0, type: 9, origin_id: 0xffffffff, path: path16.map((relay_id) => ({ relay_id })), site_lat: 0, site_lng: 0, site_name: '',
        lost: 0, dropped: 1, inner: '474702' }],
  ]),
  valid('FORWARD and RELAY_STATS side by side, as a relay sends them', H(SID, 15), [
    [msg(0, 10, '000612981d893240' + '000f4240' + '00000002' + '000003e8' + '00000005' + '00000000' + '00000001' + '00000002' + '00000003' + '00000000' + '00000004'),
      { module: 0, type: 10, ts: T, interval_us: 1_000_000, sessions: 2, datagrams: 1000, lost: 5, dropped: 0, auth_failures: 1, replays: 2,
        unknown_sessions: 3, loops: 0, refused: 4 }],
    [msg(0, 9, '00000009' + '01' + '00000064' + i32(0) + i32(0) + '00' + '00000000' + '00000000' + '0009' + msg(0, 8, '03') + msg(2, 3, '')),
      { module: 0, type: 9, origin_id: 9, path: [{ relay_id: 100 }], site_lat: 0, site_lng: 0, site_name: '', lost: 0, dropped: 0,
        inner: msg(0, 8, '03') + msg(2, 3, '') }],
  ]),
  valid('RELAY_STATS, all zero but the clock', H(SID, 16), [
    [msg(0, 10, '000612981d893240' + rep(0, 40)),
      { module: 0, type: 10, ts: T, interval_us: 0, sessions: 0, datagrams: 0, lost: 0, dropped: 0, auth_failures: 0, replays: 0,
        unknown_sessions: 0, loops: 0, refused: 0 }],
  ]),
  valid('unknown type 0 of module 0 is skipped', H(SID), [[rawmsg(0, 0, 0, ''), null]]),

  // invalid
  invalid('strict: unknown type 11 of module 0', hdr() + msg(0, 11, '0102') + msg(0, 8, '01'), 'GG_ERR_UNKNOWN_TYPE', true),
  invalid('HELLO probe_id 0', hdr() + msg(0, 1, '00000000' + '01' + '01' + '01' + ramp(0, 32)), 'GG_ERR_FIELD_RANGE'),
  invalid('HELLO min_version 0', hdr() + msg(0, 1, '00000007' + '00' + '01' + '01' + ramp(0, 32)), 'GG_ERR_FIELD_RANGE'),
  invalid('HELLO max_version 0', hdr() + msg(0, 1, '00000007' + '01' + '00' + '01' + ramp(0, 32)), 'GG_ERR_FIELD_RANGE'),
  invalid('HELLO mode 0', hdr() + msg(0, 1, '00000007' + '01' + '01' + '00' + ramp(0, 32)), 'GG_ERR_FIELD_RANGE'),
  invalid('HELLO mode 3', hdr() + msg(0, 1, '00000007' + '01' + '01' + '03' + ramp(0, 32)), 'GG_ERR_FIELD_RANGE'),
  invalid('HELLO nonce one byte short (length 38)', hdr() + msg(0, 1, '00000007' + '01' + '01' + '01' + ramp(0, 31)), 'GG_ERR_LENGTH_MISMATCH'),
  invalid('HELLO one trailing byte (length 40)', hdr() + msg(0, 1, '00000007' + '01' + '01' + '01' + ramp(0, 32) + '00'), 'GG_ERR_LENGTH_MISMATCH'),
  invalid('HELLO_RES session_id 0', hdr() + msg(0, 2, '01' + '01' + '00000000' + ramp(0xa0, 32)), 'GG_ERR_FIELD_RANGE'),
  invalid('HELLO_RES version 0', hdr() + msg(0, 2, '00' + '01' + '12345678' + ramp(0xa0, 32)), 'GG_ERR_FIELD_RANGE'),
  invalid('HELLO_RES mode 7', hdr() + msg(0, 2, '01' + '07' + '12345678' + ramp(0xa0, 32)), 'GG_ERR_FIELD_RANGE'),
  invalid('AUTH probe_id 0', hdr() + msg(0, 3, '00000000' + i32(0) + i32(0) + '00' + rep(0, 32)), 'GG_ERR_FIELD_RANGE'),
  invalid('AUTH site_lat 90000001', hdr() + msg(0, 3, '00000001' + '055d4a81' + i32(0) + '00' + rep(0, 32)), 'GG_ERR_FIELD_RANGE'),
  invalid('AUTH site_lat -90000001', hdr() + msg(0, 3, '00000001' + 'faa2b57f' + i32(0) + '00' + rep(0, 32)), 'GG_ERR_FIELD_RANGE'),
  invalid('AUTH site_lng 180000001', hdr() + msg(0, 3, '00000001' + i32(0) + '0aba9501' + '00' + rep(0, 32)), 'GG_ERR_FIELD_RANGE'),
  invalid('AUTH site_lng -180000001 (0xf5456aff)', hdr() + msg(0, 3, '00000001' + i32(0) + 'f5456aff' + '00' + rep(0, 32)), 'GG_ERR_FIELD_RANGE'),
  invalid('AUTH site_lng 0x80000000 (i32 minimum)', hdr() + msg(0, 3, '00000001' + i32(0) + '80000000' + '00' + rep(0, 32)), 'GG_ERR_FIELD_RANGE'),
  invalid('AUTH site_name 65 bytes (max 64), body length consistent',
    hdr() + msg(0, 3, '00000001' + i32(0) + i32(0) + '41' + utf8('s'.repeat(65)) + rep(0, 32)), 'GG_ERR_STRING_TOO_LONG'),
  invalid('AUTH site_name with a lone continuation byte',
    hdr() + msg(0, 3, '00000001' + i32(0) + i32(0) + '03' + '61' + '80' + '62' + rep(0, 32)), 'GG_ERR_BAD_UTF8'),
  invalid('AUTH site_name length runs into the mac: body 1 byte short',
    hdr() + msg(0, 3, '00000001' + i32(0) + i32(0) + '05' + utf8('abcd') + rep(0, 32)), 'GG_ERR_LENGTH_MISMATCH'),
  invalid('AUTH mac missing', hdr() + msg(0, 3, '00000001' + i32(0) + i32(0) + '00'), 'GG_ERR_LENGTH_MISMATCH'),
  invalid('AUTH_RES status 0', hdr() + msg(0, 4, '00' + rep(0, 32)), 'GG_ERR_FIELD_RANGE'),
  invalid('AUTH_RES status 3', hdr() + msg(0, 4, '03' + rep(0, 32)), 'GG_ERR_FIELD_RANGE'),
  invalid('AUTH_RES mac truncated to 16 bytes', hdr() + msg(0, 4, '01' + rep(0, 16)), 'GG_ERR_LENGTH_MISMATCH'),
  invalid('PING ts 2^53', hdr() + msg(0, 5, '00000001' + '0020000000000000'), 'GG_ERR_FIELD_RANGE'),
  invalid('PING ts 2^64-1', hdr() + msg(0, 5, '00000001' + 'ffffffffffffffff'), 'GG_ERR_FIELD_RANGE'),
  invalid('PING_RES ts 2^63', hdr() + msg(0, 6, '00000001' + '8000000000000000'), 'GG_ERR_FIELD_RANGE'),
  invalid('PING without ts', hdr() + msg(0, 5, '00000001'), 'GG_ERR_LENGTH_MISMATCH'),
  invalid('NOTICE code 0', hdr() + msg(0, 7, '00' + '01' + '01' + '00'), 'GG_ERR_FIELD_RANGE'),
  invalid('NOTICE code 6', hdr() + msg(0, 7, '06' + '01' + '01' + '00'), 'GG_ERR_FIELD_RANGE'),
  invalid('NOTICE min_version 0', hdr() + msg(0, 7, '01' + '00' + '01' + '00'), 'GG_ERR_FIELD_RANGE'),
  invalid('NOTICE text 201 bytes (max 200)', hdr() + msg(0, 7, '05' + '01' + '01' + 'c9' + utf8('t'.repeat(201))), 'GG_ERR_STRING_TOO_LONG'),
  invalid('NOTICE text with an overlong encoding of "/" (c0 af)', hdr() + msg(0, 7, '05' + '01' + '01' + '02' + 'c0af'), 'GG_ERR_BAD_UTF8'),
  invalid('NOTICE text with a UTF-16 surrogate (ed a0 80)', hdr() + msg(0, 7, '05' + '01' + '01' + '03' + 'eda080'), 'GG_ERR_BAD_UTF8'),
  invalid('NOTICE text length 3, 2 bytes present', hdr() + msg(0, 7, '05' + '01' + '01' + '03' + '6869'), 'GG_ERR_LENGTH_MISMATCH'),
  invalid('BYE reason 0', hdr() + msg(0, 8, '00'), 'GG_ERR_FIELD_RANGE'),
  invalid('BYE reason 6', hdr() + msg(0, 8, '06'), 'GG_ERR_FIELD_RANGE'),
  invalid('BYE empty body', hdr() + msg(0, 8, ''), 'GG_ERR_LENGTH_MISMATCH'),
  invalid('BYE two-byte body', hdr() + msg(0, 8, '0100'), 'GG_ERR_LENGTH_MISMATCH'),
  invalid('FORWARD origin_id 0', hdr() + msg(0, 9, '00000000' + '01' + '00000064' + fwdTail), 'GG_ERR_FIELD_RANGE'),
  invalid('FORWARD relay_id 0 on the path', hdr() + msg(0, 9, '00000007' + '01' + '00000000' + fwdTail), 'GG_ERR_FIELD_RANGE'),
  invalid('FORWARD path of 17 relays (max 16)', hdr() + msg(0, 9, '00000007' + '11' + [...path16, 17].map(u32).join('') + fwdTail), 'GG_ERR_FIELD_RANGE'),
  invalid('FORWARD path count 2, one relay present', hdr() + msg(0, 9, '00000007' + '02' + '00000064'), 'GG_ERR_LENGTH_MISMATCH'),
  invalid('FORWARD site_lat 90000001', hdr() + msg(0, 9, '00000007' + '01' + '00000064' + '055d4a81' + i32(0) + '00' + '00000000' + '00000000' + '0000'), 'GG_ERR_FIELD_RANGE'),
  invalid('FORWARD site_name 65 bytes (max 64)',
    hdr() + msg(0, 9, '00000007' + '01' + '00000064' + i32(0) + i32(0) + '41' + utf8('s'.repeat(65)) + '00000000' + '00000000' + '0000'), 'GG_ERR_STRING_TOO_LONG'),
  invalid('FORWARD inner length 5, 4 bytes present', hdr() + msg(0, 9, '00000007' + '01' + '00000064' + i32(0) + i32(0) + '00' + '00000000' + '00000000' + '0005' + '01020304'), 'GG_ERR_LENGTH_MISMATCH'),
  invalid('FORWARD one byte after its inner messages', hdr() + msg(0, 9, '00000007' + '01' + '00000064' + i32(0) + i32(0) + '00' + '00000000' + '00000000' + '0001' + 'aa' + 'bb'), 'GG_ERR_LENGTH_MISMATCH'),
  invalid('FORWARD without its inner length', hdr() + msg(0, 9, '00000007' + '01' + '00000064' + i32(0) + i32(0) + '00' + '00000000' + '00000000'), 'GG_ERR_LENGTH_MISMATCH'),
  invalid('RELAY_STATS ts 2^53', hdr() + msg(0, 10, '0020000000000000' + rep(0, 40)), 'GG_ERR_FIELD_RANGE'),
  invalid('RELAY_STATS one byte short', hdr() + msg(0, 10, '000612981d893240' + rep(0, 39)), 'GG_ERR_LENGTH_MISMATCH'),
];
// Keep the helpers honest: the hand-typed coordinates above are these values.
for (const [hex, v] of [['fe01d33c', -33_434_820], ['fbc9a10c', -70_672_116], ['faa2b580', -90_000_000], ['0aba9500', 180_000_000], ['055d4a80', 90_000_000], ['f5456b00', -180_000_000]]) {
  if (i32(v) !== hex) throw new Error(`i32 ${v}: ${i32(v)} != ${hex}`);
}
