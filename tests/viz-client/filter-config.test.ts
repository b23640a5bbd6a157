/**
 * The filter form → the viz protocol's configuration: what a person types
 * becomes a configuration the real server validates to the same canonical
 * form (glougloud's validateViewConfig is the oracle), mistakes are named by
 * field and code, and the URL carries the same view both ways.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { validateViewConfig } from '../../glougloud/views/config.js';
import { DEFAULT_VIEW_CONFIG, type ViewConfig } from '../../viz-client/src/protocol/messages.js';
import {
  configDelta, configToForm, type FilterForm, formatAmount, formatDuration, formToConfig, looksLikeCidr, parseAmount, parseDuration,
} from '../../viz-client/src/ui/filter-config.js';
import { DEFAULT_PAGE_STATE, formatUrlState, parseUrlState } from '../../viz-client/src/url-state.js';

const ALL = { modules: null, probes: null };
const form = (over: Partial<FilterForm> = {}): FilterForm => ({ ...configToForm(DEFAULT_VIEW_CONFIG), ...over });

/** What the server makes of a configuration message. */
function server(c: Partial<ViewConfig>): ViewConfig {
  const r = validateViewConfig({ type: 'config', ...c }, ALL);
  if (!r.ok) throw new Error(`${r.code}: ${r.detail}`);
  return r.config as ViewConfig;
}

describe('filter form → configuration', () => {
  test('the untouched form is the default view', () => {
    const r = formToConfig(form());
    expect(r).toEqual({ ok: true, config: DEFAULT_VIEW_CONFIG });
    expect(configDelta((r as { config: ViewConfig }).config)).toEqual({});
  });

  test('typed values become the configuration the server accepts, unchanged by its canonicalisation', () => {
    const r = formToConfig(form({
      include: '10.0.0.0/8, 192.168.1.0/24\n2001:db8::/32', exclude: '10.1.2.3', protocols: 'TCP udp 47', ports: '443, 80 53; 80',
      minBytes: '5 MB', minBps: '1.5M', windowS: '15m', maxNodes: '10k', maxEdges: '20000', grouping: 'asn', links: true, paths: false, probes: [3, 1],
    }));
    if (!r.ok) throw new Error(r.detail);
    expect(r.config).toMatchObject({
      include: ['10.0.0.0/8', '192.168.1.0/24', '2001:db8::/32'], exclude: ['10.1.2.3'], protocols: [6, 17, 47], ports: [53, 80, 443],
      minBytes: 5_000_000, minBps: 1_500_000, windowS: 900, maxNodes: 10_000, maxEdges: 20_000, grouping: 'asn', paths: false, probes: [1, 3],
    });
    const s = server(configDelta(r.config));
    // The server's canonical prefixes ("10.1.2.3" is "10.1.2.3/32") are what the form shows back.
    expect(s.include).toEqual(['10.0.0.0/8', '192.168.1.0/24', '2001:db8::/32'].sort());
    expect({ ...s, include: [], exclude: [] }).toEqual({ ...r.config, include: [], exclude: [] });
    expect(formToConfig(configToForm(s))).toEqual({ ok: true, config: { ...s } });
  });

  test('every valid form is accepted by the server, and comes back the same through configToForm', () => {
    const cidr = fc.oneof(fc.ipV4().map((a) => `${a}/${a.length % 33}`), fc.ipV4(), fc.constantFrom('2001:db8::/32', 'fe80::/10', '::1'));
    fc.assert(fc.property(fc.record({
      include: fc.array(cidr, { maxLength: 4 }), exclude: fc.array(cidr, { maxLength: 3 }),
      protocols: fc.array(fc.oneof(fc.constantFrom('tcp', 'udp', 'icmp', 'gre', 'sctp'), fc.integer({ min: 0, max: 255 }).map(String)), { maxLength: 4 }),
      ports: fc.array(fc.integer({ min: 0, max: 65535 }), { maxLength: 5 }),
      minBytes: fc.nat(1e12), minBps: fc.nat(1e10), windowS: fc.integer({ min: 0, max: 7 * 86_400 }),
      maxNodes: fc.integer({ min: 1, max: 50_000 }), maxEdges: fc.integer({ min: 0, max: 100_000 }),
      grouping: fc.constantFrom('none', 'prefix', 'asn', 'country'), links: fc.boolean(), paths: fc.boolean(),
      probes: fc.option(fc.array(fc.integer({ min: 0, max: 99 }), { minLength: 1, maxLength: 3 })),
    }), (v) => {
      const f: FilterForm = {
        include: v.include.join(', '), exclude: v.exclude.join(' '), protocols: v.protocols.join(','), ports: v.ports.join(' '),
        minBytes: formatAmount(v.minBytes), minBps: formatAmount(v.minBps), windowS: formatDuration(v.windowS),
        maxNodes: String(v.maxNodes), maxEdges: String(v.maxEdges), grouping: v.grouping, links: v.links, paths: v.paths, probes: v.probes,
      };
      const r = formToConfig(f);
      if (!r.ok) throw new Error(`${r.field}: ${r.detail}`);
      const s = server(configDelta(r.config));
      expect({ ...s, include: [], exclude: [] }).toEqual({ ...r.config, include: [], exclude: [] });
      expect(s.minBytes).toBe(v.minBytes);
      expect(s.windowS).toBe(v.windowS);
      expect(formToConfig(configToForm(s))).toEqual({ ok: true, config: s });
    }), { numRuns: 300 });
  });

  test('mistakes are named by field, with a stable code', () => {
    const bad: [Partial<FilterForm>, string, string][] = [
      [{ include: '10.0.0.0/33' }, 'include', 'GG_VC_BAD_CIDR'],
      [{ exclude: 'example.com' }, 'exclude', 'GG_VC_BAD_CIDR'],
      [{ protocols: 'tcp, quic' }, 'protocols', 'GG_VC_BAD_PROTOCOL'],
      [{ protocols: '256' }, 'protocols', 'GG_VC_BAD_PROTOCOL'],
      [{ ports: '80, 70000' }, 'ports', 'GG_VC_BAD_PORT'],
      [{ minBytes: 'lots' }, 'minBytes', 'GG_VC_BAD_NUMBER'],
      [{ minBps: '-1' }, 'minBps', 'GG_VC_BAD_NUMBER'],
      [{ windowS: '8d' }, 'windowS', 'GG_VC_BAD_DURATION'],
      [{ windowS: 'yesterday' }, 'windowS', 'GG_VC_BAD_DURATION'],
      [{ maxNodes: '0' }, 'maxNodes', 'GG_VC_BAD_NUMBER'],
      [{ maxNodes: '60000' }, 'maxNodes', 'GG_VC_BAD_NUMBER'],
      [{ maxEdges: '1.5' }, 'maxEdges', 'GG_VC_BAD_NUMBER'],
      [{ grouping: 'city' }, 'grouping', 'GG_VC_BAD_GROUPING'],
      [{ ports: Array.from({ length: 65 }, (_, i) => i).join(' ') }, 'ports', 'GG_VC_TOO_MANY'],
    ];
    for (const [over, field, code] of bad) expect(formToConfig(form(over)), JSON.stringify(over)).toMatchObject({ ok: false, field, code });
  });

  test('what the form refuses the server refuses too (the form only answers sooner)', () => {
    expect(validateViewConfig({ include: ['10.0.0.0/33'] }, ALL)).toMatchObject({ ok: false, code: 'GG_VIZ_BAD_CONFIG' });
    expect(validateViewConfig({ protocols: ['quic'] }, ALL)).toMatchObject({ ok: false, code: 'GG_VIZ_BAD_CONFIG' });
    expect(validateViewConfig({ maxNodes: 60_000 }, ALL)).toMatchObject({ ok: false, code: 'GG_VIZ_BAD_CONFIG' });
  });

  test('amounts and durations', () => {
    expect(parseAmount('1200', 'b')).toBe(1200);
    expect(parseAmount('2k', 'b')).toBe(2000);
    expect(parseAmount('5 MB', 'b')).toBe(5e6);
    expect(parseAmount('1.5Mbps', 'bps')).toBe(1.5e6);
    expect(parseAmount('1.5 GB', 'bps')).toBeNull();
    expect(parseAmount('', 'b')).toBe(0);
    expect(parseDuration('90')).toBe(90);
    expect(parseDuration('1h')).toBe(3600);
    expect(parseDuration('all')).toBe(0);
    expect(formatDuration(5400)).toBe('90m');
    expect(formatAmount(1500)).toBe('1.5k');
    expect(looksLikeCidr('::ffff:10.0.0.1')).toBe(true);
    expect(looksLikeCidr('1:2::3::4')).toBe(false);
  });
});

describe('the view in the URL', () => {
  test('empty query: the defaults', () => {
    expect(parseUrlState('')).toEqual({ state: DEFAULT_PAGE_STATE, ignored: [] });
    expect(formatUrlState(DEFAULT_PAGE_STATE)).toBe('');
  });

  test('filters, grouping, layout, colouring, embed and anonymize go both ways', () => {
    const q = '?include=10.0.0.0/8,192.168.0.0/16&protocols=tcp,udp&ports=443&minBytes=10k&window=5m&maxNodes=2000&grouping=country&paths=0&probes=1,2&layout=force&color=role&embed=1&anonymize=1';
    const { state, ignored } = parseUrlState(q);
    expect(ignored).toEqual([]);
    expect(state).toMatchObject({ layout: 'force', color: 'role', embed: true, anonymize: true });
    expect(state.config).toMatchObject({ include: ['10.0.0.0/8', '192.168.0.0/16'], protocols: [6, 17], ports: [443], minBytes: 10_000, windowS: 300, maxNodes: 2000, grouping: 'country', paths: false, links: true, probes: [1, 2] });
    expect(parseUrlState(formatUrlState(state)).state).toEqual(state);
  });

  test('a bad parameter is ignored and named; the rest still applies', () => {
    const { state, ignored } = parseUrlState('?ports=99999&grouping=galaxy&layout=3d&color=taste&maxNodes=100&module=x');
    expect(ignored.sort()).toEqual(['color', 'grouping', 'layout', 'module', 'ports']);
    expect(state.config.maxNodes).toBe(100);
    expect(state.config.ports).toEqual([]);
    expect(state.layout).toBe('geo');
  });

  test('any page state survives the URL', () => {
    fc.assert(fc.property(fc.record({
      grouping: fc.constantFrom('none', 'prefix', 'asn', 'country'), maxNodes: fc.integer({ min: 1, max: 50_000 }), windowS: fc.integer({ min: 0, max: 7 * 86_400 }),
      ports: fc.uniqueArray(fc.integer({ min: 0, max: 65535 }), { maxLength: 4 }), layout: fc.constantFrom('geo', 'force'), color: fc.constantFrom('country', 'probe', 'role'),
      embed: fc.boolean(), anonymize: fc.boolean(), links: fc.boolean(), minBps: fc.nat(1e9),
    }), (v) => {
      const config = { ...DEFAULT_VIEW_CONFIG, grouping: v.grouping, maxNodes: v.maxNodes, windowS: v.windowS, ports: [...v.ports].sort((a, b) => a - b), links: v.links, minBps: v.minBps } as ViewConfig;
      const state = { config, layout: v.layout, color: v.color, embed: v.embed, anonymize: v.anonymize } as const;
      expect(parseUrlState(formatUrlState(state))).toEqual({ state, ignored: [] });
    }), { numRuns: 200 });
  });
});
