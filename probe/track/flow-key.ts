/**
 * The connection key of a decoded packet, as numbers: both addresses, a port
 * word, a protocol/VLAN word and the family, put in a canonical order so a
 * reply packet gives the same key as the packet it answers.
 *
 * What a flow is, per protocol:
 * - TCP, UDP, UDP-Lite, SCTP, DCCP: addresses and ports (the 5-tuple).
 * - ICMP/ICMPv6 queries that carry an identifier (echo, and for ICMPv4 also
 *   timestamp and information): one flow per address pair, query kind and
 *   identifier, so a ping session is one flow whichever side replies.
 * - Any other ICMP message (errors, router/neighbour discovery, ...): one flow
 *   per address pair and ICMP type; an error does not join the flow it quotes.
 * - Other IP protocols: one flow per address pair and protocol, ports 0.
 * Outer and inner VLAN ids are part of every key, so the same traffic seen on
 * two VLANs is two connections.
 */
import { DecodeStatus, type PacketInfo } from '../decode/packet-info.js';

/** What a packet gives the tracker. */
export const KeyKind = {
  /** No key: not IP, or a header the key needs was not captured. */
  NONE: 0,
  /** A key was built. */
  OK: 1,
  /** A non-first IP fragment: no ports, needs the fragment cache. */
  LATER_FRAGMENT: 2,
} as const;

const P_ICMP = 1;
const P_ICMPV6 = 58;

/** IP protocols whose header starts with 16-bit source and destination ports. */
const PORTED = new Uint8Array(256);
for (const p of [6, 17, 33, 132, 136]) PORTED[p] = 1;

// ICMP queries with an identifier, numbered by request/reply pair (0 = not one).
const ICMP4_QUERY = new Uint8Array(256);
const ICMP6_QUERY = new Uint8Array(256);
ICMP4_QUERY[8] = ICMP4_QUERY[0] = 1; // echo
ICMP4_QUERY[13] = ICMP4_QUERY[14] = 2; // timestamp
ICMP4_QUERY[15] = ICMP4_QUERY[16] = 3; // information
ICMP6_QUERY[128] = ICMP6_QUERY[129] = 1; // echo

/** A flow key, overwritten in place for every packet. */
export class FlowKey {
  // Words are kept as int32 (| 0) throughout: they stay small integers to the JIT, where
  // unsigned values above 2^31 would become doubles.
  /** Address A (4 words) then address B (4 words); IPv4 uses word 0 of each, the rest stay 0. */
  readonly w = new Int32Array(8);
  /** Port word: port of A << 16 | port of B; for ICMP a query/type code independent of direction. */
  ports = 0;
  /** proto << 24 | outer VLAN << 12 | inner VLAN. */
  meta = 0;
  /** 1 for IPv6, 0 for IPv4. */
  v6 = 0;
  hash = 0;
  /** True when the packet's source is address B (it travels B → A). */
  swapped = false;
  proto = 0;
  /** sport << 16 | dport (as int32) as NEWCONN shows them when this packet opens the connection. */
  shownPorts = 0;
}

/** One round of MurmurHash3's 32-bit body. */
function mix(h: number, k: number): number {
  k = Math.imul(k, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, 0x1b873593);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

/** Hash of a key stored as 8 address words at `w[off..]`, as an int32; the same for a FlowKey and a table record. */
export function hashKey(seed: number, w: Int32Array, off: number, ports: number, meta: number, v6: number): number {
  let h = mix(seed, w[off]);
  h = mix(h, w[off + 4]);
  if (v6 !== 0) {
    h = mix(h, w[off + 1]);
    h = mix(h, w[off + 2]);
    h = mix(h, w[off + 3]);
    h = mix(h, w[off + 5]);
    h = mix(h, w[off + 6]);
    h = mix(h, w[off + 7]);
  }
  h = mix(h, ports);
  h = mix(h, meta);
  h ^= v6 + 8;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** 1, -1 or 0 as the packet's source address sorts after, before or equal to its destination (words compared in order). */
function compareAddresses(p: PacketInfo): number {
  if (p.ipVersion === 4) return p.src4 > p.dst4 ? 1 : p.src4 < p.dst4 ? -1 : 0;
  const s = p.src6;
  const d = p.dst6;
  for (let i = 0; i < 4; i++) if (s[i] !== d[i]) return s[i] > d[i] ? 1 : -1;
  return 0;
}

/** Fills `k` from a decoded packet; returns a KeyKind. */
export function flowKeyOf(k: FlowKey, p: PacketInfo, seed: number): number {
  const ver = p.ipVersion;
  if (ver !== 4 && ver !== 6) return KeyKind.NONE;
  const status = p.status;
  if (status !== DecodeStatus.OK && status !== DecodeStatus.TRUNCATED) return KeyKind.NONE;
  if (p.fragment && p.fragOffset !== 0) return status === DecodeStatus.OK ? KeyKind.LATER_FRAGMENT : KeyKind.NONE;
  const proto = p.proto;
  let cmp = compareAddresses(p);
  let ports: number;
  let shown: number;
  if (PORTED[proto] === 1) {
    if (!p.hasPorts) return KeyKind.NONE;
    const sp = p.sport;
    const dp = p.dport;
    if (cmp === 0) cmp = sp > dp ? 1 : -1;
    shown = (sp << 16) | dp;
    ports = cmp > 0 ? (dp << 16) | sp : shown;
  } else if (proto === P_ICMP || proto === P_ICMPV6) {
    // The type and code are read once 4 bytes are there, the identifier once 8 are.
    const avail = p.ipEnd - p.l4Offset;
    if (avail < 4) return KeyKind.NONE;
    const type = p.icmpType;
    const query = (proto === P_ICMP ? ICMP4_QUERY : ICMP6_QUERY)[type];
    ports = query !== 0 && avail >= 8 ? (query << 16) | p.icmpId : (0x100 | type) << 16;
    shown = (type << 8) | p.icmpCode;
  } else {
    // The decoder only reports TRUNCATED here when it stopped inside IPv6 extension headers.
    if (status !== DecodeStatus.OK) return KeyKind.NONE;
    ports = 0;
    shown = 0;
  }
  const swapped = cmp > 0;
  const w = k.w;
  if (ver === 4) {
    const a = swapped ? p.dst4 : p.src4;
    const b = swapped ? p.src4 : p.dst4;
    w[0] = a; w[1] = 0; w[2] = 0; w[3] = 0;
    w[4] = b; w[5] = 0; w[6] = 0; w[7] = 0;
    k.v6 = 0;
  } else {
    const a = swapped ? p.dst6 : p.src6;
    const b = swapped ? p.src6 : p.dst6;
    w[0] = a[0]; w[1] = a[1]; w[2] = a[2]; w[3] = a[3];
    w[4] = b[0]; w[5] = b[1]; w[6] = b[2]; w[7] = b[3];
    k.v6 = 1;
  }
  const meta = (proto << 24) | ((p.vlan & 0xfff) << 12) | (p.vlanInner & 0xfff);
  k.ports = ports;
  k.meta = meta;
  k.swapped = swapped;
  k.proto = proto;
  k.shownPorts = shown;
  k.hash = hashKey(seed, w, 0, ports, meta, k.v6);
  return KeyKind.OK;
}
