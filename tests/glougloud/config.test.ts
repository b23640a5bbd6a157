/**
 * glougloud's configuration: defaults ← file ← command line, and errors that
 * name the setting at fault. Here mostly `probes.relays` / `--relays`, the
 * probe ids allowed to relay.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { defaultConfig, resolveConfig, validateConfig } from '../../glougloud/config.js';
import { ROOT } from '../helpers/glougloud.js';

const dir = mkdtempSync(join(tmpdir(), 'gg-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const file = (content: unknown): string => {
  const f = join(dir, `glougloud-${files++}.json`);
  writeFileSync(f, typeof content === 'string' ? content : JSON.stringify(content));
  return f;
};
const relays = (r: ReturnType<typeof resolveConfig>): number[] | string => (r.ok ? r.config.probes.relays : r.error);
const error = (r: ReturnType<typeof resolveConfig>): string => (r.ok ? 'ok' : r.error);

describe('probes.relays', () => {
  test('no relaying unless told: the default list is empty, and a fresh one each time', () => {
    expect(relays(resolveConfig(false, undefined, {}))).toEqual([]);
    const a = defaultConfig(false);
    a.probes.relays.push(100);
    expect(defaultConfig(false).probes.relays).toEqual([]);
  });

  test('from the file, replaced by --relays (comma-separated, spaces allowed), emptied by --relays ""', () => {
    const f = file({ probes: { relays: [100, 200] } });
    expect(relays(resolveConfig(false, f, {}))).toEqual([100, 200]);
    expect(relays(resolveConfig(false, f, { relays: '150, 4294967295' }))).toEqual([150, 4294967295]);
    expect(relays(resolveConfig(false, f, { relays: '' }))).toEqual([]);
    expect(relays(resolveConfig(false, undefined, { relays: '7' }))).toEqual([7]);
  });

  test('anything but an array of probe ids is refused, naming the setting', () => {
    for (const bad of ['100', 100, {}, null, [0], [-1], [1.5], ['100'], [4294967296], Array.from({ length: 1025 }, (_, i) => i + 1)]) {
      expect(error(resolveConfig(false, file({ probes: { relays: bad } }), {})), JSON.stringify(bad).slice(0, 20)).toMatch(/(^|: )probes\.relays: /);
    }
    expect(error(resolveConfig(false, undefined, { relays: '100,abc' }))).toBe('--relays: not a probe id: abc');
    expect(error(resolveConfig(false, undefined, { relays: '100;200' }))).toBe('--relays: not a probe id: 100;200');
    expect(error(resolveConfig(false, undefined, { relays: '0' }))).toMatch(/^probes\.relays: /);
    expect(error(resolveConfig(false, undefined, { relays: '4294967296' }))).toMatch(/^probes\.relays: /);
    // A misspelt key is an unknown setting, not a silently empty list.
    expect(error(resolveConfig(false, file({ probes: { relay: [100] } }), {}))).toMatch(/: probes\.relay: unknown setting$/);
  });

  test('validateConfig checks a configuration built in code too', () => {
    const c = defaultConfig(false);
    c.probes.relays = [1, 2, 3];
    expect(validateConfig(c)).toEqual({ ok: true });
    c.probes.relays = [1, 0];
    expect(validateConfig(c)).toMatchObject({ ok: false, error: expect.stringMatching(/^probes\.relays: /) });
  });

  test('the command line: -n accepts --relays, a bad one exits 2 with one line naming it; --help lists it', () => {
    const run = (...args: string[]) => spawnSync(process.execPath, [join(ROOT, 'dist/glougloud/main.js'), '-u', 'nobody', ...args], { encoding: 'utf8', timeout: 20_000 });
    const ok = run('-n', '--relays', '100,200');
    expect(ok.stderr).toBe('');
    expect(ok.stdout).toBe('configuration OK\n');
    expect(ok.status).toBe(0);
    const bad = run('-n', '--relays', 'relay-a');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toBe('glougloud: --relays: not a probe id: relay-a\n');
    expect(run('--help').stdout).toContain('--relays IDS');
  });
});
