/**
 * The packet an ICMP or ICMPv6 error quotes: its IP header and at least the
 * first 8 bytes after it (RFC 792, RFC 4443). That is enough to know which
 * probe a traceroute hop answered: addresses, protocol, ports, echo id/seq.
 * The quote is usually shorter than its own IP length says, so only the
 * bytes actually present are trusted.
 */
import { be16, be32, readWords } from './bytes.js';
import type { QuotedPacket } from './packet-info.js';

const P_ICMP = 1;
const P_TCP = 6;
const P_UDP = 17;
const P_DCCP = 33;
const P_ICMPV6 = 58;
const P_SCTP = 132;
const P_UDPLITE = 136;
const MAX_EXTENSION_HEADERS = 8;

/** Fills `q` from the quoted packet in b[p, end); leaves q.valid false if no IP header is there. */
export function decodeQuoted(q: QuotedPacket, b: Uint8Array, p: number, end: number): void {
  q.dirty = true;
  if (p >= end) return;
  const version = b[p] >> 4;
  let l4: number;
  let proto: number;
  if (version === 4) {
    const ihl = (b[p] & 15) << 2;
    if (ihl < 20 || p + ihl > end) return;
    q.ipVersion = 4;
    q.ttl = b[p + 8];
    q.ipId = be16(b, p + 4);
    q.src4 = be32(b, p + 12);
    q.dst4 = be32(b, p + 16);
    q.srcOffset = p + 12;
    q.dstOffset = p + 16;
    q.laterFragment = (be16(b, p + 6) & 0x1fff) !== 0;
    proto = b[p + 9];
    l4 = p + ihl;
  } else if (version === 6) {
    if (p + 40 > end) return;
    q.ipVersion = 6;
    q.ttl = b[p + 7];
    readWords(q.src6, b, p + 8);
    readWords(q.dst6, b, p + 24);
    q.srcOffset = p + 8;
    q.dstOffset = p + 24;
    proto = b[p + 6];
    l4 = p + 40;
    // Skip extension headers as far as the quote goes.
    for (let n = 0; n < MAX_EXTENSION_HEADERS; n++) {
      let len: number;
      if (proto === 0 || proto === 43 || proto === 60) {
        if (l4 + 2 > end) break;
        len = (b[l4 + 1] + 1) << 3;
      } else if (proto === 44) {
        if (l4 + 8 > end) break;
        len = 8;
        if ((be16(b, l4 + 2) & 0xfff8) !== 0) q.laterFragment = true;
      } else if (proto === 51) {
        if (l4 + 2 > end) break;
        len = (b[l4 + 1] + 2) << 2;
      } else {
        break;
      }
      if (l4 + len > end) break;
      proto = b[l4];
      l4 += len;
    }
  } else {
    return;
  }
  q.proto = proto;
  q.valid = true;
  if (q.laterFragment) return;
  const avail = end - l4;
  if (proto === P_TCP || proto === P_UDP || proto === P_SCTP || proto === P_DCCP || proto === P_UDPLITE) {
    if (avail < 4) return;
    q.hasPorts = true;
    q.sport = be16(b, l4);
    q.dport = be16(b, l4 + 2);
  } else if (proto === P_ICMP || proto === P_ICMPV6) {
    if (avail < 2) return;
    q.icmpType = b[l4];
    q.icmpCode = b[l4 + 1];
    if (avail < 8) return;
    q.icmpId = be16(b, l4 + 4);
    q.icmpSeq = be16(b, l4 + 6);
  }
}
