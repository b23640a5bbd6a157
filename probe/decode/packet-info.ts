/**
 * The reusable result of decoding one frame. Everything is a number: IPv4
 * addresses as u32, IPv6 addresses as four big-endian u32 words, and the
 * offsets of both in the frame buffer, so the hot path builds no strings and
 * allocates nothing. Offsets are indices into the buffer handed to the
 * decoder, always within [start, start + capLen].
 */

/** Outcome of decoding a frame, as a number for cheap counting. */
export const DecodeStatus = {
  /** IP and its transport header (if any we know) decoded. */
  OK: 0,
  /** No decoder for this link type. */
  UNSUPPORTED_LINK: 1,
  /** The captured bytes end inside a header; fields decoded before that point are set. */
  TRUNCATED: 2,
  /** A link-layer frame that carries something other than IP (ARP, STP, ...). */
  NOT_IP: 3,
  /** A header contradicts itself (IP version, header length below minimum, ...). */
  MALFORMED: 4,
} as const;

export type DecodeStatusValue = (typeof DecodeStatus)[keyof typeof DecodeStatus];

/** Status names for logs and metrics labels, indexed by status. */
export const DECODE_STATUS_NAMES = ['ok', 'unsupported_link', 'truncated', 'not_ip', 'malformed'] as const;

/** The IP header and first 8 transport bytes quoted inside an ICMP error, as needed to match traceroute probes. */
export class QuotedPacket {
  /** False when the ICMP message quotes nothing decodable. */
  valid = false;
  /** 4 or 6 (0 when not valid). */
  ipVersion = 0;
  src4 = 0;
  dst4 = 0;
  readonly src6 = new Uint32Array(4);
  readonly dst6 = new Uint32Array(4);
  /** Offsets of the source and destination addresses in the buffer. */
  srcOffset = 0;
  dstOffset = 0;
  ttl = 0;
  proto = 0;
  /** IPv4 identification field (0 for IPv6). */
  ipId = 0;
  /** True when the quoted header is a non-first fragment (no ports then). */
  laterFragment = false;
  hasPorts = false;
  sport = 0;
  dport = 0;
  /** Quoted ICMP/ICMPv6 header fields when proto is 1 or 58 (echo id/seq when an echo). */
  icmpType = 0;
  icmpCode = 0;
  icmpId = 0;
  icmpSeq = 0;
  /** Set by the decoder once it starts writing here, so a reset is only paid when needed. */
  dirty = false;

  /** Clears the fields a decode sets. */
  reset(): void {
    this.dirty = false;
    this.valid = false;
    this.ipVersion = 0;
    this.src4 = this.dst4 = 0;
    this.srcOffset = this.dstOffset = 0;
    this.ttl = this.proto = this.ipId = 0;
    this.laterFragment = false;
    this.hasPorts = false;
    this.sport = this.dport = 0;
    this.icmpType = this.icmpCode = this.icmpId = this.icmpSeq = 0;
  }
}

/** Decoded view of one frame; the decoder overwrites it in place. */
export class PacketInfo {
  status: DecodeStatusValue = DecodeStatus.OK;
  linkType = 0;
  /** Bytes on the wire (the record's original length): what traffic counters add up. */
  frameLen = 0;
  capLen = 0;
  /** Outer and inner 802.1Q/802.1ad VLAN ids (0 when absent), and how many tags were seen. */
  vlan = 0;
  vlanInner = 0;
  vlanCount = 0;
  /** Last EtherType (or equivalent) seen before the network layer; tells what a NOT_IP frame carried. */
  etherType = 0;
  /** 4 or 6 once the addresses are valid, else 0. */
  ipVersion = 0;
  ipOffset = 0;
  /** End of the IP packet in the buffer: its declared length, cut at the captured bytes (drops Ethernet padding). */
  ipEnd = 0;
  /** True when the IP packet is longer than what was captured (snap length). */
  ipTruncated = false;
  ttl = 0;
  /** IPv4 addresses; meaningful when ipVersion is 4. */
  src4 = 0;
  dst4 = 0;
  /** IPv6 addresses as big-endian words; meaningful only when ipVersion is 6 (not cleared between packets). */
  readonly src6 = new Uint32Array(4);
  readonly dst6 = new Uint32Array(4);
  /** Where the source and destination addresses sit in the buffer (for copying them without decoding). */
  srcOffset = 0;
  dstOffset = 0;
  /** Transport protocol number after IPv6 extension headers and AH. */
  proto = 0;
  /** Fragment state: IPv4 flags/offset or IPv6 Fragment header. */
  fragment = false;
  moreFragments = false;
  /** Fragment offset in bytes. */
  fragOffset = 0;
  fragId = 0;
  /** Start of the transport header (or of the fragment data). */
  l4Offset = 0;
  hasPorts = false;
  sport = 0;
  dport = 0;
  /** TCP flags including NS as bit 8 (FIN 1, SYN 2, RST 4, PSH 8, ACK 16, URG 32, ECE 64, CWR 128). */
  tcpFlags = 0;
  tcpSeq = 0;
  tcpAck = 0;
  icmpType = 0;
  icmpCode = 0;
  /** Echo request/reply identifier and sequence number. */
  icmpId = 0;
  icmpSeq = 0;
  /** What an ICMP/ICMPv6 error quotes (valid only for those). */
  readonly inner = new QuotedPacket();
  /** Application payload (after TCP/UDP/ICMP header) in the buffer, within the captured IP packet. */
  payloadOffset = 0;
  payloadLength = 0;

  /** Clears the fields a decode sets. */
  reset(linkType: number, capLen: number, frameLen: number): void {
    this.status = DecodeStatus.OK;
    this.linkType = linkType;
    this.frameLen = frameLen;
    this.capLen = capLen;
    this.vlan = this.vlanInner = this.vlanCount = 0;
    this.etherType = 0;
    this.ipVersion = this.ipOffset = this.ipEnd = 0;
    this.ipTruncated = false;
    this.ttl = this.src4 = this.dst4 = 0;
    this.srcOffset = this.dstOffset = 0;
    this.proto = 0;
    this.fragment = this.moreFragments = false;
    this.fragOffset = this.fragId = 0;
    this.l4Offset = 0;
    this.hasPorts = false;
    this.sport = this.dport = 0;
    this.tcpFlags = this.tcpSeq = this.tcpAck = 0;
    this.icmpType = this.icmpCode = this.icmpId = this.icmpSeq = 0;
    if (this.inner.dirty) this.inner.reset();
    this.payloadOffset = this.payloadLength = 0;
  }
}
