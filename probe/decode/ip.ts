/**
 * IPv4 and IPv6 headers, IPv6 extension headers and AH. Every length is
 * checked against the captured bytes; the declared IP length only ever
 * shortens what is looked at (it drops Ethernet padding), never extends it.
 *
 * IPv4:  0 version|IHL  2 total length  4 id  6 flags|fragment offset  8 TTL  9 protocol  12 src  16 dst  20 options
 * IPv6:  0 version|class|flow  4 payload length  6 next header  7 hop limit  8 src (16)  24 dst (16)  40 extension headers
 */
import { DecodeStatus as S, type PacketInfo } from './packet-info.js';
import { be32, readWords } from './bytes.js';
import { decodeTransport } from './transport.js';

const P_HOPOPTS = 0;
const P_ROUTING = 43;
const P_FRAGMENT = 44;
const P_AH = 51;
const P_DSTOPTS = 60;
/** Longest extension-header chain followed before calling the packet malformed. */
const MAX_EXTENSION_HEADERS = 32;

/** Decodes the IPv4 packet at o (captured bytes end at `end`) and what it carries. */
export function decodeIPv4(out: PacketInfo, b: Uint8Array, o: number, end: number): number {
  out.ipOffset = out.ipEnd = o;
  if (end - o < 20) return end > o && b[o] >> 4 !== 4 ? S.MALFORMED : S.TRUNCATED;
  const vihl = b[o];
  if (vihl >> 4 !== 4) return S.MALFORMED;
  const ihl = (vihl & 15) << 2;
  if (ihl < 20) return S.MALFORMED;
  const total = (b[o + 2] << 8) | b[o + 3];
  if (total !== 0 && total < ihl) return S.MALFORMED;
  out.ipVersion = 4;
  out.ttl = b[o + 8];
  out.proto = b[o + 9];
  out.src4 = be32(b, o + 12);
  out.dst4 = be32(b, o + 16);
  out.srcOffset = o + 12;
  out.dstOffset = o + 16;
  out.fragId = (b[o + 4] << 8) | b[o + 5];
  const ff = (b[o + 6] << 8) | b[o + 7];
  const fragOffset = (ff & 0x1fff) << 3;
  out.fragOffset = fragOffset;
  out.moreFragments = (ff & 0x2000) !== 0;
  out.fragment = out.moreFragments || fragOffset !== 0;
  // Total length 0 is what segmentation offload leaves in locally captured packets: use what was captured.
  let ipEnd = total === 0 ? end : o + total;
  if (ipEnd > end) {
    ipEnd = end;
    out.ipTruncated = true;
  }
  out.ipEnd = ipEnd;
  const l4 = o + ihl;
  if (l4 > ipEnd) return S.TRUNCATED;
  if (fragOffset !== 0) return laterFragment(out, l4, ipEnd);
  if (out.proto === P_AH) return extensionHeaders(out, b, l4, ipEnd, P_AH, false);
  return decodeTransport(out, b, l4, ipEnd);
}

/** Decodes the IPv6 packet at o (captured bytes end at `end`) and what it carries. */
export function decodeIPv6(out: PacketInfo, b: Uint8Array, o: number, end: number): number {
  out.ipOffset = out.ipEnd = o;
  if (end - o < 40) return end > o && b[o] >> 4 !== 6 ? S.MALFORMED : S.TRUNCATED;
  if (b[o] >> 4 !== 6) return S.MALFORMED;
  const plen = (b[o + 4] << 8) | b[o + 5];
  out.ipVersion = 6;
  out.ttl = b[o + 7];
  readWords(out.src6, b, o + 8);
  readWords(out.dst6, b, o + 24);
  out.srcOffset = o + 8;
  out.dstOffset = o + 24;
  // Payload length 0 means a jumbogram or segmentation offload: use what was captured.
  let ipEnd = plen === 0 ? end : o + 40 + plen;
  if (ipEnd > end) {
    ipEnd = end;
    out.ipTruncated = true;
  }
  out.ipEnd = ipEnd;
  return extensionHeaders(out, b, o + 40, ipEnd, b[o + 6], true);
}

/** Follows extension headers (IPv6) or AH (both) from p to the transport header. */
function extensionHeaders(out: PacketInfo, b: Uint8Array, p: number, ipEnd: number, nxt: number, v6: boolean): number {
  for (let n = 0; ; n++) {
    let len: number;
    if (nxt === P_AH) {
      if (p + 2 > ipEnd) return truncatedAt(out, p, nxt);
      len = (b[p + 1] + 2) << 2;
    } else if (v6 && (nxt === P_HOPOPTS || nxt === P_ROUTING || nxt === P_DSTOPTS)) {
      if (p + 2 > ipEnd) return truncatedAt(out, p, nxt);
      len = (b[p + 1] + 1) << 3;
    } else if (v6 && nxt === P_FRAGMENT) {
      if (p + 8 > ipEnd) return truncatedAt(out, p, nxt);
      len = 8;
      const fo = (b[p + 2] << 8) | b[p + 3];
      out.fragment = true;
      out.fragOffset = fo & 0xfff8;
      out.moreFragments = (fo & 1) !== 0;
      out.fragId = be32(b, p + 4);
    } else {
      break;
    }
    if (n >= MAX_EXTENSION_HEADERS) {
      out.proto = nxt;
      return S.MALFORMED;
    }
    if (p + len > ipEnd) return truncatedAt(out, p, nxt);
    nxt = b[p];
    p += len;
    if (out.fragOffset !== 0) {
      out.proto = nxt;
      return laterFragment(out, p, ipEnd);
    }
  }
  out.proto = nxt;
  return decodeTransport(out, b, p, ipEnd);
}

function truncatedAt(out: PacketInfo, p: number, nxt: number): number {
  out.proto = nxt;
  out.l4Offset = p;
  return S.TRUNCATED;
}

/** A non-first fragment: its bytes are data, with no transport header to read ports from. */
function laterFragment(out: PacketInfo, p: number, ipEnd: number): number {
  out.l4Offset = p;
  out.payloadOffset = p;
  out.payloadLength = ipEnd - p;
  return S.OK;
}
