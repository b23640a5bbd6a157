/**
 * The built ggprobe with --resolve, reading a shared capture and asking a
 * real DNS server on 127.0.0.1: NAME events (rrtype 12) for exactly the
 * addresses the server names, none for NXDOMAIN or a hostile answer, one
 * query per address and none for addresses no resolver can name, names
 * stamped with the last packet's time, the rate limit seen from the server's
 * side, the end-of-file grace, and the option errors.
 */
import { spawn, spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPtrServer, type PtrServer } from '../../helpers/dns-server.js';
import { reverseAddress, runTshark, type TsharkView } from '../../helpers/tshark.js';

const PROBE = 'dist/probe/main.js';
const CAPTURE = '../shared/pcaps/wikipedia_dns_http.pcap';

/** The reverse name of an IPv4 address. */
const rev4 = (a: string): string => `${a.split('.').reverse().join('.')}.in-addr.arpa`;

/** What the server answers: two sane names (one in upper case with the trailing dot), one hostile. */
const NAMED: Record<string, string> = {
  '141.142.220.118': 'Client-118.Lab.Example.',
  '208.80.152.2': 'rr.pmtpa.wikimedia.org',
};
const HOSTILE: Record<string, string> = { '208.80.152.118': 'evil "name', };

/**
 * Addresses no resolver can name as one host, by the rule of spec/probe.md:
 * 0/8, link-local, multicast, 240/4 and broadcast, ::, IPv4-mapped.
 */
function nameable(a: string): boolean {
  if (a.includes(':')) return a !== '::' && !/^(ff|fe[89ab])/i.test(a) && !/^::ffff:/i.test(a);
  const [x, y] = a.split('.').map(Number);
  return x !== 0 && x < 224 && !(x === 169 && y === 254);
}

interface Run { code: number; stdout: string; stderr: string; ms: number }

function ggprobe(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const p = spawn(process.execPath, [PROBE, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    p.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    p.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr, ms: performance.now() - t0 }));
  });
}

type Event = { type: string; ts: number; addr?: string; name?: string; rrtype?: number };
const events = (r: Run): Event[] => r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Event);

/** The most lookups any window of the run saw beyond what rate and burst allow (≤ 0 when within). */
function worstExcess(times: number[], rate: number, burst: number): number {
  let worst = -Infinity;
  for (let i = 0; i < times.length; i++) {
    for (let j = i; j < times.length; j++) worst = Math.max(worst, j - i + 1 - (burst + (rate * (times[j] - times[i])) / 1000));
  }
  return worst;
}

let server: PtrServer;
let view: TsharkView;
/** The capture's addresses worth a lookup, from tshark. */
let expected: Set<string>;
let lastPacketUs = 0;

beforeAll(async () => {
  const table: Record<string, string> = {};
  for (const [a, n] of Object.entries({ ...NAMED, ...HOSTILE })) table[rev4(a)] = n;
  server = await startPtrServer(table);
  view = await runTshark(CAPTURE);
  const all = new Set<string>();
  for (const f of view.frames) {
    if (f.family === 0) continue;
    all.add(f.src);
    all.add(f.dst);
    lastPacketUs = Math.max(lastPacketUs, f.micros);
  }
  expected = new Set([...all].filter(nameable));
  // The capture holds what the rule must leave out, or the test proves nothing about it.
  expect(all.size - expected.size).toBeGreaterThanOrEqual(4);
  for (const a of Object.keys({ ...NAMED, ...HOSTILE })) expect(expected).toContain(a);
});

afterAll(async () => {
  await server?.close();
});

/** Addresses the server was asked about since query index `from`, in arrival order. */
function askedSince(from: number): { addr: string | null; qtype: number; atMs: number }[] {
  return server.queries.slice(from).map((q) => ({ addr: reverseAddress(q.name), qtype: q.qtype, atMs: q.atMs }));
}

describe('ggprobe --resolve', { timeout: 60_000 }, () => {
  it('names exactly the addresses the server names, once each, stamped with the last packet time', async () => {
    const from = server.queries.length;
    const r = await ggprobe(['-r', CAPTURE, '--print', '--resolve', '--resolve-server', `127.0.0.1:${server.port}`]);
    expect(r.code).toBe(0);
    const asked = askedSince(from);
    expect(asked.every((q) => q.qtype === 12)).toBe(true);
    // Every nameable address of the capture, each exactly once, and nothing else.
    expect(asked.map((q) => q.addr).sort()).toEqual([...expected].sort());
    const ptr = events(r).filter((e) => e.type === 'name' && e.rrtype === 12);
    expect(ptr.map((e) => [e.addr, e.name]).sort()).toEqual(
      Object.entries(NAMED).map(([a, n]) => [a, n.toLowerCase().replace(/\.$/, '')]).sort(),
    );
    for (const e of ptr) expect(Math.round(e.ts * 1e6)).toBe(lastPacketUs);
    // The passive names are still there, unchanged.
    expect(events(r).filter((e) => e.type === 'name' && e.rrtype === 1)).toHaveLength(2);
    const summary = r.stderr.split('\n').find((l) => l.startsWith('ggprobe: ') && l.includes('packets'));
    expect(summary).toContain(`reverse DNS: ${expected.size} lookups (${Object.keys(NAMED).length} named, ${expected.size - Object.keys(NAMED).length} failed), 0 unfinished`);
    expect(summary).toMatch(/\(\d+ data, 4 names,/);
  });

  it('keeps to --resolve-rate, and gives up what the end-of-file grace cannot reach', async () => {
    const rate = 2;
    const from = server.queries.length;
    const r = await ggprobe(['-r', CAPTURE, '--print', '--resolve', '--resolve-rate', String(rate), '--resolve-server', `127.0.0.1:${server.port}`]);
    expect(r.code).toBe(0);
    const asked = askedSince(from);
    // A burst of one second's worth, then `rate` a second; 1 of slack for timer and scheduling jitter.
    expect(asked.length).toBeGreaterThanOrEqual(rate);
    expect(worstExcess(asked.map((q) => q.atMs), rate, rate)).toBeLessThanOrEqual(1);
    // The 2 s grace covers about rate × 3 lookups, not all of them.
    expect(asked.length).toBeLessThan(expected.size);
    expect(new Set(asked.map((q) => q.addr)).size).toBe(asked.length);
    for (const q of asked) expect(expected).toContain(q.addr);
    expect(r.ms).toBeLessThan(15_000);
    // The summary accounts for every address: looked up (named or failed, or cut off in flight at exit) or still queued.
    const m = /reverse DNS: (\d+) lookups \((\d+) named, (\d+) failed\), (\d+) unfinished/.exec(r.stderr);
    expect(m).not.toBeNull();
    const [lookups, named, failed, unfinished] = m!.slice(1).map(Number);
    expect(lookups).toBe(asked.length);
    expect(named + failed + unfinished).toBe(expected.size);
    expect(unfinished).toBeGreaterThan(0);
    expect(events(r).filter((e) => e.type === 'name' && e.rrtype === 12)).toHaveLength(named);
  });

  it('refuses bad --resolve options with exit 2 and a message naming the option', () => {
    const check = (...args: string[]) => spawnSync(process.execPath, [PROBE, '-n', '-r', CAPTURE, '--print', ...args], { encoding: 'utf8', timeout: 20_000 });
    for (const [args, names] of [
      [['--resolve', '--resolve-rate', '0'], '--resolve-rate'],
      [['--resolve', '--resolve-rate', 'lots'], '--resolve-rate'],
      [['--resolve', '--resolve-rate', '-5'], '--resolve-rate'],
      [['--resolve-rate', '5'], '--resolve'],
      [['--resolve-server', '127.0.0.1'], '--resolve'],
      [['--resolve', '--resolve-server', 'dns.example.net'], '--resolve-server'],
      [['--resolve', '--resolve-server', '127.0.0.1:99999'], '--resolve-server'],
    ] as [string[], string][]) {
      const r = check(...args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/^ggprobe: /);
      expect(r.stderr).toContain(names);
      expect(r.stdout).toBe('');
    }
    const sim = spawnSync(process.execPath, [PROBE, '-n', '--simulate', '--print', '--resolve'], { encoding: 'utf8', timeout: 20_000 });
    expect(sim.status).toBe(2);
    expect(sim.stderr).toContain('--resolve');
    for (const ok of [['--resolve'], ['--resolve', '--resolve-rate', '0.5', '--resolve-server', '[::1]:5353'], ['--resolve', '--resolve-server', '192.0.2.53']]) {
      const r = check(...ok);
      expect(r.status, ok.join(' ')).toBe(0);
      expect(r.stdout).toBe('configuration OK\n');
    }
  });
});
