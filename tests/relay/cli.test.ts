/** ggrelay's command line, as the other daemons': --help, -n, errors exit 2 with one line naming what is wrong. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { ROOT } from '../helpers/glougloud.js';

const RELAY = join(ROOT, 'dist/relay/main.js');
const dir = mkdtempSync(join(tmpdir(), 'gg-relay-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const run = (...args: string[]) => spawnSync(process.execPath, [RELAY, ...args], { encoding: 'utf8', timeout: 20_000 });
const secret = join(dir, 'secret');
writeFileSync(secret, 'relay secret', { mode: 0o600 });

describe('ggrelay command line', () => {
  test('--help lists every option and exits 0', () => {
    const r = run('--help');
    expect(r.status).toBe(0);
    for (const o of ['-d', '-v', '-n', '-f FILE', '-l ADDR', '-p PORT', '-s HOST[:PORT]', '--id N', '--secret-file FILE', '--probes-dir DIR', '-u USER']) expect(r.stdout).toContain(o);
  });

  test('-n checks the configuration and the secret file, prints "configuration OK"', () => {
    const r = run('-n', '-s', '192.0.2.1:4430', '--id', '100', '--secret-file', secret, '--probes-dir', join(dir, 'probes'));
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('configuration OK\n');
    expect(r.status).toBe(0);
  });

  test('a bad configuration exits 2 naming the setting; a readable secret file is refused', () => {
    const missing = run('-n', '--id', '100', '--secret-file', secret);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/^ggrelay: upstream: required/);
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ upstream: 'gg:4430', id: 100, secretFile: secret, heartbeatMs: 1 }));
    const bad = run('-n', '-f', file);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/^ggrelay: heartbeatMs: /);
    const open = join(dir, 'open-secret');
    writeFileSync(open, 'relay secret', { mode: 0o644 });
    const readable = run('-n', '-s', 'gg', '--id', '1', '--secret-file', open);
    expect(readable.status).toBe(2);
    expect(readable.stderr).toMatch(/readable by group or others/);
    const unknown = run('--bogus');
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toBe('ggrelay: unknown option --bogus\n');
  });
});
