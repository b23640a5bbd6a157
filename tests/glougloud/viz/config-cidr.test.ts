/** View configuration and prefixes: hostile input gets codes, canonical forms make equal views share a key. */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { cidrContains, groupPrefix, parseAddress, parseCidr } from '../../../glougloud/views/cidr.js';
import { DEFAULT_VIEW_CONFIG, VIEW_LIMITS, validateViewConfig, viewKey } from '../../../glougloud/views/config.js';
import { CompiledFilter } from '../../../glougloud/views/filter.js';
import { SourceGraph } from '../../../glougloud/views/source.js';
import { View } from '../../../glougloud/views/view.js';

const ALL = { modules: null, probes: null };

describe('CIDR', () => {
  test('parses and canonicalises v4 and v6 prefixes, bare addresses', () => {
    expect(parseCidr('10.1.2.3/8')).toMatchObject({ ok: true, cidr: { family: 4, len: 8, text: '10.0.0.0/8' } });
    expect(parseCidr('192.168.1.7')).toMatchObject({ ok: true, cidr: { len: 32, text: '192.168.1.7/32' } });
    expect(parseCidr('2001:db8:1:2::9/64')).toMatchObject({ ok: true, cidr: { family: 6, text: '2001:db8:1:2::/64' } });
    expect(parseCidr('::/0')).toMatchObject({ ok: true, cidr: { len: 0 } });
  });

  test('refuses what is not a prefix', () => {
    for (const bad of ['10.0.0.0/33', '10.0.0/8', '1.2.3.4/-1', 'fe80::/129', 'x', '', '10.0.0.0/08x', '01.2.3.4/8']) {
      expect(parseCidr(bad).ok, bad).toBe(false);
    }
    expect(parseCidr(42 as unknown as string).ok).toBe(false);
  });

  test('matches addresses of the same family only', () => {
    const c = (s: string) => { const r = parseCidr(s); if (!r.ok) throw new Error(s); return r.cidr; };
    expect(cidrContains(c('10.0.0.0/8'), parseAddress('10.255.1.1'))).toBe(true);
    expect(cidrContains(c('10.0.0.0/8'), parseAddress('11.0.0.1'))).toBe(false);
    expect(cidrContains(c('0.0.0.0/0'), parseAddress('2001:db8::1'))).toBe(false);
    expect(cidrContains(c('2001:db8::/33'), parseAddress('2001:db8:7fff::1'))).toBe(true);
    expect(cidrContains(c('2001:db8::/33'), parseAddress('2001:db8:8000::1'))).toBe(false);
    expect(cidrContains(c('fe80::/10'), parseAddress('febf::1'))).toBe(true);
  });

  test('groups by /24 and /64', () => {
    expect(groupPrefix('192.0.2.77')).toBe('192.0.2.0/24');
    expect(groupPrefix('2001:db8:a:b:c::1')).toBe('2001:db8:a:b::/64');
    expect(groupPrefix('nonsense')).toBe(null);
  });
});

describe('view configuration', () => {
  test('defaults, canonical lists, protocol names', () => {
    const r = validateViewConfig({ type: 'config', include: ['10.9.9.9/8', '10.0.0.0/8'], protocols: ['TCP', 17, 6], ports: [443, 53, 443] }, ALL);
    expect(r).toMatchObject({ ok: true, config: { ...DEFAULT_VIEW_CONFIG, include: ['10.0.0.0/8'], protocols: [6, 17], ports: [53, 443] } });
  });

  test('equal effective configurations share a key; different ones do not', () => {
    const a = validateViewConfig({ include: ['10.0.0.0/8'], ports: [443, 80] }, ALL);
    const b = validateViewConfig({ include: ['10.1.0.0/8'], ports: [80, 443], grouping: 'none' }, ALL);
    const c = validateViewConfig({ include: ['10.0.0.0/8'], ports: [80] }, ALL);
    if (!a.ok || !b.ok || !c.ok) throw new Error('invalid');
    expect(viewKey(a.config)).toBe(viewKey(b.config));
    expect(viewKey(a.config)).not.toBe(viewKey(c.config));
  });

  test('bad values get GG_VIZ_BAD_CONFIG', () => {
    const bads: unknown[] = [
      null, [], 'x', { maxNodes: 0 }, { maxNodes: 1e9 }, { maxNodes: 1.5 }, { windowS: -1 }, { minBytes: 'a' },
      { grouping: 'planet' }, { include: '10.0.0.0/8' }, { include: ['10.0.0.0/99'] }, { ports: [70000] },
      { protocols: ['smtp'] }, { ports: Array.from({ length: 65 }, (_, i) => i) }, { links: 'yes' }, { colour: 'red' },
      { probes: [] }, { minBps: Number.NaN }, { module: '1' },
    ];
    for (const b of bads) expect(validateViewConfig(b, ALL), JSON.stringify(b)).toMatchObject({ ok: false, code: 'GG_VIZ_BAD_CONFIG' });
  });

  test('a graphless module, and what a user may not see', () => {
    expect(validateViewConfig({ module: 0 }, ALL)).toMatchObject({ ok: false, code: 'GG_VIZ_UNKNOWN_MODULE' });
    expect(validateViewConfig({ module: 1 }, { modules: [0], probes: null })).toMatchObject({ ok: false, code: 'GG_VIZ_FORBIDDEN' });
    expect(validateViewConfig({ probes: [1, 3] }, { modules: null, probes: [1, 2] })).toMatchObject({ ok: false, code: 'GG_VIZ_FORBIDDEN' });
    // Unrestricted request by a restricted user: the user's probes.
    expect(validateViewConfig({}, { modules: null, probes: [2, 1] })).toMatchObject({ ok: true, config: { probes: [1, 2] } });
    expect(validateViewConfig({ probes: [2] }, { modules: null, probes: [1, 2] })).toMatchObject({ ok: true, config: { probes: [2] } });
  });
});

describe('hostile configurations', () => {
  test('any value in any field: a valid bounded configuration or a refusal with a code, never a throw', () => {
    const anyValue = fc.oneof(fc.anything(), fc.array(fc.oneof(fc.string(), fc.integer(), fc.constantFrom('10.0.0.0/8', '::/0', 'tcp', 443, -1, 1e20))), fc.double(), fc.integer());
    const raw = fc.dictionary(fc.constantFrom(...Object.keys(DEFAULT_VIEW_CONFIG), 'type', 'v', 'extra'), anyValue, { maxKeys: 8 });
    const access = fc.record({ modules: fc.option(fc.subarray([0, 1])), probes: fc.option(fc.subarray([1, 2, 3])) });
    fc.assert(fc.property(fc.oneof(raw, fc.anything()), access, (r, a) => {
      const v = validateViewConfig(r, a);
      if (!v.ok) { expect(['GG_VIZ_BAD_CONFIG', 'GG_VIZ_FORBIDDEN', 'GG_VIZ_UNKNOWN_MODULE']).toContain(v.code); return; }
      const c = v.config;
      expect(c.maxNodes).toBeLessThanOrEqual(VIEW_LIMITS.maxNodes);
      expect(c.maxEdges).toBeLessThanOrEqual(VIEW_LIMITS.maxEdges);
      expect(c.windowS).toBeLessThanOrEqual(VIEW_LIMITS.maxWindowS);
      if (a.probes !== null) expect(c.probes !== null && c.probes.every((p) => a.probes!.includes(p))).toBe(true);
      if (a.modules !== null) expect(a.modules).toContain(c.module);
      // What validation lets through compiles, builds and keys the same again.
      expect(() => new CompiledFilter(c)).not.toThrow();
      View.build(c, new SourceGraph(), 0);
      // The effective configuration, sent back, is the same view (a user allowed no probe at all sees nothing either way).
      if (c.probes?.length === 0) return;
      const again = validateViewConfig({ ...c }, a);
      expect(again.ok && viewKey(again.config)).toBe(viewKey(c));
    }), { numRuns: 2000 });
  });
});
