/**
 * Relays for real, on loopback: three glougloud (embedded Redis each), ggrelay
 * processes, ggprobe replaying shared captures. The same replay directly,
 * through one relay and through a chain of two must leave the same links and
 * nodes in Redis, with the origin probe and its chain recorded; a relay killed
 * and restarted mid-replay recovers by itself and the loss shows in stats;
 * forged and replayed datagrams at a relay are dropped and counted; a probe
 * that goes away has its session expired; SIGHUP reloads a relay's secrets;
 * `ggprobe --relay-listen` runs a relay beside the probe, each dropping
 * privileges on its own.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parseKey } from '../../glougloud/store/keys.js';
import { encodeDatagram, type Message } from '../../protocol/index.js';
import { eventually, TestProbe } from '../helpers/probe-client.js';
import {
  addSecret, freeUdpPort, netSnapshot, printReference, probeHash, redisHash, runProbe, secretFile, startGlougloudIn, startRelay, type NetSnapshot, type NsGlougloud, type TestRelay,
} from '../helpers/relay.js';

const RICH = '../shared/pcaps/http_espn.pcapng';
const LONG = '../shared/pcaps/sip_rtp_http.pcap';
const S = { p7: 'probe-seven-secret', p8: 'probe-eight-secret', p9: 'probe-nine-secret', p11: 'probe-eleven-secret', p12: 'probe-twelve-secret',
  r100: 'relay-100-secret', r150: 'relay-150-secret', r200: 'relay-200-secret', r120: 'relay-120-secret' };

let direct: NsGlougloud;
let one: NsGlougloud;
let two: NsGlougloud;
let r100: TestRelay;
let r150: TestRelay;
let r200: TestRelay;
const started: { stop(): Promise<unknown> }[] = [];
/** Keeps what started, so that afterAll stops it even when beforeAll failed half-way. */
async function keep<T extends { stop(): Promise<unknown> }>(p: Promise<T>): Promise<T> {
  const x = await p;
  started.push(x);
  return x;
}
const dir = mkdtempSync(join(tmpdir(), 'gg-relay-it-'));
const secrets = Object.fromEntries(Object.entries(S).map(([k, v]) => [k, secretFile(dir, k, v)])) as Record<keyof typeof S, string>;

beforeAll(async () => {
  [direct, one, two] = await Promise.all([
    keep(startGlougloudIn(undefined, '127.0.0.1', { 7: S.p7 })),
    keep(startGlougloudIn(undefined, '127.0.0.1', { 100: S.r100, 11: S.p11, 120: S.r120 }, { relays: [100, 120] })),
    keep(startGlougloudIn(undefined, '127.0.0.1', { 200: S.r200 }, { relays: [150, 200] })),
  ]);
  [r100, r200] = await Promise.all([
    keep(startRelay({ id: 100, secret: S.r100, upstream: `127.0.0.1:${one.probesPort}`, probes: { 7: S.p7, 8: S.p8, 9: S.p9 }, config: { sessionTimeoutMs: 4000 } })),
    keep(startRelay({ id: 200, secret: S.r200, upstream: `127.0.0.1:${two.probesPort}`, probes: { 150: S.r150 } })),
  ]);
  r150 = await keep(startRelay({ id: 150, secret: S.r150, upstream: `127.0.0.1:${r200.port}`, probes: { 7: S.p7 } }));
  await Promise.all([r100.upstreamUp(), r200.upstreamUp(), r150.upstreamUp()]);
}, 120_000);

afterAll(async () => {
  // Relays first, so that none is left talking to a glougloud that is gone; the restarted relay 100 too.
  await Promise.allSettled([...started.filter((x) => 'upstreamUp' in x), r100].map((r) => r?.stop()));
  await Promise.allSettled(started.map((x) => x.stop()));
  for (const r of [r100, r150, r200]) r?.cleanup();
  rmSync(dir, { recursive: true, force: true });
}, 30_000);

/** JSON with object keys sorted, so that equal contents compare equal whatever the insertion order. */
const canon = (v: unknown): string => JSON.stringify(v, (_, x: unknown) =>
  (x !== null && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([p], [q]) => (p < q ? -1 : 1))) : x));
const same = (a: NetSnapshot, b: NetSnapshot): boolean => canon([a.links, a.nodes]) === canon([b.links, b.nodes]);

describe('relays between probes and glougloud', () => {
  test('a replay through one relay, and through a chain of two, leaves what a direct connection leaves, origin and chain recorded', async () => {
    const runs = [
      runProbe({ server: `127.0.0.1:${direct.probesPort}`, id: 7, secretFile: secrets.p7, pcap: RICH, realtime: 0.5 }),
      runProbe({ server: `127.0.0.1:${r100.port}`, id: 7, secretFile: secrets.p7, pcap: RICH, realtime: 0.5 }),
      runProbe({ server: `127.0.0.1:${r150.port}`, id: 7, secretFile: secrets.p7, pcap: RICH, realtime: 0.5 }),
    ];
    expect(await Promise.all(runs.map((r) => r.done))).toEqual([0, 0, 0]);
    // The probe's own account of the capture, as glougloud keys it.
    const reference = printReference(RICH);
    expect(Object.keys(reference).length).toBeGreaterThanOrEqual(10);
    let d = await netSnapshot(direct.redisUrl);
    try {
      d = await eventually(async () => {
        const s = await netSnapshot(direct.redisUrl);
        return canon(s.links) === canon(reference) && s.conns.length === 0 ? s : null;
      }, 'the direct replay in Redis', 15_000);
    } catch {
      console.error(runs.map((r) => r.logs.filter((l) => l.startsWith('ggprobe: ') || l.includes('"level":50'))));
      expect(d.links).toEqual(reference);
      expect(d.conns).toEqual([]);
    }
    expect(Object.values(d.nodes).some((n) => n.name !== undefined)).toBe(true);
    expect(Object.values(d.nodes).some((n) => n.country !== undefined)).toBe(true);
    let viaOne: NetSnapshot | null = null;
    let viaTwo: NetSnapshot | null = null;
    try {
      await eventually(async () => {
        [viaOne, viaTwo] = await Promise.all([netSnapshot(one.redisUrl), netSnapshot(two.redisUrl)]);
        return same(d, viaOne) && same(d, viaTwo);
      }, 'the relayed replays in Redis', 15_000);
    } catch {
      // Show the difference, not only that there is one.
      expect({ links: viaOne!.links, nodes: viaOne!.nodes }).toEqual({ links: d.links, nodes: d.nodes });
      expect({ links: viaTwo!.links, nodes: viaTwo!.nodes }).toEqual({ links: d.links, nodes: d.nodes });
    }
    // Private addresses stand at the origin probe's site, whichever way its events came.
    const privateNode = Object.values(viaTwo!.nodes).find((n) => n.site !== undefined);
    expect(privateNode?.site).toBe('lab');
    expect(Number(privateNode?.lat)).toBe(45.5);

    const [p7direct, p7one, p7two] = await Promise.all([probeHash(direct.redisUrl, 7), probeHash(one.redisUrl, 7), probeHash(two.redisUrl, 7)]);
    expect(p7direct.via).toBe('');
    expect(p7one).toMatchObject({ via: '100', site_name: 'lab', site_lat: '45.5', via_lost: '0', via_dropped: '0' });
    expect(p7two).toMatchObject({ via: '150>200', site_name: 'lab', via_lost: '0', via_dropped: '0' });
    // Every event each probe sent arrived, once: the probe's own count (it varies a little between real-time replays).
    const sent = runs.map((r) => Number(/, (\d+) events/.exec(r.logs.find((l) => l.startsWith('ggprobe: '))!)![1]));
    expect(Number(p7one.messages)).toBe(sent[1]);
    expect(Number(p7two.messages)).toBe(sent[2]);
    expect(sent[1]).toBeGreaterThan(100);
    // Relays are probes too: relay 150 reaches glougloud through relay 200; each reports its health.
    const [h100, h150, h200] = await Promise.all([probeHash(one.redisUrl, 100), probeHash(two.redisUrl, 150), probeHash(two.redisUrl, 200)]);
    expect(h100.via).toBe('');
    expect(Number(h100.relay_datagrams)).toBeGreaterThan(0);
    expect(h150.via).toBe('200');
    expect(Number(h150.relay_datagrams)).toBeGreaterThan(0);
    expect(Number(h200.relay_datagrams)).toBeGreaterThan(0);
  }, 60_000);

  test('a relay killed and restarted mid-replay: sessions recover by themselves, the loss is counted, nothing corrupt lands', async () => {
    const before = await netSnapshot(one.redisUrl);
    const relayBefore = await probeHash(one.redisUrl, 100);
    const run = runProbe({ server: `127.0.0.1:${r100.port}`, id: 8, secretFile: secrets.p8, pcap: LONG, realtime: 20 });
    const flowing = await eventually(async () => {
      const h = await probeHash(one.redisUrl, 8);
      return Number(h.messages) > 20 ? Number(h.messages) : null;
    }, 'probe 8 through relay 100', 15_000);
    await r100.stop('SIGKILL');
    await new Promise((r) => setTimeout(r, 1000));
    r100 = await r100.restart();
    await r100.upstreamUp();
    expect(await run.done).toBe(0);
    const summary = run.logs.find((l) => l.startsWith('ggprobe: '))!;
    const events = Number(/, (\d+) events/.exec(summary)![1]);

    // The restarted relay saw the probe's datagrams of the session it had lost, and said so.
    const relay = await eventually(async () => {
      const h = await probeHash(one.redisUrl, 100);
      return Number(h.relay_unknown_sessions) >= 1 && Number(h.established_at) > Number(relayBefore.established_at) ? h : null;
    }, 'the restart in relay 100\'s stats', 10_000);
    expect(relay.via).toBe('');
    // The probe handshook again by itself and kept sending through the new relay; what was lost is missing, nothing more.
    const p8 = await eventually(async () => {
      const h = await probeHash(one.redisUrl, 8);
      return h.via === '100' && Number(h.messages) > flowing ? h : null;
    }, 'probe 8 after the restart', 10_000);
    expect(Number(p8.messages)).toBeLessThan(events);
    const server = await netSnapshot(one.redisUrl);
    for (const k of server.keys) expect(parseKey(k) !== null || k === 'gg:0:server', k).toBe(true);
    const full = printReference(LONG);
    for (const [k, l] of Object.entries(server.links)) {
      for (const f of ['bytes_ab', 'bytes_ba', 'pkts_ab', 'pkts_ba', 'conns'] as const) {
        const added = Number(l[f]) - Number(before.links[k]?.[f] ?? 0);
        expect(added, `${k} ${f}`).toBeGreaterThanOrEqual(0);
        if (!k.includes('172.25.105.')) continue;
        expect(added, `${k} ${f}`).toBeLessThanOrEqual(Number(full[k][f]));
      }
    }
  }, 60_000);

  test('forged and replayed datagrams at a relay are dropped and counted; a probe gone has its session expired', async () => {
    const probe = new TestProbe(r100.port, 9, S.p9);
    await probe.connect();
    const conn: Message = { module: 1, type: 1, conn_id: 5, ts: 1_763_000_000_000_000, proto: 6, vlan: 0, vlan_inner: 0, sport: 40000, dport: 443, family: 4, src: '10.9.9.9', dst: '9.9.9.9' };
    const ok = probe.send([conn]);
    const redis = one.redisUrl;
    await eventually(async () => (await netSnapshot(redis)).conns.includes('gg:1:c:9:5'), 'the genuine datagram through the relay');
    const flipped = Buffer.from(ok);
    flipped[flipped.length - 20] ^= 1;
    const hostile = [
      ok, ok, ok,
      ...Array.from({ length: 4 }, () => Buffer.concat([ok.subarray(0, 8), Buffer.from([0, 0, 0, 0, 0, 0, 0x10, 0]), randomBytes(60)])),
      flipped,
      randomBytes(80),
      encodeDatagram({ version: 1, flags: 0, session_id: probe.session.sessionId, seq: 0 }, [{ ...conn, conn_id: 6, src: '10.6.6.6', dst: '6.6.6.6' }]),
    ];
    for (const h of hostile) probe.raw(h);
    const h100 = await eventually(async () => {
      const h = await probeHash(redis, 100);
      return Number(h.relay_replays) >= 3 && Number(h.relay_auth_failures) >= 5 ? h : null;
    }, 'the relay\'s drop counters upstream', 10_000);
    expect(Number(h100.relay_refused)).toBeGreaterThanOrEqual(2);
    const keys = (await netSnapshot(redis)).keys;
    expect(keys.filter((k) => k.includes('6.6.6.6') || k === 'gg:1:c:9:6')).toEqual([]);
    expect(r100.logs.some((l) => l.includes('"level":40') || l.includes('"level":50'))).toBe(false);

    // Gone without a word: the relay forgets the session after its timeout (4 s here), and says so upstream.
    probe.close();
    await eventually(() => r100.logs.some((l) => l.includes('downstream sessions expired')), 'the session to expire', 10_000);
    await eventually(async () => (await probeHash(redis, 100)).relay_sessions === '0', 'no downstream session left', 5000);
  }, 40_000);

  test('SIGHUP reloads the downstream secrets; a secret file others can read is refused', async () => {
    addSecret(r100.probesDir, 13, 'probe-thirteen-secret');
    addSecret(r100.probesDir, 14, 'probe-fourteen-secret', 0o644);
    r100.proc.kill('SIGHUP');
    await eventually(() => r100.logs.some((l) => l.includes('probe secret refused') && l.includes('"file":"14"')), 'the refusal logged');
    const p13 = new TestProbe(r100.port, 13, 'probe-thirteen-secret');
    await p13.connect();
    p13.close();
    const p14 = new TestProbe(r100.port, 14, 'probe-fourteen-secret');
    await expect(p14.connect(1500)).rejects.toThrow(/not done/);
    p14.close();
  }, 20_000);

  test('one probe id reached directly and through a relay at once is a collision: reported, not merged', async () => {
    const conn = (id: number, src: string, dst: string): Message =>
      ({ module: 1, type: 1, conn_id: id, ts: 1_763_000_000_000_000, proto: 6, vlan: 0, vlan_inner: 0, sport: 40000, dport: 443, family: 4, src, dst });
    const direct11 = new TestProbe(one.probesPort, 11, S.p11);
    await direct11.connect();
    direct11.send([conn(21, '10.11.0.1', '11.11.11.11')]);
    await eventually(async () => (await netSnapshot(one.redisUrl)).conns.includes('gg:1:c:11:21'), 'the direct probe 11');
    addSecret(r100.probesDir, 11, S.p11);
    r100.proc.kill('SIGHUP');
    await eventually(() => r100.logs.filter((l) => l.includes('probe secrets loaded')).length >= 3, 'relay 100 reloaded');
    const via11 = new TestProbe(r100.port, 11, S.p11);
    await via11.connect();
    via11.send([conn(22, '10.11.0.2', '22.22.22.22')]);
    const h = await eventually(async () => {
      const x = await probeHash(one.redisUrl, 11);
      return Number(x.collisions) >= 1 ? x : null;
    }, 'the collision counted', 10_000);
    expect(h.via).toBe('');
    const server = await eventually(async () => {
      const x = await redisHash(one.redisUrl, 'gg:0:server');
      return Number(x['drop:GG_ERR_PROBE_COLLISION']) >= 1 ? x : null;
    }, 'the collision in the server counters');
    expect(Number(server.collisions)).toBeGreaterThanOrEqual(1);
    const snap = await netSnapshot(one.redisUrl);
    expect(snap.keys.filter((k) => k.includes('22.22.22.22') || k === 'gg:1:c:11:22')).toEqual([]);
    expect(one.logs.some((l) => l.includes('"code":"GG_ERR_PROBE_COLLISION"') && l.includes('"probe":11'))).toBe(true);
    // The first owner goes on as before.
    direct11.send([conn(23, '10.11.0.3', '11.11.11.12')]);
    await eventually(async () => (await netSnapshot(one.redisUrl)).conns.includes('gg:1:c:11:23'), 'the direct probe 11 still');
    direct11.close();
    via11.close();
  }, 30_000);

  test('ggprobe --relay-listen runs a relay beside the probe, each dropping privileges on its own', async () => {
    const port = await freeUdpPort();
    const relayDir = mkdtempSync(join(tmpdir(), 'gg-relay-beside-'));
    addSecret(relayDir, 12, S.p12);
    const a = runProbe({
      server: `127.0.0.1:${one.probesPort}`, id: 11, secretFile: secrets.p11, pcap: LONG, realtime: 40,
      args: ['--relay-listen', `127.0.0.1:${port}`, '--relay-id', '120', '--relay-secret-file', secrets.r120, '--relay-probes-dir', relayDir],
    });
    await eventually(() => a.logs.some((l) => l.includes('"msg":"relay ready"')) && a.logs.some((l) => l.includes('"name":"ggrelay"') && l.includes('"msg":"session established"')), 'the relay beside probe 11', 15_000);
    const b = runProbe({ server: `127.0.0.1:${port}`, id: 12, secretFile: secrets.p12, pcap: RICH, realtime: 1 });
    expect(await b.done).toBe(0);
    expect(await a.done).toBe(0);
    const [p11, p12, h120] = await eventually(async () => {
      const h = await Promise.all([probeHash(one.redisUrl, 11), probeHash(one.redisUrl, 12), probeHash(one.redisUrl, 120)]);
      return Number(h[1].messages) > 100 ? h : null;
    }, 'both probes in Redis', 10_000);
    expect(p11.via).toBe('');
    expect(p12.via).toBe('120');
    expect(h120.via).toBe('');
    if (process.getuid?.() === 0) {
      const dropped = a.logs.filter((l) => l.includes('"msg":"privileges dropped"')).map((l) => JSON.parse(l) as { name: string; pid: number });
      expect(new Set(dropped.map((d) => d.name))).toEqual(new Set(['ggprobe', 'ggrelay']));
      expect(new Set(dropped.map((d) => d.pid)).size).toBe(2);
    }
    rmSync(relayDir, { recursive: true, force: true });
  }, 40_000);
});
