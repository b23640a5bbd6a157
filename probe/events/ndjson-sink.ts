/**
 * Events as NDJSON, one object per line, for files and pipes. Every line has
 * `type` and `ts` (capture time in seconds, a float); then, per type:
 *   newconn  id, proto, src, sport, dst, dport, vlan (when tagged), vlan_inner (when QinQ)
 *   data     id, proto, src, sport, dst, dport, fwd_bytes, fwd_pkts, rev_bytes, rev_pkts
 *   delconn  id, reason
 *   name     addr, name, rrtype
 *   trace    dst, hops: [{ ttl, addr | null, rtt_ms | null }]
 * `proto` is "tcp", "udp", "icmp", "icmp6" or the protocol number.
 * Lines are gathered into large chunks; the output sees one write per chunk.
 */
import type { ConnInfo, DelconnReasonName, EventSink, TraceHop } from './sink.js';

/** Where the lines go: a Node Writable (process.stdout, a file stream) or anything with write(). */
export interface TextOutput {
  write(chunk: string): unknown;
  /** Bytes the output still holds (Writable#writableLength); used for the backlog limits. */
  readonly writableLength?: number;
}

/** Limits of the NDJSON sink. */
export interface NdjsonSinkOptions {
  /** A chunk is written once it holds this many characters. */
  chunkChars: number;
  /** Above this backlog in the output, `backlogged` turns true so a file reader can wait for 'drain'. */
  highWaterBytes: number;
  /** Above this backlog, chunks are dropped (and counted) rather than held in memory. */
  maxBacklogBytes: number;
}

/** The defaults. */
export const DEFAULT_NDJSON_SINK_OPTIONS: Readonly<NdjsonSinkOptions> = Object.freeze({
  chunkChars: 256 * 1024,
  highWaterBytes: 4 * 1024 * 1024,
  maxBacklogBytes: 64 * 1024 * 1024,
});

/** JSON value of `proto` per protocol number. */
const PROTO_JSON: string[] = Array.from({ length: 256 }, (_, i) => String(i));
PROTO_JSON[6] = '"tcp"';
PROTO_JSON[17] = '"udp"';
PROTO_JSON[1] = '"icmp"';
PROTO_JSON[58] = '"icmp6"';

/** Capture time in µs as JSON seconds. */
function seconds(ts: number): string {
  return String(ts / 1e6);
}

/** Writes events as NDJSON lines in chunks. */
export class NdjsonSink implements EventSink {
  /** Lines dropped because the output was over maxBacklogBytes. */
  droppedLines = 0;
  private readonly o: NdjsonSinkOptions;
  private buf = '';
  private lines = 0;

  constructor(private readonly out: TextOutput, options: Partial<NdjsonSinkOptions> = {}) {
    this.o = { ...DEFAULT_NDJSON_SINK_OPTIONS, ...options };
  }

  /** True while the output holds more than highWaterBytes: a file reader should pause until it drains. */
  get backlogged(): boolean {
    return (this.out.writableLength ?? 0) > this.o.highWaterBytes;
  }

  newconn(c: ConnInfo, ts: number): void {
    let line = `{"type":"newconn","ts":${seconds(ts)},"id":${c.id},"proto":${PROTO_JSON[c.proto & 255]},"src":"${c.src}","sport":${c.sport},"dst":"${c.dst}","dport":${c.dport}`;
    if (c.vlan !== 0) line += `,"vlan":${c.vlan}`;
    if (c.vlanInner !== 0) line += `,"vlan_inner":${c.vlanInner}`;
    this.push(line + '}\n');
  }

  data(c: ConnInfo, ts: number, _intervalUs: number, fwdPkts: number, fwdBytes: number, revPkts: number, revBytes: number): void {
    this.push(`{"type":"data","ts":${seconds(ts)},"id":${c.id},"proto":${PROTO_JSON[c.proto & 255]},"src":"${c.src}","sport":${c.sport},"dst":"${c.dst}","dport":${c.dport},"fwd_bytes":${fwdBytes},"fwd_pkts":${fwdPkts},"rev_bytes":${revBytes},"rev_pkts":${revPkts}}\n`);
  }

  delconn(c: ConnInfo, ts: number, reason: DelconnReasonName): void {
    this.push(`{"type":"delconn","ts":${seconds(ts)},"id":${c.id},"reason":"${reason}"}\n`);
  }

  name(ts: number, addr: string, name: string, rrtype: number): void {
    this.push(`{"type":"name","ts":${seconds(ts)},"addr":${JSON.stringify(addr)},"name":${JSON.stringify(name)},"rrtype":${rrtype}}\n`);
  }

  trace(ts: number, dst: string, hops: readonly TraceHop[]): void {
    let list = '';
    for (let i = 0; i < hops.length; i++) {
      const h = hops[i];
      const addr = h.addr === null ? 'null' : JSON.stringify(h.addr);
      const rtt = h.rttUs === null || !Number.isFinite(h.rttUs) ? 'null' : String(h.rttUs / 1000);
      list += `${i === 0 ? '' : ','}{"ttl":${h.ttl},"addr":${addr},"rtt_ms":${rtt}}`;
    }
    this.push(`{"type":"trace","ts":${seconds(ts)},"dst":${JSON.stringify(dst)},"hops":[${list}]}\n`);
  }

  /** Writes whatever is buffered. */
  flush(): void {
    if (this.buf.length === 0) return;
    if ((this.out.writableLength ?? 0) > this.o.maxBacklogBytes) this.droppedLines += this.lines;
    else this.out.write(this.buf);
    this.buf = '';
    this.lines = 0;
  }

  private push(line: string): void {
    this.buf += line;
    this.lines++;
    if (this.buf.length >= this.o.chunkChars) this.flush();
  }
}
