/**
 * What the probe's analysers emit: connection events from the tracker, names
 * from DNS, paths from traceroute. A sink turns them into NDJSON lines,
 * protocol messages or counts. All times are capture times in microseconds
 * since the Unix epoch.
 */
import type { DelconnReason } from '../../protocol/modules/1-net.js';

/** Why a connection ended: fin, rst, timeout, evicted (from a full table) or end (of capture). */
export type DelconnReasonName = keyof typeof DelconnReason;

/**
 * A connection as a sink sees it. The tracker passes one reusable view that
 * points at its table: read what you need during the call, never keep it.
 */
export interface ConnInfo {
  /** Unique among live connections of this probe. */
  readonly id: number;
  /** IP protocol number. */
  readonly proto: number;
  readonly family: 4 | 6;
  /** The side that sent the first packet, as text (formatted once per connection). */
  readonly src: string;
  readonly dst: string;
  /** Ports of src and dst; ICMP: sport 0, dport = type << 8 | code of the first packet; other protocols: 0. */
  readonly sport: number;
  readonly dport: number;
  /** Outer and inner VLAN ids, 0 when absent. */
  readonly vlan: number;
  readonly vlanInner: number;
  readonly firstSeenUs: number;
  readonly lastSeenUs: number;
}

/** One hop of a path: the probe's TTL, who answered (null: nobody) and the round trip (null: unknown). */
export interface TraceHop {
  ttl: number;
  addr: string | null;
  rttUs: number | null;
}

/** Receiver of the probe's events. Calls come in capture-time order per connection. */
export interface EventSink {
  /** A connection was first seen at ts (its first packet). */
  newconn(c: ConnInfo, ts: number): void;
  /** Traffic of c over the intervalUs ending at ts: packets and frame bytes src → dst (fwd) and dst → src (rev). */
  data(c: ConnInfo, ts: number, intervalUs: number, fwdPkts: number, fwdBytes: number, revPkts: number, revBytes: number): void;
  /** The connection ended at ts. */
  delconn(c: ConnInfo, ts: number, reason: DelconnReasonName): void;
  /** A DNS answer said addr is known as name (rrtype 1 A, 28 AAAA, 12 PTR). */
  name(ts: number, addr: string, name: string, rrtype: number): void;
  /** A path toward dst was complete at ts. */
  trace(ts: number, dst: string, hops: readonly TraceHop[]): void;
  /** Hands on whatever is buffered (end of a batch, shutdown). */
  flush(): void;
}
