/**
 * Transport headers inside an IP packet whose bytes end at ipEnd (declared
 * length cut at the captured bytes).
 *
 * TCP:   0 sport  2 dport  4 seq  8 ack  12 data offset|NS  13 flags  ...  data offset × 4: payload
 * UDP:   0 sport  2 dport  4 length  6 checksum  8 payload
 * ICMP:  0 type  1 code  2 checksum  4 echo id  6 echo seq | unused  8 quoted IP header (errors)
 */
import { be16, be32 } from './bytes.js';
import { decodeQuoted } from './icmp-quote.js';
import { DecodeStatus as S, type PacketInfo } from './packet-info.js';

const P_ICMP = 1;
const P_TCP = 6;
const P_UDP = 17;
const P_DCCP = 33;
const P_ICMPV6 = 58;
const P_SCTP = 132;
const P_UDPLITE = 136;

// ICMP types that quote the offending packet, and those that carry an echo id/seq.
const ICMP4_ERROR = new Uint8Array(256);
const ICMP4_ECHO = new Uint8Array(256);
const ICMP6_ERROR = new Uint8Array(256);
const ICMP6_ECHO = new Uint8Array(256);
for (const t of [3, 4, 5, 11, 12]) ICMP4_ERROR[t] = 1; // unreachable, source quench, redirect, time exceeded, parameter problem
for (const t of [0, 8, 13, 14, 15, 16]) ICMP4_ECHO[t] = 1; // echo, timestamp and information request/reply
for (const t of [1, 2, 3, 4]) ICMP6_ERROR[t] = 1; // unreachable, packet too big, time exceeded, parameter problem
for (const t of [128, 129]) ICMP6_ECHO[t] = 1;

/** Decodes the transport header of protocol out.proto at p. */
export function decodeTransport(out: PacketInfo, b: Uint8Array, p: number, ipEnd: number): number {
  const proto = out.proto;
  const avail = ipEnd - p;
  out.l4Offset = p;
  out.payloadOffset = p;
  if (proto === P_TCP) {
    if (avail < 4) return S.TRUNCATED;
    setPorts(out, b, p);
    if (avail < 20) return S.TRUNCATED;
    const doff = (b[p + 12] >> 4) << 2;
    out.tcpSeq = be32(b, p + 4);
    out.tcpAck = be32(b, p + 8);
    out.tcpFlags = b[p + 13] | ((b[p + 12] & 1) << 8);
    if (doff < 20) return S.MALFORMED;
    if (doff > avail) return S.TRUNCATED;
    out.payloadOffset = p + doff;
    out.payloadLength = avail - doff;
    return S.OK;
  }
  if (proto === P_UDP || proto === P_UDPLITE) {
    if (avail < 4) return S.TRUNCATED;
    setPorts(out, b, p);
    if (avail < 8) return S.TRUNCATED;
    let len = avail - 8;
    // UDP's own length may be shorter than the IP payload; UDP-Lite's field is a checksum coverage instead.
    const ulen = be16(b, p + 4);
    if (proto === P_UDP && ulen >= 8 && ulen - 8 < len) len = ulen - 8;
    out.payloadOffset = p + 8;
    out.payloadLength = len;
    return S.OK;
  }
  if (proto === P_ICMP || proto === P_ICMPV6) return decodeIcmp(out, b, p, ipEnd, proto === P_ICMPV6);
  if (proto === P_SCTP || proto === P_DCCP) {
    if (avail < 4) return S.TRUNCATED;
    setPorts(out, b, p);
  }
  out.payloadLength = avail;
  return S.OK;
}

function setPorts(out: PacketInfo, b: Uint8Array, p: number): void {
  out.hasPorts = true;
  out.sport = (b[p] << 8) | b[p + 1];
  out.dport = (b[p + 2] << 8) | b[p + 3];
}

function decodeIcmp(out: PacketInfo, b: Uint8Array, p: number, ipEnd: number, v6: boolean): number {
  const avail = ipEnd - p;
  if (avail < 4) return S.TRUNCATED;
  const type = b[p];
  out.icmpType = type;
  out.icmpCode = b[p + 1];
  if (avail < 8) {
    out.payloadOffset = p + 4;
    out.payloadLength = avail - 4;
    return S.TRUNCATED;
  }
  out.payloadOffset = p + 8;
  out.payloadLength = avail - 8;
  if ((v6 ? ICMP6_ECHO : ICMP4_ECHO)[type] === 1) {
    out.icmpId = be16(b, p + 4);
    out.icmpSeq = be16(b, p + 6);
  } else if ((v6 ? ICMP6_ERROR : ICMP4_ERROR)[type] === 1) {
    decodeQuoted(out.inner, b, p + 8, ipEnd);
  }
  return S.OK;
}
