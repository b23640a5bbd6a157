/**
 * Traceroute paths from captured packets. Outgoing probes with a small TTL
 * (UDP, TCP SYN, ICMP/ICMPv6 echo request) are remembered; an ICMP error
 * quoting one of them is a hop {ttl of the probe, sender, arrival − send}; an
 * echo reply or an unreachable ends the path. Hops are grouped per (source,
 * destination) and reported as a TRACE when the path ends, when it has been
 * quiet for a while, or at flush(). Time is only ever the capture time given.
 *
 * A path reported because it went quiet is kept for a while and reported
 * again, whole, if more hops come (Windows tracert pauses seconds between
 * TTLs for reverse lookups). After a path ended, answers to that run are
 * ignored; a probe sent later with a lower TTL starts a new run.
 *
 * Not handled: a TCP SYN probe reaching its destination answers with SYN-ACK
 * or RST, which is not matched, so such paths end by going quiet.
 */
import { DecodeStatus, type PacketInfo } from '../decode/packet-info.js';
import { formatDestination, formatSource } from '../decode/address-text.js';
import { ProbeTable, type SentProbe } from './probe-table.js';
import { TracePath, type TraceEvent } from './trace-path.js';

/** Limits and delays of the matcher; all in microseconds of capture time where a time. */
export interface TraceOptions {
  /** Largest TTL / hop limit an outgoing packet may have to count as a probe (1..64). */
  maxProbeTtl: number;
  /** Probes remembered at most. */
  maxProbes: number;
  /** A probe unanswered for this long is forgotten. */
  probeMaxAgeUs: number;
  /** Paths remembered at most; the oldest is reported (if it has news) and dropped first. */
  maxPaths: number;
  /** A path with no new hop for this long is reported. */
  quietUs: number;
  /** A path with no new hop for this long is forgotten (≥ quietUs). */
  keepUs: number;
  /** How often, in capture time, quiet paths and old probes are looked for. */
  scanIntervalUs: number;
}

/** Defaults for {@link TraceOptions}. */
export const DEFAULT_TRACE_OPTIONS: Readonly<TraceOptions> = {
  // Real traffic from hosts 30+ hops away with a default TTL of 64 is rare; traceroute stops at 30.
  maxProbeTtl: 30,
  maxProbes: 4096,
  probeMaxAgeUs: 10_000_000,
  maxPaths: 256,
  quietUs: 3_000_000,
  keepUs: 30_000_000,
  scanIntervalUs: 250_000,
};

/** Fills unspecified options from the defaults and checks them; throws a RangeError naming the bad one. */
export function resolveTraceOptions(options?: Partial<TraceOptions>): TraceOptions {
  const o = { ...DEFAULT_TRACE_OPTIONS, ...options };
  const check = (ok: boolean, what: string): void => {
    if (!ok) throw new RangeError(`trace option ${what}`);
  };
  check(Number.isInteger(o.maxProbeTtl) && o.maxProbeTtl >= 1 && o.maxProbeTtl <= 64, 'maxProbeTtl must be an integer in 1..64');
  check(o.maxProbes >= 1 && o.maxPaths >= 1, 'maxProbes and maxPaths must be ≥ 1');
  check(o.probeMaxAgeUs > 0 && o.quietUs > 0 && o.scanIntervalUs > 0, 'times must be > 0');
  check(o.keepUs >= o.quietUs, 'keepUs must be ≥ quietUs');
  return o;
}

const P_ICMP = 1;
const P_TCP = 6;
const P_UDP = 17;
const P_ICMPV6 = 58;
const TCP_SYN = 0x02;
const TCP_ACK = 0x10;

// What each ICMP / ICMPv6 type means to the matcher.
const NONE = 0;
const HOP = 1; // time exceeded: a router on the way
const END = 2; // destination unreachable: the last hop
const REPLY = 3; // echo reply
const ICMP4_ROLE = new Uint8Array(256);
const ICMP6_ROLE = new Uint8Array(256);
ICMP4_ROLE[11] = HOP; ICMP4_ROLE[3] = END; ICMP4_ROLE[0] = REPLY;
ICMP6_ROLE[3] = HOP; ICMP6_ROLE[1] = END; ICMP6_ROLE[129] = REPLY;

/** True for an ICMP (v 4) or ICMPv6 (v 6) type that answers a probe by quoting it: time exceeded or unreachable. */
export function quotesProbe(v: number, icmpType: number): boolean {
  const role = (v === 4 ? ICMP4_ROLE : ICMP6_ROLE)[icmpType];
  return role === HOP || role === END;
}
const ECHO_REQUEST4 = 8;
const ECHO_REQUEST6 = 128;
/** IPv4 unreachable "fragmentation needed": path MTU discovery, not the end of a path. */
const FRAG_NEEDED = 4;

/** Family and addresses as a map key. */
function pathKeyOf(v: number, s4: number, d4: number, s6: Uint32Array, d6: Uint32Array): string {
  return v === 4 ? `4|${s4}|${d4}` : `6|${s6[0]},${s6[1]},${s6[2]},${s6[3]}|${d6[0]},${d6[1]},${d6[2]},${d6[3]}`;
}

/** Counters for stats and metrics. */
export interface TraceStats {
  probes: number;
  hops: number;
  traces: number;
  pathsEvicted: number;
}

/** Matches ICMP answers to outgoing probes and reports the paths they make. */
export class TraceMatcher {
  private readonly o: TraceOptions;
  private readonly probes: ProbeTable;
  private readonly paths = new Map<string, TracePath>();
  private nextScan = -Infinity;
  readonly stats: TraceStats = { probes: 0, hops: 0, traces: 0, pathsEvicted: 0 };

  constructor(
    private readonly onTrace: (event: TraceEvent) => void,
    options?: Partial<TraceOptions>,
  ) {
    this.o = resolveTraceOptions(options);
    this.probes = new ProbeTable(this.o.maxProbes, this.o.probeMaxAgeUs);
  }

  /** Probes waiting for an answer. */
  get pendingProbes(): number {
    return this.probes.size;
  }

  /** Paths remembered. */
  get pathCount(): number {
    return this.paths.size;
  }

  /** Looks at one decoded packet captured at ts (µs). */
  observe(info: PacketInfo, ts: number): void {
    if (ts >= this.nextScan) this.tick(ts);
    if (info.status !== DecodeStatus.OK) return;
    const v = info.ipVersion;
    const proto = info.proto;
    if ((v === 4 && proto === P_ICMP) || (v === 6 && proto === P_ICMPV6)) {
      const role = (v === 4 ? ICMP4_ROLE : ICMP6_ROLE)[info.icmpType];
      if (role !== NONE) {
        if (this.probes.size > 0) this.answer(info, ts, role);
        return;
      }
    }
    if (info.ttl === 0 || info.ttl > this.o.maxProbeTtl || info.fragOffset !== 0) return;
    let a: number;
    let b: number;
    if (proto === P_UDP || (proto === P_TCP && (info.tcpFlags & (TCP_SYN | TCP_ACK)) === TCP_SYN)) {
      if (!info.hasPorts) return;
      a = info.sport;
      b = info.dport;
    } else if (info.icmpType === (v === 4 ? ECHO_REQUEST4 : ECHO_REQUEST6) && proto === (v === 4 ? P_ICMP : P_ICMPV6)) {
      a = info.icmpId;
      b = info.icmpSeq;
    } else {
      return;
    }
    const pathKey = pathKeyOf(v, info.src4, info.dst4, info.src6, info.dst6);
    this.stats.probes++;
    this.probes.add({ key: `${pathKey}|${proto}|${a}|${b}`, pathKey, ipId: v === 4 ? info.fragId : -1, ttl: info.ttl, ts, alive: true });
  }

  /** Reports paths that went quiet and forgets old probes and paths; call with the capture clock when no packets come. */
  tick(now: number): void {
    this.nextScan = now + this.o.scanIntervalUs;
    this.probes.expire(now);
    for (const [key, path] of this.paths) {
      if (path.pending && now - path.lastHop >= this.o.quietUs) this.emit(path);
      if (now - Math.max(path.lastHop, path.endedAt) >= this.o.keepUs) this.paths.delete(key);
    }
  }

  /** End of capture: reports every path with unreported hops and forgets everything. */
  flush(): void {
    for (const path of this.paths.values()) if (path.pending) this.emit(path);
    this.paths.clear();
    this.probes.clear();
  }

  private answer(info: PacketInfo, ts: number, role: number): void {
    const v = info.ipVersion;
    let probe: SentProbe | undefined;
    let dst: string;
    if (role === REPLY) {
      // The reply's addresses are the probe's, swapped; its IP id is the replier's own.
      const key = `${pathKeyOf(v, info.dst4, info.src4, info.dst6, info.src6)}|${info.proto}|${info.icmpId}|${info.icmpSeq}`;
      probe = this.probes.take(key, -1);
      dst = formatSource(info);
    } else {
      const q = info.inner;
      if (!q.valid || q.ipVersion !== v || (role === HOP && info.icmpCode !== 0)) return;
      if (role === END && v === 4 && info.icmpCode === FRAG_NEEDED) return;
      let a: number;
      let b: number;
      if (q.hasPorts) {
        a = q.sport;
        b = q.dport;
      } else if (q.icmpType === (v === 4 ? ECHO_REQUEST4 : ECHO_REQUEST6)) {
        a = q.icmpId;
        b = q.icmpSeq;
      } else {
        return;
      }
      const key = `${pathKeyOf(v, q.src4, q.dst4, q.src6, q.dst6)}|${q.proto}|${a}|${b}`;
      probe = this.probes.take(key, v === 4 ? q.ipId : -1);
      dst = formatDestination(q);
    }
    if (probe === undefined) return;
    let path = this.paths.get(probe.pathKey);
    if (path !== undefined && path.complete) {
      // A late answer to the run already reported, or the first answer of a new run.
      if (!(probe.ts > path.endedAt && probe.ttl < path.endTtl)) return;
      this.paths.delete(probe.pathKey);
      path = undefined;
    }
    if (path === undefined) {
      if (this.paths.size >= this.o.maxPaths) this.evictOldest();
      path = new TracePath(v === 4 ? 4 : 6, dst);
      this.paths.set(probe.pathKey, path);
    }
    // A capture clock stepping back must not give a negative round trip.
    const rtt = Math.max(0, Math.min(0xfffffffe, ts - probe.ts));
    if (path.record(probe.ttl, formatSource(info), rtt, ts)) this.stats.hops++;
    if (role !== HOP) {
      path.end(probe.ttl, ts);
      this.emit(path);
    }
  }

  private evictOldest(): void {
    const first = this.paths.entries().next().value as [string, TracePath];
    if (first[1].pending) this.emit(first[1]);
    this.paths.delete(first[0]);
    this.stats.pathsEvicted++;
  }

  private emit(path: TracePath): void {
    path.pending = false;
    this.stats.traces++;
    this.onTrace(path.toEvent());
  }
}
