/**
 * Text forms of the numeric addresses a decode leaves in PacketInfo, for
 * logs, tests and the wire edge. Allocates: keep off the per-packet path.
 */
import { formatIPv4, formatIPv6 } from '../../protocol/address.js';
import type { PacketInfo, QuotedPacket } from './packet-info.js';

/** Four big-endian u32 words as RFC 5952 IPv6 text. */
export function formatIPv6Words(w: Uint32Array): string {
  const bytes = new Uint8Array(16);
  for (let i = 0; i < 4; i++) {
    bytes[4 * i] = w[i] >>> 24;
    bytes[4 * i + 1] = (w[i] >>> 16) & 255;
    bytes[4 * i + 2] = (w[i] >>> 8) & 255;
    bytes[4 * i + 3] = w[i] & 255;
  }
  return formatIPv6(bytes);
}

/** An address given as version, IPv4 u32 and IPv6 words; '' when the version is neither 4 nor 6. */
export function formatAddress(version: number, v4: number, v6: Uint32Array): string {
  if (version === 4) return formatIPv4(v4);
  if (version === 6) return formatIPv6Words(v6);
  return '';
}

/** Source address of a decoded packet (or of the packet an ICMP error quotes); '' when there is none. */
export function formatSource(p: PacketInfo | QuotedPacket): string {
  return formatAddress(p.ipVersion, p.src4, p.src6);
}

/** Destination address of a decoded packet (or of the packet an ICMP error quotes); '' when there is none. */
export function formatDestination(p: PacketInfo | QuotedPacket): string {
  return formatAddress(p.ipVersion, p.dst4, p.dst6);
}
