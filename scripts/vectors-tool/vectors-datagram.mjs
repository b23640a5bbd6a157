// spec/vectors/datagram.json: the header, message framing, skipping and the
// datagram-level check order (spec §4, §5, §9).
import { utf8, rep, msg, rawmsg, hdr, H, valid, invalid } from './lib.mjs';

const T = 1_709_294_400_123_456;
const Tx = '000612981d893240';
const SID = 0x12345678;

const PING = [msg(0, 5, '00000001' + Tx), { module: 0, type: 5, token: 1, ts: T }];
const BYE = [msg(0, 8, '01'), { module: 0, type: 8, reason: 'shutdown' }];

const mixed = [
  PING,
  [msg(1, 1, '00000001' + Tx + '06' + '0000' + '0000' + 'c93a' + '01bb' + '04' + 'c0a8010a' + '5db8d822'),
    { module: 1, type: 1, conn_id: 1, ts: T, proto: 6, vlan: 0, vlan_inner: 0, sport: 51514, dport: 443, family: 4, src: '192.168.1.10', dst: '93.184.216.34' }],
  [msg(1, 1, '00000002' + Tx + '11' + '0000' + '0000' + 'cf08' + '0035' + '06' + '20010db8000000000000000000000001' + '20010db8000000000000000000000035'),
    { module: 1, type: 1, conn_id: 2, ts: T, proto: 17, vlan: 0, vlan_inner: 0, sport: 53000, dport: 53, family: 6, src: '2001:db8::1', dst: '2001:db8::35' }],
  [msg(1, 4, Tx + '0001' + '04' + '5db8d822' + '0b' + utf8('example.com')),
    { module: 1, type: 4, ts: T, rrtype: 1, family: 4, addr: '93.184.216.34', name: 'example.com' }],
  [msg(1, 4, Tx + '001c' + '06' + '20010db8000000000000000000000035' + '09' + utf8('ns.a.test')),
    { module: 1, type: 4, ts: T, rrtype: 28, family: 6, addr: '2001:db8::35', name: 'ns.a.test' }],
  [msg(1, 3, '00000001' + Tx + '000f4240' + '0000000c' + '000010e1' + '0000000a' + '0000ea60'),
    { module: 1, type: 3, conn_id: 1, ts: T, interval_us: 1_000_000, fwd_pkts: 12, fwd_bytes: 4321, rev_pkts: 10, rev_bytes: 60_000 }],
  [msg(1, 3, '00000002' + Tx + '000f4240' + '00000001' + '0000003d' + '00000001' + '0000005a'),
    { module: 1, type: 3, conn_id: 2, ts: T, interval_us: 1_000_000, fwd_pkts: 1, fwd_bytes: 61, rev_pkts: 1, rev_bytes: 90 }],
  [msg(1, 5, Tx + '04' + '5db8d822' + '02' + '01' + '000004d2' + 'c0a80101' + '02' + 'ffffffff' + '00000000'),
    { module: 1, type: 5, ts: T, family: 4, dst: '93.184.216.34', hops: [{ ttl: 1, rtt_us: 1234, addr: '192.168.1.1' }, { ttl: 2, rtt_us: null, addr: null }] }],
  [msg(1, 2, '00000002' + Tx + '03'), { module: 1, type: 2, conn_id: 2, ts: T, reason: 'timeout' }],
  [msg(2, 1, Tx + '00001092' + '00000001' + '000003e8'), { module: 2, type: 1, ts: T, pid: 4242, ppid: 1, uid: 1000 }],
  [msg(2, 2, Tx + '00001092' + '00000001' + '000003e8' + '0007' + utf8('/bin/ls') + '0005' + utf8('ls -l')),
    { module: 2, type: 2, ts: T, pid: 4242, ppid: 1, uid: 1000, exe: '/bin/ls', cmdline: 'ls -l' }],
  [msg(2, 3, Tx + '00001092' + '00000000'), { module: 2, type: 3, ts: T, pid: 4242, status: 0 }],
  [msg(0, 7, '05' + '01' + '01' + '02' + utf8('ok')), { module: 0, type: 7, code: 'info', min_version: 1, max_version: 1, text: 'ok' }],
  BYE,
];

const UNKNOWN9 = [msg(9, 1, '0102030405'), null];

export const datagram = [
  valid('header only, no messages', H(), []),
  valid('largest session id and seq (2^53-1), no messages', H(0xffffffff, 2 ** 53 - 1), []),
  valid('14 messages of modules 0, 1 and 2 in one datagram', H(SID, 42), mixed),
  valid('the same 14 messages, strict mode', H(SID, 42), mixed, { strict: true }),
  valid('unknown module 9 between two messages is skipped', H(SID, 43), [PING, UNKNOWN9, BYE]),
  valid('unknown module 9 alone, empty body', H(SID, 44), [[msg(9, 0, ''), null]]),
  valid('unknown modules 3, 127, 128 and 255 are skipped (reserved and private ranges)', H(SID, 45), [
    [msg(3, 1, 'ff'), null], [msg(127, 255, ''), null], [msg(128, 1, rep(0xee, 300)), null], PING, [msg(255, 255, 'ffff'), null],
  ]),
  valid('unknown type 6 of module 1 between two messages is skipped', H(SID, 46), [PING, [msg(1, 6, '010203'), null], BYE]),

  invalid('strict: unknown module 9', hdr({ session_id: SID, seq: 43 }) + PING[0] + UNKNOWN9[0] + BYE[0], 'GG_ERR_UNKNOWN_MODULE', true),
  invalid('strict: unknown module 128 (private range)', hdr() + msg(128, 1, ''), 'GG_ERR_UNKNOWN_MODULE', true),
  invalid('strict: unknown type 6 of module 1', hdr() + PING[0] + msg(1, 6, '010203'), 'GG_ERR_UNKNOWN_TYPE', true),

  // header, in check order
  invalid('empty datagram', '', 'GG_ERR_TRUNCATED'),
  invalid('1 byte', '47', 'GG_ERR_TRUNCATED'),
  invalid('15 bytes (header cut by one)', hdr().slice(0, 30), 'GG_ERR_TRUNCATED'),
  invalid('15 bytes with a bad magic: length is checked first', '0000' + hdr().slice(4, 30), 'GG_ERR_TRUNCATED'),
  invalid('magic "GH"', '4748' + hdr().slice(4), 'GG_ERR_BAD_MAGIC'),
  invalid('magic "gg" (lower case)', '6767' + hdr().slice(4), 'GG_ERR_BAD_MAGIC'),
  invalid('magic zero, version also bad: magic is checked first', '0000' + '02' + hdr().slice(6), 'GG_ERR_BAD_MAGIC'),
  invalid('version 0', hdr({ version: 0 }), 'GG_ERR_BAD_VERSION'),
  invalid('version 2', hdr({ version: 2 }) + BYE[0], 'GG_ERR_BAD_VERSION'),
  invalid('version 255', hdr({ version: 255 }), 'GG_ERR_BAD_VERSION'),
  invalid('version 2 and reserved flag bits: version is checked first', hdr({ version: 2, flags: 0xfc }), 'GG_ERR_BAD_VERSION'),
  invalid('flags 0x02: ENCRYPTED without SEALED', hdr({ flags: 0x02 }), 'GG_ERR_BAD_FLAGS'),
  invalid('flags 0x04: reserved bit 2', hdr({ flags: 0x04 }), 'GG_ERR_BAD_FLAGS'),
  invalid('flags 0x80: reserved bit 7', hdr({ flags: 0x80 }), 'GG_ERR_BAD_FLAGS'),
  invalid('flags 0x07: SEALED|ENCRYPTED plus a reserved bit', hdr({ flags: 0x07 }), 'GG_ERR_BAD_FLAGS'),
  invalid('flags 0xff and seq 2^64-1: flags are checked first', hdr({ flags: 0xff }).slice(0, 16) + 'ffffffffffffffff', 'GG_ERR_BAD_FLAGS'),
  invalid('seq 2^53', hdr({ seq: 2 ** 53 }), 'GG_ERR_FIELD_RANGE'),
  invalid('seq 2^64-1', hdr().slice(0, 16) + 'ffffffffffffffff', 'GG_ERR_FIELD_RANGE'),

  // framing
  invalid('1 byte after the header', hdr() + '00', 'GG_ERR_TRUNCATED'),
  invalid('3 bytes after the header (message header cut)', hdr() + '000801', 'GG_ERR_TRUNCATED'),
  invalid('3 bytes after a valid message', hdr() + BYE[0] + '000800', 'GG_ERR_TRUNCATED'),
  invalid('length one more than the bytes left', hdr() + rawmsg(0, 8, 2, '01'), 'GG_ERR_TRUNCATED'),
  invalid('length 65535 with 1 byte left', hdr() + rawmsg(0, 8, 0xffff, '01'), 'GG_ERR_TRUNCATED'),
  invalid('unknown module whose length runs past the end (not strict: framing is checked before skipping)', hdr() + rawmsg(9, 1, 6, '0102030405'), 'GG_ERR_TRUNCATED'),
  invalid('unknown type whose length runs past the end', hdr() + rawmsg(1, 6, 1, ''), 'GG_ERR_TRUNCATED'),
  invalid('a valid FORK then a message header whose length runs past the end',
    hdr() + msg(2, 1, Tx + '00001092' + '00000001' + '000003e8') + 'ff010005', 'GG_ERR_TRUNCATED'),

  // the first error rejects the whole datagram
  invalid('valid PING then BYE reason 9: the whole datagram is rejected', hdr() + PING[0] + msg(0, 8, '09'), 'GG_ERR_FIELD_RANGE'),
  invalid('skipped unknown module then a LENGTH_MISMATCH', hdr() + UNKNOWN9[0] + msg(0, 8, ''), 'GG_ERR_LENGTH_MISMATCH'),
  invalid('bad message then a cut message header: the first error wins', hdr() + msg(0, 8, '00') + '00', 'GG_ERR_FIELD_RANGE'),
];
