/**
 * The viz server for real: glougloud with its embedded Redis, a real ggprobe
 * simulating traffic, real WebSocket clients. Snapshots equal what Redis
 * holds, diffs keep every client equal to a fresh snapshot (whatever its
 * filters and grouping, and across configuration changes), deleted and
 * expired keys become removals, path keys hop chains, the metrics count what
 * happens, and a lost subscriber or a Redis restart makes every client
 * resync to the reloaded state.
 */
import { execFileSync } from 'node:child_process';
import { createClient } from 'redis';
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

/** One sample of a metric (first line of the family, or with the given labels). */
async function metric(name: string, labels = ''): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${gg.vizPort}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `) || (!labels && l.startsWith(`${name}{`)));
  return line ? Number(line.split(' ').at(-1)) : Number.NaN;
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
      // The metrics follow: the probe and its rate (two status readings apart), ticks, diffs and what was sent.
      await eventually(async () => (await metric('gg_viz_probe_events_per_second')) > 0, 'events per second in /metrics', 15_000);
      expect(await metric('gg_viz_probes')).toBe(1);
      expect(await metric('gg_viz_probe_lost_datagrams')).toBeGreaterThanOrEqual(0);
      expect(await metric('gg_viz_ticks_total')).toBeGreaterThan(5);
      expect(await metric('gg_viz_diff_ops_total')).toBeGreaterThan(0);
      expect(await metric('gg_viz_sent_bytes_total', '{type="diff"}')).toBeGreaterThan(0);
      expect(await metric('gg_viz_clients', '{state="authenticated"}')).toBe(1);
      expect(await metric('gg_viz_slow_clients')).toBe(0);
      // Notifications are coalesced per tick: a key changed many times in a tick is read once.
      const notified = await metric('gg_viz_notifications_total'), read = await metric('gg_viz_dirty_keys_total');
      expect(read).toBeGreaterThan(0);
      expect(read).toBeLessThan(notified);
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

  test('keys written, deleted and expired in Redis: nodes, links, hop chains, then removals; a lost subscriber reloads', async () => {
    const lab = await client({ include: ['198.18.0.0/15'] });
    const r = createClient({ url: gg.redisUrl });
    r.on('error', () => undefined);
    await r.connect();
    try {
      const t = String(Date.now());
      const node = { first: t, last: t, bytes_in: '1000', bytes_out: '2000', 'p:1': t };
      await r.hSet('gg:1:n:198.18.0.1', node);
      await r.hSet('gg:1:l:198.18.0.1|198.18.0.2', { first: t, last: t, bytes_ab: '10', bytes_ba: '20', bps: '8', conns: '1', live: '1' });
      const hops = [{ ttl: 1, addr: '198.18.0.1', rtt_us: 100 }, { ttl: 2, addr: null, rtt_us: null }, { ttl: 3, addr: '198.18.0.5', rtt_us: 300 }, { ttl: 4, addr: '198.18.0.9', rtt_us: 400 }];
      await r.hSet('gg:1:p:1:198.18.0.9', { probe: '1', dst: '198.18.0.9', ts: t, seen: t, hops: JSON.stringify(hops) });
      const s = lab.replica.state;
      await eventually(() => s.edges.has('198.18.0.5>198.18.0.9'), 'the hop chain', 10_000);
      expect([...s.nodes.keys()].sort()).toEqual(['198.18.0.1', '198.18.0.2', '198.18.0.5', '198.18.0.9']);
      expect([...s.edges.keys()].sort()).toEqual(['198.18.0.1>198.18.0.5', '198.18.0.1|198.18.0.2', '198.18.0.5>198.18.0.9']);
      expect(s.edges.get('198.18.0.1|198.18.0.2')).toMatchObject({ undirected: true, attributes: { kind: 'link', bytes: 30 } });
      expect(s.edges.get('198.18.0.1>198.18.0.5')).toMatchObject({ undirected: false, attributes: { kind: 'hop', paths: 1 } });
      // Expired and deleted keys become removals (the link's stub end goes with it).
      const from = lab.messages.length;
      await r.pExpire('gg:1:l:198.18.0.1|198.18.0.2', 200);
      await r.del('gg:1:p:1:198.18.0.9');
      await eventually(() => s.edges.size === 0 && s.nodes.size === 1, 'removals', 10_000);
      const removed = lab.messages.slice(from).filter((m) => m.type === 'diff').flatMap((m) => [...(m.edges as { remove: string[] }).remove, ...(m.nodes as { remove: string[] }).remove]);
      expect(removed.sort()).toEqual(['198.18.0.1>198.18.0.5', '198.18.0.1|198.18.0.2', '198.18.0.2', '198.18.0.5', '198.18.0.5>198.18.0.9', '198.18.0.9']);
      await r.del('gg:1:n:198.18.0.1');
      await eventually(() => s.nodes.size === 0, 'the node removed', 10_000);
      // The subscriber is cut, and a key is written before it can come back: its notification is lost, the reload finds it.
      const before = lab.messages.length, resyncs = await metric('gg_viz_resyncs_total');
      await r.multi().addCommand(['CLIENT', 'KILL', 'TYPE', 'pubsub']).hSet('gg:1:n:198.18.0.3', node).exec();
      const resync = await lab.next((m) => m.type === 'diff' && m.reason === 'resync', 'the resync diff', before, 15_000);
      expect((resync.nodes as { add: { key: string }[] }).add.map((n) => n.key)).toEqual(['198.18.0.3']);
      await lab.next((m) => m.type === 'notice' && m.code === 'GG_VIZ_RESYNC', 'resync notice', before);
      expect(await metric('gg_viz_resyncs_total')).toBe(resyncs + 1);
      await r.del('gg:1:n:198.18.0.3');
      await eventually(() => s.nodes.size === 0, 'the node removed after the resync', 10_000);
      expect(lab.problems).toEqual([]);
    } finally {
      r.destroy();
    }
  }, 60_000);

  test('Redis restarted: every client gets the diff to the reloaded state', async () => {
    const watcher = clients[0];
    const from = watcher.messages.length;
    const pids = execFileSync('pgrep', ['-f', `${gg.dir}.*redis|redis-server.*${gg.dir}`], { encoding: 'utf8' }).trim().split('\n').map(Number).filter(Boolean);
    expect(pids.length).toBeGreaterThanOrEqual(1);
    for (const p of pids) process.kill(p, 'SIGKILL');
    const counts = clients.map((c) => c.messages.length);
    await watcher.next((m) => m.type === 'notice' && m.code === 'GG_VIZ_RESYNC', 'resync notice', from, 30_000);
    for (const [i, c] of clients.entries()) await c.next((m) => m.type === 'notice' && m.code === 'GG_VIZ_RESYNC', `resync notice to client ${i}`, counts[i], 30_000);
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
