/**
 * The hops found so far toward one destination from one source, and the
 * TRACE event they make.
 */

/** One hop of a TRACE: the probe TTL, who answered, and the round trip; null when no answer came. */
export interface TraceHop {
  ttl: number;
  rtt_us: number | null;
  addr: string | null;
}

/** A TRACE event, shaped as the TRACE message of module net. */
export interface TraceEvent {
  /** Capture time (µs) the path was complete: its last answer. */
  ts: number;
  family: 4 | 6;
  dst: string;
  /** Hops in TTL order from TTL 1 to the last one answered. */
  hops: TraceHop[];
  /** True when the destination itself (or an unreachable) ended the path. */
  complete: boolean;
}

/** Hops gathered for one (source, destination). */
export class TracePath {
  private readonly addrs: (string | null)[] = [];
  private readonly rtts: number[] = [];
  /** Highest TTL answered. */
  maxTtl = 0;
  /** TTL whose answer ended the path (destination reached, or unreachable), 0 while open. */
  endTtl = 0;
  /** Capture time the path ended. */
  endedAt = 0;
  /** Capture time of the latest new hop. */
  lastHop = 0;
  /** Hops recorded since the last event. */
  pending = false;

  constructor(
    readonly family: 4 | 6,
    readonly dst: string,
  ) {}

  /** True once the destination (or an unreachable) answered. */
  get complete(): boolean {
    return this.endTtl !== 0;
  }

  /** Records the answer to a probe of this TTL unless one came already; returns whether it was new. */
  record(ttl: number, addr: string, rttUs: number, ts: number): boolean {
    if (this.addrs[ttl] != null) return false;
    this.addrs[ttl] = addr;
    this.rtts[ttl] = rttUs;
    if (ttl > this.maxTtl) this.maxTtl = ttl;
    this.lastHop = ts;
    this.pending = true;
    return true;
  }

  /** Marks the path ended by the answer to a probe of this TTL. */
  end(ttl: number, ts: number): void {
    this.endTtl = ttl;
    this.endedAt = ts;
  }

  /** The TRACE event for the hops so far. */
  toEvent(): TraceEvent {
    const last = this.complete ? this.endTtl : this.maxTtl;
    const hops: TraceHop[] = [];
    for (let ttl = 1; ttl <= last; ttl++) {
      const addr = this.addrs[ttl];
      hops.push(addr == null ? { ttl, rtt_us: null, addr: null } : { ttl, rtt_us: this.rtts[ttl], addr });
    }
    return { ts: this.complete ? this.endedAt : this.lastHop, family: this.family, dst: this.dst, hops, complete: this.complete };
  }
}
