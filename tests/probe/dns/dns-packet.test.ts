/**
 * Finding the DNS response inside a decoded packet: which ports and
 * protocols count, queries skipped, TCP framing through the real decoder.
 */
import { describe, expect, it } from 'vitest';
import { decodePacket } from '../../../probe/decode/packet.js';
import { PacketInfo } from '../../../probe/decode/packet-info.js';
import { DnsErrorCode, type DnsResult } from '../../../probe/dns/dns-parser.js';
import { dnsResponseOf } from '../../../probe/dns/dns-packet.js';

function h(...parts: string[]): number[] {
  return Array.from(Buffer.from(parts.join('').replace(/\s+/g, ''), 'hex'));
}

// Response: query a.org A, answer a.org A 192.0.2.7 (owner compressed to 12).
const RESPONSE = h('beef 8180 0001 0001 0000 0000 01 61 03 6f7267 00 0001 0001 c00c 0001 0001 0000003c 0004 c0000207');
const QUERY = h('beef 0100 0001 0000 0000 0000 01 61 03 6f7267 00 0001 0001');

function ipv4(proto: number, payload: number[], flagsFrag = 0): Uint8Array {
  const len = 20 + payload.length;
  return Uint8Array.from([0x45, 0, len >> 8, len & 255, 0, 1, flagsFrag >> 8, flagsFrag & 255, 64, proto, 0, 0, 192, 0, 2, 53, 192, 0, 2, 1, ...payload]);
}

function udp(sport: number, dport: number, data: number[]): number[] {
  const len = 8 + data.length;
  return [sport >> 8, sport & 255, dport >> 8, dport & 255, len >> 8, len & 255, 0, 0, ...data];
}

function tcp(sport: number, dport: number, data: number[]): number[] {
  return [sport >> 8, sport & 255, dport >> 8, dport & 255, 0, 0, 0, 1, 0, 0, 0, 1, 0x50, 0x18, 0xff, 0xff, 0, 0, 0, 0, ...data];
}

function found(pkt: Uint8Array): DnsResult | null {
  const info = new PacketInfo();
  decodePacket(info, 101, pkt, 0, pkt.length, pkt.length);
  return dnsResponseOf(info, pkt);
}

const answers = (r: DnsResult | null): string[] | null => (r !== null && r.ok ? r.message.answers.map((a) => a.data) : null);

describe('dnsResponseOf', () => {
  it('parses responses from UDP ports 53, 5353 and 5355', () => {
    for (const port of [53, 5353, 5355]) expect(answers(found(ipv4(17, udp(port, 40000, RESPONSE)))), String(port)).toEqual(['192.0.2.7']);
  });
  it('skips queries, other ports and later fragments', () => {
    expect(found(ipv4(17, udp(53, 40000, QUERY)))).toBeNull();
    expect(found(ipv4(17, udp(40000, 53, RESPONSE)))).toBeNull();
    expect(found(ipv4(17, udp(53, 40000, RESPONSE), 0x0004))).toBeNull();
  });
  it('parses a TCP response whole in its segment, and reports one that continues as partial', () => {
    const framed = [RESPONSE.length >> 8, RESPONSE.length & 255, ...RESPONSE];
    expect(answers(found(ipv4(6, tcp(53, 40000, framed))))).toEqual(['192.0.2.7']);
    const cut = found(ipv4(6, tcp(53, 40000, framed.slice(0, 20))));
    expect(cut !== null && !cut.ok && cut.code).toBe(DnsErrorCode.TCP_PARTIAL);
    expect(found(ipv4(6, tcp(53, 40000, [])))).toBeNull();
    expect(found(ipv4(6, tcp(53, 40000, [0, QUERY.length, ...QUERY])))).toBeNull();
  });
  it('reports a malformed response as an error value', () => {
    const bad = RESPONSE.slice(0, RESPONSE.length - 2);
    const r = found(ipv4(17, udp(53, 40000, bad)));
    expect(r !== null && !r.ok && r.code).toBe(DnsErrorCode.TRUNCATED);
  });
});
