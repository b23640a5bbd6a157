/**
 * The built ggprobe command line: help, usage errors (exit 2), the -n
 * configuration check, refused secrets, unreadable captures (exit 1), and the
 * summary line a file run ends with.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const PROBE = 'dist/probe/main.js';
const CAPTURE = '../shared/pcaps/dns_a_aaaa_mx.pcap';
const dir = mkdtempSync(join(tmpdir(), 'ggprobe-cli-'));
// Run as root, the probe reads the file after dropping privileges: let any user read what it is given here.
chmodSync(dir, 0o755);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function ggprobe(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [PROBE, ...args], { encoding: 'utf8', timeout: 20_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** The messages ggprobe itself wrote on stderr (log records are JSON lines). */
const messages = (stderr: string): string[] => stderr.split('\n').filter((l) => l.startsWith('ggprobe: '));

// Each test starts the probe once or a few times; a loaded machine makes that slow.
describe('ggprobe command line', { timeout: 60_000 }, () => {
  it('--help prints the usage and every option, and exits 0', () => {
    const r = ggprobe('--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^usage: ggprobe /);
    for (const opt of ['-r FILE', '--print', '-s HOST[:PORT]', '--secret-file FILE', '--max-conns N', '-n']) expect(r.stdout).toContain(opt);
    expect(r.stderr).toBe('');
  });

  it('an unknown option exits 2 with one message naming it', () => {
    const r = ggprobe('--no-such-option', '-r', CAPTURE, '--print');
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(messages(r.stderr)).toHaveLength(1);
    expect(r.stderr).toContain('--no-such-option');
  });

  it('an option without its value, or a bad number, exits 2', () => {
    expect(ggprobe('-r').code).toBe(2);
    const r = ggprobe('-r', CAPTURE, '--print', '--max-conns', 'lots');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--max-conns');
  });

  it('-n checks the configuration, prints "configuration OK" and reads nothing', () => {
    const r = ggprobe('-n', '-r', CAPTURE, '--print');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('configuration OK\n');
    // The capture is not read: no summary line.
    expect(r.stderr).not.toMatch(/packets/);
  });

  it('-n still refuses a bad configuration (exit 2)', () => {
    expect(ggprobe('-n', '-r', CAPTURE).code).toBe(2);
    expect(ggprobe('-n', '-r', CAPTURE, '-i', 'lo', '--print').code).toBe(2);
  });

  it('no output (neither --print nor -s) is a usage error naming both', () => {
    const r = ggprobe('-r', CAPTURE);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('--print');
    expect(r.stderr).toContain('-s HOST');
  });

  it('-s without --id or --secret-file is a usage error', () => {
    expect(ggprobe('-r', CAPTURE, '-s', '127.0.0.1').code).toBe(2);
    expect(ggprobe('-r', CAPTURE, '-s', '127.0.0.1', '--id', '1').code).toBe(2);
  });

  it('refuses a secret file others can read (mode 644), before reading any packet', () => {
    const secret = join(dir, 'secret-644');
    writeFileSync(secret, 'a secret of some length\n');
    chmodSync(secret, 0o644);
    const r = ggprobe('-r', CAPTURE, '--print', '-s', '127.0.0.1:9', '--id', '1', '--secret-file', secret);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(secret);
    expect(r.stderr).toContain('644');
  });

  it('a missing secret file is refused too', () => {
    const r = ggprobe('-r', CAPTURE, '--print', '-s', '127.0.0.1:9', '--id', '1', '--secret-file', join(dir, 'absent'));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('ENOENT');
  });

  it('-r on a file that is not a capture: exit 1, naming the file and the offset', () => {
    const notCapture = join(dir, 'not-a-capture.txt');
    writeFileSync(notCapture, 'plain text of some length, certainly not a capture\n', { mode: 0o644 });
    const r = ggprobe('-r', notCapture, '--print');
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    const [error] = messages(r.stderr);
    expect(error.startsWith(`ggprobe: ${notCapture}: `)).toBe(true);
    expect(error).toMatch(/offset 0\b/);
    expect(error).toMatch(/pcap/); // says what it expected; opening worked
    expect(error).not.toMatch(/EACCES|ENOENT/);
    expect(r.stderr).not.toMatch(/\n\s+at /); // an error value, not a stack trace
  });

  it('-r on an empty or missing file: exit 1, naming the file', () => {
    const empty = join(dir, 'empty.pcap');
    writeFileSync(empty, '', { mode: 0o644 });
    for (const path of [empty, join(dir, 'absent.pcap')]) {
      const r = ggprobe('-r', path, '--print');
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`${path}:`);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it('a file run ends with one summary line on stderr; stdout holds only NDJSON events', () => {
    const r = ggprobe('-r', CAPTURE, '--print');
    expect(r.code).toBe(0);
    const summary = messages(r.stderr);
    expect(summary).toHaveLength(1);
    const m = /^ggprobe: (\d+) packets, (\d+) bytes, (\d+) skipped, (\d+) connections, (\d+) events \(.*\), (\d+\.\d+) s, (\d+) packets\/s/.exec(summary[0]);
    expect(m).not.toBeNull();
    const [, packets, bytes, skipped, connections, events] = m!.map(Number);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string });
    expect(packets).toBe(6);
    expect(bytes).toBeGreaterThan(0);
    expect(skipped).toBe(0);
    expect(connections).toBe(lines.filter((e) => e.type === 'newconn').length);
    expect(events).toBe(lines.length);
    expect(new Set(lines.map((e) => e.type))).toEqual(new Set(['newconn', 'data', 'delconn', 'name']));
  });
});
