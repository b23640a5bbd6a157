/**
 * Live capture for real: two hosts in network namespaces the test creates,
 * ggprobe capturing on one end of their veth link (as root, then dropping to
 * nobody), bounded traffic between them, events and the kernel's capture
 * counters checked.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ROOT } from '../helpers/glougloud.js';
import { canUseNetns, NetnsLab, NETNS_SKIP_REASON } from '../helpers/netns.js';

describe.skipIf(!canUseNetns)(`live capture in network namespaces (${canUseNetns ? 'root' : `skipped: ${NETNS_SKIP_REASON}`})`, () => {
  const lab = new NetnsLab();
  let a = '';
  let b = '';
  let ifA = '';

  beforeAll(() => {
    a = lab.add('a');
    b = lab.add('b');
    [ifA] = lab.link(a, '198.18.7.1/24', b, '198.18.7.2/24');
  });
  afterAll(() => lab.cleanup());

  test('captures a namespace\'s traffic, drops root, and reports connections and bytes', async () => {
    const probe = spawn('ip', ['netns', 'exec', a, process.execPath, join(ROOT, 'dist/probe/main.js'), '-i', ifA, '-f', 'udp or icmp', '--print', '-u', 'nobody'],
      { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    probe.stdout.on('data', (d) => { out += d; });
    probe.stderr.on('data', (d) => { err += d; });
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`probe did not start capturing:\n${err}`)), 10_000);
      const check = () => { if (err.includes('capturing')) { clearTimeout(t); resolve(); } };
      probe.stderr.on('data', check);
    });
    // Root is gone once the capture is open.
    const status = readFileSync(`/proc/${await childPid(probe.pid!)}/status`, 'utf8');
    expect(status).toMatch(/^Uid:\s+65534\s+65534\s+65534\s+65534/m);

    // 5 pings and 20 UDP datagrams of 100 bytes, bounded.
    lab.exec(a, 'ping', '-c', '5', '-i', '0.2', '-W', '1', '198.18.7.2');
    lab.exec(a, process.execPath, '-e', `
      const s = require('dgram').createSocket('udp4');
      let n = 0;
      s.bind(41000, () => { const t = setInterval(() => { const last = ++n === 20; if (last) clearInterval(t); s.send(Buffer.alloc(100), 9, '198.18.7.2', () => { if (last) s.close(); }); }, 10); });`);
    await new Promise((r) => setTimeout(r, 500));
    probe.kill('SIGTERM');
    await new Promise((r) => probe.once('exit', r));

    const events = out.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
    const udp = events.find((e) => e.type === 'newconn' && e.proto === 'udp' && e.sport === 41000 && e.dport === 9);
    expect(udp, out).toBeDefined();
    expect(udp.src).toBe('198.18.7.1');
    const sum = (id: number, f: string) => events.filter((e) => e.type === 'data' && e.id === id).reduce((s, e) => s + e[f], 0);
    expect(sum(udp.id, 'fwd_pkts')).toBe(20);
    expect(sum(udp.id, 'fwd_bytes')).toBe(20 * (14 + 20 + 8 + 100));
    const icmp = events.find((e) => e.type === 'newconn' && e.proto === 'icmp');
    expect(icmp).toBeDefined();
    expect(sum(icmp.id, 'fwd_pkts')).toBe(5);
    expect(sum(icmp.id, 'rev_pkts')).toBe(5);
    // Shutdown ends every connection.
    const ended = new Set(events.filter((e) => e.type === 'delconn').map((e) => e.id));
    expect(ended.has(udp.id) && ended.has(icmp.id)).toBe(true);
    expect(err).toMatch(/\d+ packets/);

    // The kernel's counters (probe/native): at least the 10 ICMP and 20 UDP
    // packets sent, at least what reached the pipeline, and nothing dropped.
    const summary = /ggprobe: (\d+) packets, .*kernel received (\d+), dropped (\d+)/.exec(err);
    expect(summary, err).not.toBeNull();
    const [, piped, received, dropped] = summary!.map(Number);
    expect(received).toBeGreaterThanOrEqual(30);
    expect(received).toBeGreaterThanOrEqual(piped);
    expect(dropped).toBe(0);
  }, 60_000);
});

/** The node process under `ip netns exec` (ip execs it, so it is usually the same pid). */
async function childPid(pid: number): Promise<number> {
  try {
    const kids = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
    return kids ? Number(kids.split(' ')[0]) : pid;
  } catch {
    return pid;
  }
}
