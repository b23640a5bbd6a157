/**
 * Frame decoding from hand-written hex frames, one per link type and header
 * feature, plus the truncated and malformed cases.
 */
import { describe, expect, it } from 'vitest';
import { formatDestination, formatIPv6Words, formatSource } from '../../../probe/decode/address-text.js';
import { decodePacket } from '../../../probe/decode/packet.js';
import { DecodeStatus, PacketInfo } from '../../../probe/decode/packet-info.js';

/** Bytes from hex, ignoring spaces and newlines. */
function h(...parts: string[]): Uint8Array {
  return Uint8Array.from(Buffer.from(parts.join('').replace(/\s+/g, ''), 'hex'));
}

const ETH_IPV4 = '001122334455 66778899aabb 0800';
// IPv4, total length 44, DF, TTL 64, TCP, 192.168.1.2 > 93.184.216.34
const IPV4_TCP_HDR = '4500002c 12344000 4006 0000 c0a80102 5db8d822';
// TCP 50000 > 80, seq 1, data offset 6 (one MSS option), SYN
const TCP_SYN = 'c3500050 00000001 00000000 6002ffff 00000000 020405b4';
const IPV4_TCP_SYN = IPV4_TCP_HDR + TCP_SYN;
// IPv6 2001:db8::1 > 2001:db8::2 without payload length and next header (filled per test)
const V6_ADDRS = '20010db8000000000000000000000001 20010db8000000000000000000000002';

function decode(link: number, frame: Uint8Array, capLen = frame.length, frameLen = frame.length): PacketInfo {
  const info = new PacketInfo();
  decodePacket(info, link, frame, 0, capLen, frameLen);
  return info;
}

describe('Ethernet and VLANs', () => {
  it('decodes IPv4/TCP and leaves the Ethernet padding out of the payload', () => {
    const info = decode(1, h(ETH_IPV4, IPV4_TCP_SYN, '0000'));
    expect(info.status).toBe(DecodeStatus.OK);
    expect(info.frameLen).toBe(60);
    expect(info.ipVersion).toBe(4);
    expect(info.src4).toBe(0xc0a80102);
    expect(formatSource(info)).toBe('192.168.1.2');
    expect(formatDestination(info)).toBe('93.184.216.34');
    expect(info.srcOffset).toBe(26);
    expect([info.proto, info.sport, info.dport, info.tcpFlags, info.tcpSeq, info.ttl]).toEqual([6, 50000, 80, 2, 1, 64]);
    expect([info.ipOffset, info.l4Offset, info.payloadOffset, info.payloadLength, info.ipEnd]).toEqual([14, 34, 58, 0, 58]);
    expect(info.fragment).toBe(false);
    expect(info.vlanCount).toBe(0);
  });

  it('reads the 802.1Q VLAN id', () => {
    const info = decode(1, h('001122334455 66778899aabb 8100 002a 0800', IPV4_TCP_SYN));
    expect([info.status, info.vlan, info.vlanInner, info.vlanCount]).toEqual([DecodeStatus.OK, 42, 0, 1]);
    expect(info.sport).toBe(50000);
  });

  it('reads outer and inner ids of 802.1ad QinQ and of the old 9100 TPID', () => {
    for (const tpid of ['88a8', '9100']) {
      const info = decode(1, h(`001122334455 66778899aabb ${tpid} e00a 8100 0014 0800`, IPV4_TCP_SYN));
      expect([info.status, info.vlan, info.vlanInner, info.vlanCount]).toEqual([DecodeStatus.OK, 10, 20, 2]);
      expect(info.ipOffset).toBe(22);
    }
  });

  it('reports ARP and 802.3/LLC frames as NOT_IP, and finds IP behind SNAP', () => {
    const arp = decode(1, h('ffffffffffff 66778899aabb 0806 0001080006040001 66778899aabb c0a80102 000000000000 c0a80101'));
    expect([arp.status, arp.etherType, arp.ipVersion]).toEqual([DecodeStatus.NOT_IP, 0x0806, 0]);
    const stp = decode(1, h('0180c2000000 66778899aabb 0026 424203 0000000000'));
    expect(stp.status).toBe(DecodeStatus.NOT_IP);
    const snap = decode(1, h('001122334455 66778899aabb 0034 aaaa03 000000 0800', IPV4_TCP_SYN));
    expect([snap.status, snap.ipOffset, snap.sport]).toEqual([DecodeStatus.OK, 22, 50000]);
  });
});

describe('IPv4', () => {
  it('skips options by IHL and bounds UDP payload by the UDP length', () => {
    const frame = h(ETH_IPV4, '46000024 00010000 4011 0000 0a000001 0a000002 94040000', '0035d431 000c0000 deadbeef', '00'.repeat(6));
    const info = decode(1, frame);
    expect([info.status, info.proto, info.sport, info.dport]).toEqual([DecodeStatus.OK, 17, 53, 54321]);
    expect([info.l4Offset, info.payloadOffset, info.payloadLength]).toEqual([38, 46, 4]);
  });

  it('gives ports only to the first fragment', () => {
    const first = decode(1, h(ETH_IPV4, '4500001c 00072000 4011 0000 0a000001 0a000002', '0035d431 00100000'));
    expect([first.status, first.fragment, first.moreFragments, first.fragOffset, first.hasPorts, first.sport]).toEqual([DecodeStatus.OK, true, true, 0, true, 53]);
    const later = decode(1, h(ETH_IPV4, '4500001c 000700b9 4011 0000 0a000001 0a000002', '0035d431 00100000'));
    expect([later.status, later.fragment, later.moreFragments, later.fragOffset, later.fragId]).toEqual([DecodeStatus.OK, true, false, 1480, 7]);
    expect([later.proto, later.hasPorts, later.sport, later.payloadOffset, later.payloadLength]).toEqual([17, false, 0, 34, 8]);
  });

  it('uses the captured length when total length is 0 (segmentation offload)', () => {
    const info = decode(1, h(ETH_IPV4, '45000000 12344000 4006 0000 c0a80102 5db8d822', TCP_SYN, 'abcd'));
    expect([info.status, info.payloadOffset, info.payloadLength]).toEqual([DecodeStatus.OK, 58, 2]);
  });

  it('flags a packet cut by the snap length and keeps its payload within the capture', () => {
    const info = decode(1, h(ETH_IPV4, '450005dc 12344000 4006 0000 c0a80102 5db8d822', TCP_SYN, 'abcd'), 60, 1514);
    expect([info.status, info.ipTruncated, info.ipEnd, info.payloadLength, info.frameLen, info.capLen]).toEqual([DecodeStatus.OK, true, 60, 2, 1514, 60]);
  });

  it('reports other protocols by number only', () => {
    const info = decode(1, h(ETH_IPV4, '45000020 00000000 402f 0000 0a000001 0a000002', '0000880b 00000000 00000000'));
    expect([info.status, info.proto, info.hasPorts, info.payloadOffset, info.payloadLength]).toEqual([DecodeStatus.OK, 47, false, 34, 12]);
  });

  it('is MALFORMED for a header length below 20, a total length below it, or the wrong version', () => {
    expect(decode(1, h(ETH_IPV4, '4400002c 12344000 4006 0000 c0a80102 5db8d822', TCP_SYN)).status).toBe(DecodeStatus.MALFORMED);
    expect(decode(1, h(ETH_IPV4, '4500000a 12344000 4006 0000 c0a80102 5db8d822', TCP_SYN)).status).toBe(DecodeStatus.MALFORMED);
    expect(decode(1, h(ETH_IPV4, '6500002c 12344000 4006 0000 c0a80102 5db8d822', TCP_SYN)).status).toBe(DecodeStatus.MALFORMED);
  });

  it('is TRUNCATED when the capture ends inside a header, keeping what came before', () => {
    const frame = h(ETH_IPV4, IPV4_TCP_SYN);
    expect(decode(1, frame, 10).status).toBe(DecodeStatus.TRUNCATED);
    const ip = decode(1, frame, 14 + 19);
    expect([ip.status, ip.ipVersion]).toEqual([DecodeStatus.TRUNCATED, 0]);
    const tcp = decode(1, frame, 14 + 20 + 10);
    expect([tcp.status, tcp.ipVersion, tcp.hasPorts, tcp.sport, tcp.dport, tcp.tcpFlags]).toEqual([DecodeStatus.TRUNCATED, 4, true, 50000, 80, 0]);
    const options = decode(1, frame, 14 + 20 + 22);
    expect([options.status, options.tcpFlags]).toEqual([DecodeStatus.TRUNCATED, 2]);
  });

  it('is MALFORMED for a TCP data offset below 5 words', () => {
    expect(decode(1, h(ETH_IPV4, '45000028 12344000 4006 0000 c0a80102 5db8d822', 'c3500050 00000001 00000000 4002ffff 00000000')).status).toBe(DecodeStatus.MALFORMED);
  });
});

describe('IPv6', () => {
  it('follows hop-by-hop, destination options, fragment and AH headers to TCP', () => {
    const frame = h('001122334455 66778899aabb 86dd', '60000000 0044 00 40', V6_ADDRS,
      '3c00 010400000000', // hop-by-hop → destination options
      '2c00 010400000000', // destination options → fragment
      '3300 0001 12345678', // fragment, offset 0, more → AH
      '0604 0000 00000001 00000002 000000000000000000000000', // AH, 24 bytes → TCP
      '0016c000 00000005 00000009 5010ffff 00000000'); // TCP 22 > 49152, ACK
    const info = decode(1, frame);
    expect(info.status).toBe(DecodeStatus.OK);
    expect([info.ipVersion, formatSource(info), formatDestination(info), info.ttl]).toEqual([6, '2001:db8::1', '2001:db8::2', 64]);
    expect([info.proto, info.sport, info.dport, info.tcpFlags]).toEqual([6, 22, 49152, 0x10]);
    expect([info.fragment, info.moreFragments, info.fragOffset, info.fragId]).toEqual([true, true, 0, 0x12345678]);
    expect([info.l4Offset, info.payloadOffset, info.payloadLength]).toEqual([14 + 40 + 48, 14 + 40 + 68, 0]);
    expect(Array.from(info.src6)).toEqual([0x20010db8, 0, 0, 1]);
  });

  it('gives no ports to a later fragment', () => {
    const info = decode(1, h('001122334455 66778899aabb 86dd', '60000000 0010 2c 40', V6_ADDRS, '1100 05a8 00000001', '0035d431 00100000'));
    expect([info.status, info.proto, info.fragment, info.fragOffset, info.hasPorts, info.payloadLength]).toEqual([DecodeStatus.OK, 17, true, 1448, false, 8]);
  });

  it('is TRUNCATED when an extension header runs past the packet', () => {
    const info = decode(1, h('001122334455 66778899aabb 86dd', '60000000 0008 00 40', V6_ADDRS, '0602 0000 00000000'));
    expect([info.status, info.ipVersion, info.proto]).toEqual([DecodeStatus.TRUNCATED, 6, 0]);
  });
});

describe('ICMP', () => {
  it('reads echo id and sequence', () => {
    const info = decode(1, h(ETH_IPV4, '45000024 00000000 4001 0000 0a000001 0a000002', '0800 0000 1234 0001 61626364 65666768'));
    expect([info.status, info.proto, info.icmpType, info.icmpCode, info.icmpId, info.icmpSeq, info.inner.valid]).toEqual([DecodeStatus.OK, 1, 8, 0, 0x1234, 1, false]);
  });

  it('reads the UDP probe quoted by a time-exceeded message', () => {
    const frame = h(ETH_IPV4, '45000038 00000000 fe01 0000 0a000001 c0a80102', '0b00 0000 00000000',
      '4500003c 1c460000 0111 0000 c0a80102 08080808', '8235829b 00280000');
    const info = decode(1, frame);
    expect([info.status, info.icmpType, info.icmpCode, formatSource(info)]).toEqual([DecodeStatus.OK, 11, 0, '10.0.0.1']);
    const q = info.inner;
    expect([q.valid, q.ipVersion, formatSource(q), formatDestination(q), q.proto, q.ttl, q.ipId]).toEqual([true, 4, '192.168.1.2', '8.8.8.8', 17, 1, 0x1c46]);
    expect([q.hasPorts, q.sport, q.dport]).toEqual([true, 33333, 33435]);
    // The next packet decoded into the same object must not inherit the quote.
    decodePacket(info, 1, h(ETH_IPV4, IPV4_TCP_SYN), 0, 54, 54);
    expect([info.inner.valid, info.inner.sport]).toEqual([false, 0]);
  });

  it('reads the echo quoted by an ICMPv6 time-exceeded message', () => {
    const frame = h('001122334455 66778899aabb 86dd', '60000000 0038 3a 40', 'fe800000000000000000000000000001 20010db8000000000000000000000001',
      '0300 0000 00000000', '60000000 0008 3a 01', '20010db8000000000000000000000001 20010db8000000000000000000000099', '8000 0000 abcd 0007');
    const info = decode(1, frame);
    expect([info.status, info.proto, info.icmpType, formatSource(info)]).toEqual([DecodeStatus.OK, 58, 3, 'fe80::1']);
    const q = info.inner;
    expect([q.valid, q.ipVersion, formatDestination(q), q.proto, q.icmpType, q.icmpId, q.icmpSeq, q.hasPorts]).toEqual([true, 6, '2001:db8::99', 58, 128, 0xabcd, 7, false]);
  });

  it('leaves the quote invalid when the error quotes too little', () => {
    const info = decode(1, h(ETH_IPV4, '45000024 00000000 fe01 0000 0a000001 c0a80102', '0b00 0000 00000000', '45000000 00000000'));
    expect([info.status, info.inner.valid]).toEqual([DecodeStatus.OK, false]);
  });
});

describe('other link types', () => {
  const ipv6Udp = h('60000000 000c 11 40', V6_ADDRS, '0035d431 000c0000 01020304');

  it('Linux SLL and SLL2', () => {
    const sll = decode(113, h('0000 0001 0006 66778899aabb0000 0800', IPV4_TCP_SYN));
    expect([sll.status, sll.ipOffset, sll.sport]).toEqual([DecodeStatus.OK, 16, 50000]);
    const sll2 = decode(276, h('86dd 0000 00000002 0001 00 06 66778899aabb0000'), );
    expect(sll2.status).toBe(DecodeStatus.TRUNCATED);
    const sll2Full = decode(276, h('86dd 0000 00000002 0001 00 06 66778899aabb0000', Buffer.from(ipv6Udp).toString('hex')));
    expect([sll2Full.status, sll2Full.ipVersion, sll2Full.sport, sll2Full.payloadLength]).toEqual([DecodeStatus.OK, 6, 53, 4]);
    const sllArp = decode(113, h('0000 0001 0006 66778899aabb0000 0806 0001'));
    expect(sllArp.status).toBe(DecodeStatus.NOT_IP);
  });

  it('raw IP by version nibble (101, 12, 14) and by link type (228, 229)', () => {
    for (const link of [101, 12, 14]) {
      expect(decode(link, h(IPV4_TCP_SYN)).sport).toBe(50000);
      expect(decode(link, ipv6Udp).sport).toBe(53);
      expect(decode(link, h('00')).status).toBe(DecodeStatus.MALFORMED);
    }
    expect(decode(228, h(IPV4_TCP_SYN)).status).toBe(DecodeStatus.OK);
    expect(decode(229, ipv6Udp).status).toBe(DecodeStatus.OK);
    expect(decode(228, ipv6Udp).status).toBe(DecodeStatus.MALFORMED);
    expect(decode(229, h(IPV4_TCP_SYN)).status).toBe(DecodeStatus.MALFORMED);
  });

  it('BSD null in either byte order, and OpenBSD loop', () => {
    expect(decode(0, h('02000000', IPV4_TCP_SYN)).sport).toBe(50000);
    expect(decode(0, h('00000002', IPV4_TCP_SYN)).sport).toBe(50000);
    for (const af of ['18000000', '1c000000', '1e000000', '0000001e']) expect(decode(0, h(af, Buffer.from(ipv6Udp).toString('hex'))).ipVersion).toBe(6);
    expect(decode(0, h('07000000', IPV4_TCP_SYN)).status).toBe(DecodeStatus.NOT_IP);
    expect(decode(108, h('00000018', Buffer.from(ipv6Udp).toString('hex'))).sport).toBe(53);
    expect(decode(108, h('00000002', IPV4_TCP_SYN)).sport).toBe(50000);
    expect(decode(0, h('0200')).status).toBe(DecodeStatus.TRUNCATED);
  });

  it('NFLOG finds the payload TLV in either byte order', () => {
    const payloadLen = 4 + 44;
    const le = decode(239, h('02 00 0000', '0800 0100 08000300', `${(payloadLen & 255).toString(16)}00 0900`, IPV4_TCP_SYN));
    expect([le.status, le.sport, le.ipOffset]).toEqual([DecodeStatus.OK, 50000, 16]);
    const be = decode(239, h('02 00 0000', '0008 0001 08000300', `00${(payloadLen & 255).toString(16)} 0009`, IPV4_TCP_SYN));
    expect([be.status, be.sport]).toEqual([DecodeStatus.OK, 50000]);
    expect(decode(239, h('07 00 0000', '0800 0100 08000300', `${(payloadLen & 255).toString(16)}00 0900`, IPV4_TCP_SYN)).status).toBe(DecodeStatus.NOT_IP);
    expect(decode(239, h('02 00 0000', '0800 0100 08000300')).status).toBe(DecodeStatus.NOT_IP);
    expect(decode(239, h('02 00 0000', '0000 0100 08000300')).status).toBe(DecodeStatus.MALFORMED);
  });

  it('reports unknown link types as UNSUPPORTED_LINK', () => {
    for (const link of [147, 9999, -1, 1.5]) expect(decode(link, h(IPV4_TCP_SYN)).status).toBe(DecodeStatus.UNSUPPORTED_LINK);
  });
});

describe('buffer bounds', () => {
  it('decodes a frame in the middle of a larger buffer and never reads past its captured length', () => {
    const frame = h(ETH_IPV4, IPV4_TCP_SYN);
    const buf = new Uint8Array(7 + frame.length + 32).fill(0xee);
    buf.set(frame, 7);
    const info = new PacketInfo();
    decodePacket(info, 1, buf, 7, frame.length, frame.length);
    expect([info.status, info.ipOffset, info.payloadOffset, info.sport]).toEqual([DecodeStatus.OK, 21, 65, 50000]);
    // Cut inside the TCP options: the bytes after the cut (present in the buffer) must not be used.
    decodePacket(info, 1, buf, 7, 14 + 20 + 22, 58);
    expect(info.status).toBe(DecodeStatus.TRUNCATED);
  });

  it('clamps a captured length beyond the buffer and bad starts', () => {
    const info = new PacketInfo();
    expect(decodePacket(info, 1, h(ETH_IPV4, IPV4_TCP_SYN), 0, 1 << 30, 1 << 30)).toBe(DecodeStatus.OK);
    expect(decodePacket(info, 1, h(ETH_IPV4), 100, 10, 10)).toBe(DecodeStatus.TRUNCATED);
    expect(decodePacket(info, 1, h(ETH_IPV4), -5, 10, 10)).toBe(DecodeStatus.TRUNCATED);
  });

  it('formats IPv6 words the RFC 5952 way', () => {
    expect(formatIPv6Words(Uint32Array.of(0x20010db8, 0, 0, 1))).toBe('2001:db8::1');
    expect(formatIPv6Words(Uint32Array.of(0, 0, 0xffff, 0x0a000001))).toBe('::ffff:10.0.0.1');
  });
});
