/**
 * A sink that only counts, for benchmarks (the tracker's cost without any
 * output) and for checks that compare totals.
 */
import type { ConnInfo, DelconnReasonName, EventSink, TraceHop } from './sink.js';

/** Counts events, DELCONN reasons and the DATA totals. */
export class CountingSink implements EventSink {
  newconns = 0;
  datas = 0;
  delconns = 0;
  names = 0;
  traces = 0;
  flushes = 0;
  /** DELCONN by reason. */
  readonly reasons: Record<DelconnReasonName, number> = { fin: 0, rst: 0, timeout: 0, evicted: 0, end: 0 };
  /** Sums over all DATA. */
  fwdPkts = 0;
  fwdBytes = 0;
  revPkts = 0;
  revBytes = 0;

  newconn(_c: ConnInfo, _ts: number): void {
    this.newconns++;
  }

  data(_c: ConnInfo, _ts: number, _intervalUs: number, fwdPkts: number, fwdBytes: number, revPkts: number, revBytes: number): void {
    this.datas++;
    this.fwdPkts += fwdPkts;
    this.fwdBytes += fwdBytes;
    this.revPkts += revPkts;
    this.revBytes += revBytes;
  }

  delconn(_c: ConnInfo, _ts: number, reason: DelconnReasonName): void {
    this.delconns++;
    this.reasons[reason]++;
  }

  name(_ts: number, _addr: string, _name: string, _rrtype: number): void {
    this.names++;
  }

  trace(_ts: number, _dst: string, _hops: readonly TraceHop[]): void {
    this.traces++;
  }

  flush(): void {
    this.flushes++;
  }
}
