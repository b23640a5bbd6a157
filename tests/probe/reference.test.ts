/**
 * The built probe (`ggprobe -r FILE --print`) against tshark, on every shared
 * capture. Both are run here on the same file; nothing expected is typed in.
 *
 * Compared per capture:
 * - frames and wire bytes read (the summary line) and frames without IP (skipped);
 * - per direction, packets and bytes summed over DATA events, keyed by protocol,
 *   VLAN tags and addresses/ports, against tshark's per-frame fields summed
 *   here (TCP/UDP by 5-tuple; every other IP protocol by address pair);
 * - the TCP and UDP conversations against tshark's own `-z conv` tables;
 * - DNS name → address pairs against tshark's DNS answer fields.
 * The differences spec/probe.md §9 explains are asserted as such: tshark's
 * conversation tables merge VLANs (the probe keeps them apart), TCP stragglers
 * after a close are in no DATA, ICMP errors never count for the flow they
 * quote, and the truncated capture ends with an error naming the offset of
 * the cut record.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  canonicalAddress, dnsNamePairs, runTshark, type ConvRow, type TsharkFrame, type TsharkView,
} from '../helpers/tshark.js';

const DIR = '../shared/pcaps/';
const FILES = readdirSync(DIR).filter((f) => /\.pcap(ng)?$/.test(f)).sort();
const TRUNCATED = 'http_mime_truncated.pcap';
const QINQ = 'vlan_qinq_collisions.pcap';
const NFLOG = 'nflog_http.pcap';
const PROBE = 'dist/probe/main.js';
/** A test waits for its capture's two runs, which share two CPUs with the other captures' runs. */
const WAIT = { timeout: 90_000 };

interface ProbeRun {
  code: number;
  stderr: string;
  events: Record<string, unknown>[];
  summary: { packets: number; bytes: number; skipped: number; connections: number; events: number };
}

/** Runs the built probe on a capture and parses its NDJSON and summary line. */
function runProbe(path: string): Promise<ProbeRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [PROBE, '-r', path, '--print'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', reject);
    child.on('close', (code) => {
      const stderr = Buffer.concat(err).toString('utf8');
      const events = Buffer.concat(out).toString('utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
      const m = /ggprobe: (\d+) packets, (\d+) bytes, (\d+) skipped, (\d+) connections, (\d+) events/.exec(stderr);
      const summary = m === null
        ? { packets: NaN, bytes: NaN, skipped: NaN, connections: NaN, events: NaN }
        : { packets: +m[1], bytes: +m[2], skipped: +m[3], connections: +m[4], events: +m[5] };
      resolve({ code: code ?? -1, stderr, events, summary });
    });
  });
}

/** Starts the jobs with at most `n` running at once; the results in job order. */
function pool<T>(jobs: (() => Promise<T>)[], n: number): Promise<T>[] {
  const waiting: (() => void)[] = [];
  let running = 0;
  return jobs.map(async (job) => {
    if (running >= n) await new Promise<void>((r) => waiting.push(r));
    running++;
    try {
      return await job();
    } finally {
      running--;
      waiting.shift()?.();
    }
  });
}

interface Counts { pkts: number; bytes: number }

const add = (m: Map<string, Counts>, k: string, pkts: number, bytes: number): void => {
  const c = m.get(k) ?? { pkts: 0, bytes: 0 };
  c.pkts += pkts;
  c.bytes += bytes;
  m.set(k, c);
};

const sorted = (m: Map<string, Counts>): Record<string, Counts> => Object.fromEntries([...m].sort(([a], [b]) => (a < b ? -1 : 1)));

/** Key of one direction of a flow: TCP/UDP by 5-tuple, anything else by address pair; VLAN tags (outer.inner) included. */
function directionKey(proto: string, vlans: number[], src: string, sport: number, dst: string, dport: number): string {
  const v = vlans.slice(0, 2).join('.');
  return proto === 'tcp' || proto === 'udp' ? `${proto} [${v}] ${src}:${sport} > ${dst}:${dport}` : `ip [${v}] ${src} > ${dst}`;
}

/** Packets and bytes per direction, from the probe's NEWCONN and DATA events. */
function probeDirections(run: ProbeRun): Map<string, Counts> {
  const live = new Map<number, number[]>();
  const m = new Map<string, Counts>();
  for (const e of run.events) {
    if (e.type === 'newconn') live.set(e.id as number, [(e.vlan as number) ?? 0, (e.vlan_inner as number) ?? 0].filter((v) => v !== 0));
    if (e.type !== 'data') continue;
    const vlans = live.get(e.id as number) ?? [-1];
    const [src, dst] = [canonicalAddress(e.src as string), canonicalAddress(e.dst as string)];
    const proto = String(e.proto);
    if ((e.fwd_pkts as number) > 0) add(m, directionKey(proto, vlans, src, e.sport as number, dst, e.dport as number), e.fwd_pkts as number, e.fwd_bytes as number);
    if ((e.rev_pkts as number) > 0) add(m, directionKey(proto, vlans, dst, e.dport as number, src, e.sport as number), e.rev_pkts as number, e.rev_bytes as number);
  }
  return m;
}

/** The same from tshark's per-frame fields, leaving out the frames in `skip`. */
function tsharkDirections(frames: TsharkFrame[], skip: Set<number>): Map<string, Counts> {
  const m = new Map<string, Counts>();
  for (const f of frames) if (f.family !== 0 && !skip.has(f.number)) add(m, directionKey(f.transport, f.vlans, f.src, f.sport, f.dst, f.dport), 1, f.len);
  return m;
}

const FIN = 1;
const SYN = 2;
const RST = 4;
const ACK = 16;
/** Track defaults (probe/track/options.ts): closed linger, and idle timeouts opening / established / closing. */
const LINGER_US = 4_000_000;
const TCP_TIMEOUT_US = { opening: 30_000_000, established: 300_000_000, closing: 30_000_000 };

/**
 * The frames spec/probe.md says the probe leaves out, found from tshark's TCP
 * flags by the documented rule: once a TCP connection has ended (RST, or FINs
 * both ways then an ACK from the side that did not send the last FIN), its
 * packets within the linger are stragglers, except a bare SYN.
 */
function stragglers(frames: TsharkFrame[]): Set<number> {
  interface Conn { a: string; state: 'opening' | 'established' | 'closing' | 'finBoth' | 'closed'; finA: boolean; finB: boolean; lastFinA: boolean; last: number }
  const conns = new Map<string, Conn>();
  const late = new Set<number>();
  for (const f of frames) {
    if (f.transport !== 'tcp') continue;
    const from = `${f.src}:${f.sport}`;
    const to = `${f.dst}:${f.dport}`;
    const key = `${f.vlans.slice(0, 2).join('.')} ${from < to ? `${from} ${to}` : `${to} ${from}`}`;
    const flags = f.tcpFlags;
    const bareSyn = (flags & (SYN | ACK)) === SYN;
    const fresh = (): Conn => ({ a: from, state: bareSyn ? 'opening' : 'established', finA: false, finB: false, lastFinA: false, last: f.micros });
    let c = conns.get(key);
    if (c === undefined) c = fresh();
    else if (c.state === 'closed') {
      if (f.micros - c.last < LINGER_US && !bareSyn) {
        late.add(f.number);
        continue;
      }
      c = fresh();
    } else if (f.micros >= c.last + TCP_TIMEOUT_US[c.state === 'finBoth' ? 'closing' : c.state]) c = fresh();
    conns.set(key, c);
    c.last = f.micros;
    const fromA = from === c.a;
    if ((flags & RST) !== 0) c.state = 'closed';
    else if (c.state === 'finBoth' && (flags & ACK) !== 0 && fromA !== c.lastFinA) c.state = 'closed';
    else if ((flags & FIN) !== 0) {
      if (c.state === 'finBoth') continue;
      if (fromA) c.finA = true;
      else c.finB = true;
      if (c.finA && c.finB) {
        c.state = 'finBoth';
        c.lastFinA = fromA;
      } else c.state = 'closing';
    } else if (c.state === 'opening' && (flags & ACK) !== 0) c.state = 'established';
  }
  return late;
}

/** A conversation without direction or VLAN: `proto lo <-> hi` with endpoints "addr:port" in string order. */
function convKey(proto: string, a: string, b: string): { key: string; swapped: boolean } {
  const swapped = a > b;
  return { key: `${proto} ${swapped ? b : a} <-> ${swapped ? a : b}`, swapped };
}

interface ConvTotals { framesAB: number; framesBA: number; bytesAB: [number, number]; bytesBA: [number, number] }

/** tshark's conversation rows summed per 5-tuple (a reused port pair is several rows); bytes as [min, max) from the printed sizes. */
function tsharkConversations(rows: ConvRow[]): Map<string, ConvTotals> {
  const m = new Map<string, ConvTotals>();
  for (const r of rows) {
    const { key, swapped } = convKey(r.proto, `${r.a}:${r.aPort}`, `${r.b}:${r.bPort}`);
    const t = m.get(key) ?? { framesAB: 0, framesBA: 0, bytesAB: [0, 0], bytesBA: [0, 0] };
    const [fAB, fBA, bAB, bBA] = swapped ? [r.framesBA, r.framesAB, r.bytesBA, r.bytesAB] : [r.framesAB, r.framesBA, r.bytesAB, r.bytesBA];
    t.framesAB += fAB;
    t.framesBA += fBA;
    t.bytesAB = [t.bytesAB[0] + bAB.value * bAB.unit, t.bytesAB[1] + (bAB.unit === 1 ? bAB.value + 1 : (bAB.value + 1) * bAB.unit)];
    t.bytesBA = [t.bytesBA[0] + bBA.value * bBA.unit, t.bytesBA[1] + (bBA.unit === 1 ? bBA.value + 1 : (bBA.value + 1) * bBA.unit)];
    m.set(key, t);
  }
  return m;
}

/** The probe's TCP/UDP directions folded into conversations, VLANs merged as tshark's tables do. */
function probeConversations(dirs: Map<string, Counts>): Map<string, { framesAB: number; framesBA: number; bytesAB: number; bytesBA: number }> {
  const m = new Map<string, { framesAB: number; framesBA: number; bytesAB: number; bytesBA: number }>();
  for (const [k, c] of dirs) {
    const p = /^(tcp|udp) \[[\d.]*\] (\S+) > (\S+)$/.exec(k);
    if (p === null) continue;
    const { key, swapped } = convKey(p[1], p[2], p[3]);
    const t = m.get(key) ?? { framesAB: 0, framesBA: 0, bytesAB: 0, bytesBA: 0 };
    if (swapped) { t.framesBA += c.pkts; t.bytesBA += c.bytes; } else { t.framesAB += c.pkts; t.bytesAB += c.bytes; }
    m.set(key, t);
  }
  return m;
}

/** UDP and TCP source ports whose payloads the probe reads as DNS answers (probe/dns/dns-packet.ts). */
const DNS_PORTS: Record<string, number[]> = { udp: [53, 5353, 5355], tcp: [53] };

function tsharkNames(frames: TsharkFrame[]): string[] {
  const s = new Set<string>();
  for (const f of frames) {
    if (f.dns === null || !(DNS_PORTS[f.transport] ?? []).includes(f.sport)) continue;
    for (const p of dnsNamePairs(f.dns)) s.add(p);
  }
  return [...s].sort();
}

function probeNames(run: ProbeRun): string[] {
  const s = new Set<string>();
  for (const e of run.events) if (e.type === 'name') s.add(`${e.rrtype} ${canonicalAddress(e.addr as string)} ${e.name}`);
  return [...s].sort();
}

/** Walks classic pcap record headers to the first record the file cannot hold: its offset, and the good records before it. */
function pcapCut(path: string): { records: number; offset: number } {
  const b = readFileSync(path);
  const le = b.readUInt32LE(0) === 0xa1b2c3d4 || b.readUInt32LE(0) === 0xa1b23c4d;
  const u32 = (o: number): number => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
  let off = 24;
  let records = 0;
  while (off + 16 <= b.length && off + 16 + u32(off + 8) <= b.length) {
    off += 16 + u32(off + 8);
    records++;
  }
  return { records, offset: off };
}

const runs = new Map<string, Promise<[ProbeRun, TsharkView]>>();

beforeAll(() => {
  const jobs = FILES.map((f) => () => Promise.all([runProbe(DIR + f), runTshark(DIR + f)]));
  pool(jobs, Math.max(2, availableParallelism())).forEach((p, i) => {
    p.catch(() => undefined);
    runs.set(FILES[i], p);
  });
});

describe('ggprobe -r against tshark, on every shared capture', () => {
  it('finds the 21 shared captures', () => {
    expect(FILES.length).toBe(21);
  });

  for (const file of FILES) {
    describe(file, () => {
      it('reads the same frames and bytes, and skips exactly the frames without IP', WAIT, async () => {
        const [probe, ts] = await runs.get(file)!;
        expect(probe.summary.packets).toBe(ts.frames.length);
        expect(probe.summary.bytes).toBe(ts.frames.reduce((n, f) => n + f.len, 0));
        expect(probe.summary.skipped).toBe(ts.frames.filter((f) => f.family === 0).length);
        expect(probe.summary.connections).toBe(probe.events.filter((e) => e.type === 'newconn').length);
        expect(probe.summary.events).toBe(probe.events.length);
        if (file !== TRUNCATED) {
          expect(probe.code).toBe(0);
          expect(ts.exitCode).toBe(0);
        }
      });

      it('gives well-formed events: each connection is NEWCONN, DATA…, one DELCONN; nothing after it', WAIT, async () => {
        const [probe] = await runs.get(file)!;
        const live = new Set<number>();
        let ended = 0;
        for (const e of probe.events) {
          const id = e.id as number;
          if (e.type === 'newconn') {
            expect(live.has(id), `id ${id} opened twice`).toBe(false);
            live.add(id);
          } else if (e.type === 'data' || e.type === 'delconn') {
            expect(live.has(id), `${e.type} of id ${id} outside its connection`).toBe(true);
            if (e.type === 'delconn') {
              live.delete(id);
              ended++;
            }
          }
        }
        expect(live.size).toBe(0);
        expect(ended).toBe(probe.summary.connections);
      });

      it('counts the same packets and bytes in each direction of every flow (DATA sums)', WAIT, async () => {
        const [probe, ts] = await runs.get(file)!;
        const ours = probeDirections(probe);
        const late = stragglers(ts.frames);
        expect(sorted(ours)).toEqual(sorted(tsharkDirections(ts.frames, late)));
        // Every IP frame but the stragglers is in some DATA event.
        const total = [...ours.values()].reduce((n, c) => n + c.pkts, 0);
        expect(total).toBe(ts.frames.filter((f) => f.family !== 0).length - late.size);
      });

      it('has the TCP and UDP conversations of tshark\'s tables (VLANs merged as tshark merges them)', WAIT, async () => {
        const [probe, ts] = await runs.get(file)!;
        const theirs = tsharkConversations(ts.conversations);
        // Stragglers are in tshark's rows, not in the probe's DATA: take them out of tshark's side.
        const late = stragglers(ts.frames);
        for (const f of ts.frames) {
          if (!late.has(f.number)) continue;
          const { key, swapped } = convKey(f.transport, `${f.src}:${f.sport}`, `${f.dst}:${f.dport}`);
          const t = theirs.get(key)!;
          if (swapped) { t.framesBA--; t.bytesBA = [t.bytesBA[0] - f.len, t.bytesBA[1] - f.len]; }
          else { t.framesAB--; t.bytesAB = [t.bytesAB[0] - f.len, t.bytesAB[1] - f.len]; }
        }
        const ours = probeConversations(probeDirections(probe));
        expect([...ours.keys()].sort()).toEqual([...theirs.keys()].sort());
        for (const [k, t] of theirs) {
          const o = ours.get(k)!;
          expect({ k, ab: o.framesAB, ba: o.framesBA }).toEqual({ k, ab: t.framesAB, ba: t.framesBA });
          expect(o.bytesAB >= t.bytesAB[0] && o.bytesAB < t.bytesAB[1], `${k} bytes A→B ${o.bytesAB} vs ${t.bytesAB}`).toBe(true);
          expect(o.bytesBA >= t.bytesBA[0] && o.bytesBA < t.bytesBA[1], `${k} bytes B→A ${o.bytesBA} vs ${t.bytesBA}`).toBe(true);
        }
        // tshark's rows come from the same frames the per-frame fields show.
        const rowFrames = ts.conversations.reduce((n, r) => n + r.framesAB + r.framesBA, 0);
        expect(rowFrames).toBe(ts.frames.filter((f) => f.transport === 'tcp' || f.transport === 'udp').length);
      });

      it('gives the DNS name → address pairs of tshark\'s answer fields', WAIT, async () => {
        const [probe, ts] = await runs.get(file)!;
        expect(probeNames(probe)).toEqual(tsharkNames(ts.frames));
      });
    });
  }
});

describe('explained differences and unusual captures', () => {
  it('truncated capture: the good records, exit 1, and an error naming the offset of the cut record', WAIT, async () => {
    const [probe, ts] = await runs.get(TRUNCATED)!;
    const cut = pcapCut(DIR + TRUNCATED);
    expect(cut.records).toBeGreaterThan(2000);
    expect(probe.summary.packets).toBe(cut.records);
    expect(ts.frames.length).toBe(cut.records);
    expect(ts.exitCode).not.toBe(0);
    expect(probe.code).toBe(1);
    expect(probe.stderr).toContain(`${DIR}${TRUNCATED}:`);
    expect(probe.stderr).toMatch(new RegExp(`offset ${cut.offset}\\b`));
    // Connections still end cleanly: every NEWCONN has its DELCONN.
    const opened = probe.events.filter((e) => e.type === 'newconn').length;
    expect(opened).toBeGreaterThan(0);
    expect(probe.events.filter((e) => e.type === 'delconn').length).toBe(opened);
  });

  it('QinQ: tshark\'s one conversation is three probe connections, one per VLAN stack, as tshark\'s frames show', WAIT, async () => {
    const [probe, ts] = await runs.get(QINQ)!;
    expect(ts.conversations.length).toBe(1);
    const stacks = new Set(ts.frames.map((f) => f.vlans.join('.')));
    expect(stacks.size).toBe(3);
    const news = probe.events.filter((e) => e.type === 'newconn');
    expect(new Set(news.map((e) => [e.vlan, e.vlan_inner].filter((v) => v !== undefined).join('.')))).toEqual(stacks);
    expect(new Set(news.map((e) => `${e.proto} ${e.src}:${e.sport} ${e.dst}:${e.dport}`)).size).toBe(1);
    expect(probe.summary.connections).toBe(3);
  });

  it('NFLOG: the IP packets inside the TLVs are tracked like any other', WAIT, async () => {
    const [probe, ts] = await runs.get(NFLOG)!;
    expect(ts.frames.every((f) => f.family === 4)).toBe(true);
    expect(probe.summary.skipped).toBe(0);
    expect(probe.summary.connections).toBe(1);
    const total = probe.events.filter((e) => e.type === 'data').reduce((n, e) => n + (e.fwd_pkts as number) + (e.rev_pkts as number), 0);
    expect(total).toBe(ts.frames.length);
  });

  it('stragglers after a TCP close: the only frames tshark counts that DATA leaves out, all bare ACKs', WAIT, async () => {
    const seen: Record<string, number> = {};
    for (const file of FILES) {
      const [, ts] = await runs.get(file)!;
      const late = stragglers(ts.frames);
      for (const f of ts.frames) if (late.has(f.number)) expect({ file, frame: f.number, flags: f.tcpFlags }).toEqual({ file, frame: f.number, flags: ACK });
      if (late.size > 0) seen[file] = late.size;
    }
    // spec/probe.md §9.2 names them: crossed FINs in one capture, a duplicated final ACK in another.
    expect(seen).toEqual({ 'pptp_bigendian.pcap': 1, 'sip_rtp_http.pcap': 10 });
  });

  it('ICMP errors quoting UDP: counted with the ICMP flow, not the quoted UDP one (tshark\'s tables agree)', WAIT, async () => {
    const [probe, ts] = await runs.get('icmp_tracert_windows.pcap')!;
    const quoting = ts.frames.filter((f) => f.protocols.endsWith(':icmp:ip:udp'));
    expect(quoting.length).toBe(1);
    expect(quoting[0].transport).toBe('icmp');
    expect(ts.conversations.filter((r) => r.proto === 'udp')).toEqual([]);
    expect(probe.events.filter((e) => e.type === 'newconn' && e.proto === 'udp')).toEqual([]);
  });
});
