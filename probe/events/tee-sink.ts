import type { ConnInfo, DelconnReasonName, EventSink, TraceHop } from './sink.js';

/** Hands every event to several sinks (e.g. --print and -s together). */
export class TeeSink implements EventSink {
  constructor(private readonly sinks: readonly EventSink[]) {}
  newconn(c: ConnInfo, ts: number): void { for (const s of this.sinks) s.newconn(c, ts); }
  data(c: ConnInfo, ts: number, iv: number, fp: number, fb: number, rp: number, rb: number): void {
    for (const s of this.sinks) s.data(c, ts, iv, fp, fb, rp, rb);
  }
  delconn(c: ConnInfo, ts: number, reason: DelconnReasonName): void { for (const s of this.sinks) s.delconn(c, ts, reason); }
  name(ts: number, addr: string, name: string, rrtype: number): void { for (const s of this.sinks) s.name(ts, addr, name, rrtype); }
  trace(ts: number, dst: string, hops: readonly TraceHop[]): void { for (const s of this.sinks) s.trace(ts, dst, hops); }
  flush(): void { for (const s of this.sinks) s.flush(); }
}
