/** Client messages, passwords, the login limiter, static paths and probe health: the viz server's pure parts. */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, test } from 'vitest';
import { validateViewConfig } from '../../../glougloud/views/config.js';
import { decodeClientMessage, type VizErrorCode } from '../../../glougloud/views/messages.js';
import { LoginLimiter } from '../../../glougloud/viz-server/login-limiter.js';
import { hashPassword, parsePasswordHash, verifyPassword } from '../../../glougloud/viz-server/password.js';
import { ProbeHealth } from '../../../glougloud/viz-server/probe-health.js';
import { resolveStatic } from '../../../glougloud/viz-server/static-files.js';

describe('client messages', () => {
  test('decoded or refused with a code', () => {
    expect(decodeClientMessage('{"type":"auth","v":1,"password":"x"}')).toEqual({ ok: true, msg: { type: 'auth', v: 1, user: null, password: 'x' } });
    expect(decodeClientMessage('{"type":"ping","id":3}')).toEqual({ ok: true, msg: { type: 'ping', id: 3 } });
    const cases: [string, string][] = [
      ['{', 'GG_VIZ_BAD_JSON'], ['[]', 'GG_VIZ_BAD_MESSAGE'], ['"auth"', 'GG_VIZ_BAD_MESSAGE'], ['{"kind":"auth"}', 'GG_VIZ_BAD_MESSAGE'],
      ['{"type":"x"}', 'GG_VIZ_UNKNOWN_TYPE'], ['{"type":"auth","v":2,"password":"x"}', 'GG_VIZ_BAD_VERSION'],
      ['{"type":"auth","v":1}', 'GG_VIZ_BAD_MESSAGE'], ['{"type":"auth","v":1,"password":"x","user":""}', 'GG_VIZ_BAD_MESSAGE'],
      [JSON.stringify({ type: 'auth', v: 1, password: 'x'.repeat(2000) }), 'GG_VIZ_BAD_MESSAGE'], ['x'.repeat(70_000), 'GG_VIZ_TOO_BIG'],
    ];
    for (const [text, code] of cases) expect(decodeClientMessage(text), text.slice(0, 40)).toMatchObject({ ok: false, code });
  });

  test('any text: never throws', () => {
    fc.assert(fc.property(fc.oneof(fc.string(), fc.json()), (s) => { decodeClientMessage(s); }), { numRuns: 1000 });
  });

  test('shaped like messages, with hostile fields: decoded as sent or refused with a protocol code, never a throw', () => {
    const codes: VizErrorCode[] = ['GG_VIZ_BAD_JSON', 'GG_VIZ_BAD_MESSAGE', 'GG_VIZ_UNKNOWN_TYPE', 'GG_VIZ_BAD_VERSION', 'GG_VIZ_TOO_BIG'];
    const value = fc.oneof(fc.jsonValue(), fc.string({ maxLength: 1500 }), fc.integer(), fc.constantFrom(1, 0, -1, 1e300, null, true, '1'));
    const field = fc.constantFrom('v', 'user', 'password', 'id', 'module', 'include', 'probes', 'grouping', 'maxNodes', '__proto__', 'constructor', 'toString');
    fc.assert(fc.property(fc.constantFrom('auth', 'config', 'ping', 'AUTH', '', 'snapshot'), fc.dictionary(field, value, { maxKeys: 6 }), fc.boolean(), (type, fields, noType) => {
      const text = JSON.stringify(noType ? fields : { ...fields, type });
      const r = decodeClientMessage(text);
      if (!r.ok) { expect(codes).toContain(r.code); return; }
      expect(r.msg.type).toBe(type);
      if (r.msg.type === 'auth') {
        expect(typeof r.msg.password).toBe('string');
        expect(r.msg.user === null || (typeof r.msg.user === 'string' && r.msg.user.length <= 64)).toBe(true);
      }
      if (r.msg.type === 'config') {
        const v = validateViewConfig(r.msg.raw, { modules: [1], probes: [1, 2] });
        if (!v.ok) expect(['GG_VIZ_BAD_CONFIG', 'GG_VIZ_FORBIDDEN', 'GG_VIZ_UNKNOWN_MODULE']).toContain(v.code);
      }
    }), { numRuns: 3000 });
  });
});

describe('passwords', () => {
  test('scrypt hash round trip; wrong passwords fail; bad hashes are refused with a reason', async () => {
    const h = await hashPassword('s3cret', { N: 1024, r: 8, p: 1 });
    expect(h).toMatch(/^scrypt\$1024\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    const p = parsePasswordHash(h);
    if (!p.ok) throw new Error(p.error);
    expect(await verifyPassword('s3cret', p.hash)).toBe(true);
    expect(await verifyPassword('s3cret ', p.hash)).toBe(false);
    expect(await hashPassword('s3cret', { N: 1024, r: 8, p: 1 })).not.toBe(h);
    for (const bad of ['', 'bcrypt$x', 'scrypt$1000$8$1$c2FsdHNhbHQ=$aGFzaGhhc2hoYXNoaGFzaA==', 'scrypt$1048576000$8$1$a$b', `scrypt$1024$8$1$$${'A'.repeat(44)}`, 42]) {
      expect(parsePasswordHash(bad).ok).toBe(false);
    }
  });
});

describe('login limiter', () => {
  test('delays double per failure, per address, capped; success forgets', () => {
    const l = new LoginLimiter({ delayBaseMs: 1000, delayMaxMs: 5000, forgetAfterMs: 60_000, maxAddresses: 2 });
    expect(l.waitMs('a', 0)).toBe(0);
    expect(l.fail('a', 0)).toBe(1000);
    expect(l.waitMs('a', 400)).toBe(600);
    expect(l.waitMs('b', 400)).toBe(0);
    expect(l.fail('a', 1000)).toBe(2000);
    expect(l.fail('a', 3000)).toBe(4000);
    expect(l.fail('a', 7000)).toBe(5000);
    l.succeed('a');
    expect(l.waitMs('a', 7001)).toBe(0);
    l.fail('b', 0); l.fail('c', 0); l.fail('d', 0);
    expect(l.size).toBe(2);
    expect(l.waitMs('c', 100_000)).toBe(0);
  });
});

describe('static files', () => {
  const root = mkdtempSync(join(tmpdir(), 'gg-static-'));
  mkdirSync(join(root, 'assets'));
  writeFileSync(join(root, 'index.html'), 'hi');
  writeFileSync(join(root, 'assets', 'app.js'), 'x');
  writeFileSync(join(root, '.secret'), 'no');
  symlinkSync('/etc', join(root, 'etc'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  test('inside the root only', () => {
    expect(resolveStatic(root, '/')).toMatchObject({ ok: true });
    expect(resolveStatic(root, '/assets/app.js?v=1')).toMatchObject({ ok: true });
    for (const p of ['/../etc/passwd', '/%2e%2e/%2e%2e/etc/passwd', '/assets/../../x', '/.secret', '/etc/passwd', '/nope.js', '/assets']) {
      expect(resolveStatic(root, p), p).toMatchObject({ ok: false });
    }
    expect(resolveStatic(root, '/%E0%A4%A')).toEqual({ ok: false, status: 400 });
    expect(resolveStatic(root, '/a%00b')).toEqual({ ok: false, status: 400 });
  });
});

describe('probe health', () => {
  test('counters, events per second between two readings, loss, access', () => {
    const h = new ProbeHealth();
    h.set('gg:0:probe:1', { updated: '1000', messages: '100', datagrams: '90', lost: '10', site_name: 'Paris', site_lat: '48.8' });
    h.set('gg:0:probe:1', { updated: '2000', messages: '600', datagrams: '190', lost: '10' });
    h.set('gg:0:probe:2', { updated: '2000', messages: 'many' });
    expect(h.set('gg:1:n:1.1.1.1', {})).toBe(false);
    expect(h.list(null)).toEqual([
      { id: 1, updated: 2000, messages: 600, datagrams: 190, lost: 10, events_per_s: 500, loss: 0.05 },
      { id: 2, updated: 2000, loss: 0 },
    ]);
    expect(h.list([2]).map((p) => p.id)).toEqual([2]);
    h.set('gg:0:probe:2', {});
    expect(h.totals()).toEqual({ probes: 1, eventsPerS: 500, lost: 10 });
  });
});
