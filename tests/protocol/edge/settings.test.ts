import { describe, expect, test } from 'vitest';
import { mergeSettings, parseHostPort, type SettingRule } from '../../../protocol/edge/settings.js';

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
