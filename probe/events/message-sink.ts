/**
 * Turns events into module-1 protocol messages and hands each to a callback
 * (the session layer packs them into datagrams). Messages are object literals
 * with every field in table order: the generated encoder reads them in that
 * order, and a literal keeps one hidden class per message type.
 */
import { addressFamily } from '../../protocol/address.js';
import type { Message } from '../../protocol/datagram.js';
import { Msg, truncateUtf8 } from '../../protocol/messages.js';
import type { ConnInfo, DelconnReasonName, EventSink, TraceHop } from './sink.js';

const NET = Msg.NEWCONN.module;
const NEWCONN = Msg.NEWCONN.type;
const DELCONN = Msg.DELCONN.type;
const DATA = Msg.DATA.type;
const NAME = Msg.NAME.type;
const TRACE = Msg.TRACE.type;
/** Limits from the module-1 table: NAME.name is str8 ≤ 255 bytes, TRACE.hops ≤ 64, rtt_us 0xffffffff = null. */
const MAX_NAME_BYTES = 255;
const MAX_HOPS = 64;
const MAX_RTT_US = 0xfffffffe;

/** Capture times arrive as µs numbers; the wire wants whole µs. */
function us(ts: number): number {
  return Math.floor(ts);
}

/** Builds module-1 messages from events. */
export class MessageSink implements EventSink {
  /** NAME and TRACE events dropped because an address was not IPv4/IPv6 text or families were mixed. */
  invalid = 0;

  constructor(private readonly emit: (m: Message) => void) {}

  newconn(c: ConnInfo, ts: number): void {
    this.emit({
      module: NET, type: NEWCONN, conn_id: c.id, ts: us(ts), proto: c.proto, vlan: c.vlan, vlan_inner: c.vlanInner,
      sport: c.sport, dport: c.dport, family: c.family, src: c.src, dst: c.dst,
    });
  }

  data(c: ConnInfo, ts: number, intervalUs: number, fwdPkts: number, fwdBytes: number, revPkts: number, revBytes: number): void {
    this.emit({
      module: NET, type: DATA, conn_id: c.id, ts: us(ts), interval_us: us(intervalUs),
      fwd_pkts: fwdPkts, fwd_bytes: fwdBytes, rev_pkts: revPkts, rev_bytes: revBytes,
    });
  }

  delconn(c: ConnInfo, ts: number, reason: DelconnReasonName): void {
    this.emit({ module: NET, type: DELCONN, conn_id: c.id, ts: us(ts), reason });
  }

  name(ts: number, addr: string, name: string, rrtype: number): void {
    const family = addressFamily(addr);
    if (family === 0) {
      this.invalid++;
      return;
    }
    this.emit({ module: NET, type: NAME, ts: us(ts), rrtype, family, addr, name: truncateUtf8(name, MAX_NAME_BYTES) });
  }

  trace(ts: number, dst: string, hops: readonly TraceHop[]): void {
    const family = addressFamily(dst);
    if (family === 0) {
      this.invalid++;
      return;
    }
    const n = Math.min(hops.length, MAX_HOPS);
    const out = new Array<{ ttl: number; rtt_us: number | null; addr: string | null }>(n);
    for (let i = 0; i < n; i++) {
      const h = hops[i];
      if (h.addr !== null && addressFamily(h.addr) !== family) {
        this.invalid++;
        return;
      }
      out[i] = { ttl: h.ttl, rtt_us: h.rttUs === null ? null : Math.min(Math.max(0, Math.round(h.rttUs)), MAX_RTT_US), addr: h.addr };
    }
    this.emit({ module: NET, type: TRACE, ts: us(ts), family, dst, hops: out });
  }

  flush(): void {}
}
