/** NDJSON lines: exact fields per type, valid JSON for hostile names, chunked writes, bounded backlog. */
import { describe, expect, it } from 'vitest';
import { NdjsonSink, type TextOutput } from '../../../probe/events/ndjson-sink.js';
import type { ConnInfo } from '../../../probe/events/sink.js';

class Collect implements TextOutput {
  chunks: string[] = [];
  writableLength = 0;
  write(chunk: string): boolean {
    this.chunks.push(chunk);
    return true;
  }
  lines(): Record<string, unknown>[] {
    return this.chunks.join('').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l));
  }
}

const TS = 1_700_000_000_123_456;
const conn = (over: Partial<ConnInfo> = {}): ConnInfo => ({
  id: 7, proto: 6, family: 4, src: '192.0.2.1', dst: '198.51.100.2', sport: 50000, dport: 443,
  vlan: 0, vlanInner: 0, firstSeenUs: TS, lastSeenUs: TS, ...over,
});

describe('NdjsonSink', () => {
  it('writes exactly the documented fields per event type', () => {
    const out = new Collect();
    const s = new NdjsonSink(out);
    s.newconn(conn(), TS);
    s.newconn(conn({ id: 8, proto: 17, vlan: 10 }), TS);
    s.newconn(conn({ id: 9, proto: 47, vlan: 10, vlanInner: 20, family: 6, src: '2001:db8::1', dst: '2001:db8::2' }), TS);
    s.newconn(conn({ id: 10, proto: 58, sport: 0, dport: 128 << 8 }), TS);
    s.data(conn({ proto: 1 }), TS + 100_000, 100_000, 3, 300, 2, 2000);
    s.delconn(conn(), TS + 200_000, 'fin');
    s.name(TS, '192.0.2.1', 'www.example.com', 1);
    s.trace(TS, '198.51.100.2', [{ ttl: 1, addr: '192.0.2.254', rttUs: 1500 }, { ttl: 2, addr: null, rttUs: null }]);
    s.flush();
    const [n1, n2, n3, n4, d, del, nm, tr] = out.lines();
    expect(n1).toEqual({ type: 'newconn', ts: 1_700_000_000.123456, id: 7, proto: 'tcp', src: '192.0.2.1', sport: 50000, dst: '198.51.100.2', dport: 443 });
    expect(n2).toMatchObject({ proto: 'udp', vlan: 10 });
    expect(Object.keys(n2)).not.toContain('vlan_inner');
    expect(n3).toMatchObject({ proto: 47, vlan: 10, vlan_inner: 20, src: '2001:db8::1' });
    expect(n4).toMatchObject({ proto: 'icmp6', sport: 0, dport: 32768 });
    expect(d).toEqual({
      type: 'data', ts: 1_700_000_000.223456, id: 7, proto: 'icmp', src: '192.0.2.1', sport: 50000, dst: '198.51.100.2', dport: 443,
      fwd_bytes: 300, fwd_pkts: 3, rev_bytes: 2000, rev_pkts: 2,
    });
    expect(del).toEqual({ type: 'delconn', ts: 1_700_000_000.323456, id: 7, reason: 'fin' });
    expect(nm).toEqual({ type: 'name', ts: 1_700_000_000.123456, addr: '192.0.2.1', name: 'www.example.com', rrtype: 1 });
    expect(tr).toEqual({
      type: 'trace', ts: 1_700_000_000.123456, dst: '198.51.100.2',
      hops: [{ ttl: 1, addr: '192.0.2.254', rtt_ms: 1.5 }, { ttl: 2, addr: null, rtt_ms: null }],
    });
  });

  it('keeps hostile DNS names valid JSON', () => {
    const out = new Collect();
    const s = new NdjsonSink(out);
    const evil = 'a"b\\c\n\u0000\u2028é.example';
    s.name(TS, '2001:db8::1', evil, 28);
    s.flush();
    expect(out.lines()[0]).toMatchObject({ name: evil, rrtype: 28 });
  });

  it('writes in large chunks, never one write per event, and nothing is lost at flush', () => {
    const out = new Collect();
    const s = new NdjsonSink(out, { chunkChars: 64 * 1024 });
    for (let i = 0; i < 5000; i++) s.data(conn({ id: i }), TS + i, 100_000, 1, 60, 0, 0);
    expect(out.chunks.length).toBeGreaterThan(0);
    expect(out.chunks.length).toBeLessThan(20);
    s.flush();
    const lines = out.lines();
    expect(lines).toHaveLength(5000);
    expect(lines[4999]).toMatchObject({ id: 4999 });
    expect(out.chunks.slice(0, -1).every((c) => c.length >= 64 * 1024)).toBe(true);
  });

  it('reports backlog and drops (counting) rather than buffering without bound', () => {
    const out = new Collect();
    const s = new NdjsonSink(out, { highWaterBytes: 100, maxBacklogBytes: 1000 });
    expect(s.backlogged).toBe(false);
    out.writableLength = 500;
    expect(s.backlogged).toBe(true);
    s.delconn(conn(), TS, 'end');
    s.flush();
    expect(out.chunks).toHaveLength(1);
    out.writableLength = 5000;
    s.delconn(conn(), TS, 'end');
    s.delconn(conn(), TS, 'end');
    s.flush();
    expect(out.chunks).toHaveLength(1);
    expect(s.droppedLines).toBe(2);
  });
});
