import { describe, expect, test } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mergeSettings, mergeSettingsFile, parseHostPort, type SettingRule } from '../../../protocol/edge/settings.js';

const defaults = () => ({ port: 4430, name: 'gg', tls: { cert: null as string | null }, nested: { deep: { on: false } } });

describe('mergeSettings', () => {
  test('merges known keys, recursively', () => {
    const base = defaults();
    expect(mergeSettings(base, { port: 1, tls: { cert: '/c.pem' }, nested: { deep: { on: true } } })).toEqual({ ok: true });
    expect(base).toEqual({ port: 1, name: 'gg', tls: { cert: '/c.pem' }, nested: { deep: { on: true } } });
  });

  test.each([
    [{ prot: 1 }, 'prot: unknown setting'],
    [{ nested: { deep: { of: 1 } } }, 'nested.deep.of: unknown setting'],
    [{ port: '4430' }, 'port: expected a number, got "4430"'],
    [{ tls: { cert: 3 } }, 'tls.cert: expected a string or null, got 3'],
    [{ tls: 'x' }, 'tls: expected an object'],
    [[1], 'configuration: expected an object'],
    [null, 'configuration: expected an object'],
  ])('refuses %j, naming the key', (patch, error) => {
    expect(mergeSettings(defaults(), patch)).toEqual({ ok: false, error });
  });

  test('a daemon rule handles its keys first, at any depth, and passes the rest on', () => {
    const rule: SettingRule = (k, v, at, base) => {
      if (k !== 'on') return undefined;
      if (v === 'yes') { base[k] = true; return { ok: true }; }
      return typeof v === 'boolean' ? undefined : { ok: false, error: `${at}: yes or a boolean` };
    };
    const base = defaults();
    expect(mergeSettings(base, { nested: { deep: { on: 'yes' } } }, '', rule)).toEqual({ ok: true });
    expect(base.nested.deep.on).toBe(true);
    expect(mergeSettings(base, { nested: { deep: { on: 2 } } }, '', rule)).toEqual({ ok: false, error: 'nested.deep.on: yes or a boolean' });
    expect(mergeSettings(base, { port: 'x' }, '', rule).ok).toBe(false);
  });
});

describe('mergeSettingsFile', () => {
  test('merges a file, and names the file in every error', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gg-settings-'));
    try {
      const good = join(dir, 'good.json'), badJson = join(dir, 'bad.json'), badKey = join(dir, 'key.json');
      writeFileSync(good, '{"port": 9}');
      writeFileSync(badJson, '{"port": ');
      writeFileSync(badKey, '{"nested": {"x": 1}}');
      const base = defaults();
      expect(mergeSettingsFile(base, good)).toEqual({ ok: true });
      expect(base.port).toBe(9);
      expect(mergeSettingsFile(defaults(), badKey)).toEqual({ ok: false, error: `${badKey}: nested.x: unknown setting` });
      const r = mergeSettingsFile(defaults(), badJson);
      expect(r.ok === false && r.error.startsWith(`${badJson}: `)).toBe(true);
      const missing = mergeSettingsFile(defaults(), join(dir, 'none.json'));
      expect(missing.ok === false && missing.error.includes('ENOENT')).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('parseHostPort', () => {
  test.each([
    ['gg.example', { ok: true, host: 'gg.example', port: 4430 }],
    ['10.0.0.1:99', { ok: true, host: '10.0.0.1', port: 99 }],
    ['[2001:db8::1]:99', { ok: true, host: '2001:db8::1', port: 99 }],
    ['2001:db8::1', { ok: true, host: '2001:db8::1', port: 4430 }],
    ['h:0', { ok: false, error: 'not HOST[:PORT]: h:0' }],
    ['h:65536', { ok: false, error: 'not HOST[:PORT]: h:65536' }],
    [':80', { ok: false, error: 'not HOST[:PORT]: :80' }],
  ])('%s', (s, want) => {
    expect(parseHostPort(s, 4430)).toEqual(want);
  });
});
