/**
 * TRACE paths from the shared traceroute captures, against tshark run here.
 * tshark shows, for each ICMP time-exceeded, the router (first ip.src) and
 * the quoted echo request's identifier and sequence (also its ip.ttl, which
 * is 1 as it reached the router); the probe's own TTL is that of the echo
 * request with the same identifier and sequence. The expected hop for a TTL
 * is the first answer to arrive for a probe of that TTL; the path ends at the
 * TTL of the first echo reply from the destination.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { openCaptureFile } from '../../../probe/capture/open.js';
import { decodeRecord } from '../../../probe/decode/packet.js';
import { PacketInfo } from '../../../probe/decode/packet-info.js';
import { TraceMatcher, type TraceOptions } from '../../../probe/trace/trace-matcher.js';
import type { TraceEvent, TraceHop } from '../../../probe/trace/trace-path.js';

const DIR = '../shared/pcaps/';

function micros(epoch: string): number {
  const [s, f = ''] = epoch.split('.');
  return Number(s) * 1e6 + Number((f + '000000').slice(0, 6));
}

interface Expected {
  src: string;
  dst: string;
  hops: TraceHop[];
  /** Time-exceeded answers tshark shows, and the quoted TTLs it prints for them. */
  timeExceeded: number;
  quotedTtls: Set<number>;
}

function tsharkPath(file: string): Expected {
  const out = execFileSync(
    'tshark',
    ['-n', '-r', DIR + file, '-Y', 'icmp', '-T', 'fields', '-E', 'occurrence=a', '-E', 'aggregator=,',
      '-e', 'frame.time_epoch', '-e', 'ip.src', '-e', 'ip.dst', '-e', 'ip.ttl', '-e', 'icmp.type', '-e', 'icmp.ident', '-e', 'icmp.seq'],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
  );
  const requests = new Map<string, { ttl: number; ts: number; src: string; dst: string }>();
  const hops = new Map<number, TraceHop>();
  const quotedTtls = new Set<number>();
  let timeExceeded = 0;
  let endTtl = 0;
  let src = '';
  let dst = '';
  for (const line of out.split('\n').filter((l) => l.length > 0)) {
    const [epoch, ipSrc, ipDst, ipTtl, type, ident, seq] = line.split('\t').map((c) => c.split(','));
    const ts = micros(epoch[0]);
    const key = `${ident[0]}/${seq[0]}`;
    if (type[0] === '8') {
      requests.set(key, { ttl: Number(ipTtl[0]), ts, src: ipSrc[0], dst: ipDst[0] });
      continue;
    }
    const probe = requests.get(key);
    if (type[0] === '11' && type[1] === '8' && probe !== undefined) {
      timeExceeded++;
      quotedTtls.add(Number(ipTtl[1]));
      if (!hops.has(probe.ttl)) hops.set(probe.ttl, { ttl: probe.ttl, rtt_us: ts - probe.ts, addr: ipSrc[0] });
    } else if (type[0] === '0' && probe !== undefined && ipSrc[0] === probe.dst && endTtl === 0) {
      endTtl = probe.ttl;
      src = probe.src;
      dst = probe.dst;
      if (!hops.has(probe.ttl)) hops.set(probe.ttl, { ttl: probe.ttl, rtt_us: ts - probe.ts, addr: ipSrc[0] });
    }
  }
  const list: TraceHop[] = [];
  for (let ttl = 1; ttl <= endTtl; ttl++) list.push(hops.get(ttl) ?? { ttl, rtt_us: null, addr: null });
  return { src, dst, hops: list, timeExceeded, quotedTtls };
}

function ourTraces(file: string, options?: Partial<TraceOptions>): TraceEvent[] {
  const opened = openCaptureFile(DIR + file);
  if (!opened.ok) throw new Error(`${file}: ${opened.code}`);
  const events: TraceEvent[] = [];
  const matcher = new TraceMatcher((e) => events.push(e), options);
  const info = new PacketInfo();
  opened.reader.forEach((rec) => {
    decodeRecord(info, rec);
    matcher.observe(info, rec.tsMicros);
  });
  opened.reader.close();
  matcher.flush();
  return events;
}

describe('TRACE from the shared traceroute captures matches tshark', () => {
  it('icmp_traceroute.pcapng: one complete path, ending at the destination', () => {
    const e = tsharkPath('icmp_traceroute.pcapng');
    expect(e.timeExceeded).toBeGreaterThan(10);
    expect(e.quotedTtls).toEqual(new Set([1]));
    expect(e.hops.length).toBeGreaterThan(5);
    const traces = ourTraces('icmp_traceroute.pcapng');
    expect(traces).toHaveLength(1);
    expect(traces[0]).toMatchObject({ family: 4, dst: e.dst, complete: true, hops: e.hops });
    expect(traces[0].hops.at(-1)?.addr).toBe(e.dst);
  });

  it('icmp_tracert_windows.pcap: the final path is complete and every earlier report is its prefix', () => {
    const e = tsharkPath('icmp_tracert_windows.pcap');
    expect(e.hops[0]).toEqual({ ttl: 1, rtt_us: null, addr: null }); // TTL 1 never answered in this capture
    const traces = ourTraces('icmp_tracert_windows.pcap');
    // tracert pauses longer than the 3 s quiet period between some TTLs: partial reports come first.
    expect(traces.length).toBeGreaterThan(1);
    const last = traces[traces.length - 1];
    expect(last).toMatchObject({ family: 4, dst: e.dst, complete: true, hops: e.hops });
    expect(last.hops.at(-1)?.addr).toBe(e.dst);
    for (const t of traces.slice(0, -1)) {
      expect(t.complete).toBe(false);
      expect(t.hops.filter((h) => h.addr !== null)).toEqual(e.hops.slice(0, t.hops.length).filter((h) => h.addr !== null));
    }
    // With a quiet period longer than tracert's pauses, the path is reported once.
    const patient = ourTraces('icmp_tracert_windows.pcap', { quietUs: 10_000_000 });
    expect(patient).toHaveLength(1);
    expect(patient[0]).toMatchObject({ complete: true, hops: e.hops });
  });

  it('finds no path in captures without traceroute probes', () => {
    for (const f of ['http_espn.pcapng', 'sip_rtp_http.pcap', 'synscan_many_flows.pcapng', 'icmp_dot1q.pcap']) {
      expect(ourTraces(f), f).toEqual([]);
    }
  });
});
