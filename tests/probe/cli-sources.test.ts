/**
 * The built ggprobe's packet sources end to end: --loop (rounds, fresh ids,
 * time moving on, a root-only file read again after privileges went, flush
 * on SIGTERM), --realtime (timestamps moved to now, paced, output as it
 * happens, same bytes), --simulate (a plausible, seeded world), --max-conns
 * (eviction without losing a byte), and the options that go with them.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openGeoLocator, type OfflineLocator } from '../../glougloud/geo/locator.js';
import { openCaptureFile } from '../../probe/capture/open.js';
import { resolveProbeConfig } from '../../probe/probe-config.js';

const PROBE = 'dist/probe/main.js';
const pcap = (name: string): string => `../shared/pcaps/${name}`;

/** One NDJSON event as printed (fields per type, see probe/events/ndjson-sink.ts). */
type Ev = { type: string; ts: number; [field: string]: any };

/** What a probe run left behind. */
interface ProbeRun {
  code: number | null;
  events: Ev[];
  stderr: string;
  /** Wall clock (ms) at spawn, at exit, and when the first event line arrived. */
  startMs: number;
  endMs: number;
  firstLineMs: number;
}

/**
 * Runs the built probe, parsing stdout line by line; `stopWhen` sees each event
 * and the events so far, and SIGTERM goes once it says so. A probe still
 * running after `limitMs` is killed and the test fails on its exit code.
 */
function runProbe(args: string[], o: { stopWhen?: (e: Ev, all: Ev[]) => boolean; limitMs: number }): Promise<ProbeRun> {
  const startMs = Date.now();
  const child = spawn(process.execPath, [PROBE, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const events: Ev[] = [];
  let partial = '';
  let stderr = '';
  let firstLineMs = -1;
  let termed = false;
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      if (!line) continue;
      if (firstLineMs < 0) firstLineMs = Date.now();
      const e = JSON.parse(line) as Ev;
      events.push(e);
      if (!termed && o.stopWhen?.(e, events)) {
        termed = true;
        child.kill('SIGTERM');
      }
    }
  });
  child.stderr.on('data', (d) => { stderr += d; });
  const guard = setTimeout(() => child.kill('SIGKILL'), o.limitMs);
  return new Promise((resolve) => {
    child.on('close', (code) => {
      clearTimeout(guard);
      resolve({ code, events, stderr, startMs, endMs: Date.now(), firstLineMs });
    });
  });
}

/** Runs the probe to its end and returns its events. */
function runToEnd(...args: string[]): Ev[] {
  const r = spawnSync(process.execPath, [PROBE, ...args], { encoding: 'utf8', timeout: 60_000, maxBuffer: 256 * 1024 * 1024 });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Ev);
}

const SUMMARY = /^ggprobe: (\d+) packets, (\d+) bytes, \d+ skipped, (\d+) connections, (\d+) events/m;
const tuple = (e: Ev): string => `${e.proto} ${e.src}/${e.sport} ${e.dst}/${e.dport}${e.vlan ? ` vlan ${e.vlan}` : ''}`;
const of = (events: Ev[], type: string): Ev[] => events.filter((e) => e.type === type);

/** Bytes and packets per direction of travel (src→dst of the DATA's own connection, either way), over all DATA. */
function perDirection(events: Ev[]): Map<string, { bytes: number; pkts: number }> {
  const out = new Map<string, { bytes: number; pkts: number }>();
  const add = (k: string, bytes: number, pkts: number): void => {
    const t = out.get(k) ?? { bytes: 0, pkts: 0 };
    t.bytes += bytes;
    t.pkts += pkts;
    out.set(k, t);
  };
  for (const e of of(events, 'data')) {
    add(`${e.proto} ${e.src}/${e.sport} > ${e.dst}/${e.dport}`, e.fwd_bytes, e.fwd_pkts);
    add(`${e.proto} ${e.dst}/${e.dport} > ${e.src}/${e.sport}`, e.rev_bytes, e.rev_pkts);
  }
  for (const [k, t] of out) if (t.pkts === 0) out.delete(k);
  return out;
}

/** Checks every NEWCONN is ended by exactly one later DELCONN, and every DELCONN ends a connection seen; returns reasons by id. */
function expectEveryConnectionEnded(events: Ev[]): Map<number, string> {
  const open = new Set<number>();
  const reasons = new Map<number, string>();
  for (const e of events) {
    if (e.type === 'newconn') {
      expect(open.has(e.id) || reasons.has(e.id), `id ${e.id} reused`).toBe(false);
      open.add(e.id);
    } else if (e.type === 'delconn') {
      expect(open.delete(e.id), `DELCONN of id ${e.id} that is not open`).toBe(true);
      reasons.set(e.id, e.reason);
    } else if (e.type === 'data') {
      expect(open.has(e.id), `DATA of id ${e.id} that is not open`).toBe(true);
    }
  }
  expect([...open], 'connections never ended').toEqual([]);
  return reasons;
}

const dir = mkdtempSync(join(tmpdir(), 'ggprobe-sources-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('ggprobe -r FILE --loop', { timeout: 60_000 }, () => {
  // 4,447 packets: more than one read batch, so a round can be cut by SIGTERM; TCP ends by fin and rst, UDP by timeout.
  const FILE = pcap('sip_rtp_http.pcap');

  it('replays round after round: the same connections with fresh ids, time moving on, all flushed on SIGTERM', async () => {
    const once = runToEnd('-r', FILE, '--print');
    const perRound = of(once, 'newconn').length;
    expect(perRound).toBeGreaterThan(50);
    const run = await runProbe(['-r', FILE, '--print', '--loop'], {
      stopWhen: (e, all) => e.type === 'newconn' && of(all, 'newconn').length >= 3 * perRound,
      limitMs: 45_000,
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(SUMMARY);

    // Shutdown flushed everything: each connection has its DELCONN, with the file's own reason or `end`.
    const reasons = expectEveryConnectionEnded(run.events);
    const onceReasons = expectEveryConnectionEnded(once);
    const news = of(run.events, 'newconn');
    const rounds = Math.floor(news.length / perRound);
    expect(rounds).toBeGreaterThanOrEqual(3);
    const onceNews = of(once, 'newconn');
    const onceBytes = perDirection(once);
    let previousEnd = -Infinity;
    for (let r = 0; r < rounds; r++) {
      const mine = news.slice(r * perRound, (r + 1) * perRound);
      // The same connections, in the same order, each with its usual end.
      expect(mine.map(tuple)).toEqual(onceNews.map(tuple));
      mine.forEach((e, i) => expect(reasons.get(e.id)).toBe(onceReasons.get(onceNews[i].id)));
      // ... carrying the same bytes each way, and later in capture time than the round before.
      const ids = new Set(mine.map((e) => e.id));
      const events = run.events.filter((e) => ids.has(e.id));
      expect(perDirection(events)).toEqual(onceBytes);
      const times = events.map((e) => e.ts);
      expect(Math.min(...times)).toBeGreaterThan(previousEnd);
      previousEnd = Math.max(...times);
    }
    // Fresh ids everywhere (checked by expectEveryConnectionEnded), and capture time never runs backwards.
    expect(new Set(news.map((e) => e.id)).size).toBe(news.length);
    for (let i = 1; i < run.events.length; i++) expect(run.events[i].ts).toBeGreaterThanOrEqual(run.events[i - 1].ts);
    // A round cut short still ended its connections (reason end) and gave their bytes.
    for (const e of news.slice(rounds * perRound)) expect(['end', onceReasons.get(onceNews[news.indexOf(e) % perRound].id)]).toContain(reasons.get(e.id));
  });

  it('with --realtime, SIGTERM in the middle of a round ends its open connections (reason end) after their DATA', async () => {
    // 3 DNS exchanges over 5.8 s: at 10× a round takes ~0.6 s; stop on the 2nd connection of the 3rd round.
    const FILE3 = pcap('dns_a_aaaa_mx.pcap');
    const run = await runProbe(['-r', FILE3, '--print', '--loop', '--realtime', '10'], {
      stopWhen: (e, all) => e.type === 'newconn' && of(all, 'newconn').length === 8,
      limitMs: 30_000,
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(SUMMARY);
    const reasons = expectEveryConnectionEnded(run.events);
    const news = of(run.events, 'newconn');
    expect(news.length).toBeGreaterThanOrEqual(8);
    // The connection open when the signal came was ended by the shutdown, its query counted first.
    const last = news[news.length - 1];
    expect(reasons.get(last.id)).toBe('end');
    expect(of(run.events, 'data').filter((e) => e.id === last.id).reduce((s, e) => s + e.fwd_pkts, 0)).toBeGreaterThanOrEqual(1);
  });

  it('reads a file only root can open again on every round, after privileges were dropped', async () => {
    // A capture of one UDP datagram, in a directory and file only the owner may read.
    const own = mkdtempSync(join(dir, 'private-'));
    chmodSync(own, 0o700);
    const file = join(own, 'one-udp.pcap');
    writeFileSync(file, onePacketPcap(), { mode: 0o600 });
    const run = await runProbe(['-r', file, '--print', '--loop'], {
      stopWhen: (e, all) => e.type === 'newconn' && of(all, 'newconn').length >= 3,
      limitMs: 30_000,
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).not.toMatch(/PCAP_ERR/);
    const news = of(run.events, 'newconn');
    expect(news.length).toBeGreaterThanOrEqual(3);
    expect(new Set(news.map(tuple))).toEqual(new Set(['udp 192.0.2.1/40000 198.51.100.7/53']));
    expect(new Set(news.map((e) => e.id)).size).toBe(news.length);
  });
});

describe('ggprobe -r FILE --realtime FACTOR', { timeout: 60_000 }, () => {
  // 136 packets over 6.4 s (DNS, then HTTP to wikipedia): 1.6 s at 4×.
  const FILE = pcap('wikipedia_dns_http.pcap');
  const FACTOR = 4;

  it('paces the replay, moves timestamps to now, prints as it goes, and counts the same bytes as a full-speed read', async () => {
    const opened = openCaptureFile(FILE);
    if (!opened.ok) throw new Error(opened.detail);
    let first = -1;
    let last = 0;
    opened.reader.forEach((rec) => { if (first < 0) first = rec.tsMicros; last = rec.tsMicros; });
    opened.reader.close();
    const spanS = (last - first) / 1e6;
    expect(spanS).toBeGreaterThan(5);

    const fast = runToEnd('-r', FILE, '--print');
    const run = await runProbe(['-r', FILE, '--print', '--realtime', String(FACTOR)], { limitMs: 45_000 });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(SUMMARY);

    // Paced: the run cannot be shorter than the capture at FACTOR× (a lower bound only).
    expect(run.endMs - run.startMs).toBeGreaterThanOrEqual((spanS / FACTOR) * 1000);
    // Rebased: every event's time falls within the run's own wall time, and they span the capture at FACTOR×.
    const times = run.events.map((e) => e.ts);
    expect(Math.min(...times)).toBeGreaterThanOrEqual(run.startMs / 1000 - 0.001);
    expect(Math.max(...times)).toBeLessThanOrEqual(run.endMs / 1000 + 0.001);
    expect(Math.max(...times) - Math.min(...times)).toBeGreaterThanOrEqual(spanS / FACTOR - 0.2);
    // Written as they happen, not all at the end: the first line came well before the replay was over.
    expect(run.endMs - run.firstLineMs).toBeGreaterThanOrEqual((spanS / FACTOR / 3) * 1000);
    // Same connections, same packets and bytes each way, as read at full speed.
    expect(of(run.events, 'newconn').map(tuple).sort()).toEqual(of(fast, 'newconn').map(tuple).sort());
    expect(perDirection(run.events)).toEqual(perDirection(fast));
    expect(of(run.events, 'name').map((e) => `${e.addr} ${e.name}`).sort()).toEqual(of(fast, 'name').map((e) => `${e.addr} ${e.name}`).sort());
  });
});

/** Ports of the services a network tap sees most: where simulated connections should go. */
const SERVICE_PORTS = new Set([20, 21, 22, 25, 53, 80, 110, 123, 143, 443, 465, 587, 853, 993, 995, 1194, 3478, 5222, 5228, 8080, 8443, 51820]);

describe('ggprobe --simulate', { timeout: 60_000 }, () => {
  const RATE = 2000;
  // The first events are a deterministic function of the seed (the simulation runs in whole intervals), whatever the machine's speed.
  const PREFIX = 2500;
  let geo: OfflineLocator;
  let runs: ProbeRun[] = [];

  beforeAll(async () => {
    geo = await openGeoLocator({ asn: false });
    const sim = (seed: number): Promise<ProbeRun> => runProbe(['--simulate', '--print', '--rate', String(RATE), '--seed', String(seed)], {
      stopWhen: (_e, all) => all.length >= PREFIX + 200,
      limitMs: 30_000,
    });
    runs = await Promise.all([sim(7), sim(7), sim(8)]);
  }, 60_000);

  it('stops on SIGTERM with every connection ended and the summary line', () => {
    for (const run of runs) {
      expect(run.code, run.stderr).toBe(0);
      expect(run.stderr).toMatch(SUMMARY);
      expectEveryConnectionEnded(run.events);
    }
  });

  it('fills the map: local hosts talk to public addresses in many countries over realistic services', () => {
    const events = runs[0].events.slice(0, PREFIX);
    const news = of(events, 'newconn');
    expect(news.length).toBeGreaterThan(100);
    const countries = new Set<string>();
    for (const e of news) {
      // One end local (private), the other public and located.
      const ends = [e.src, e.dst].map((a: string) => geo.locate(a));
      expect(ends.filter((g) => g === null), tuple(e)).toHaveLength(1);
      const remote = ends.find((g) => g !== null)!;
      expect(remote.country_code).toMatch(/^[A-Z]{2}$/);
      countries.add(remote.country_code!);
    }
    expect(countries.size).toBeGreaterThanOrEqual(20);
    const ported = news.filter((e) => e.proto === 'tcp' || e.proto === 'udp');
    expect(ported.filter((e) => SERVICE_PORTS.has(e.dport)).length).toBeGreaterThanOrEqual(0.9 * ported.length);
    expect(new Set(ported.map((e) => e.dport)).size).toBeGreaterThanOrEqual(5);
    expect(new Set(news.map((e) => e.proto))).toEqual(new Set(['tcp', 'udp', 'icmp']));
    // ICMP flows are shown as a real probe shows them: type << 8 | code (echo request).
    for (const e of of(news, 'newconn').filter((x) => x.proto === 'icmp')) expect(e.dport).toBe(8 << 8);
  });

  it('connections open and close on their own, DNS names the remote hosts, and paths are traced', () => {
    const events = runs[0].events.slice(0, PREFIX);
    const seen = new Set(of(events, 'newconn').map((e) => e.id));
    const closed = of(events, 'delconn');
    expect(closed.filter((e) => e.reason !== 'end').length).toBeGreaterThanOrEqual(10);
    for (const e of closed) {
      expect(seen.has(e.id)).toBe(true);
      expect(['fin', 'rst', 'timeout']).toContain(e.reason);
    }
    const addrs = new Set(of(events, 'newconn').flatMap((e) => [e.src, e.dst]));
    const names = of(events, 'name');
    expect(names.length).toBeGreaterThanOrEqual(20);
    for (const n of names) {
      expect(addrs.has(n.addr), n.addr).toBe(true);
      expect(n.name).toMatch(/^([a-z0-9-]+\.)+[a-z]{2,}$/);
      expect(n.rrtype).toBe(1);
    }
    const traces = of(events, 'trace').filter((t) => t.hops.length >= 2);
    expect(traces.length).toBeGreaterThanOrEqual(1);
    for (const t of traces) {
      expect(t.hops.map((h: { ttl: number }) => h.ttl)).toEqual(t.hops.map((_: unknown, i: number) => i + 1));
      expect(t.hops[t.hops.length - 1].addr).toBe(t.dst);
      expect(geo.locate(t.dst)).not.toBeNull();
    }
  });

  it('a few heavy hitters carry much of the traffic', () => {
    const bytes = new Map<number, number>();
    for (const e of of(runs[0].events.slice(0, PREFIX), 'data')) bytes.set(e.id, (bytes.get(e.id) ?? 0) + e.fwd_bytes + e.rev_bytes);
    const sorted = [...bytes.values()].sort((a, b) => b - a);
    const total = sorted.reduce((s, b) => s + b, 0);
    expect(sorted.length).toBeGreaterThan(100);
    // 5 of 100+ connections: an even spread would give them under 5 %.
    expect(sorted.slice(0, 5).reduce((s, b) => s + b, 0)).toBeGreaterThanOrEqual(0.3 * total);
  });

  it('emits about --rate events a second (a lower bound, generous)', () => {
    for (const run of runs) {
      const events = run.events;
      const simulatedS = events[events.length - 1].ts - events[0].ts;
      expect(events.length / simulatedS).toBeGreaterThanOrEqual(RATE / 3);
      // Wall time includes the start of node: still well above a quarter of the rate.
      expect(events.length / ((run.endMs - run.startMs) / 1000)).toBeGreaterThanOrEqual(RATE / 4);
    }
  });

  it('the same seed gives the same events (but for their times); another seed does not', () => {
    const shape = (run: ProbeRun): string[] => run.events.slice(0, PREFIX).map(({ ts: _ts, ...rest }) => JSON.stringify(rest));
    const [a, b, c] = runs.map(shape);
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
    expect(c.slice(0, 50)).not.toEqual(a.slice(0, 50));
  });
});

describe('ggprobe -r FILE --max-conns N', { timeout: 60_000 }, () => {
  it('evicts the longest idle beyond N, never holds more than N, and loses no byte', () => {
    // An nmap SYN scan: ~2,000 short TCP flows.
    const FILE = pcap('synscan_many_flows.pcapng');
    const unbounded = runToEnd('-r', FILE, '--print');
    const bounded = runToEnd('-r', FILE, '--print', '--max-conns', '16');
    expect(of(unbounded, 'newconn').length).toBeGreaterThan(1000);

    let open = 0;
    let most = 0;
    for (const e of bounded) {
      if (e.type === 'newconn') most = Math.max(most, ++open);
      else if (e.type === 'delconn') open--;
    }
    expect(most).toBe(16);
    const reasons = [...expectEveryConnectionEnded(bounded).values()];
    expect(reasons.filter((r) => r === 'evicted').length).toBeGreaterThan(1000);
    expect(expectEveryConnectionEnded(unbounded).size).toBe(of(unbounded, 'newconn').length);
    expect([...expectEveryConnectionEnded(unbounded).values()]).not.toContain('evicted');
    // Every packet and byte is still counted, each way.
    expect(perDirection(bounded)).toEqual(perDirection(unbounded));
  });
});

describe('ggprobe source options', { timeout: 60_000 }, () => {
  const usage = (...args: string[]): { code: number | null; stderr: string } => {
    const r = spawnSync(process.execPath, [PROBE, ...args], { encoding: 'utf8', timeout: 20_000 });
    return { code: r.status, stderr: r.stderr };
  };

  it('--stats-interval defaults to 10 s and goes with -i only', () => {
    const live = resolveProbeConfig({ interface: 'eth0', print: true });
    expect(live.ok && live.config.statsIntervalMs).toBe(10_000);
    const set = resolveProbeConfig({ interface: 'eth0', print: true, statsInterval: '0.5' });
    expect(set.ok && set.config.statsIntervalMs).toBe(500);
    expect(resolveProbeConfig({ interface: 'eth0', print: true, statsInterval: '0' }).ok).toBe(false);
    const r = usage('-r', pcap('dns_ptr.pcap'), '--print', '--stats-interval', '1');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--stats-interval');
  });

  it('-B sets the kernel capture buffer in KiB (default 64 MiB) and goes with -i only', () => {
    const live = resolveProbeConfig({ interface: 'eth0', print: true });
    expect(live.ok && live.config.bufferBytes).toBe(64 * 1024 * 1024);
    const set = resolveProbeConfig({ interface: 'eth0', print: true, bufferKiB: '4096' });
    expect(set.ok && set.config.bufferBytes).toBe(4096 * 1024);
    expect(resolveProbeConfig({ interface: 'eth0', print: true, bufferKiB: '16' }).ok).toBe(false);
    expect(resolveProbeConfig({ interface: 'eth0', print: true, bufferKiB: 'big' }).ok).toBe(false);
    const r = usage('-r', pcap('dns_ptr.pcap'), '--print', '-B', '4096');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('-B');
  });

  it('a --max-conns above what the tracker can hold is a usage error, not a crash', () => {
    const r = usage('-r', pcap('dns_ptr.pcap'), '--print', '--max-conns', '100000000');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--max-conns');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('--loop and --realtime go with -r; --rate and --seed with --simulate', () => {
    expect(usage('--simulate', '--print', '--loop').code).toBe(2);
    expect(usage('--simulate', '--print', '--realtime', '2').code).toBe(2);
    expect(usage('-r', pcap('dns_ptr.pcap'), '--print', '--seed', '3').code).toBe(2);
    expect(usage('--simulate', '--print', '--rate', '0').code).toBe(2);
  });
});

/**
 * A classic pcap (little-endian, µs, Ethernet) holding one UDP datagram
 * 192.0.2.1:40000 → 198.51.100.7:53 with 4 bytes of payload.
 */
function onePacketPcap(): Buffer {
  const frame = Buffer.from(
    '020000000002' + '020000000001' + '0800' + // Ethernet
    '4500' + '0020' + '0001' + '0000' + '40' + '11' + '0000' + 'c0000201' + 'c6336407' + // IPv4, 32 bytes, UDP
    '9c40' + '0035' + '000c' + '0000' + // UDP 40000 → 53, 12 bytes
    'deadbeef', 'hex');
  const head = Buffer.alloc(24);
  head.writeUInt32LE(0xa1b2c3d4, 0);
  head.writeUInt16LE(2, 4);
  head.writeUInt16LE(4, 6);
  head.writeUInt32LE(65535, 16);
  head.writeUInt32LE(1, 20);
  const rec = Buffer.alloc(16);
  rec.writeUInt32LE(1_700_000_000, 0);
  rec.writeUInt32LE(0, 4);
  rec.writeUInt32LE(frame.length, 8);
  rec.writeUInt32LE(frame.length, 12);
  return Buffer.concat([head, rec, frame]);
}
