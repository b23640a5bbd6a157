/**
 * The built ggprobe's live-capture command line in network namespaces the
 * test creates: -D lists what the namespace holds, as tcpdump -D does, and
 * --stats-interval logs the kernel's capture counters on time while events
 * reach stdout as they happen.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ROOT } from '../helpers/glougloud.js';
import { canUseNetns, ip, NetnsLab, NETNS_SKIP_REASON } from '../helpers/netns.js';

const PROBE = join(ROOT, 'dist/probe/main.js');

/** `-D` lines: number, name, and whether libpcap gave a description (its pseudo-devices have one, netdevs none). */
function parseList(text: string): { n: number; name: string; described: boolean }[] {
  return text.trim().split('\n').map((line) => {
    const m = /^(\d+)\.(\S+)( \()?/.exec(line);
    expect(m, line).not.toBeNull();
    return { n: Number(m![1]), name: m![2], described: m![3] !== undefined };
  });
}

/** Interface names `ip -o link` shows (without the @peer suffix). */
const links = (...netnsArgs: string[]): string[] =>
  ip(...netnsArgs, '-o', 'link', 'show').trim().split('\n').map((l) => l.split(': ')[1].split('@')[0]);

/** Resolves once `ready()` holds, checked on each output of the child; rejects after `ms` or when the child exits first. */
function until(child: ChildProcess, ready: () => boolean, ms: number, what: () => string): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (err?: Error): void => {
      clearTimeout(timer);
      child.stdout?.off('data', check);
      child.stderr?.off('data', check);
      child.off('exit', exited);
      if (err) reject(err); else resolve();
    };
    const check = (): void => { if (ready()) done(); };
    const exited = (): void => done(new Error(`probe exited early:\n${what()}`));
    const timer = setTimeout(() => done(new Error(`not ready after ${ms} ms:\n${what()}`)), ms);
    child.stdout?.on('data', check);
    child.stderr?.on('data', check);
    child.on('exit', exited);
    check();
  });
}

describe.skipIf(!canUseNetns)(`ggprobe live command line in network namespaces (${canUseNetns ? 'root' : `skipped: ${NETNS_SKIP_REASON}`})`, () => {
  const lab = new NetnsLab();
  let a = '';
  let b = '';
  let ifA = '';

  beforeAll(() => {
    a = lab.add('a');
    b = lab.add('b');
    [ifA] = lab.link(a, '198.18.9.1/24', b, '198.18.9.2/24');
  });
  afterAll(() => lab.cleanup());

  test('-D lists the namespace\'s interfaces, numbered, in the order and with the names tcpdump -D gives', () => {
    const r = spawnSync('ip', ['netns', 'exec', a, process.execPath, PROBE, '-D'], { encoding: 'utf8', timeout: 20_000 });
    expect(r.status, r.stderr).toBe(0);
    const listed = parseList(r.stdout);
    expect(listed.map((d) => d.n)).toEqual(listed.map((_, i) => i + 1));
    // Network devices (no description): exactly the namespace's lo and the test's veth end.
    expect(listed.filter((d) => !d.described).map((d) => d.name).sort()).toEqual(['lo', ifA].sort());
    expect(links('-n', a).sort()).toEqual(['lo', ifA].sort());
    // Nothing from outside the namespace.
    for (const outside of links().filter((n) => n !== 'lo')) expect(listed.map((d) => d.name)).not.toContain(outside);
    // Same devices, same numbers, as tcpdump -D in the same namespace (both ask libpcap).
    const tcpdump = spawnSync('ip', ['netns', 'exec', a, 'tcpdump', '-D'], { encoding: 'utf8', timeout: 20_000 });
    if (tcpdump.status === 0) expect(listed.map((d) => `${d.n}.${d.name}`)).toEqual(parseList(tcpdump.stdout).map((d) => `${d.n}.${d.name}`));
    expect(r.stdout).toMatch(/^\d+\.lo\b.*\{PCAP_IF_LOOPBACK\}$/m);
  });

  test('--stats-interval 1 logs growing received/dropped counters each second; events show up while capturing', async () => {
    const probe = spawn('ip', ['netns', 'exec', a, process.execPath, PROBE, '-i', ifA, '-f', 'icmp', '-B', '8192', '--print', '--stats-interval', '1', '-u', 'nobody'],
      { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    probe.stdout!.on('data', (d) => { out += d; });
    probe.stderr!.on('data', (d) => { err += d; });
    const show = (): string => `stdout:\n${out}\nstderr:\n${err}`;
    let ping: ChildProcess | null = null;
    try {
      await until(probe, () => err.includes('"capturing"'), 15_000, show);
      // Bounded traffic: 25 pings 0.2 s apart (5 s at most), stopped once enough was seen.
      ping = spawn('ip', ['netns', 'exec', a, 'ping', '-c', '25', '-i', '0.2', '-W', '1', '198.18.9.2'], { stdio: 'ignore' });
      const periodic = (): { time: number; received: number; dropped: number }[] => err.split('\n')
        .filter((l) => l.includes('"capture statistics"')).map((l) => JSON.parse(l));
      // The ICMP flow's NEWCONN is on stdout before the probe stops: a live --print is not held back until exit.
      await until(probe, () => periodic().length >= 3 && /"type":"newconn".*"proto":"icmp"/.test(out), 20_000, show);
      ping.kill('SIGTERM');
      probe.kill('SIGTERM');
      await new Promise((r) => probe.once('close', r));
      const lines = periodic();
      expect(lines.length).toBeGreaterThanOrEqual(3);
      // About a second apart (a lower bound, with room for timer slack), counters never going back, received growing.
      for (let i = 1; i < lines.length; i++) {
        expect(lines[i].time - lines[i - 1].time).toBeGreaterThanOrEqual(900);
        expect(lines[i].received).toBeGreaterThanOrEqual(lines[i - 1].received);
        expect(lines[i].dropped).toBeGreaterThanOrEqual(lines[i - 1].dropped);
      }
      expect(lines[lines.length - 1].received).toBeGreaterThan(lines[0].received);
      for (const l of lines) expect(Number.isInteger(l.dropped) && l.dropped >= 0).toBe(true);
      // The summary's totals are at least the last periodic ones.
      const summary = /kernel received (\d+), dropped (\d+)/.exec(err);
      expect(summary, err).not.toBeNull();
      expect(Number(summary![1])).toBeGreaterThanOrEqual(lines[lines.length - 1].received);
    } finally {
      ping?.kill('SIGKILL');
      probe.kill('SIGKILL');
    }
  }, 60_000);
});
