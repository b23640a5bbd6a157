/**
 * The viz server for real: glougloud with its embedded Redis, a real ggprobe
 * simulating traffic, real WebSocket clients. Snapshots equal what Redis
 * holds, diffs keep every client equal to a fresh snapshot (whatever its
 * filters and grouping, and across configuration changes), and a Redis
 * restart makes every client resync to the reloaded state.
 */
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Message } from '../../../protocol/index.js';
import type { TestGlougloud } from '../../helpers/glougloud.js';
import { eventually, TestProbe } from '../../helpers/probe-client.js';
import { converges, PASSWORD, readSource, startSimProbe, startVizGlougloud, stopChild } from './harness.js';
import { TestVizClient } from './viz-client.js';

let gg: TestGlougloud;
const clients: TestVizClient[] = [];

async function client(config: object): Promise<TestVizClient> {
  const c = new TestVizClient(gg.vizPort);
  clients.push(c);
  expect((await c.login(PASSWORD)).type).toBe('auth-ok');
  const answer = await c.configure(config);
  expect(answer.type).toBe('snapshot');
  return c;
}

beforeAll(async () => {
  gg = await startVizGlougloud({ probes: { 1: 'sim-secret-1', 2: 'test-secret-2' } });
}, 60_000);

afterAll(async () => {
  for (const c of clients) c.close();
  const code = await gg?.stop();
  expect(code).toBe(0);
});

const CONFIGS = {
  all: {},
  prefix: { grouping: 'prefix', maxNodes: 40 },
  lan: { include: ['10.0.0.0/8', '192.168.0.0/16', '172.16.0.0/12'], protocols: ['tcp'], ports: [443] },
  country: { grouping: 'country', minBytes: 1000 },
  asn: { grouping: 'asn', maxEdges: 25, paths: false },
};

describe('viz stream', () => {
  test('clients with different views stay equal to a fresh snapshot while a simulated probe runs', async () => {
    const all = await client(CONFIGS.all);
    expect(all.replica.state.nodes.size).toBe(0);
    const probe = startSimProbe(gg, 1, 2000);
    try {
      await all.next((m) => m.type === 'diff' && (m.nodes as { add: unknown[] }).add.length > 0, 'first nodes');
      // Others join mid-stream: their snapshot is the state at that moment.
      const prefix = await client(CONFIGS.prefix);
      const lan = await client(CONFIGS.lan);
      await new Promise((r) => setTimeout(r, 1000));
      const country = await client(CONFIGS.country);
      const asn = await client(CONFIGS.asn);
      // A configuration change is answered with a diff, not a reload.
      const from = all.messages.length;
      const answer = await all.configure(CONFIGS.asn);
      expect(answer).toMatchObject({ type: 'diff', reason: 'config' });
      expect(all.messages.slice(from).some((m) => m.type === 'snapshot')).toBe(false);
      await new Promise((r) => setTimeout(r, 500));
      expect((await all.configure(CONFIGS.all))).toMatchObject({ type: 'diff', reason: 'config' });
      await new Promise((r) => setTimeout(r, 1500));
      await stopChild(probe);
      for (const [c, cfg] of [[all, CONFIGS.all], [prefix, CONFIGS.prefix], [lan, CONFIGS.lan], [country, CONFIGS.country], [asn, CONFIGS.asn]] as const) {
        await converges(gg, c, cfg);
        expect(c.problems).toEqual([]);
        expect(c.binaryFrames).toBe(0);
      }
      // What the filters promise, checked on the result.
      const s = all.replica.state;
      expect(s.nodes.size).toBeGreaterThan(20);
      expect([...s.edges.values()].some((e) => e.attributes.kind === 'link')).toBe(true);
      expect([...prefix.replica.state.nodes.keys()].every((k) => /\/(24|64)$/.test(k))).toBe(true);
      expect(prefix.replica.state.nodes.size).toBeLessThanOrEqual(40);
      const inLan = (a: string) => /^(10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.)/.test(a);
      for (const e of lan.replica.state.edges.values()) expect(inLan(e.source) || inLan(e.target)).toBe(true);
      expect([...country.replica.state.nodes.keys()].some((k) => k.startsWith('country:'))).toBe(true);
      expect(asn.replica.state.edges.size).toBeLessThanOrEqual(25);
      expect([...asn.replica.state.edges.values()].every((e) => e.attributes.kind === 'link')).toBe(true);
      // Probe health travels as its own message.
      const probes = all.messages.filter((m) => m.type === 'probes').at(-1) as unknown as { probes: { id: number; messages: number }[] };
      expect(probes.probes.find((p) => p.id === 1)?.messages).toBeGreaterThan(0);
    } finally {
      await stopChild(probe);
    }
  }, 90_000);

  test('a snapshot equals what Redis holds, element by element', async () => {
    const fresh = await client(CONFIGS.all);
    const source = await readSource(gg.redisUrl);
    await converges(gg, fresh, CONFIGS.all);
    // Every node key in Redis is a node; every link key an undirected edge.
    for (const id of source.nodes.keys()) expect(fresh.replica.state.nodes.has(id)).toBe(true);
    for (const e of source.edges.values()) {
      if (e.kind === 'link') expect(fresh.replica.state.edges.get(`${e.a}|${e.b}`)?.attributes.bytes).toBe(e.bytesAB + e.bytesBA);
    }
  }, 60_000);

  test('Redis restarted: every client gets the diff to the reloaded state', async () => {
    const watcher = clients[0];
    const from = watcher.messages.length;
    const pids = execFileSync('pgrep', ['-f', `${gg.dir}.*redis|redis-server.*${gg.dir}`], { encoding: 'utf8' }).trim().split('\n').map(Number).filter(Boolean);
    expect(pids.length).toBeGreaterThanOrEqual(1);
    for (const p of pids) process.kill(p, 'SIGKILL');
    await watcher.next((m) => m.type === 'notice' && m.code === 'GG_VIZ_RESYNC', 'resync notice', from, 30_000);
    const resync = watcher.messages.slice(from).find((m) => m.type === 'diff' && m.reason === 'resync') as unknown as { nodes: { remove: string[] } };
    // The restarted Redis lost what it had (no snapshot was due): the clients are told to drop it.
    expect(resync.nodes.remove.length).toBeGreaterThan(0);
    await converges(gg, watcher, CONFIGS.all);
    // New traffic after the restart reaches every client, consistently.
    const probe = new TestProbe(gg.probesPort, 2, 'test-secret-2');
    await probe.connect();
    const T0 = 1_763_000_000_000_000;
    const msgs: Message[] = [];
    for (let i = 1; i <= 20; i++) {
      msgs.push({ module: 1, type: 1, conn_id: i, ts: T0, proto: 6, vlan: 0, vlan_inner: 0, sport: 40000 + i, dport: 443, family: 4, src: '10.77.0.1', dst: `198.51.100.${i}` });
      msgs.push({ module: 1, type: 3, conn_id: i, ts: T0 + 1000, interval_us: 1000, fwd_pkts: 1, fwd_bytes: 100 * i, rev_pkts: 1, rev_bytes: 1000 * i });
    }
    probe.send(msgs);
    await eventually(() => watcher.replica.state.nodes.has('198.51.100.20'), 'new traffic after the restart', 20_000);
    probe.close();
    for (const [i, cfg] of Object.values(CONFIGS).entries()) {
      if (clients[i]) { await converges(gg, clients[i], i === 0 ? CONFIGS.all : cfg); expect(clients[i].problems).toEqual([]); }
    }
  }, 90_000);
});
