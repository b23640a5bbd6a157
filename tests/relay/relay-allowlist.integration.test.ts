/**
 * glougloud takes relayed messages only from the relays it was told about
 * (`probes.relays`), with real processes on loopback: one glougloud (embedded
 * Redis) listing relay 100 only; ggrelay 100, ggrelay 300 (a probe of
 * glougloud, not listed) and ggrelay 150 behind relay 100 (not listed);
 * ggprobe replaying shared captures through each. A relay not listed, or a
 * chain holding one, gets nothing of its probes into Redis, and the refusal
 * is counted and warned once; the listed relay works; a SIGHUP with a
 * changed list lets the others in.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { eventually } from '../helpers/probe-client.js';
import {
  freeUdpPort, netSnapshot, printReference, probeHash, redisHash, runProbe, secretFile, startGlougloudIn, startRelay, type NsGlougloud, type ProbeRun, type TestRelay,
} from '../helpers/relay.js';

const RICH = '../shared/pcaps/http_espn.pcapng';
const WIKI = '../shared/pcaps/wikipedia_dns_http.pcap';
const NOT_A_RELAY = 'GG_ERR_NOT_A_RELAY';
const S = { p7: 'probe-seven-secret', p8: 'probe-eight-secret', p9: 'probe-nine-secret', r100: 'relay-100-secret', r150: 'relay-150-secret', r300: 'relay-300-secret' };

const dir = mkdtempSync(join(tmpdir(), 'gg-relay-allow-'));
const secrets = Object.fromEntries(Object.entries(S).map(([k, v]) => [k, secretFile(dir, k, v)])) as Record<keyof typeof S, string>;
const configFile = join(dir, 'glougloud.json');
let gg: NsGlougloud;
let r100: TestRelay;
let r150: TestRelay;
let r300: TestRelay;
const started: { stop(): Promise<unknown> }[] = [];
async function keep<T extends { stop(): Promise<unknown> }>(p: Promise<T>): Promise<T> {
  const x = await p;
  started.push(x);
  return x;
}

beforeAll(async () => {
  writeFileSync(configFile, JSON.stringify({ probes: { relays: [100] } }));
  // A fixed port: the SIGHUP below restarts the probes server, and the relays must find it again.
  gg = await keep(startGlougloudIn(undefined, '127.0.0.1', { 100: S.r100, 300: S.r300 }, { args: ['-f', configFile, '-p', String(await freeUdpPort())] }));
  [r100, r300] = await Promise.all([
    keep(startRelay({ id: 100, secret: S.r100, upstream: `127.0.0.1:${gg.probesPort}`, probes: { 7: S.p7, 150: S.r150 } })),
    keep(startRelay({ id: 300, secret: S.r300, upstream: `127.0.0.1:${gg.probesPort}`, probes: { 8: S.p8 } })),
  ]);
  r150 = await keep(startRelay({ id: 150, secret: S.r150, upstream: `127.0.0.1:${r100.port}`, probes: { 9: S.p9 } }));
  await Promise.all([r100.upstreamUp(), r300.upstreamUp(), r150.upstreamUp()]);
}, 120_000);

afterAll(async () => {
  await Promise.allSettled(started.filter((x) => 'upstreamUp' in x).map((r) => r.stop()));
  await Promise.allSettled(started.map((x) => x.stop()));
  for (const r of [r100, r150, r300]) r?.cleanup();
  rmSync(dir, { recursive: true, force: true });
}, 30_000);

/** How many events a finished replay says it sent. */
async function replayed(run: ProbeRun): Promise<number> {
  expect(await run.done).toBe(0);
  return Number(/, (\d+) events/.exec(run.logs.find((l) => l.startsWith('ggprobe: ')) ?? '')?.[1] ?? NaN);
}

/** The server counters once glougloud has had time for everything sent before `since` (relay flush 20 ms, tick 250 ms, stats every 1 s). */
function settledAfter(since: number): Promise<Record<string, string>> {
  return eventually(async () => {
    const h = await redisHash(gg.redisUrl, 'gg:0:server');
    return Number(h.updated) > since + 1500 ? h : null;
  }, 'the server counters after the replay', 10_000);
}

/** glougloud's NOT_A_RELAY warnings naming `id`. */
const warnings = (id: number): string[] => gg.logs.filter((l) => l.includes(`"code":"${NOT_A_RELAY}"`) && l.includes(`"probe":${id},`));

describe('glougloud accepts relayed messages only from the relays it lists', () => {
  test('a relay not in probes.relays gets nothing of its probes into Redis; the refusal is counted and warned once', async () => {
    const sent = await replayed(runProbe({ server: `127.0.0.1:${r300.port}`, id: 8, secretFile: secrets.p8, pcap: RICH, realtime: 1 }));
    expect(sent).toBeGreaterThan(100);
    const server = await settledAfter(Date.now());
    expect(Number(server[`drop:${NOT_A_RELAY}`])).toBeGreaterThanOrEqual(1);
    expect(Number(server.refused_forwards)).toBeGreaterThanOrEqual(1);
    expect(Number(server.forwards)).toBeGreaterThanOrEqual(Number(server.refused_forwards));
    const snap = await netSnapshot(gg.redisUrl);
    expect(snap.keys.filter((k) => k.startsWith('gg:1:'))).toEqual([]);
    expect(await probeHash(gg.redisUrl, 8)).toEqual({});
    // The relay is still a probe with its own session; only what it says of others (and its health as a relay) is refused.
    const h300 = await probeHash(gg.redisUrl, 300);
    expect(h300.via).toBe('');
    expect(h300.relay_datagrams).toBeUndefined();
    // Hundreds of refused envelopes and RELAY_STATS, one warning.
    const w = warnings(300);
    expect(w).toHaveLength(1);
    expect(JSON.parse(w[0])).toMatchObject({ level: 40, probe: 300, code: NOT_A_RELAY });
  }, 60_000);

  test('the listed relay works; a chain through it holding a relay not listed is refused, whatever the last relay vouches', async () => {
    const viaListed = runProbe({ server: `127.0.0.1:${r100.port}`, id: 7, secretFile: secrets.p7, pcap: RICH, realtime: 1 });
    const viaChain = runProbe({ server: `127.0.0.1:${r150.port}`, id: 9, secretFile: secrets.p9, pcap: WIKI, realtime: 4 });
    const [sent7, sent9] = await Promise.all([replayed(viaListed), replayed(viaChain)]);
    expect(sent9).toBeGreaterThan(10);
    const p7 = await eventually(async () => {
      const h = await probeHash(gg.redisUrl, 7);
      return Number(h.messages) >= sent7 ? h : null;
    }, 'probe 7 through relay 100', 10_000);
    expect(p7).toMatchObject({ via: '100', messages: String(sent7) });
    await settledAfter(Date.now());
    // Only probe 7's capture is in Redis: probe 9's would add links of its own.
    const rich = Object.keys(printReference(RICH)).sort();
    const wiki = Object.keys(printReference(WIKI));
    expect(wiki.filter((k) => !rich.includes(k)).length).toBeGreaterThan(0);
    expect(Object.keys((await netSnapshot(gg.redisUrl)).links).sort()).toEqual(rich);
    expect(await probeHash(gg.redisUrl, 9)).toEqual({});
    // Relay 150 reaches glougloud as a probe behind relay 100, but its RELAY_STATS are not believed.
    const h150 = await probeHash(gg.redisUrl, 150);
    expect(h150.via).toBe('100');
    expect(h150.relay_datagrams).toBeUndefined();
    expect(Number((await probeHash(gg.redisUrl, 100)).relay_datagrams)).toBeGreaterThan(0);
    // The warning names the relay not listed, not the one that carried its envelopes.
    expect(warnings(150)).toHaveLength(1);
    expect(warnings(100)).toHaveLength(0);
  }, 60_000);

  test('SIGHUP with a changed probes.relays restarts the probes server with the new list; the relays come back and get in', async () => {
    const upstreamSessions = (r: TestRelay) => r.logs.filter((l) => l.includes('"msg":"session established"')).length;
    const before = { r100: upstreamSessions(r100), r300: upstreamSessions(r300) };
    writeFileSync(configFile, JSON.stringify({ probes: { relays: [100, 150, 300] } }));
    gg.proc.kill('SIGHUP');
    await eventually(() => gg.logs.some((l) => l.includes('probes server ready') && l.includes('"relays":[100,150,300]')), 'the probes server with the new list', 20_000);
    await eventually(() => upstreamSessions(r100) > before.r100 && upstreamSessions(r300) > before.r300, 'relays 100 and 300 again upstream', 20_000);
    const [sent8, sent9] = await Promise.all([
      replayed(runProbe({ server: `127.0.0.1:${r300.port}`, id: 8, secretFile: secrets.p8, pcap: RICH, realtime: 1 })),
      replayed(runProbe({ server: `127.0.0.1:${r150.port}`, id: 9, secretFile: secrets.p9, pcap: WIKI, realtime: 4 })),
    ]);
    const [p8, p9] = await eventually(async () => {
      const h = await Promise.all([probeHash(gg.redisUrl, 8), probeHash(gg.redisUrl, 9)]);
      return Number(h[0].messages) >= sent8 && Number(h[1].messages) >= sent9 ? h : null;
    }, 'probes 8 and 9 in Redis', 10_000);
    expect(p8).toMatchObject({ via: '300', messages: String(sent8) });
    expect(p9).toMatchObject({ via: '150>100', messages: String(sent9) });
    const wiki = Object.keys(printReference(WIKI));
    const links = Object.keys((await netSnapshot(gg.redisUrl)).links);
    expect(wiki.filter((k) => !links.includes(k))).toEqual([]);
    await eventually(async () => Number((await probeHash(gg.redisUrl, 150)).relay_datagrams) > 0, 'relay 150\'s health believed', 5000);
  }, 60_000);
});
