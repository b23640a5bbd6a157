/**
 * Relays and probes for integration suites, as real processes: ggrelay with
 * its own temp dir and downstream secrets, ggprobe replaying a capture, a
 * glougloud started inside a network namespace, and what a replay leaves in
 * Redis, read back in a form two topologies can be compared by.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from 'redis';
import { ROOT } from './glougloud.js';

const isRoot = process.getuid?.() === 0;
const NOBODY = 65534;

/** Runs under `ip netns exec NS` when a namespace is given. */
function command(ns: string | undefined, args: string[]): [string, string[]] {
  return ns ? ['ip', ['netns', 'exec', ns, process.execPath, ...args]] : [process.execPath, args];
}

/** Collects a child's stderr lines. */
function lines(proc: ChildProcess): string[] {
  const out: string[] = [];
  let partial = '';
  proc.stderr!.on('data', (d: Buffer) => {
    const l = (partial + d.toString()).split('\n');
    partial = l.pop() ?? '';
    out.push(...l);
  });
  return out;
}

/** A secret file for the process reading it as root before dropping privileges (mode 600). */
export function secretFile(dir: string, name: string, secret: string): string {
  const f = join(dir, name);
  writeFileSync(f, secret, { mode: 0o600 });
  chmodSync(f, 0o600);
  return f;
}

/** Writes a downstream probe secret into a secrets directory, readable by the unprivileged user the daemon runs as. */
export function addSecret(probesDir: string, id: number, secret: string, mode = 0o600): string {
  const f = join(probesDir, String(id));
  writeFileSync(f, secret, { mode });
  chmodSync(f, mode);
  if (isRoot) chownSync(f, NOBODY, NOBODY);
  return f;
}

/** A running relay. */
export interface TestRelay {
  proc: ChildProcess;
  port: number;
  dir: string;
  probesDir: string;
  logs: string[];
  /** Resolves once the relay's upstream session is established. */
  upstreamUp(timeoutMs?: number): Promise<void>;
  /** SIGTERM (or the given signal) and wait; the temp dir stays until cleanup(). */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /** Starts the same relay again, same port and secrets (after a stop or a kill). */
  restart(): Promise<TestRelay>;
  cleanup(): void;
}

/** How to start a relay: its id and secret upstream, where upstream is, the probes it accepts. */
export interface TestRelayOptions {
  id: number;
  secret: string;
  upstream: string;
  probes?: Record<number, string>;
  ns?: string;
  listen?: string;
  port?: number;
  config?: object;
  args?: string[];
}

/** Starts ggrelay and resolves once it listens (its port reported over IPC). */
export async function startRelay(o: TestRelayOptions, reuse?: { dir: string; probesDir: string }): Promise<TestRelay> {
  const dir = reuse?.dir ?? mkdtempSync(join(tmpdir(), 'gg-relay-'));
  chmodSync(dir, 0o755);
  const probesDir = reuse?.probesDir ?? join(dir, 'probes');
  if (!reuse) {
    mkdirSync(probesDir, { mode: 0o700 });
    for (const [id, s] of Object.entries(o.probes ?? {})) addSecret(probesDir, Number(id), s);
  }
  const secret = secretFile(dir, 'relay.secret', o.secret);
  const args = [join(ROOT, 'dist/relay/main.js'), '-d', '-l', o.listen ?? '127.0.0.1', '-p', String(o.port ?? 0),
    '-s', o.upstream, '--id', String(o.id), '--secret-file', secret, '--probes-dir', probesDir];
  if (isRoot) args.push('-u', 'nobody');
  if (o.config) args.push('-f', secretFile(dir, 'ggrelay.json', JSON.stringify(o.config)));
  args.push(...(o.args ?? []));
  const [cmd, argv] = command(o.ns, args);
  const proc = spawn(cmd, argv, { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
  const logs = lines(proc);
  const port = await new Promise<number>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`relay ${o.id} not ready in 10 s:\n${logs.join('\n')}`)), 10_000);
    proc.on('message', (m: { type?: string; port?: number }) => { if (m.type === 'ready' && m.port) { clearTimeout(t); resolve(m.port); } });
    proc.once('exit', (code) => { clearTimeout(t); reject(new Error(`relay ${o.id} exited ${code}:\n${logs.join('\n')}`)); });
  });
  const relay: TestRelay = {
    proc, port, dir, probesDir, logs,
    async upstreamUp(timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      while (!logs.some((l) => l.includes('"msg":"session established"'))) {
        if (Date.now() > deadline) throw new Error(`relay ${o.id}: no upstream session:\n${logs.join('\n')}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async stop(signal = 'SIGTERM') {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill(signal);
        await new Promise((r) => proc.once('exit', r));
      }
      return proc.exitCode;
    },
    restart: () => startRelay({ ...o, port }, { dir, probesDir }),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
  return relay;
}

/** A ggprobe run. */
export interface ProbeRun { proc: ChildProcess; logs: string[]; done: Promise<number | null> }

/** Starts ggprobe replaying a capture to `server` (HOST:PORT). */
export function runProbe(o: { server: string; id: number; secretFile: string; pcap: string; realtime?: number; ns?: string; site?: string; args?: string[] }): ProbeRun {
  const args = [join(ROOT, 'dist/probe/main.js'), '-d', '-r', o.pcap, '-s', o.server, '--id', String(o.id), '--secret-file', o.secretFile,
    '--site-name', o.site ?? 'lab', '--site-lat', '45.5', '--site-lng', '-73.6'];
  if (o.realtime !== undefined) args.push('--realtime', String(o.realtime));
  if (isRoot) args.push('-u', 'nobody');
  args.push(...(o.args ?? []));
  const [cmd, argv] = command(o.ns, args);
  const proc = spawn(cmd, argv, { stdio: ['ignore', 'ignore', 'pipe'], cwd: ROOT });
  const logs = lines(proc);
  const done = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  return { proc, logs, done };
}

/** What the probe's NDJSON says a direct connection would leave: links (as glougloud keys them) and their counts. */
export function printReference(pcap: string): Record<string, Record<string, string>> {
  const r = spawnSync(process.execPath, [join(ROOT, 'dist/probe/main.js'), '-r', pcap, '--print', ...(isRoot ? ['-u', 'nobody'] : [])], { encoding: 'utf8', cwd: ROOT, maxBuffer: 64 << 20 });
  const conns = new Map<number, { src: string; dst: string }>();
  const links: Record<string, Record<string, number>> = {};
  const link = (x: string, y: string) => {
    const key = x < y ? `gg:1:l:${x}|${y}` : `gg:1:l:${y}|${x}`;
    return (links[key] ??= { conns: 0, bytes_ab: 0, pkts_ab: 0, bytes_ba: 0, pkts_ba: 0, live: 0 });
  };
  for (const line of r.stdout.split('\n')) {
    if (!line) continue;
    const e = JSON.parse(line) as Record<string, number & string>;
    if (e.type === 'newconn') { conns.set(e.id, { src: e.src, dst: e.dst }); link(e.src, e.dst).conns++; }
    if (e.type === 'data') {
      const c = conns.get(e.id)!;
      const l = link(c.src, c.dst);
      const ab = c.src < c.dst;
      l[ab ? 'bytes_ab' : 'bytes_ba'] += e.fwd_bytes; l[ab ? 'pkts_ab' : 'pkts_ba'] += e.fwd_pkts;
      l[ab ? 'bytes_ba' : 'bytes_ab'] += e.rev_bytes; l[ab ? 'pkts_ba' : 'pkts_ab'] += e.rev_pkts;
    }
  }
  return Object.fromEntries(Object.entries(links).map(([k, v]) => [k, Object.fromEntries(Object.entries(v).map(([f, n]) => [f, String(n)]))]));
}

/** Fields of a link and of a node that a replay determines (times, rates and TTLs left out). */
const LINK_FIELDS = ['conns', 'bytes_ab', 'pkts_ab', 'bytes_ba', 'pkts_ba', 'live'];
const NODE_FIELDS = ['bytes_in', 'bytes_out', 'pkts_in', 'pkts_out', 'scope', 'lat', 'lng', 'site', 'country', 'city', 'asn', 'as_org', 'name', 'rrtype', 'names'];

/** The network part of a glougloud's Redis: every link and node with their replay-determined fields, every connection key. */
export interface NetSnapshot { links: Record<string, Record<string, string>>; nodes: Record<string, Record<string, string>>; conns: string[]; keys: string[] }

/** Reads the live state back from a Redis. */
export async function netSnapshot(url: string): Promise<NetSnapshot> {
  const c = createClient({ url });
  await c.connect();
  try {
    const keys = (await c.keys('gg:*')).sort();
    const pick = async (k: string, fields: string[]) => {
      const h = await c.hGetAll(k) as Record<string, string>;
      return Object.fromEntries(fields.filter((f) => h[f] !== undefined).map((f) => [f, h[f]]));
    };
    const links: NetSnapshot['links'] = {};
    const nodes: NetSnapshot['nodes'] = {};
    for (const k of keys) {
      if (k.startsWith('gg:1:l:')) links[k] = await pick(k, LINK_FIELDS);
      if (k.startsWith('gg:1:n:')) nodes[k] = await pick(k, NODE_FIELDS);
    }
    return { links, nodes, conns: keys.filter((k) => k.startsWith('gg:1:c:')), keys };
  } finally {
    await c.quit();
  }
}

/** One hash of a Redis. */
export async function redisHash(url: string, key: string): Promise<Record<string, string>> {
  const c = createClient({ url });
  await c.connect();
  try {
    return await c.hGetAll(key) as Record<string, string>;
  } finally {
    await c.quit();
  }
}

/** A probe's (or relay's) stats hash. */
export function probeHash(url: string, id: number): Promise<Record<string, string>> {
  return redisHash(url, `gg:0:probe:${id}`);
}

/** A glougloud for relay suites: in a network namespace or not, and patient with a busy machine when several start at once. */
export interface NsGlougloud { proc: ChildProcess; probesPort: number; redisUrl: string; logs: string[]; probesDir: string; stop(): Promise<void> }

/** What else a relay suite's glougloud gets: the ids it lets relay (`--relays`; none when absent), extra command-line words. */
export interface NsGlougloudOptions { relays?: readonly number[]; args?: string[] }

/** Starts glougloud (inside `ns` when given), its probes server on `listen`, with these probe (and relay) secrets. */
export async function startGlougloudIn(ns: string | undefined, listen: string, probes: Record<number, string>, o: NsGlougloudOptions = {}): Promise<NsGlougloud> {
  const dir = mkdtempSync(join(tmpdir(), 'gg-ns-'));
  chmodSync(dir, 0o755);
  const probesDir = join(dir, 'probes');
  mkdirSync(probesDir, { mode: 0o700 });
  for (const [id, s] of Object.entries(probes)) addSecret(probesDir, Number(id), s);
  const [cmd, argv] = command(ns, [join(ROOT, 'dist/glougloud/main.js'), '-d', '-p', '0', '-P', '0', '-l', listen,
    '--probes-dir', probesDir, '--state-dir', join(dir, 'state'), '--runtime-dir', join(dir, 'run'), ...(isRoot ? ['-u', 'nobody'] : []),
    ...(o.relays ? ['--relays', o.relays.join(',')] : []), ...(o.args ?? [])]);
  const proc = spawn(cmd, argv, { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
  const logs = lines(proc);
  const probesPort = await new Promise<number>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`glougloud not ready in 60 s:\n${logs.join('\n')}`)), 60_000);
    proc.on('message', (m: { type?: string; probesPort?: number }) => { if (m.type === 'ready' && m.probesPort) { clearTimeout(t); resolve(m.probesPort); } });
    proc.once('exit', (code) => { clearTimeout(t); reject(new Error(`glougloud exited ${code}:\n${logs.join('\n')}`)); });
  });
  return {
    proc, probesPort, logs, probesDir, redisUrl: `unix://${join(dir, 'run', 'redis.sock')}`,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGTERM');
        await new Promise((r) => proc.once('exit', r));
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A UDP port free right now on loopback. */
export async function freeUdpPort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const { port } = s.address();
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}
