/**
 * ggprobe --trace for real: three network namespaces, A (the probe) — R (a
 * router) — B (the destination), on separate subnets for IPv4 and IPv6. A
 * ping from A to B makes a new connection; the probe's own UDP traceroute
 * toward B must come back from its capture as a TRACE [R, B], while neither
 * its datagrams nor the ICMP errors they cause show up as connections.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ROOT } from '../../helpers/glougloud.js';
import { canUseNetns, ip, NetnsLab, NETNS_SKIP_REASON } from '../../helpers/netns.js';

const A4 = '198.18.20.1';
const R4A = '198.18.20.254';
const R4B = '198.18.21.254';
const B4 = '198.18.21.2';
const A6 = 'fd00:20::1';
const R6A = 'fd00:20::fe';
const R6B = 'fd00:21::fe';
const B6 = 'fd00:21::2';
const FIRST_PORT = 33434;

interface Event {
  type: string;
  proto?: string;
  src?: string;
  dst?: string;
  sport?: number;
  dport?: number;
  hops?: { ttl: number; addr: string | null; rtt_ms: number | null }[];
}

/** Runs the probe in ns with extra arguments while act() makes traffic; returns its events and stderr. */
async function runProbe(ns: string, iface: string, extra: string[], act: () => void): Promise<{ events: Event[]; err: string }> {
  const probe = spawn('ip', ['netns', 'exec', ns, process.execPath, join(ROOT, 'dist/probe/main.js'), '-i', iface, '--print', '--trace', '-u', 'nobody', ...extra],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  probe.stdout.on('data', (d) => { out += d; });
  probe.stderr.on('data', (d) => { err += d; });
  const exited = new Promise((r) => probe.once('exit', r));
  try {
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`probe did not start capturing:\n${err}`)), 10_000);
      const check = (): void => { if (err.includes('capturing')) { clearTimeout(t); resolve(); } };
      probe.stderr.on('data', check);
      probe.once('exit', () => { clearTimeout(t); reject(new Error(`probe exited:\n${err}`)); });
    });
    act();
    // Two hops answer in well under a millisecond here; the rest is slack for a loaded machine.
    await new Promise((r) => setTimeout(r, 1500));
  } finally {
    probe.kill('SIGTERM');
    await exited;
  }
  return { events: out.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Event), err };
}

/**
 * Connections that are the tracer's datagrams or the ICMP errors they caused
 * (time exceeded; also unreachable when nothing else made one).
 */
function ownConnections(events: Event[], unreachables: boolean): Event[] {
  const errors4 = unreachables ? [3, 11] : [11];
  const errors6 = unreachables ? [1, 3] : [3];
  return events.filter((e) => e.type === 'newconn' && (
    (e.proto === 'udp' && e.dport! >= FIRST_PORT && e.dport! < FIRST_PORT + 30) ||
    (e.proto === 'icmp' && errors4.includes(e.dport! >> 8)) ||
    (e.proto === 'icmp6' && errors6.includes(e.dport! >> 8))));
}

/** The last info log line with msg 'traceroutes' (the tracer's counters at shutdown). */
function tracerCounters(err: string): Record<string, number> & { offers: Record<string, number> } {
  const line = err.split('\n').filter((l) => l.includes('"msg":"traceroutes"')).pop();
  expect(line, err).toBeDefined();
  return JSON.parse(line!) as Record<string, number> & { offers: Record<string, number> };
}

describe.skipIf(!canUseNetns)(`ggprobe --trace in network namespaces (${canUseNetns ? 'root' : `skipped: ${NETNS_SKIP_REASON}`})`, () => {
  const lab = new NetnsLab();
  let a = '';
  let ifA = '';

  beforeAll(() => {
    a = lab.add('a');
    const r = lab.add('r');
    const b = lab.add('b');
    // No duplicate address detection: addresses are usable at once.
    for (const ns of [a, r, b]) lab.exec(ns, 'sysctl', '-qw', 'net.ipv6.conf.default.accept_dad=0', 'net.ipv6.conf.all.accept_dad=0');
    // R forwards; R and B answer every probe (ICMP errors are rate-limited by default).
    lab.exec(r, 'sysctl', '-qw', 'net.ipv4.ip_forward=1', 'net.ipv6.conf.all.forwarding=1');
    for (const ns of [r, b]) lab.exec(ns, 'sysctl', '-qw', 'net.ipv4.icmp_ratelimit=0', 'net.ipv6.icmp.ratelimit=0');
    let ifRa: string;
    let ifRb: string;
    let ifB: string;
    [ifA, ifRa] = lab.link(a, `${A4}/24`, r, `${R4A}/24`);
    [ifRb, ifB] = lab.link(r, `${R4B}/24`, b, `${B4}/24`);
    ip('-n', a, 'addr', 'add', `${A6}/64`, 'dev', ifA, 'nodad');
    ip('-n', r, 'addr', 'add', `${R6A}/64`, 'dev', ifRa, 'nodad');
    ip('-n', r, 'addr', 'add', `${R6B}/64`, 'dev', ifRb, 'nodad');
    ip('-n', b, 'addr', 'add', `${B6}/64`, 'dev', ifB, 'nodad');
    ip('-n', a, 'route', 'add', '198.18.21.0/24', 'via', R4A);
    ip('-n', b, 'route', 'add', '198.18.20.0/24', 'via', R4B);
    ip('-n', a, '-6', 'route', 'add', 'fd00:21::/64', 'via', R6A);
    ip('-n', b, '-6', 'route', 'add', 'fd00:20::/64', 'via', R6B);
    // Neighbours resolved before the probe starts, so its first datagrams are not held back.
    lab.exec(a, 'ping', '-c', '1', '-W', '2', B4);
    lab.exec(a, 'ping', '-6', '-c', '1', '-W', '2', B6);
  });
  afterAll(() => lab.cleanup());

  test('traces new destinations of both families through a user capture filter, and reports none of its own packets as connections', async () => {
    // The filter lets only pings through: the tracer's datagrams reach the matcher through what the probe adds to it.
    const { events, err } = await runProbe(a, ifA, ['-f', 'icmp or icmp6'], () => {
      lab.exec(a, 'ping', '-c', '2', '-i', '0.2', '-W', '1', B4);
      lab.exec(a, 'ping', '-6', '-c', '2', '-i', '0.2', '-W', '1', B6);
    });
    const text = events.map((e) => JSON.stringify(e)).join('\n');
    const t4 = events.find((e) => e.type === 'trace' && e.dst === B4);
    expect(t4, `${text}\n${err}`).toBeDefined();
    expect(t4!.hops!.map((h) => [h.ttl, h.addr])).toEqual([[1, R4A], [2, B4]]);
    for (const h of t4!.hops!) expect(h.rtt_ms).toBeGreaterThanOrEqual(0);
    const t6 = events.find((e) => e.type === 'trace' && e.dst === B6);
    expect(t6, `${text}\n${err}`).toBeDefined();
    expect(t6!.hops!.map((h) => [h.ttl, h.addr])).toEqual([[1, R6A], [2, B6]]);
    for (const h of t6!.hops!) expect(h.rtt_ms).toBeGreaterThanOrEqual(0);

    // The pings are reported; the tracer's datagrams and the errors they caused are not.
    expect(events.some((e) => e.type === 'newconn' && e.proto === 'icmp' && e.src === A4 && e.dst === B4)).toBe(true);
    expect(events.some((e) => e.type === 'newconn' && e.proto === 'icmp6' && e.src === A6 && e.dst === B6)).toBe(true);
    expect(ownConnections(events, true)).toEqual([]);

    // B answered at TTL 2: its traceroute stopped long before 30 datagrams.
    const n = tracerCounters(err);
    expect(n.stoppedEarly).toBeGreaterThanOrEqual(2);
    expect(n.ownTrace).toBeGreaterThanOrEqual(8); // 2 × (2 datagrams + 2 answers) at least
    expect(n.datagrams).toBeLessThan(n.started * 30);
  }, 30_000);

  test('without a capture filter, a UDP connection is traced once and the tracer stays out of the connections', async () => {
    const { events, err } = await runProbe(a, ifA, [], () => {
      // Two new connections to the same destination: one traceroute.
      lab.exec(a, process.execPath, '-e', `
        const s = require('dgram').createSocket('udp4');
        s.send(Buffer.alloc(10), 9, '${B4}', () => s.send(Buffer.alloc(10), 10, '${B4}', () => s.close()));`);
    });
    const text = events.map((e) => JSON.stringify(e)).join('\n');
    const traces = events.filter((e) => e.type === 'trace' && e.dst === B4);
    expect(traces.length, `${text}\n${err}`).toBe(1);
    expect(traces[0].hops!.map((h) => [h.ttl, h.addr])).toEqual([[1, R4A], [2, B4]]);
    expect(events.filter((e) => e.type === 'newconn' && e.proto === 'udp' && e.dst === B4).map((e) => e.dport)).toEqual([9, 10]);
    // B's port unreachables for ports 9 and 10 make an ICMP connection of their own (one flow per type), so only time exceeded is checked.
    expect(ownConnections(events, false)).toEqual([]);
    const n = tracerCounters(err);
    expect(n.started).toBe(1);
    expect(n.offers.recent).toBeGreaterThanOrEqual(1);
  }, 30_000);
});
