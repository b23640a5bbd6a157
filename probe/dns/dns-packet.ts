/**
 * Finds the DNS response a decoded packet carries: UDP from port 53 (DNS),
 * 5353 (mDNS) or 5355 (LLMNR), or TCP from port 53 with the whole message in
 * the segment. Queries are left unparsed: only answers name anything.
 */
import { DecodeStatus, type PacketInfo } from '../decode/packet-info.js';
import { DEFAULT_DNS_LIMITS, parseDnsMessage, parseDnsTcp, type DnsLimits, type DnsResult } from './dns-parser.js';

const P_TCP = 6;
const P_UDP = 17;

/** Source ports whose UDP payloads are DNS messages. */
const UDP_DNS_PORT = new Uint8Array(65536);
UDP_DNS_PORT[53] = UDP_DNS_PORT[5353] = UDP_DNS_PORT[5355] = 1;

/** The parsed DNS response in a packet decoded from `b`, or null when it carries none (or only a query). */
export function dnsResponseOf(info: PacketInfo, b: Uint8Array, limits: DnsLimits = DEFAULT_DNS_LIMITS): DnsResult | null {
  if (info.status !== DecodeStatus.OK || !info.hasPorts || info.fragOffset !== 0) return null;
  const start = info.payloadOffset;
  const end = start + info.payloadLength;
  if (info.proto === P_UDP && UDP_DNS_PORT[info.sport] === 1) {
    // QR bit in the third byte: skip queries before parsing anything.
    if (info.payloadLength < 3 || (b[start + 2] & 0x80) === 0) return null;
    return parseDnsMessage(b, start, end, limits);
  }
  if (info.proto === P_TCP && info.sport === 53 && info.payloadLength > 0) {
    if (info.payloadLength >= 5 && (b[start + 4] & 0x80) === 0) return null;
    return parseDnsTcp(b, start, end, limits);
  }
  return null;
}
