/** ggrelay's configuration: defaults, file, command line, and errors naming the setting at fault. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { parseHostPort, resolveRelayConfig } from '../../relay/config.js';

const dir = mkdtempSync(join(tmpdir(), 'gg-relay-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, content: unknown): string => {
  const f = join(dir, name);
  writeFileSync(f, typeof content === 'string' ? content : JSON.stringify(content));
  return f;
};
const required = { upstream: '10.0.0.1', id: '100', secretFile: '/etc/glouglou/relay.secret' };
const error = (r: ReturnType<typeof resolveRelayConfig>): string => (r.ok ? 'ok' : r.error);

describe('relay configuration', () => {
  test('the command line alone: defaults for everything but the upstream, the id and the secret', () => {
    const r = resolveRelayConfig(false, undefined, { ...required, listen: '0.0.0.0', port: '5000' });
    if (!r.ok) expect.fail(r.error);
    expect(r.config).toMatchObject({ listen: '0.0.0.0', port: 5000, upstream: { host: '10.0.0.1', port: 4430 }, id: 100, upstreamBuffer: 4096, heartbeatMs: 5000 });
  });

  test('upstream, id and secret file are required, by name', () => {
    expect(error(resolveRelayConfig(false, undefined, { id: '1', secretFile: 'x' }))).toMatch(/^upstream: required/);
    expect(error(resolveRelayConfig(false, undefined, { upstream: 'a', secretFile: 'x' }))).toMatch(/^id: required/);
    expect(error(resolveRelayConfig(false, undefined, { upstream: 'a', id: '1' }))).toMatch(/^secretFile: required/);
    expect(error(resolveRelayConfig(false, undefined, { ...required, id: '4294967296' }))).toMatch(/^id:/);
  });

  test('a file sets everything, the command line wins over it', () => {
    const f = file('ok.json', { upstream: 'glougloud.example:5555', id: 7, secretFile: '/s', listen: '10.1.1.1', upstreamBuffer: 10, site: { name: 'edge' } });
    const r = resolveRelayConfig(true, f, { id: '9' });
    if (!r.ok) expect.fail(r.error);
    expect(r.config).toMatchObject({ upstream: { host: 'glougloud.example', port: 5555 }, id: 9, listen: '10.1.1.1', upstreamBuffer: 10, probesDir: '/var/lib/ggrelay/probes' });
    expect(r.config.site).toEqual({ lat: 0, lng: 0, name: 'edge' });
  });

  test('unknown settings, wrong types and values out of range are refused with their key', () => {
    expect(error(resolveRelayConfig(false, file('u.json', { ...required, id: 1, flushms: 3 }), {}))).toMatch(/flushms: unknown setting$/);
    expect(error(resolveRelayConfig(false, file('t.json', { ...required, id: 1, heartbeatMs: '5s' }), {}))).toMatch(/heartbeatMs: expected a number/);
    expect(error(resolveRelayConfig(false, file('r.json', { ...required, id: 1, maxDatagram: 100 }), {}))).toMatch(/maxDatagram: must be 576-65507/);
    expect(error(resolveRelayConfig(false, file('s.json', { ...required, id: 1, site: { lat: 91 } }), {}))).toMatch(/site\.lat/);
    expect(error(resolveRelayConfig(false, file('j.json', '{ not json'), {}))).toMatch(/j\.json: /);
    expect(error(resolveRelayConfig(false, undefined, { ...required, upstream: 'a:b:c:d:70000' }))).toBe('ok');
    expect(error(resolveRelayConfig(false, undefined, { ...required, upstream: 'host:0' }))).toMatch(/^-s: not HOST\[:PORT\]/);
    expect(error(resolveRelayConfig(false, undefined, { ...required, port: 'x' }))).toMatch(/^-p: not a number/);
  });

  test('HOST[:PORT] forms', () => {
    expect(parseHostPort('gg.example', 4430)).toEqual({ ok: true, host: 'gg.example', port: 4430 });
    expect(parseHostPort('10.0.0.1:99', 4430)).toEqual({ ok: true, host: '10.0.0.1', port: 99 });
    expect(parseHostPort('[2001:db8::1]:99', 4430)).toEqual({ ok: true, host: '2001:db8::1', port: 99 });
    expect(parseHostPort('2001:db8::1', 4430)).toEqual({ ok: true, host: '2001:db8::1', port: 4430 });
  });
});
