// spec/vectors/module-1.json: network messages (spec §6.2). Addresses are typed
// as wire bytes next to their expected text form.
import { u8, u32, utf8, rep, msg, hdr, H, valid, invalid } from './lib.mjs';

const T = 1_709_294_400_123_456;
const SID = 0x12345678;
const Tx = '000612981d893240'; // T as u64

// NEWCONN body: conn_id, ts, proto, vlan, vlan_inner, sport, dport, family, src, dst
const newconn = (conn, ts, proto, vlan, inner, sport, dport, fam, src, dst) =>
  msg(1, 1, conn + ts + proto + vlan + inner + sport + dport + fam + src + dst);

const hop4 = (ttl, rtt, addr) => u8(ttl) + rtt + addr;

const hops64 = [];
let hops64hex = '';
for (let i = 1; i <= 64; i++) {
  hops64.push({ ttl: i, rtt_us: i * 1000, addr: `10.0.${i >> 8}.${i & 255}` });
  hops64hex += u8(i) + u32(i * 1000) + '0a00' + u8(i >> 8) + u8(i & 255);
}

export const module1 = [
  // NEWCONN
  valid('NEWCONN IPv4 TCP', H(SID, 1), [
    [newconn('00000001', Tx, '06', '0000', '0000', 'c93a', '01bb', '04', 'c0a8010a', '5db8d822'),
      { module: 1, type: 1, conn_id: 1, ts: T, proto: 6, vlan: 0, vlan_inner: 0, sport: 51514, dport: 443, family: 4, src: '192.168.1.10', dst: '93.184.216.34' }],
  ]),
  valid('NEWCONN IPv6 UDP, QinQ 100/4095', H(SID, 2), [
    [newconn('00000002', '000612981d89362a', '11', '0064', '0fff', 'cf08', '0035', '06',
      '20010db8000000000000000000000001', '26064700470000000000000000001111'),
      { module: 1, type: 1, conn_id: 2, ts: T + 1002, proto: 17, vlan: 100, vlan_inner: 4095, sport: 53000, dport: 53, family: 6, src: '2001:db8::1', dst: '2606:4700:4700::1111' }],
  ]),
  valid('NEWCONN IPv4 ICMP echo request (dport = type 8 << 8 | code 0), VLAN 4095, broadcast dst', H(SID, 3), [
    [newconn('ffffffff', Tx, '01', '0fff', '0000', '0000', '0800', '04', '0a000001', 'ffffffff'),
      { module: 1, type: 1, conn_id: 0xffffffff, ts: T, proto: 1, vlan: 4095, vlan_inner: 0, sport: 0, dport: 2048, family: 4, src: '10.0.0.1', dst: '255.255.255.255' }],
  ]),
  valid('NEWCONN IPv6 ICMPv6; RFC 5952: longest zero run compressed, a single zero word is not', H(SID, 4), [
    [newconn('00000004', Tx, '3a', '0000', '0000', '0000', '8000', '06',
      'fe800000000000000001000000000001', '20010db8000000010001000100010001'),
      { module: 1, type: 1, conn_id: 4, ts: T, proto: 58, vlan: 0, vlan_inner: 0, sport: 0, dport: 32768, family: 6, src: 'fe80::1:0:0:1', dst: '2001:db8:0:1:1:1:1:1' }],
  ]),
  valid('NEWCONN IPv6; RFC 5952: first of two equal zero runs compressed; all-zero address is "::"', H(SID, 5), [
    [newconn('00000005', Tx, '06', '0000', '0000', '0050', '0050', '06',
      '20010db8000000000001000000000001', '00000000000000000000000000000000'),
      { module: 1, type: 1, conn_id: 5, ts: T, proto: 6, vlan: 0, vlan_inner: 0, sport: 80, dport: 80, family: 6, src: '2001:db8::1:0:0:1', dst: '::' }],
  ]),
  valid('NEWCONN IPv6; RFC 5952 §5: IPv4-mapped address in mixed notation; loopback', H(SID, 6), [
    [newconn('00000006', Tx, '06', '0000', '0000', 'ffff', '0001', '06',
      '00000000000000000000ffffc0000201', '00000000000000000000000000000001'),
      { module: 1, type: 1, conn_id: 6, ts: T, proto: 6, vlan: 0, vlan_inner: 0, sport: 65535, dport: 1, family: 6, src: '::ffff:192.0.2.1', dst: '::1' }],
  ]),
  // DELCONN
  valid('DELCONN, every reason', H(SID, 7), [
    [msg(1, 2, '00000001' + Tx + '01'), { module: 1, type: 2, conn_id: 1, ts: T, reason: 'fin' }],
    [msg(1, 2, '00000002' + Tx + '02'), { module: 1, type: 2, conn_id: 2, ts: T, reason: 'rst' }],
    [msg(1, 2, '00000003' + Tx + '03'), { module: 1, type: 2, conn_id: 3, ts: T, reason: 'timeout' }],
    [msg(1, 2, '00000004' + Tx + '04'), { module: 1, type: 2, conn_id: 4, ts: T, reason: 'evicted' }],
    [msg(1, 2, '00000005' + Tx + '05'), { module: 1, type: 2, conn_id: 5, ts: T, reason: 'end' }],
  ]),
  // DATA
  valid('DATA, one second of traffic', H(SID, 8), [
    [msg(1, 3, '00000001' + Tx + '000f4240' + '0000000c' + '000010e1' + '0000000a' + '0000ea60'),
      { module: 1, type: 3, conn_id: 1, ts: T, interval_us: 1_000_000, fwd_pkts: 12, fwd_bytes: 4321, rev_pkts: 10, rev_bytes: 60_000 }],
  ]),
  valid('DATA, every counter at 2^32-1', H(SID, 9), [
    [msg(1, 3, 'ffffffff' + '001fffffffffffff' + rep(0xff, 20)),
      { module: 1, type: 3, conn_id: 0xffffffff, ts: 2 ** 53 - 1, interval_us: 0xffffffff, fwd_pkts: 0xffffffff, fwd_bytes: 0xffffffff, rev_pkts: 0xffffffff, rev_bytes: 0xffffffff }],
  ]),
  valid('DATA, all zero', H(SID, 10), [
    [msg(1, 3, rep(0, 32)), { module: 1, type: 3, conn_id: 0, ts: 0, interval_us: 0, fwd_pkts: 0, fwd_bytes: 0, rev_pkts: 0, rev_bytes: 0 }],
  ]),
  // NAME
  valid('NAME IPv4, A record', H(SID, 11), [
    [msg(1, 4, Tx + '0001' + '04' + '5db8d822' + '0b' + utf8('example.com')),
      { module: 1, type: 4, ts: T, rrtype: 1, family: 4, addr: '93.184.216.34', name: 'example.com' }],
  ]),
  valid('NAME IPv6, AAAA record, no zero word', H(SID, 12), [
    [msg(1, 4, Tx + '001c' + '06' + '26062800022000010248189325c81946' + '0b' + utf8('example.com')),
      { module: 1, type: 4, ts: T, rrtype: 28, family: 6, addr: '2606:2800:220:1:248:1893:25c8:1946', name: 'example.com' }],
  ]),
  valid('NAME IPv4, PTR record, UTF-8 name', H(SID, 13), [
    [msg(1, 4, Tx + '000c' + '04' + '08080808' + '0f' + '62c3bc636865722e6578616d706c65'),
      { module: 1, type: 4, ts: T, rrtype: 12, family: 4, addr: '8.8.8.8', name: 'bücher.example' }],
  ]),
  valid('NAME IPv6, 255-byte name (max)', H(SID, 14), [
    [msg(1, 4, Tx + '001c' + '06' + '20010db8000000000000000000000053' + 'ff' + utf8('n'.repeat(255))),
      { module: 1, type: 4, ts: T, rrtype: 28, family: 6, addr: '2001:db8::53', name: 'n'.repeat(255) }],
  ]),
  // TRACE
  valid('TRACE IPv4, 4 hops: known, unknown hop, unknown RTT, known', H(SID, 15), [
    [msg(1, 5, Tx + '04' + '08080808' + '04'
      + hop4(1, '000004d2', 'c0a80101') + hop4(2, 'ffffffff', '00000000')
      + hop4(3, 'ffffffff', '64400001') + hop4(4, '00003a98', '08080808')),
      { module: 1, type: 5, ts: T, family: 4, dst: '8.8.8.8', hops: [
        { ttl: 1, rtt_us: 1234, addr: '192.168.1.1' },
        { ttl: 2, rtt_us: null, addr: null },
        { ttl: 3, rtt_us: null, addr: '100.64.0.1' },
        { ttl: 4, rtt_us: 15000, addr: '8.8.8.8' },
      ] }],
  ]),
  valid('TRACE IPv6, 3 hops: known, unknown hop, known; RTT 2^32-2 is a value, not null', H(SID, 16), [
    [msg(1, 5, Tx + '06' + '20014860486000000000000000008888' + '03'
      + '01' + '00000320' + 'fe800000000000000000000000000001'
      + '02' + 'ffffffff' + '00000000000000000000000000000000'
      + '03' + 'fffffffe' + '20014860486000000000000000008888'),
      { module: 1, type: 5, ts: T, family: 6, dst: '2001:4860:4860::8888', hops: [
        { ttl: 1, rtt_us: 800, addr: 'fe80::1' },
        { ttl: 2, rtt_us: null, addr: null },
        { ttl: 3, rtt_us: 0xfffffffe, addr: '2001:4860:4860::8888' },
      ] }],
  ]),
  valid('TRACE IPv4, no hops', H(SID, 17), [
    [msg(1, 5, Tx + '04' + '01020304' + '00'), { module: 1, type: 5, ts: T, family: 4, dst: '1.2.3.4', hops: [] }],
  ]),
  valid('TRACE IPv4, 64 hops (max)', H(SID, 18), [
    [msg(1, 5, Tx + '04' + '0a000040' + '40' + hops64hex), { module: 1, type: 5, ts: T, family: 4, dst: '10.0.0.64', hops: hops64 }],
  ]),
  valid('unknown type 6 of module 1 is skipped', H(SID, 19), [
    [msg(1, 6, 'aabbcc'), null],
  ]),

  // invalid
  invalid('strict: unknown type 6 of module 1', hdr() + msg(1, 6, 'aabbcc'), 'GG_ERR_UNKNOWN_TYPE', true),
  invalid('NEWCONN family 0 (IPv4-sized body)',
    hdr() + newconn('00000001', Tx, '06', '0000', '0000', 'c93a', '01bb', '00', 'c0a8010a', '5db8d822'), 'GG_ERR_BAD_FAMILY'),
  invalid('NEWCONN family 5 (IPv6-sized body)',
    hdr() + newconn('00000001', Tx, '06', '0000', '0000', 'c93a', '01bb', '05', rep(1, 16), rep(2, 16)), 'GG_ERR_BAD_FAMILY'),
  invalid('NAME family 5; the body length fits both the IPv4 and the IPv6 layout',
    hdr() + msg(1, 4, Tx + '0001' + '05' + 'c0000201' + '0c' + utf8('abcdefghijk') + '00'), 'GG_ERR_BAD_FAMILY'),
  invalid('TRACE family 41 (IPv4-sized body)', hdr() + msg(1, 5, Tx + '29' + '08080808' + '00'), 'GG_ERR_BAD_FAMILY'),
  invalid('NEWCONN family 6 with an IPv4-sized body',
    hdr() + newconn('00000001', Tx, '06', '0000', '0000', 'c93a', '01bb', '06', 'c0a8010a', '5db8d822'), 'GG_ERR_LENGTH_MISMATCH'),
  invalid('NEWCONN family 4 with an IPv6-sized body',
    hdr() + newconn('00000001', Tx, '06', '0000', '0000', 'c93a', '01bb', '04', rep(1, 16), rep(2, 16)), 'GG_ERR_LENGTH_MISMATCH'),
  invalid('NEWCONN vlan 4096',
    hdr() + newconn('00000001', Tx, '06', '1000', '0000', 'c93a', '01bb', '04', 'c0a8010a', '5db8d822'), 'GG_ERR_FIELD_RANGE'),
  invalid('NEWCONN vlan_inner 65535',
    hdr() + newconn('00000001', Tx, '06', '0000', 'ffff', 'c93a', '01bb', '04', 'c0a8010a', '5db8d822'), 'GG_ERR_FIELD_RANGE'),
  invalid('NEWCONN ts 2^53',
    hdr() + newconn('00000001', '0020000000000000', '06', '0000', '0000', 'c93a', '01bb', '04', 'c0a8010a', '5db8d822'), 'GG_ERR_FIELD_RANGE'),
  invalid('DELCONN reason 0', hdr() + msg(1, 2, '00000001' + Tx + '00'), 'GG_ERR_FIELD_RANGE'),
  invalid('DELCONN reason 6', hdr() + msg(1, 2, '00000001' + Tx + '06'), 'GG_ERR_FIELD_RANGE'),
  invalid('DELCONN without reason', hdr() + msg(1, 2, '00000001' + Tx), 'GG_ERR_LENGTH_MISMATCH'),
  invalid('DATA 31-byte body', hdr() + msg(1, 3, rep(0, 31)), 'GG_ERR_LENGTH_MISMATCH'),
  invalid('DATA 33-byte body', hdr() + msg(1, 3, rep(0, 33)), 'GG_ERR_LENGTH_MISMATCH'),
  invalid('DATA ts 2^64-1', hdr() + msg(1, 3, '00000001' + 'ffffffffffffffff' + rep(0, 20)), 'GG_ERR_FIELD_RANGE'),
  invalid('NAME name with c3 28 (lead byte without continuation)', hdr() + msg(1, 4, Tx + '0001' + '04' + '5db8d822' + '02' + 'c328'), 'GG_ERR_BAD_UTF8'),
  invalid('NAME name ending inside a 3-byte sequence (e2 82)', hdr() + msg(1, 4, Tx + '0001' + '04' + '5db8d822' + '03' + '61e282'), 'GG_ERR_BAD_UTF8'),
  invalid('NAME name with byte ff', hdr() + msg(1, 4, Tx + '0001' + '04' + '5db8d822' + '01' + 'ff'), 'GG_ERR_BAD_UTF8'),
  invalid('NAME name above U+10FFFF (f4 90 80 80)', hdr() + msg(1, 4, Tx + '0001' + '04' + '5db8d822' + '04' + 'f4908080'), 'GG_ERR_BAD_UTF8'),
  invalid('NAME name length 12, 11 bytes present', hdr() + msg(1, 4, Tx + '0001' + '04' + '5db8d822' + '0c' + utf8('example.com')), 'GG_ERR_LENGTH_MISMATCH'),
  invalid('NAME IPv6 address cut short', hdr() + msg(1, 4, Tx + '001c' + '06' + rep(0x20, 8)), 'GG_ERR_LENGTH_MISMATCH'),
  invalid('TRACE 65 hops (max 64), body length consistent', hdr() + msg(1, 5, Tx + '04' + '0a000041' + '41' + hops64hex + hop4(65, u32(65000), '0a000041')), 'GG_ERR_FIELD_RANGE'),
  invalid('TRACE hop ttl 0', hdr() + msg(1, 5, Tx + '04' + '08080808' + '01' + hop4(0, '000004d2', 'c0a80101')), 'GG_ERR_FIELD_RANGE'),
  invalid('TRACE count 3, 2 hops present', hdr() + msg(1, 5, Tx + '04' + '08080808' + '03' + hop4(1, '000004d2', 'c0a80101') + hop4(2, '000004d2', 'c0a80102')), 'GG_ERR_LENGTH_MISMATCH'),
  invalid('TRACE count 1, 2 hops present', hdr() + msg(1, 5, Tx + '04' + '08080808' + '01' + hop4(1, '000004d2', 'c0a80101') + hop4(2, '000004d2', 'c0a80102')), 'GG_ERR_LENGTH_MISMATCH'),
  invalid('TRACE IPv6 hop cut inside its address', hdr() + msg(1, 5, Tx + '06' + rep(0x20, 16) + '01' + '01' + '00000320' + rep(0xfe, 8)), 'GG_ERR_LENGTH_MISMATCH'),
  invalid('TRACE without hop count', hdr() + msg(1, 5, Tx + '04' + '08080808'), 'GG_ERR_LENGTH_MISMATCH'),
];
