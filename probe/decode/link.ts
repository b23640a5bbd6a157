/**
 * Link-layer decoders, one per LINKTYPE, in a table indexed by link type.
 * Each finds the network-layer header and hands it to the IP decoders.
 *
 * Ethernet (1):    0 dst  6 src  12 EtherType (or 802.3 length ≤ 1500, then LLC/SNAP)
 * 802.1Q/802.1ad:  0 PCP|DEI|VLAN id  2 EtherType          (after TPID 8100, 88a8, 9100, 9200)
 * Linux SLL (113): 0 packet type  2 ARPHRD  4 address length  6 address (8)  14 protocol
 * SLL2 (276):      0 protocol  2 reserved  4 ifindex  8 ARPHRD  10 packet type  11 address length  12 address (8)
 * Null (0):        0 address family, in the capturing host's byte order
 * OpenBSD loop (108): 0 address family, network byte order
 * NFLOG (239):     0 family  1 version  2 resource id, then TLVs: length, type (host order), value padded to 4
 */
import { be16, be32 } from './bytes.js';
import { decodeIPv4, decodeIPv6 } from './ip.js';
import { DecodeStatus as S, type PacketInfo } from './packet-info.js';

/** Decodes a frame b[p, end) of one link type into `out`; returns a DecodeStatus. */
export type LinkDecoder = (out: PacketInfo, b: Uint8Array, p: number, end: number) => number;

/** LINKTYPE_* numbers this decoder understands. */
export const LinkType = {
  NULL: 0,
  ETHERNET: 1,
  RAW_DLT12: 12,
  RAW_DLT14: 14,
  RAW: 101,
  LOOP: 108,
  LINUX_SLL: 113,
  IPV4: 228,
  IPV6: 229,
  NFLOG: 239,
  LINUX_SLL2: 276,
} as const;

const ET_IPV4 = 0x0800;
const ET_IPV6 = 0x86dd;
/** VLAN tags followed before calling the frame malformed. */
const MAX_VLAN_TAGS = 8;
// Address families meaning IPv6 in BSD null/loop headers (NetBSD/OpenBSD, FreeBSD, Darwin).
const AF_INET = 2;
const BSD_AF_INET6 = new Set([24, 28, 30]);
const NFLOG_AF_INET6 = 10;
const NFULA_PAYLOAD = 9;

// TPIDs of 802.1Q (8100), 802.1ad (88a8) and the pre-standard QinQ values (9100, 9200).
const IS_VLAN_TPID = new Uint8Array(65536);
for (const t of [0x8100, 0x88a8, 0x9100, 0x9200]) IS_VLAN_TPID[t] = 1;

/** Follows VLAN tags from EtherType `type` at p to IPv4/IPv6; anything else is NOT_IP. */
export function decodeEtherType(out: PacketInfo, b: Uint8Array, p: number, end: number, type: number): number {
  while (IS_VLAN_TPID[type] === 1) {
    out.etherType = type;
    if (p + 4 > end) return S.TRUNCATED;
    if (out.vlanCount >= MAX_VLAN_TAGS) return S.MALFORMED;
    const vid = be16(b, p) & 0x0fff;
    if (out.vlanCount === 0) out.vlan = vid;
    else if (out.vlanCount === 1) out.vlanInner = vid;
    out.vlanCount++;
    type = be16(b, p + 2);
    p += 4;
  }
  out.etherType = type;
  if (type === ET_IPV4) return decodeIPv4(out, b, p, end);
  if (type === ET_IPV6) return decodeIPv6(out, b, p, end);
  return S.NOT_IP;
}

function ethernet(out: PacketInfo, b: Uint8Array, p: number, end: number): number {
  if (end - p < 14) return S.TRUNCATED;
  const type = be16(b, p + 12);
  if (type > 1500) return decodeEtherType(out, b, p + 14, end, type);
  // 802.3 length field: only LLC/SNAP with an EtherType can carry IP.
  if (end - p >= 22 && b[p + 14] === 0xaa && b[p + 15] === 0xaa && b[p + 16] === 0x03) {
    return decodeEtherType(out, b, p + 22, end, be16(b, p + 20));
  }
  return S.NOT_IP;
}

function linuxSll(out: PacketInfo, b: Uint8Array, p: number, end: number): number {
  if (end - p < 16) return S.TRUNCATED;
  return decodeEtherType(out, b, p + 16, end, be16(b, p + 14));
}

function linuxSll2(out: PacketInfo, b: Uint8Array, p: number, end: number): number {
  if (end - p < 20) return S.TRUNCATED;
  return decodeEtherType(out, b, p + 20, end, be16(b, p));
}

/** Raw IP: the version nibble says which. */
function rawIp(out: PacketInfo, b: Uint8Array, p: number, end: number): number {
  if (end - p < 1) return S.TRUNCATED;
  const v = b[p] >> 4;
  if (v === 4) return decodeIPv4(out, b, p, end);
  if (v === 6) return decodeIPv6(out, b, p, end);
  return S.MALFORMED;
}

function rawIPv4(out: PacketInfo, b: Uint8Array, p: number, end: number): number {
  return decodeIPv4(out, b, p, end);
}

function rawIPv6(out: PacketInfo, b: Uint8Array, p: number, end: number): number {
  return decodeIPv6(out, b, p, end);
}

function byFamily(out: PacketInfo, b: Uint8Array, p: number, end: number, af: number): number {
  out.etherType = af;
  if (af === AF_INET) return decodeIPv4(out, b, p, end);
  if (BSD_AF_INET6.has(af)) return decodeIPv6(out, b, p, end);
  return S.NOT_IP;
}

function bsdNull(out: PacketInfo, b: Uint8Array, p: number, end: number): number {
  if (end - p < 4) return S.TRUNCATED;
  // Families are small numbers, so whichever half is zero tells the writer's byte order.
  let af = (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24)) >>> 0;
  if ((af & 0xffff) === 0) af = be32(b, p);
  return byFamily(out, b, p + 4, end, af);
}

function openbsdLoop(out: PacketInfo, b: Uint8Array, p: number, end: number): number {
  if (end - p < 4) return S.TRUNCATED;
  return byFamily(out, b, p + 4, end, be32(b, p));
}

function nflog(out: PacketInfo, b: Uint8Array, p: number, end: number): number {
  if (end - p < 4) return S.TRUNCATED;
  const family = b[p];
  out.etherType = family;
  if (b[p + 1] !== 0) return S.MALFORMED;
  let q = p + 4;
  if (q + 4 > end) return S.NOT_IP;
  // TLV length and type are in the writer's byte order; types are below 256, so in
  // little-endian the type's high byte (bar the nested/byte-order flags) is zero.
  const le = (b[q + 3] & 0x3f) === 0;
  while (q + 4 <= end) {
    const tlvLen = le ? b[q] | (b[q + 1] << 8) : (b[q] << 8) | b[q + 1];
    const tlvType = (le ? b[q + 2] | (b[q + 3] << 8) : (b[q + 2] << 8) | b[q + 3]) & 0x3fff;
    if (tlvLen < 4) return S.MALFORMED;
    if (tlvType === NFULA_PAYLOAD) {
      const payloadEnd = Math.min(q + tlvLen, end);
      if (family === AF_INET) return decodeIPv4(out, b, q + 4, payloadEnd);
      if (family === NFLOG_AF_INET6) return decodeIPv6(out, b, q + 4, payloadEnd);
      return S.NOT_IP;
    }
    q += (tlvLen + 3) & ~3;
  }
  return S.NOT_IP;
}

/** Decoder per link type; holes are unsupported link types. */
export const LINK_DECODERS: ReadonlyArray<LinkDecoder | undefined> = (() => {
  const t: (LinkDecoder | undefined)[] = new Array(LinkType.LINUX_SLL2 + 1).fill(undefined);
  t[LinkType.NULL] = bsdNull;
  t[LinkType.ETHERNET] = ethernet;
  t[LinkType.RAW_DLT12] = rawIp;
  t[LinkType.RAW_DLT14] = rawIp;
  t[LinkType.RAW] = rawIp;
  t[LinkType.LOOP] = openbsdLoop;
  t[LinkType.LINUX_SLL] = linuxSll;
  t[LinkType.IPV4] = rawIPv4;
  t[LinkType.IPV6] = rawIPv6;
  t[LinkType.NFLOG] = nflog;
  t[LinkType.LINUX_SLL2] = linuxSll2;
  return t;
})();
