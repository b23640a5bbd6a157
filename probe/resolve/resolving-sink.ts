/**
 * Sits between the pipeline and the outputs when --resolve is on: passes the
 * events on, tells the reverse resolver of both ends of each new connection
 * and of PTR names seen on the wire, and keeps the newest capture time it has
 * passed on (the time given to names from lookups when reading a file). A PTR
 * name from the wire that repeats what a lookup just reported is dropped: a
 * live capture sees the probe's own lookups.
 */
import type { ConnInfo, DelconnReasonName, EventSink, TraceHop } from '../events/sink.js';

/** What the sink tells the resolver. */
export interface AddressListener {
  /** An address appeared in a new connection. */
  seen(addr: string): void;
  /** A PTR answer on the wire named addr; true when a lookup just reported that pair (the event is then dropped). */
  known(addr: string, name: string): boolean;
}

/** DNS rrtype of PTR records. */
const PTR = 12;

/** Forwards every event to inner (but a repeated PTR name), and the addresses of new connections to the resolver. */
export class ResolvingSink implements EventSink {
  /** The newest capture time (µs) of any event passed on; 0 before the first. */
  latestTs = 0;

  constructor(private readonly inner: EventSink, private readonly listener: AddressListener) {}

  newconn(c: ConnInfo, ts: number): void {
    this.at(ts);
    this.inner.newconn(c, ts);
    this.listener.seen(c.src);
    this.listener.seen(c.dst);
  }

  data(c: ConnInfo, ts: number, iv: number, fp: number, fb: number, rp: number, rb: number): void {
    this.at(ts);
    this.inner.data(c, ts, iv, fp, fb, rp, rb);
  }

  delconn(c: ConnInfo, ts: number, reason: DelconnReasonName): void {
    this.at(ts);
    this.inner.delconn(c, ts, reason);
  }

  name(ts: number, addr: string, name: string, rrtype: number): void {
    this.at(ts);
    if (rrtype === PTR && this.listener.known(addr, name)) return;
    this.inner.name(ts, addr, name, rrtype);
  }

  trace(ts: number, dst: string, hops: readonly TraceHop[]): void {
    this.at(ts);
    this.inner.trace(ts, dst, hops);
  }

  flush(): void {
    this.inner.flush();
  }

  private at(ts: number): void {
    if (ts > this.latestTs) this.latestTs = ts;
  }
}
