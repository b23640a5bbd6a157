import type { CaptureRecord } from './capture/reader.js';
import { dnsResponseOf } from './dns/dns-packet.js';
import { NameTracker } from './dns/names.js';
import { decodeRecord } from './decode/packet.js';
import { DecodeStatus, PacketInfo } from './decode/packet-info.js';
import type { EventSink } from './events/sink.js';
import { quotesProbe, TraceMatcher } from './trace/trace-matcher.js';
import type { TrackOptions } from './track/options.js';
import { ConnectionTracker } from './track/tracker.js';

/** Counters of everything the pipeline saw, for the end-of-file summary and stats. */
export interface PipelineStats {
  packets: number;
  bytes: number;
  /** Frames that gave no IP packet, by reason (unsupported link type, truncated, not IP, malformed). */
  skipped: number;
  unsupportedLink: number;
  truncated: number;
  notIp: number;
  malformed: number;
  /** Our own uplink's packets, never reported. */
  own: number;
  /** Our own traceroutes' datagrams and the ICMP errors quoting them: matched, never reported as connections. */
  ownTrace: number;
  names: number;
  traces: number;
  dnsErrors: number;
}

/** Settings of the pipeline; tracker settings pass through. */
export interface PipelineOptions {
  track: Partial<TrackOptions>;
  /** The probe's own uplink (UDP to glougloud or a relay): its packets are never reported. */
  own?: { port: number };
  /**
   * The probe's own traceroutes (--trace): UDP between one of these local
   * ports and the traceroute port range, and ICMP errors quoting such a
   * datagram. The trace matcher sees them; the tracker does not.
   */
  tracer?: { ports: readonly number[]; firstPort: number; lastPort: number };
}

const P_ICMP = 1;
const P_UDP = 17;
const P_ICMPV6 = 58;

/**
 * One packet in, events out: decode, track connections, read DNS answers,
 * match traceroute answers. Pure (no I/O): the caller feeds records in
 * capture order and calls finish() at the end.
 */
export class PacketPipeline {
  readonly stats: PipelineStats = {
    packets: 0, bytes: 0, skipped: 0, unsupportedLink: 0, truncated: 0, notIp: 0, malformed: 0, own: 0, ownTrace: 0, names: 0, traces: 0, dnsErrors: 0,
  };
  private readonly info = new PacketInfo();
  readonly tracker: ConnectionTracker;
  private readonly names = new NameTracker();
  private readonly traces: TraceMatcher;
  private readonly ownPort: number;
  private readonly tracerPorts: readonly number[];
  private readonly tracerFirst: number;
  private readonly tracerLast: number;
  private lastTs = 0;

  constructor(private readonly sink: EventSink, options: Partial<PipelineOptions> = {}) {
    this.tracker = new ConnectionTracker(sink, options.track ?? {});
    this.traces = new TraceMatcher((t) => {
      this.stats.traces++;
      // Paths are rare: converting the hop shape here costs nothing that matters.
      this.sink.trace(t.ts, t.dst, t.hops.map((h) => ({ ttl: h.ttl, addr: h.addr, rttUs: h.rtt_us })));
    });
    this.ownPort = options.own?.port ?? -1;
    this.tracerPorts = options.tracer?.ports ?? [];
    this.tracerFirst = options.tracer?.firstPort ?? 0;
    this.tracerLast = options.tracer?.lastPort ?? -1;
  }

  /** Takes one captured record. */
  record(rec: CaptureRecord): void {
    const info = this.info;
    const st = this.stats;
    st.packets++;
    st.bytes += rec.origLen;
    const ts = rec.tsMicros;
    this.lastTs = ts;
    const status = decodeRecord(info, rec);
    if (status !== DecodeStatus.OK) {
      // A truncated frame may still carry the addresses and ports the tracker needs.
      if (status === DecodeStatus.TRUNCATED) st.truncated++;
      else if (status === DecodeStatus.UNSUPPORTED_LINK) st.unsupportedLink++;
      else if (status === DecodeStatus.NOT_IP) st.notIp++;
      else st.malformed++;
      if (status !== DecodeStatus.TRUNCATED || info.ipVersion === 0) {
        st.skipped++;
        this.tracker.advance(ts);
        return;
      }
    }
    if (info.proto === P_UDP && (info.sport === this.ownPort || info.dport === this.ownPort) && this.ownPort >= 0) {
      st.own++;
      return;
    }
    if (this.tracerPorts.length > 0 && this.isOwnTrace(info)) {
      // The matcher needs our datagrams (the probes) and their answers; connections never show them.
      st.ownTrace++;
      this.traces.observe(info, ts);
      return;
    }
    this.tracker.packet(info, ts);
    this.traces.observe(info, ts);
    if (status === DecodeStatus.OK && info.hasPorts) {
      const dns = dnsResponseOf(info, rec.buf);
      if (dns !== null) {
        if (!dns.ok) st.dnsErrors++;
        else {
          for (const e of this.names.observe(dns.message, ts)) {
            st.names++;
            this.sink.name(e.ts, e.addr, e.name, e.rrtype);
          }
        }
      }
    }
  }

  /** True for a datagram of the probe's own traceroutes (either way) or an ICMP error quoting one. */
  private isOwnTrace(info: PacketInfo): boolean {
    const proto = info.proto;
    if (proto === P_UDP) {
      if (!info.hasPorts) return false;
      const ports = this.tracerPorts;
      return (ports.includes(info.sport) && info.dport >= this.tracerFirst && info.dport <= this.tracerLast) ||
        (ports.includes(info.dport) && info.sport >= this.tracerFirst && info.sport <= this.tracerLast);
    }
    const v = info.ipVersion;
    if (!((v === 4 && proto === P_ICMP) || (v === 6 && proto === P_ICMPV6)) || !quotesProbe(v, info.icmpType)) return false;
    const q = info.inner;
    return q.valid && q.proto === P_UDP && q.hasPorts && this.tracerPorts.includes(q.sport) && q.dport >= this.tracerFirst && q.dport <= this.tracerLast;
  }

  /** Moves the capture clock without a packet (idle live link). */
  advance(tsUs: number): void {
    this.tracker.advance(tsUs);
    this.traces.tick(tsUs);
  }

  /** End of capture or shutdown: flush pending paths, DATA and DELCONN (reason end). */
  finish(tsUs = this.lastTs): void {
    this.traces.flush();
    this.tracker.finish(tsUs);
  }
}
