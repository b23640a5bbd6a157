/**
 * Trace matching on synthetic packet sequences: raw IP packets built here,
 * decoded by the real decoder, fed to the matcher with chosen capture times.
 */
import { describe, expect, it } from 'vitest';
import { parseIPv4, parseIPv6 } from '../../../protocol/address.js';
import { decodePacket } from '../../../probe/decode/packet.js';
import { DecodeStatus, PacketInfo } from '../../../probe/decode/packet-info.js';
import { TraceMatcher, type TraceOptions } from '../../../probe/trace/trace-matcher.js';
import type { TraceEvent } from '../../../probe/trace/trace-path.js';
import { decodeMessages, encodeMessages } from '../../../protocol/datagram.js';
import { Msg } from '../../../protocol/messages.js';

const LINKTYPE_RAW = 101;

function u16(n: number): number[] {
  return [(n >> 8) & 255, n & 255];
}

function v4(a: string): number[] {
  const n = parseIPv4(a);
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
}

function ip4(src: string, dst: string, ttl: number, proto: number, id: number, payload: number[]): number[] {
  return [0x45, 0, ...u16(20 + payload.length), ...u16(id), 0, 0, ttl, proto, 0, 0, ...v4(src), ...v4(dst), ...payload];
}

function ip6(src: string, dst: string, hlim: number, nh: number, payload: number[]): number[] {
  return [0x60, 0, 0, 0, ...u16(payload.length), nh, hlim, ...(parseIPv6(src) as Uint8Array), ...(parseIPv6(dst) as Uint8Array), ...payload];
}

function echo(type: number, id: number, seq: number): number[] {
  return [type, 0, 0, 0, ...u16(id), ...u16(seq), 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68];
}

/** An ICMP error quoting the IP header and first 8 payload bytes of `probe` (v4) or more (v6). */
function icmpError(type: number, code: number, probe: number[], quoteLen: number): number[] {
  return [type, code, 0, 0, 0, 0, 0, 0, ...probe.slice(0, quoteLen)];
}

function udp(sport: number, dport: number): number[] {
  return [...u16(sport), ...u16(dport), ...u16(12), 0, 0, 1, 2, 3, 4];
}

function tcp(sport: number, dport: number, flags: number): number[] {
  return [...u16(sport), ...u16(dport), 0, 0, 0, 1, 0, 0, 0, 0, 0x50, flags, 0xff, 0xff, 0, 0, 0, 0];
}

const S = '192.0.2.1';
const D = '198.51.100.9';
const R1 = '10.0.0.1';
const R2 = '10.0.1.1';
const R3 = '10.0.2.1';

/** A matcher with its events and a decoder in front. */
class Run {
  readonly events: TraceEvent[] = [];
  readonly matcher: TraceMatcher;
  private readonly info = new PacketInfo();

  constructor(options?: Partial<TraceOptions>) {
    this.matcher = new TraceMatcher((e) => this.events.push(e), options);
  }

  feed(pkt: number[], ts: number): void {
    const b = Uint8Array.from(pkt);
    expect(decodePacket(this.info, LINKTYPE_RAW, b, 0, b.length, b.length)).toBe(DecodeStatus.OK);
    this.matcher.observe(this.info, ts);
  }
}

// ICMP echo probes from S to D, id 0x100, sequence n, IP id 0x1000 + n.
const echoProbe = (ttl: number, seq: number): number[] => ip4(S, D, ttl, 1, 0x1000 + seq, echo(8, 0x100, seq));
const timeExceeded = (router: string, probe: number[]): number[] => ip4(router, S, 250, 1, 7, icmpError(11, 0, probe, 28));
const echoReply = (seq: number): number[] => ip4(D, S, 60, 1, 9, echo(0, 0x100, seq));

describe('ICMP echo traceroute (IPv4)', () => {
  it('gives one complete TRACE: hops in TTL order, senders, round trips, ending at the destination', () => {
    const r = new Run();
    const p1 = echoProbe(1, 1);
    const p2 = echoProbe(2, 2);
    r.feed(p1, 1_000_000);
    r.feed(timeExceeded(R1, p1), 1_001_000);
    r.feed(p2, 1_002_000);
    r.feed(timeExceeded(R2, p2), 1_005_000);
    r.feed(echoProbe(3, 3), 1_006_000);
    expect(r.events).toEqual([]);
    r.feed(echoReply(3), 1_009_500);
    expect(r.events).toEqual([{
      ts: 1_009_500, family: 4, dst: D, complete: true,
      hops: [
        { ttl: 1, rtt_us: 1000, addr: R1 },
        { ttl: 2, rtt_us: 3000, addr: R2 },
        { ttl: 3, rtt_us: 3500, addr: D },
      ],
    }]);
    expect(r.matcher.pendingProbes).toBe(0);
  });

  it('lists a TTL without answer as a null hop, and keeps the first answer of each TTL', () => {
    const r = new Run();
    const a = echoProbe(1, 1);
    const b = echoProbe(1, 2);
    r.feed(a, 0);
    r.feed(b, 10);
    r.feed(echoProbe(2, 3), 20);
    r.feed(echoProbe(3, 4), 30);
    r.feed(timeExceeded(R2, b), 100); // the second TTL-1 probe answered first, by another router
    r.feed(timeExceeded(R1, a), 200);
    r.feed(echoReply(4), 300);
    expect(r.events.map((e) => e.hops)).toEqual([[
      { ttl: 1, rtt_us: 90, addr: R2 },
      { ttl: 2, rtt_us: null, addr: null },
      { ttl: 3, rtt_us: 270, addr: D },
    ]]);
  });

  it('matches only the probe the error quotes: IP id, echo id and sequence must agree', () => {
    const r = new Run();
    const p = echoProbe(1, 1);
    r.feed(p, 0);
    const otherId = p.slice();
    otherId[5] ^= 1; // IP id
    r.feed(timeExceeded(R1, otherId), 100);
    const otherSeq = echoProbe(1, 2);
    r.feed(timeExceeded(R1, otherSeq), 100);
    r.feed(ip4(R1, S, 250, 1, 7, icmpError(11, 1, p, 28)), 100); // reassembly time exceeded: not a hop
    r.matcher.flush();
    expect(r.events).toEqual([]);
    expect(r.matcher.pendingProbes).toBe(0); // flush forgets everything
  });

  it('ignores late answers to a reported run, and starts a new run for a later lower-TTL probe', () => {
    const r = new Run();
    const p1 = echoProbe(1, 1);
    r.feed(p1, 0);
    r.feed(echoProbe(2, 2), 0);
    r.feed(echoProbe(2, 3), 0);
    r.feed(timeExceeded(R1, p1), 100);
    r.feed(echoReply(2), 200);
    r.feed(echoReply(3), 300); // the same run's other TTL-2 probe
    expect(r.events).toHaveLength(1);
    const p4 = echoProbe(1, 4);
    r.feed(p4, 1_000);
    r.feed(timeExceeded(R2, p4), 1_100);
    r.feed(echoProbe(2, 5), 1_200);
    r.feed(echoReply(5), 1_300);
    expect(r.events.map((e) => e.hops.map((h) => h.addr))).toEqual([[R1, D], [R2, D]]);
  });

  it('does not take packets above maxProbeTtl, answers to expired probes or unknown replies', () => {
    const r = new Run({ maxProbeTtl: 30, probeMaxAgeUs: 10_000_000 });
    const high = echoProbe(31, 1);
    r.feed(high, 0);
    expect(r.matcher.pendingProbes).toBe(0);
    const p = echoProbe(1, 2);
    r.feed(p, 0);
    r.feed(ip4(S, '203.0.113.5', 64, 17, 1, udp(1, 2)), 10_500_000); // time passes
    r.feed(timeExceeded(R1, p), 10_600_000);
    r.feed(echoReply(77), 10_700_000);
    r.matcher.flush();
    expect(r.events).toEqual([]);
  });
});

describe('UDP and TCP probes', () => {
  const udpProbe = (ttl: number, n: number): number[] => ip4(S, D, ttl, 17, 0x2000 + n, udp(40000, 33434 + n));
  it('matches UDP probes by ports and IP id and ends at a port unreachable from the destination', () => {
    const r = new Run();
    const p1 = udpProbe(1, 0);
    const p2 = udpProbe(2, 1);
    const p3 = udpProbe(3, 2);
    r.feed(p1, 0);
    r.feed(p2, 0);
    r.feed(p3, 0);
    r.feed(ip4(R3, S, 250, 1, 7, icmpError(3, 4, p2, 28)), 50); // fragmentation needed: not an end
    r.feed(timeExceeded(R1, p1), 100);
    r.feed(timeExceeded(R2, p2), 200);
    r.feed(ip4(D, S, 250, 1, 7, icmpError(3, 3, p3, 28)), 300);
    expect(r.events).toEqual([{
      ts: 300, family: 4, dst: D, complete: true,
      hops: [{ ttl: 1, rtt_us: 100, addr: R1 }, { ttl: 2, rtt_us: 200, addr: R2 }, { ttl: 3, rtt_us: 300, addr: D }],
    }]);
  });

  it('matches TCP SYN probes, not other TCP segments', () => {
    const r = new Run();
    const syn = ip4(S, D, 1, 6, 0x3000, tcp(40001, 443, 0x02));
    const ack = ip4(S, D, 2, 6, 0x3001, tcp(40001, 443, 0x10));
    r.feed(syn, 0);
    r.feed(ack, 0);
    expect(r.matcher.pendingProbes).toBe(1);
    r.feed(timeExceeded(R1, syn), 100);
    r.feed(timeExceeded(R2, ack), 100);
    r.matcher.flush();
    expect(r.events.map((e) => [e.complete, e.hops])).toEqual([[false, [{ ttl: 1, rtt_us: 100, addr: R1 }]]]);
  });

  it('traces over IPv6: UDP with time exceeded and port unreachable, ICMPv6 echo with echo reply', () => {
    const s6 = '2001:db8::1';
    const d6 = '2001:db8:ffff::9';
    const r1 = '2001:db8:1::1';
    const r = new Run();
    const u1 = ip6(s6, d6, 1, 17, udp(40000, 33434));
    const u2 = ip6(s6, d6, 2, 17, udp(40000, 33435));
    r.feed(u1, 0);
    r.feed(u2, 0);
    r.feed(ip6(r1, s6, 64, 58, icmpError(3, 0, u1, 48)), 150);
    r.feed(ip6(d6, s6, 64, 58, icmpError(1, 4, u2, 48)), 250);
    const e1 = ip6(s6, d6, 1, 58, echo(128, 7, 1));
    const e2 = ip6(s6, d6, 2, 58, echo(128, 7, 2));
    r.feed(e1, 1_000);
    r.feed(e2, 1_000);
    r.feed(ip6(r1, s6, 64, 58, icmpError(3, 0, e1, 48)), 1_100);
    r.feed(ip6(d6, s6, 60, 58, echo(129, 7, 2)), 1_200);
    expect(r.events).toEqual([
      { ts: 250, family: 6, dst: d6, complete: true, hops: [{ ttl: 1, rtt_us: 150, addr: r1 }, { ttl: 2, rtt_us: 250, addr: d6 }] },
      { ts: 1_200, family: 6, dst: d6, complete: true, hops: [{ ttl: 1, rtt_us: 100, addr: r1 }, { ttl: 2, rtt_us: 200, addr: d6 }] },
    ]);
  });
});

describe('reporting without an answer from the destination', () => {
  it('reports a path after the quiet period, and again, whole, when more hops come', () => {
    const r = new Run({ quietUs: 3_000_000 });
    const p1 = echoProbe(1, 1);
    r.feed(p1, 0);
    r.feed(timeExceeded(R1, p1), 1_000);
    r.matcher.tick(2_900_000);
    expect(r.events).toEqual([]);
    r.matcher.tick(3_001_000);
    expect(r.events.map((e) => [e.ts, e.complete, e.hops.length])).toEqual([[1_000, false, 1]]);
    r.matcher.tick(5_000_000);
    expect(r.events).toHaveLength(1); // nothing new: not reported again
    const p3 = echoProbe(3, 3);
    r.feed(p3, 6_000_000);
    r.feed(timeExceeded(R3, p3), 6_002_000);
    r.feed(ip4(S, '203.0.113.5', 64, 17, 1, udp(1, 2)), 9_002_000); // any packet moves the capture clock
    expect(r.events[1]).toEqual({
      ts: 6_002_000, family: 4, dst: D, complete: false,
      hops: [{ ttl: 1, rtt_us: 1_000, addr: R1 }, { ttl: 2, rtt_us: null, addr: null }, { ttl: 3, rtt_us: 2_000, addr: R3 }],
    });
  });

  it('forgets a quiet path after keepUs', () => {
    const r = new Run({ quietUs: 1_000_000, keepUs: 5_000_000 });
    const p = echoProbe(1, 1);
    r.feed(p, 0);
    r.feed(timeExceeded(R1, p), 100);
    r.matcher.tick(4_000_000);
    expect(r.matcher.pathCount).toBe(1);
    r.matcher.tick(5_000_200);
    expect(r.matcher.pathCount).toBe(0);
    expect(r.events).toHaveLength(1);
  });

  it('flush() reports paths with unreported hops, once', () => {
    const r = new Run();
    const p = echoProbe(1, 1);
    r.feed(p, 0);
    r.feed(timeExceeded(R1, p), 100);
    r.matcher.flush();
    r.matcher.flush();
    expect(r.events.map((e) => [e.complete, e.hops])).toEqual([[false, [{ ttl: 1, rtt_us: 100, addr: R1 }]]]);
  });
});

describe('bounds', () => {
  it('keeps at most maxProbes probes however many are sent', () => {
    const r = new Run({ maxProbes: 500 });
    for (let i = 0; i < 10_000; i++) r.feed(ip4(S, `203.0.${(i >> 8) & 255}.${i & 255}`, 1 + (i % 30), 17, i & 0xffff, udp(40000, 33434 + (i % 100))), i);
    expect(r.matcher.pendingProbes).toBeLessThanOrEqual(500);
    expect(r.matcher.pendingProbes).toBeGreaterThan(0);
  });

  it('keeps probes filed under one key bounded and still matches the newest', () => {
    const r = new Run({ maxProbes: 10_000 });
    // Paris-style: one flow, only the IP id changes.
    let last: number[] = [];
    for (let i = 0; i < 1_000; i++) {
      last = ip4(S, D, 1 + (i % 30), 17, i, udp(40000, 33434));
      r.feed(last, i);
    }
    expect(r.matcher.pendingProbes).toBeLessThanOrEqual(64);
    r.feed(timeExceeded(R1, last), 2_000);
    r.matcher.flush();
    expect(r.events).toHaveLength(1);
  });

  it('keeps at most maxPaths paths, reporting the ones it drops', () => {
    const r = new Run({ maxPaths: 50 });
    for (let i = 0; i < 300; i++) {
      const p = ip4(S, `203.${i >> 8}.113.${i & 255}`, 1, 1, i, echo(8, 1, i));
      r.feed(p, i * 10);
      r.feed(timeExceeded(R1, p), i * 10 + 5);
      expect(r.matcher.pathCount).toBeLessThanOrEqual(50);
    }
    expect(r.matcher.stats.pathsEvicted).toBe(250);
    expect(r.events).toHaveLength(250);
    r.matcher.flush();
    expect(new Set(r.events.map((e) => e.dst)).size).toBe(300);
  });

  it('rejects options it cannot honour', () => {
    expect(() => new TraceMatcher(() => {}, { maxProbeTtl: 65 })).toThrow(RangeError);
    expect(() => new TraceMatcher(() => {}, { maxProbeTtl: 0 })).toThrow(RangeError);
    expect(() => new TraceMatcher(() => {}, { quietUs: 10, keepUs: 5 })).toThrow(RangeError);
    expect(() => new TraceMatcher(() => {}, { maxPaths: 0 })).toThrow(RangeError);
  });
});

describe('wire shape', () => {
  it('a TRACE event encodes as the TRACE message and decodes back to the same hops', () => {
    const r = new Run();
    const p1 = echoProbe(1, 1);
    r.feed(p1, 0);
    r.feed(echoProbe(2, 2), 0);
    r.feed(echoProbe(3, 3), 0);
    r.feed(timeExceeded(R1, p1), 100);
    r.feed(echoReply(3), 300);
    const [e] = r.events;
    const decoded = decodeMessages(encodeMessages([{ ...Msg.TRACE, ...e }]), true);
    expect(decoded.ok).toBe(true);
    if (!decoded.ok) return;
    expect(decoded.messages[0]).toMatchObject({ ...Msg.TRACE, ts: 300, family: 4, dst: D });
    expect((decoded.messages[0].hops as TraceEvent['hops']).map((h) => ({ ttl: h.ttl, rtt_us: h.rtt_us, addr: h.addr }))).toEqual(e.hops);
  });
});
