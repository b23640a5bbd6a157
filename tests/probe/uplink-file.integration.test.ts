/**
 * `ggprobe -r FILE -s SERVER` at full speed, into a real glougloud: the file
 * is read only once the session is up, the uplink keeps pace with the link,
 * and everything the probe printed lands in Redis.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { ROOT, startGlougloud, type TestGlougloud } from '../helpers/glougloud.js';
import { eventually } from '../helpers/probe-client.js';
import { netSnapshot, probeHash } from '../helpers/relay.js';

let gg: TestGlougloud;

beforeAll(async () => {
  gg = await startGlougloud({ probes: { 7: 'file-uplink-secret' } });
});
afterAll(async () => { await gg?.stop(); });

interface Ev { type: string; addr?: string; src?: string; dst?: string; fwd_bytes?: number; rev_bytes?: number }

async function runProbe(capture: string): Promise<{ events: Ev[]; summary: string }> {
  const p = spawn(process.execPath, [join(ROOT, 'dist/probe/main.js'), '-r', capture, '--print', '-s', `127.0.0.1:${gg.probesPort}`, '--id', '7',
    '--secret-file', join(gg.probesDir, '7')], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  p.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  p.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
  const code = await new Promise<number | null>((r) => p.once('exit', r));
  expect(code, err).toBe(0);
  return { events: out.trim().split('\n').map((l) => JSON.parse(l) as Ev), summary: err.trim().split('\n').at(-1)! };
}

// Thousands of connections between two hosts, then fifteen hosts; each read while the previous one's state is still in Redis.
test.each([
  ['synscan_many_flows.pcapng', 2, 1000],
  ['http_espn.pcapng', 17, 39],
])('a capture read at full speed reaches glougloud whole: every address and every byte (%s)', async (name, minAddrs, minConns) => {
  const before = await netSnapshot(gg.redisUrl);
  const { events, summary } = await runProbe(`../shared/pcaps/${name}`);
  const sent = /sent (\d+) datagrams, dropped (\d+)/.exec(summary);
  expect(sent, summary).not.toBeNull();
  expect(Number(sent![1])).toBeGreaterThan(1);
  expect(Number(sent![2])).toBe(0);
  const addrs = new Set<string>(Object.keys(before.nodes).map((k) => k.slice('gg:1:n:'.length)));
  let bytes = Object.values(before.links).reduce((n, l) => n + Number(l.bytes_ab ?? 0) + Number(l.bytes_ba ?? 0), 0);
  for (const e of events) {
    if (e.type === 'newconn') { addrs.add(e.src!); addrs.add(e.dst!); }
    // A DNS answer names an address, which makes it a node even before anyone talks to it.
    if (e.type === 'name') addrs.add(e.addr!);
    if (e.type === 'data') bytes += e.fwd_bytes! + e.rev_bytes!;
  }
  expect(addrs.size).toBeGreaterThanOrEqual(minAddrs);
  expect(events.filter((e) => e.type === 'newconn').length).toBeGreaterThanOrEqual(minConns);
  let seen = '';
  const snap = await eventually(async () => {
    const s = await netSnapshot(gg.redisUrl);
    const inRedis = Object.values(s.links).reduce((n, l) => n + Number(l.bytes_ab ?? 0) + Number(l.bytes_ba ?? 0), 0);
    seen = `${Object.keys(s.nodes).length} of ${addrs.size} addresses, ${inRedis} of ${bytes} bytes; probe: ${JSON.stringify(await probeHash(gg.redisUrl, 7))}`;
    return Object.keys(s.nodes).length === addrs.size && inRedis === bytes ? s : null;
  }, 'every address and byte of the capture in Redis', 20_000).catch((e: Error) => { throw new Error(`${e.message}: ${seen}`); });
  expect(Object.keys(snap.nodes).sort()).toEqual([...addrs].map((a) => `gg:1:n:${a}`).sort());
  const stats = await probeHash(gg.redisUrl, 7);
  expect(stats.lost).toBe('0');
  expect(Number(stats.messages)).toBeGreaterThanOrEqual(events.length);
  expect(Number(stats.decode_errors ?? 0)).toBe(0);
}, 60_000);
