/**
 * Connection lifecycle from synthetic packet sequences: PacketInfo fields are
 * filled directly, events go through the real MessageSink, and every message
 * produced must also survive the wire codec.
 */
import { describe, expect, it } from 'vitest';
import { decodeMessages, encodeMessages, Msg, parseIPv4, parseIPv6, type Message } from '../../../protocol/index.js';
import { DecodeStatus, PacketInfo } from '../../../probe/decode/packet-info.js';
import { MessageSink } from '../../../probe/events/message-sink.js';
import { ConnectionTracker } from '../../../probe/track/tracker.js';
import type { TrackOptions } from '../../../probe/track/options.js';

const SYN = 2, ACK = 16, FIN = 1, RST = 4, PSH = 8;
const T0 = 1_700_000_000_000_000; // a whole multiple of the DATA interval
const S = 1_000_000;

interface Pk {
  src: string; dst: string; sport?: number; dport?: number; proto?: number; flags?: number; len?: number;
  vlan?: number; vlanInner?: number; icmpType?: number; icmpCode?: number; icmpId?: number;
  fragOffset?: number; moreFragments?: boolean; fragId?: number; status?: number;
}

function words(s: string, w: Uint32Array): void {
  const b = parseIPv6(s)!;
  for (let i = 0; i < 4; i++) w[i] = ((b[4 * i] << 24) | (b[4 * i + 1] << 16) | (b[4 * i + 2] << 8) | b[4 * i + 3]) >>> 0;
}

/** Fills a PacketInfo the way the decoder would for such a packet. */
function fill(p: PacketInfo, o: Pk): PacketInfo {
  const len = o.len ?? 60;
  p.reset(1, Math.min(len, 96), len);
  p.status = (o.status ?? DecodeStatus.OK) as PacketInfo['status'];
  const v6 = o.src.includes(':');
  p.ipVersion = v6 ? 6 : 4;
  if (v6) { words(o.src, p.src6); words(o.dst, p.dst6); } else { p.src4 = parseIPv4(o.src); p.dst4 = parseIPv4(o.dst); }
  p.proto = o.proto ?? 6;
  p.vlan = o.vlan ?? 0;
  p.vlanInner = o.vlanInner ?? 0;
  p.vlanCount = (p.vlan ? 1 : 0) + (p.vlanInner ? 1 : 0);
  p.ipOffset = 14;
  p.l4Offset = v6 ? 54 : 34;
  p.ipEnd = p.l4Offset + 40;
  p.fragOffset = o.fragOffset ?? 0;
  p.moreFragments = o.moreFragments ?? false;
  p.fragment = p.moreFragments || p.fragOffset !== 0;
  p.fragId = o.fragId ?? 0;
  if (p.fragOffset !== 0) return p;
  if (p.proto === 6 || p.proto === 17) {
    p.hasPorts = true;
    p.sport = o.sport ?? 0;
    p.dport = o.dport ?? 0;
    if (p.proto === 6) p.tcpFlags = o.flags ?? ACK;
  } else if (p.proto === 1 || p.proto === 58) {
    p.icmpType = o.icmpType ?? 8;
    p.icmpCode = o.icmpCode ?? 0;
    p.icmpId = o.icmpId ?? 0;
  }
  return p;
}

const rev = (o: Pk, extra: Partial<Pk> = {}): Pk => ({ ...o, src: o.dst, dst: o.src, sport: o.dport, dport: o.sport, ...extra });

function setup(options: Partial<TrackOptions> = {}) {
  const msgs: Message[] = [];
  const tr = new ConnectionTracker(new MessageSink((m) => msgs.push(m)), { hashSeed: 7, maxConns: 1000, ...options });
  const info = new PacketInfo();
  const feed = (ts: number, o: Pk) => tr.packet(fill(info, o), ts);
  const of = (name: keyof typeof Msg) => msgs.filter((m) => m.type === Msg[name].type) as Record<string, any>[];
  const wireCheck = () => {
    const r = decodeMessages(encodeMessages(msgs), true);
    expect(r.ok).toBe(true);
  };
  return { tr, msgs, feed, of, wireCheck };
}

const sum = (ds: Record<string, any>[], f: string) => ds.reduce((a, d) => a + (d[f] as number), 0);
const CLIENT: Pk = { src: '192.0.2.10', dst: '198.51.100.7', sport: 50000, dport: 443 };

describe('TCP lifecycle', () => {
  it('handshake, data both ways and the FIN exchange give NEWCONN, DATA sums and DELCONN fin', () => {
    const { tr, feed, of, wireCheck } = setup();
    const seq: [number, Pk][] = [
      [0, { ...CLIENT, flags: SYN, len: 74 }],
      [1000, rev(CLIENT, { flags: SYN | ACK, len: 74 })],
      [2000, { ...CLIENT, flags: ACK, len: 66 }],
      [3000, { ...CLIENT, flags: PSH | ACK, len: 500 }],
      [4000, rev(CLIENT, { flags: PSH | ACK, len: 1500 })],
      [5000, { ...CLIENT, flags: FIN | ACK, len: 66 }],
      [6000, rev(CLIENT, { flags: FIN | ACK, len: 66 })],
      [7000, { ...CLIENT, flags: ACK, len: 66 }],
    ];
    for (const [dt, p] of seq) feed(T0 + dt, p);
    const [nc] = of('NEWCONN');
    expect(of('NEWCONN')).toHaveLength(1);
    expect(nc).toMatchObject({ ts: T0, proto: 6, src: '192.0.2.10', sport: 50000, dst: '198.51.100.7', dport: 443, family: 4, vlan: 0 });
    const dels = of('DELCONN');
    expect(dels).toEqual([expect.objectContaining({ conn_id: nc.conn_id, reason: 'fin', ts: T0 + 7000 })]);
    const data = of('DATA');
    expect(data.every((d) => d.conn_id === nc.conn_id)).toBe(true);
    expect([sum(data, 'fwd_pkts'), sum(data, 'fwd_bytes'), sum(data, 'rev_pkts'), sum(data, 'rev_bytes')]).toEqual([5, 74 + 66 + 500 + 66 + 66, 3, 74 + 1500 + 66]);
    expect(tr.liveCount).toBe(0);
    tr.finish();
    expect(of('DELCONN')).toHaveLength(1);
    wireCheck();
  });

  it('RST ends the connection; stragglers within the linger are absorbed, not new connections', () => {
    const { tr, feed, of } = setup();
    feed(T0, { ...CLIENT, flags: SYN });
    feed(T0 + 10, rev(CLIENT, { flags: RST | ACK }));
    feed(T0 + 20, rev(CLIENT, { flags: RST }));
    feed(T0 + 1 * S, { ...CLIENT, flags: ACK });
    expect(of('DELCONN').map((d) => d.reason)).toEqual(['rst']);
    expect(of('NEWCONN')).toHaveLength(1);
    expect(tr.stats.lateAfterClose).toBe(2);
    expect(sum(of('DATA'), 'fwd_pkts') + sum(of('DATA'), 'rev_pkts')).toBe(2);
  });

  it('a bare SYN right after close, or any packet after the linger, starts a new connection (port reuse)', () => {
    const { tr, feed, of } = setup({ closedLingerUs: 2 * S });
    feed(T0, { ...CLIENT, flags: SYN });
    feed(T0 + 1, rev(CLIENT, { flags: RST | ACK }));
    feed(T0 + 100, { ...CLIENT, flags: SYN });
    feed(T0 + 200, rev(CLIENT, { flags: RST | ACK }));
    feed(T0 + 500_000, { ...CLIENT, flags: ACK });
    feed(T0 + 3 * S, { ...CLIENT, flags: PSH | ACK });
    const ncs = of('NEWCONN');
    expect(ncs).toHaveLength(3);
    expect(new Set(ncs.map((n) => n.conn_id)).size).toBe(3);
    expect(tr.stats.lateAfterClose).toBe(1);
    tr.finish();
    expect(of('DELCONN').map((d) => d.reason)).toEqual(['rst', 'rst', 'end']);
  });

  it('FIN from both sides without the final ACK ends as fin at the closing timeout; one FIN only ends as timeout', () => {
    const { tr, feed, of } = setup();
    const other: Pk = { ...CLIENT, sport: 50001 };
    feed(T0, { ...CLIENT, flags: FIN | ACK });
    feed(T0 + 10, rev(CLIENT, { flags: FIN | ACK }));
    feed(T0 + 20, { ...other, flags: FIN | ACK });
    tr.advance(T0 + 31 * S);
    const dels = of('DELCONN');
    expect(dels.map((d) => [d.reason, d.ts])).toEqual([['fin', T0 + 10 + 30 * S], ['timeout', T0 + 20 + 30 * S]]);
  });

  it('idle timeouts per class, checked in capture time, DELCONN at the deadline', () => {
    const { tr, feed, of } = setup();
    feed(T0, { ...CLIENT, flags: SYN }); // opening: 30 s
    feed(T0, { ...CLIENT, sport: 1, flags: ACK }); // established: 300 s
    feed(T0, { ...CLIENT, proto: 17, sport: 53, dport: 53 }); // udp: 60 s
    feed(T0, { src: '192.0.2.1', dst: '192.0.2.2', proto: 1, icmpType: 8, icmpId: 1 }); // icmp: 30 s
    feed(T0, { src: '192.0.2.1', dst: '192.0.2.2', proto: 47 }); // other: 60 s
    tr.advance(T0 + 400 * S);
    const byId = new Map(of('NEWCONN').map((n) => [n.conn_id, n]));
    const got = of('DELCONN').map((d) => [byId.get(d.conn_id)!.proto, byId.get(d.conn_id)!.sport, d.reason, (d.ts - T0) / S]);
    expect(got).toEqual([[6, 50000, 'timeout', 30], [1, 0, 'timeout', 30], [17, 53, 'timeout', 60], [47, 0, 'timeout', 60], [6, 1, 'timeout', 300]]);
  });

  it('a packet after the deadline but before the sweep ends the old connection and starts a new one', () => {
    const { feed, of } = setup({ udpTimeoutUs: 1_050_000 });
    const u: Pk = { ...CLIENT, proto: 17 };
    feed(T0, u);
    feed(T0 + 1_060_000, rev(u)); // same DATA window as the deadline (1.05 s)
    expect(of('DELCONN')).toEqual([expect.objectContaining({ reason: 'timeout', ts: T0 + 1_050_000 })]);
    const ncs = of('NEWCONN');
    expect(ncs.map((n) => n.src)).toEqual(['192.0.2.10', '198.51.100.7']);
  });
});

describe('keys', () => {
  it('reply packets find the same connection, src is the first sender', () => {
    const { tr, feed, of } = setup();
    const q: Pk = { src: '10.0.0.2', dst: '10.0.0.1', sport: 33000, dport: 53, proto: 17, len: 80 };
    feed(T0, q);
    feed(T0 + 5, rev(q, { len: 200 }));
    feed(T0 + 6, rev(q, { len: 200 }));
    tr.finish();
    expect(of('NEWCONN')).toHaveLength(1);
    expect(of('NEWCONN')[0]).toMatchObject({ src: '10.0.0.2', sport: 33000, dst: '10.0.0.1', dport: 53 });
    expect(of('DATA').map((d) => [d.fwd_pkts, d.fwd_bytes, d.rev_pkts, d.rev_bytes])).toEqual([[1, 80, 2, 400]]);
  });

  it('the same packet on other VLANs (or QinQ) is another connection', () => {
    const { tr, feed, of } = setup();
    feed(T0, CLIENT);
    feed(T0, { ...CLIENT, vlan: 10 });
    feed(T0, { ...CLIENT, vlan: 10, vlanInner: 20 });
    feed(T0 + 1, rev(CLIENT, { vlan: 10 }));
    tr.finish();
    expect(of('NEWCONN').map((n) => [n.vlan, n.vlan_inner])).toEqual([[0, 0], [10, 0], [10, 20]]);
    expect(of('DATA').map((d) => d.fwd_pkts + d.rev_pkts)).toEqual([1, 2, 1]);
  });

  it('IPv6 connections, never confused with IPv4 ones of equal words', () => {
    const { tr, feed, of, wireCheck } = setup();
    const c6: Pk = { src: '2001:db8::1', dst: '2001:db8::2', sport: 40000, dport: 80 };
    feed(T0, { ...c6, flags: SYN });
    feed(T0 + 1, rev(c6, { flags: SYN | ACK }));
    feed(T0 + 2, { src: '1.2.3.4', dst: '5.6.7.8', sport: 1, dport: 2 });
    feed(T0 + 3, { src: '102:304::', dst: '506:708::', sport: 1, dport: 2 });
    tr.finish();
    const ncs = of('NEWCONN');
    expect(ncs.map((n) => [n.family, n.src, n.dst])).toEqual([
      [6, '2001:db8::1', '2001:db8::2'], [4, '1.2.3.4', '5.6.7.8'], [6, '102:304::', '506:708::']]);
    expect(of('DATA')[0]).toMatchObject({ fwd_pkts: 1, rev_pkts: 1 });
    wireCheck();
  });

  it('ICMP: echo flows per identifier whichever side answers, other messages per type', () => {
    const { tr, feed, of } = setup();
    const a = '192.0.2.1', b = '192.0.2.2', r = '192.0.2.254';
    feed(T0, { src: a, dst: b, proto: 1, icmpType: 8, icmpId: 7 });
    feed(T0 + 1, { src: b, dst: a, proto: 1, icmpType: 0, icmpId: 7 });
    feed(T0 + 2, { src: a, dst: b, proto: 1, icmpType: 8, icmpId: 8 });
    feed(T0 + 3, { src: r, dst: a, proto: 1, icmpType: 3, icmpCode: 1 });
    feed(T0 + 4, { src: r, dst: a, proto: 1, icmpType: 3, icmpCode: 3 });
    feed(T0 + 5, { src: r, dst: a, proto: 1, icmpType: 11 });
    feed(T0 + 6, { src: '2001:db8::1', dst: '2001:db8::2', proto: 58, icmpType: 128, icmpId: 7 });
    feed(T0 + 7, { src: '2001:db8::2', dst: '2001:db8::1', proto: 58, icmpType: 129, icmpId: 7 });
    tr.finish();
    expect(of('NEWCONN').map((n) => [n.proto, n.src, n.sport, n.dport])).toEqual([
      [1, a, 0, 8 << 8], [1, a, 0, 8 << 8], [1, r, 0, (3 << 8) | 1], [1, r, 0, 11 << 8], [58, '2001:db8::1', 0, 128 << 8]]);
    expect(of('DATA').map((d) => [d.fwd_pkts, d.rev_pkts])).toEqual([[1, 1], [1, 0], [2, 0], [1, 0], [1, 1]]);
  });

  it('later fragments join the connection of their first fragment; strays and non-IP are counted, not tracked', () => {
    const { tr, feed, of } = setup();
    const u: Pk = { src: '10.0.0.1', dst: '10.0.0.2', sport: 2049, dport: 800, proto: 17, fragId: 99 };
    feed(T0, rev(u, { fragId: 5 }));
    feed(T0 + 1, { ...u, moreFragments: true, len: 1514 });
    feed(T0 + 2, { ...u, fragOffset: 1480, len: 600 });
    feed(T0 + 3, { ...u, fragOffset: 1480, fragId: 100, len: 600 });
    feed(T0 + 4, { ...u, status: DecodeStatus.MALFORMED });
    tr.finish();
    expect(of('NEWCONN')).toHaveLength(1);
    expect(of('DATA').map((d) => [d.fwd_pkts, d.fwd_bytes, d.rev_pkts])).toEqual([[1, 60, 2]]);
    expect([tr.stats.fragments, tr.stats.fragmentsUnmatched, tr.stats.untracked]).toEqual([1, 1, 1]);
  });
});

describe('DATA', () => {
  it('one DATA per active connection per interval, at the boundary, with the interval length', () => {
    const { tr, feed, of } = setup();
    const conns = [0, 1, 2].map((i) => ({ ...CLIENT, sport: 1000 + i, proto: 17 }));
    for (let k = 0; k < 10; k++) for (const c of conns) feed(T0 + k * 1000, c);
    for (let k = 0; k < 5; k++) feed(T0 + 100_000 + k * 1000, rev(conns[1]));
    feed(T0 + 250_000, conns[2]);
    const data = of('DATA');
    expect(data.map((d) => [d.ts - T0, d.interval_us, d.fwd_pkts, d.rev_pkts])).toEqual([
      [100_000, 100_000, 10, 0], [100_000, 100_000, 10, 0], [100_000, 100_000, 10, 0], [200_000, 100_000, 0, 5]]);
    tr.finish(T0 + 260_000);
    expect(of('DATA').slice(4).map((d) => [d.ts - T0, d.interval_us, d.fwd_pkts])).toEqual([[260_000, 60_000, 1]]);
    const dels = of('DELCONN');
    expect(dels.map((d) => d.reason)).toEqual(['end', 'end', 'end']);
    expect(tr.liveCount).toBe(0);
  });

  it('pending DATA precedes the DELCONN of the same connection', () => {
    const { feed, msgs } = setup();
    feed(T0, { ...CLIENT, flags: SYN });
    feed(T0 + 10, rev(CLIENT, { flags: RST | ACK }));
    expect(msgs.map((m) => m.type)).toEqual([Msg.NEWCONN.type, Msg.DATA.type, Msg.DELCONN.type]);
    expect(msgs[1]).toMatchObject({ ts: T0 + 10, interval_us: 10, fwd_pkts: 1, rev_pkts: 1 });
  });

  it('a u32 counter about to overflow sends DATA early; no counter wraps', () => {
    const { tr, feed, of, wireCheck } = setup();
    const big = 0xffff_ff00;
    feed(T0 + 10, { ...CLIENT, len: big });
    feed(T0 + 20, { ...CLIENT, len: big });
    feed(T0 + 30, { ...CLIENT, len: 2 ** 40 });
    tr.finish();
    expect(of('DATA').map((d) => [d.ts - T0, d.interval_us, d.fwd_pkts, d.fwd_bytes])).toEqual([
      [20, 20, 1, big], [30, 10, 1, big], [30, 0, 1, 0xffffffff]]);
    expect(tr.stats.earlyData).toBe(2);
    wireCheck();
  });
});

describe('table limits', () => {
  it('when full, evicts the longest idle connection, across protocols, DATA first', () => {
    const { tr, feed, of } = setup({ maxConns: 3 });
    const c = (i: number, proto = 17): Pk => ({ ...CLIENT, sport: 2000 + i, proto });
    feed(T0 + 1, c(1));
    feed(T0 + 2, c(2, 6));
    feed(T0 + 3, c(3));
    feed(T0 + 4, c(1));
    feed(T0 + 5, c(4));
    feed(T0 + 6, c(5, 6));
    expect(tr.liveCount).toBe(3);
    const byId = new Map(of('NEWCONN').map((n) => [n.conn_id, n.sport]));
    expect(of('DELCONN').map((d) => [byId.get(d.conn_id), d.reason, d.ts - T0])).toEqual([[2002, 'evicted', 5], [2003, 'evicted', 6]]);
    expect(of('DATA').map((d) => [byId.get(d.conn_id), d.fwd_pkts])).toEqual([[2002, 1], [2003, 1]]);
    expect(tr.stats.evicted).toBe(2);
  });

  it('a full table recycles closed connections before evicting live ones', () => {
    const { tr, feed, of } = setup({ maxConns: 2 });
    feed(T0, { ...CLIENT, flags: SYN });
    feed(T0 + 1, rev(CLIENT, { flags: RST }));
    feed(T0 + 2, { ...CLIENT, sport: 2 });
    feed(T0 + 3, { ...CLIENT, sport: 3 });
    expect(of('DELCONN').map((d) => d.reason)).toEqual(['rst']);
    expect(tr.liveCount).toBe(2);
  });

  it('after finish the table is empty and can be fed again; nothing from before comes back', () => {
    const { tr, feed, of } = setup({ maxConns: 4 });
    for (let i = 0; i < 4; i++) feed(T0 + i, { ...CLIENT, sport: i, proto: 17 });
    tr.finish();
    feed(T0 + 10 * S, { ...CLIENT, sport: 9, proto: 17 });
    tr.finish();
    const ids = of('NEWCONN').map((n) => n.conn_id);
    expect(new Set(ids).size).toBe(5);
    expect(of('DELCONN').map((d) => d.conn_id)).toEqual(ids);
    expect(tr.liveCount).toBe(0);
  });

  it('capture time never runs backwards', () => {
    const { tr, feed, of } = setup();
    feed(T0 + 150_000, CLIENT);
    feed(T0, rev(CLIENT));
    tr.finish();
    expect(of('NEWCONN')[0].ts).toBe(T0 + 150_000);
    expect(of('DATA').map((d) => [d.ts, d.fwd_pkts, d.rev_pkts])).toEqual([[T0 + 150_000, 1, 1]]);
  });
});
