/**
 * The probe's own traceroutes (--trace), live only: one UDP socket per family
 * on an ephemeral port, one datagram per TTL as the planner paces them. The
 * answers are not read here: the capture sees the datagrams and the ICMP
 * errors they cause, and the pipeline's trace matcher makes the TRACE. The
 * tracer is also an event sink: NEWCONN tells it of destinations, TRACE that
 * one has answered.
 */
import { createSocket, type Socket } from 'node:dgram';
import { networkInterfaces } from 'node:os';
import type { Logger } from '../../protocol/edge/log.js';
import type { ConnInfo, DelconnReasonName, EventSink, TraceHop } from '../events/sink.js';
import { TracePlanner, type TracePlanOptions, type TraceSend } from './trace-planner.js';

/** What the pipeline needs to keep the tracer's traffic out of the connections (see PipelineOptions.tracer). */
export interface TracerTraffic {
  /** Local UDP ports the datagrams leave from. */
  ports: readonly number[];
  /** Destination port range, TTL 1 to the highest. */
  firstPort: number;
  lastPort: number;
}

/** Settings of the tracer. */
export interface UdpTracerOptions {
  plan: Partial<TracePlanOptions>;
  /** Addresses never traced besides the probe's own interfaces (its server, a relay). */
  exclude: readonly string[];
  log: Logger;
}

/** Counters of the I/O side (the planner has its own). */
export interface UdpTracerStats {
  sendErrors: number;
  /** Datagrams dropped because a socket's send queue was full. */
  sendDropped: number;
}

/** Bytes each datagram carries: enough to be told apart in a capture, small enough to never fragment. */
const PAYLOAD = Buffer.from('glouglou trace');
/** Datagrams waiting for a socket at most; the planner makes far fewer in a pace interval. */
const MAX_SEND_QUEUE = 256;
/** How often the list of the probe's own addresses is read again. */
const LOCAL_REFRESH_MS = 30_000;

/**
 * A BPF expression letting the tracer's datagrams and the ICMP errors quoting
 * them through a user's capture filter. The offsets assume no IP options in
 * the quoted IPv4 header and no extension headers around ICMPv6, which holds
 * for the datagrams this socket sends and the errors routers return.
 */
export function traceCaptureFilter(ports: { v4: number | null; v6: number | null }): string {
  const parts: string[] = [];
  const src = [ports.v4, ports.v6].filter((p): p is number => p !== null).map((p) => `src port ${p}`);
  if (src.length > 0) parts.push(`(udp and (${src.join(' or ')}))`);
  // ICMP: 8 header bytes + 20 quoted IPv4 bytes; ICMPv6: 40 IPv6 + 8 header + 40 quoted IPv6 bytes.
  if (ports.v4 !== null) parts.push(`(icmp and (icmp[0] = 11 or icmp[0] = 3) and icmp[28:2] = ${ports.v4})`);
  if (ports.v6 !== null) parts.push(`(icmp6 and (ip6[40] = 1 or ip6[40] = 3) and ip6[88:2] = ${ports.v6})`);
  return parts.join(' or ');
}

/** The probe's own addresses, with the IPv4 broadcast address of each subnet. */
export function localAddresses(): string[] {
  const out: string[] = [];
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) {
      out.push(a.address.replace(/%.*$/, ''));
      if (a.family === 'IPv4') {
        const ip = a.address.split('.').map(Number);
        const mask = a.netmask.split('.').map(Number);
        out.push(ip.map((b, i) => (b | (~mask[i] & 255)) & 255).join('.'));
      }
    }
  }
  return out;
}

function bindSocket(type: 'udp4' | 'udp6'): Promise<Socket | null> {
  return new Promise((resolve) => {
    const s = createSocket(type === 'udp6' ? { type, ipv6Only: true } : { type });
    s.once('error', () => { s.close(); resolve(null); });
    s.bind(0, () => {
      s.removeAllListeners('error');
      resolve(s);
    });
  });
}

/** Monotonic µs. */
function nowUs(): number {
  return Math.round(performance.now() * 1000);
}

/** Sends the planner's datagrams; one socket per family. */
export class UdpTracer implements EventSink {
  readonly planner: TracePlanner;
  readonly stats: UdpTracerStats = { sendErrors: 0, sendDropped: 0 };
  private readonly pending: Record<4 | 6, TraceSend[]> = { 4: [], 6: [] };
  private readonly busy: Record<4 | 6, boolean> = { 4: false, 6: false };
  private timer: NodeJS.Timeout | null = null;
  private timerAt = Infinity;
  private localReadAt = -Infinity;
  private closed = false;

  private constructor(
    private readonly sockets: Record<4 | 6, Socket | null>,
    private readonly o: UdpTracerOptions,
  ) {
    this.planner = new TracePlanner(o.plan);
    this.refreshLocal();
    for (const s of [sockets[4], sockets[6]]) {
      if (s === null) continue;
      s.unref();
      // Unconnected sockets get no ICMP errors on Linux, but anything else must not crash the probe.
      s.on('error', (e) => { this.stats.sendErrors++; o.log.debug({ err: e.message }, 'trace socket error'); });
    }
  }

  /** Opens the sockets (either family may be missing on this host, not both). */
  static async open(o: UdpTracerOptions): Promise<{ ok: true; tracer: UdpTracer } | { ok: false; code: 'GG_ERR_TRACE_SOCKET'; detail: string }> {
    const [s4, s6] = await Promise.all([bindSocket('udp4'), bindSocket('udp6')]);
    if (s4 === null && s6 === null) return { ok: false, code: 'GG_ERR_TRACE_SOCKET', detail: 'no UDP socket could be bound for --trace' };
    return { ok: true, tracer: new UdpTracer({ 4: s4, 6: s6 }, o) };
  }

  /** Local ports of the sockets, by family (null: that family is not traced). */
  get ports(): { v4: number | null; v6: number | null } {
    return { v4: this.sockets[4]?.address().port ?? null, v6: this.sockets[6]?.address().port ?? null };
  }

  /** The tracer's traffic, for the pipeline to keep out of the connections. */
  traffic(): TracerTraffic {
    const p = this.ports;
    const first = this.planner.options.firstPort;
    return { ports: [p.v4, p.v6].filter((x): x is number => x !== null), firstPort: first, lastPort: first + this.planner.options.maxHops - 1 };
  }

  /** BPF letting this tracer's datagrams and their answers through a capture filter. */
  captureFilter(): string {
    return traceCaptureFilter(this.ports);
  }

  newconn(c: ConnInfo): void {
    if (this.closed) return;
    const now = nowUs();
    if (now - this.localReadAt > LOCAL_REFRESH_MS * 1000) this.refreshLocal();
    this.planner.offer(c.dst, now);
    this.planner.offer(c.src, now);
    this.schedule();
  }

  trace(_ts: number, dst: string, _hops: readonly TraceHop[]): void {
    this.planner.answered(dst);
  }

  data(): void { /* not needed */ }
  delconn(_c: ConnInfo, _ts: number, _reason: DelconnReasonName): void { /* not needed */ }
  name(): void { /* not needed */ }
  flush(): void { /* nothing buffered */ }

  /** Stops sending and closes the sockets. */
  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    for (const s of [this.sockets[4], this.sockets[6]]) s?.close();
  }

  private refreshLocal(): void {
    this.localReadAt = nowUs();
    try {
      this.planner.setOwnAddresses([...localAddresses(), ...this.o.exclude]);
    } catch (e) {
      this.o.log.debug({ err: (e as Error).message }, 'cannot list local addresses');
    }
  }

  /** Arms the timer for the planner's next wake, unless one is armed for earlier. */
  private schedule(): void {
    const wake = this.planner.nextWake();
    if (wake < 0 || this.closed || wake >= this.timerAt) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = wake;
    this.timer = setTimeout(() => this.run(), Math.max(0, (wake - nowUs()) / 1000));
    this.timer.unref();
  }

  private run(): void {
    this.timer = null;
    this.timerAt = Infinity;
    if (this.closed) return;
    for (const d of this.planner.due(nowUs())) {
      if (this.sockets[d.family] === null) continue;
      const q = this.pending[d.family];
      if (q.length >= MAX_SEND_QUEUE) { this.stats.sendDropped++; continue; }
      q.push(d);
      this.pump(d.family);
    }
    this.schedule();
  }

  /**
   * Sends the family's datagrams one after the other: the TTL is a socket
   * option, and send() completes later, so the next setTTL waits for it.
   */
  private pump(family: 4 | 6): void {
    const s = this.sockets[family];
    if (this.busy[family] || s === null) return;
    const d = this.pending[family].shift();
    if (d === undefined) return;
    this.busy[family] = true;
    const done = (err: Error | null): void => {
      this.busy[family] = false;
      if (err) {
        this.stats.sendErrors++;
        this.o.log.debug({ dst: d.dst, ttl: d.ttl, err: err.message }, 'trace datagram not sent');
      }
      if (!this.closed) this.pump(family);
    };
    try {
      s.setTTL(d.ttl);
      s.send(PAYLOAD, d.port, d.dst, done);
    } catch (e) {
      done(e as Error);
    }
  }
}
