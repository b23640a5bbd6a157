/**
 * What is drawn from what the server sends: server messages checked before
 * use (with codes), node and edge encodings and their legend, masks for
 * public displays, search, and the reconnection backoff.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { authOkMessage, diffMessage, errorMessage, helloMessage, noticeMessage, probesMessage, snapshotMessage } from '../../glougloud/views/messages.js';
import { DEFAULT_VIEW_CONFIG } from '../../glougloud/views/config.js';
import { emptyDiff } from '../../glougloud/views/types.js';
import { Masker } from '../../viz-client/src/anonymize.js';
import {
  categoryColor, edgeColor, edgeSize, EDGE_COLORS, hslHex, lastProbe, nodeCategory, nodeLabel, nodeRole, nodeSize, premultiplied, ROLE_STYLE,
} from '../../viz-client/src/graph/encoding.js';
import { createViewGraph } from '../../viz-client/src/graph/mirror.js';
import { reconnectDelay } from '../../viz-client/src/protocol/connection.js';
import { decodeServerMessage } from '../../viz-client/src/protocol/messages.js';
import { legendEntries } from '../../viz-client/src/ui/legend.js';
import { searchNodes } from '../../viz-client/src/ui/search.js';
import { probeTotals } from '../../viz-client/src/ui/status.js';

describe('server messages', () => {
  test('every message the server builds is understood', () => {
    const graph = { attributes: {}, options: { type: 'mixed' as const, multi: true as const, allowSelfLoops: true as const }, nodes: [{ key: 'a', attributes: { addr: 'a' } }], edges: [] };
    for (const text of [helloMessage('glougloud'), authOkMessage('viz', null, [1]), errorMessage('GG_VIZ_AUTH_FAILED', 'wrong', 1000),
      snapshotMessage(3, DEFAULT_VIEW_CONFIG, 'config', graph), diffMessage(3, 4, emptyDiff(), { reason: 'config', config: DEFAULT_VIEW_CONFIG }),
      probesMessage([{ id: 1, events_per_s: 5 }]), noticeMessage('warn', 'GG_VIZ_REDIS_DOWN', 'down')]) {
      const d = decodeServerMessage(text);
      expect(d.ok, text).toBe(true);
      if (d.ok) expect(d.msg.type).toBe(JSON.parse(text).type);
    }
    expect(decodeServerMessage(errorMessage('GG_VIZ_RATE_LIMITED', 'slow down', 4000))).toEqual({ ok: true, msg: { type: 'error', code: 'GG_VIZ_RATE_LIMITED', detail: 'slow down', retryAfterMs: 4000 } });
  });

  test('malformed messages are refused with codes, never thrown', () => {
    expect(decodeServerMessage('{')).toMatchObject({ ok: false, code: 'GG_VC_BAD_JSON' });
    expect(decodeServerMessage('[]')).toMatchObject({ ok: false, code: 'GG_VC_BAD_MESSAGE' });
    expect(decodeServerMessage('{"type":"teleport"}')).toMatchObject({ ok: false, code: 'GG_VC_UNKNOWN_TYPE' });
    expect(decodeServerMessage('{"type":"snapshot","seq":-1,"graph":{"nodes":[],"edges":[]}}')).toMatchObject({ ok: false, code: 'GG_VC_BAD_MESSAGE' });
    expect(decodeServerMessage('{"type":"snapshot","seq":1,"graph":{"nodes":[{"key":1,"attributes":{}}],"edges":[]}}')).toMatchObject({ ok: false, code: 'GG_VC_BAD_MESSAGE' });
    expect(decodeServerMessage('{"type":"diff","prev":0,"seq":1,"nodes":{"add":[],"update":[],"remove":[]},"edges":{"add":[{"key":"e","attributes":{}}],"update":[],"remove":[]}}')).toMatchObject({ ok: false, code: 'GG_VC_BAD_MESSAGE' });
    fc.assert(fc.property(fc.jsonValue(), (v) => { const d = decodeServerMessage(JSON.stringify(v)); expect(typeof d.ok).toBe('boolean'); }));
    fc.assert(fc.property(fc.string(), (s) => { expect(typeof decodeServerMessage(s).ok).toBe('boolean'); }));
  });
});

describe('encoding', () => {
  test('roles from scope, hops and groups', () => {
    expect(nodeRole({ scope: 'private', lat: 1, lng: 1 })).toBe('local');
    expect(nodeRole({ scope: 'public', lat: 1, lng: 1, last: 5 })).toBe('public');
    expect(nodeRole({ scope: 'public', hop: 5, lat: 1 })).toBe('router');
    expect(nodeRole({ scope: 'multicast' })).toBe('special');
    expect(nodeRole({ group: 'country', label: 'FR' })).toBe('group');
    expect(nodeRole({ addr: '1.2.3.4', stub: true })).toBe('unlocated');
  });

  test('categories and colours: stable, hex (sigma reads no hsl), unknown in grey', () => {
    expect(nodeCategory({ country: 'FR' }, 'country')).toBe('FR');
    expect(nodeCategory({ probes: { 1: 10, 3: 20, 2: 20 } }, 'probe')).toBe('2');
    expect(lastProbe({})).toBeNull();
    for (const c of ['FR', 'US', 'DE', 'JP', 'BR']) expect(categoryColor('country', c)).toMatch(/^#[0-9a-f]{6}$/);
    expect(categoryColor('country', 'FR')).toBe(categoryColor('country', 'FR'));
    expect(categoryColor('country', '')).toBe(categoryColor('probe', ''));
    expect(hslHex(0, 100, 50)).toBe('#ff0000');
    expect(hslHex(120, 100, 25)).toBe('#008000');
    expect(premultiplied(200, 100, 50, 0.5)).toBe('rgba(100, 50, 25, 0.5)');
  });

  test('sizes grow with traffic and stay bounded', () => {
    expect(nodeSize({})).toBeCloseTo(2);
    expect(nodeSize({ bytes_in: 1e6 })).toBeGreaterThan(nodeSize({ bytes_in: 1e3 }));
    expect(nodeSize({ bytes_in: 1e18 })).toBe(14);
    expect(edgeSize({ kind: 'link', bps: 1e6 })).toBeGreaterThan(edgeSize({ kind: 'link', bps: 0 }));
    expect(edgeSize({ kind: 'link', bps: 1e15 })).toBe(4);
    expect(edgeColor({ kind: 'hop' })).toBe(EDGE_COLORS.hop);
    expect(edgeColor({ kind: 'link', bps: 5 })).toBe(EDGE_COLORS.live);
    expect(edgeColor({ kind: 'link', bps: 0 })).toBe(EDGE_COLORS.idle);
  });

  test('labels: DNS name first, else the address; groups by name; masked on public displays', () => {
    expect(nodeLabel('1.2.3.4', { addr: '1.2.3.4', names: [{ name: 'a.example', rrtype: 1 }], name: 'b.example' }, null)).toBe('a.example');
    expect(nodeLabel('1.2.3.4', { addr: '1.2.3.4', name: 'b.example' }, null)).toBe('b.example');
    expect(nodeLabel('1.2.3.4', { addr: '1.2.3.4' }, null)).toBe('1.2.3.4');
    expect(nodeLabel('country:FR', { group: 'country', label: 'whatever' }, null)).toBe('FR');
    const m = new Masker('salt');
    const masked = nodeLabel('1.2.3.4', { addr: '1.2.3.4', name: 'secret.example' }, m);
    expect(masked).not.toContain('secret');
    expect(masked).toBe(m.name('secret.example'));
    expect(nodeLabel('10.0.0.0/24', { group: 'prefix' }, m)).toMatch(/^net-[0-9a-f]{6}\/24$/);
    expect(nodeLabel('country:FR', { group: 'country' }, m)).toBe('FR');
    expect(nodeLabel('AS15169', { group: 'asn' }, m)).toBe('AS15169');
  });
});

describe('masks', () => {
  test('stable per salt, different across salts, never the original', () => {
    fc.assert(fc.property(fc.oneof(fc.ipV4(), fc.ipV6()), fc.oneof(fc.ipV4(), fc.ipV6()), (a, b) => {
      const m = new Masker('one'), n = new Masker('two');
      expect(m.address(a)).toBe(m.address(a));
      expect(m.address(a)).not.toContain(a);
      if (a !== b) expect(m.address(a)).not.toBe(m.address(b));
      expect(m.address(a)).not.toBe(n.address(a));
    }), { numRuns: 500 });
  });
});

describe('legend', () => {
  test('the categories of the view under each colouring, most common first, with the colours the nodes get', () => {
    const g = createViewGraph();
    const add = (k: string, a: Record<string, unknown>): void => { g.addNode(k, { addr: k, ...a }); };
    add('10.0.0.1', { scope: 'private', probes: { 2: 100 } });
    add('10.0.0.2', { scope: 'private', probes: { 2: 100, 1: 50 } });
    add('8.8.8.8', { scope: 'public', country: 'US', lat: 37, lng: -122, probes: { 1: 100 } });
    add('1.1.1.1', { scope: 'public', country: 'US', lat: -33, lng: 151, probes: { 1: 100 } });
    add('9.9.9.9', { scope: 'public', country: 'CH', lat: 47, lng: 8 });
    add('192.0.2.9', { hop: 3 });
    expect(legendEntries(g, 'country')).toEqual([
      { category: '', color: categoryColor('country', ''), count: 3 },
      { category: 'US', color: categoryColor('country', 'US'), count: 2 },
      { category: 'CH', color: categoryColor('country', 'CH'), count: 1 },
    ]);
    // Ties by category: "" (no probe) first.
    expect(legendEntries(g, 'probe').map((e) => [e.category, e.count])).toEqual([['', 2], ['1', 2], ['2', 2]]);
    expect(legendEntries(g, 'role').map((e) => [e.category, e.count, e.color])).toEqual([
      ['public', 3, ROLE_STYLE.public.color], ['local', 2, ROLE_STYLE.local.color], ['router', 1, ROLE_STYLE.router.color],
    ]);
    // Every node's category is listed (up to the limit), and the counts add up.
    for (const mode of ['country', 'probe', 'role'] as const) expect(legendEntries(g, mode).reduce((n, e) => n + e.count, 0)).toBe(g.order);
    expect(legendEntries(g, 'country', 1)).toHaveLength(1);
  });
});

describe('search', () => {
  test('by address or name; exact first, then prefix, then substring; busiest first; masked labels only when anonymized', () => {
    const g = createViewGraph();
    g.addNode('10.0.0.1', { addr: '10.0.0.1', bytes_in: 5 });
    g.addNode('10.0.0.10', { addr: '10.0.0.10', bytes_in: 500 });
    g.addNode('93.184.216.34', { addr: '93.184.216.34', names: [{ name: 'www.example.com', rrtype: 1 }] });
    g.addNode('110.0.0.1', { addr: '110.0.0.1', bytes_in: 1e9 });
    expect(searchNodes(g, '10.0.0.1', null).map((r) => r.key)).toEqual(['10.0.0.1', '10.0.0.10', '110.0.0.1']);
    expect(searchNodes(g, 'EXAMPLE', null).map((r) => r.key)).toEqual(['93.184.216.34']);
    expect(searchNodes(g, '', null)).toEqual([]);
    const m = new Masker('s');
    expect(searchNodes(g, 'example', m)).toEqual([]);
    expect(searchNodes(g, m.name('www.example.com'), m).map((r) => r.key)).toEqual(['93.184.216.34']);
  });
});

describe('counters and backoff', () => {
  test('events/s and loss from the probes', () => {
    expect(probeTotals([{ events_per_s: 100, datagrams: 90, lost: 10 }, { events_per_s: 50, datagrams: 100, lost: 0 }])).toEqual({ eventsPerS: 150, loss: 10 / 200 });
    expect(probeTotals([])).toEqual({ eventsPerS: 0, loss: 0 });
  });

  test('reconnection delay: exponential, capped, jittered within [½, 1]', () => {
    const o = { backoffBaseMs: 500, backoffMaxMs: 15_000 };
    expect(reconnectDelay(1, o, 1)).toBe(500);
    expect(reconnectDelay(1, o, 0)).toBe(250);
    expect(reconnectDelay(4, o, 1)).toBe(4000);
    expect(reconnectDelay(50, o, 1)).toBe(15_000);
    fc.assert(fc.property(fc.integer({ min: 1, max: 100 }), fc.double({ min: 0, max: 1, noNaN: true }), (n, j) => {
      const d = reconnectDelay(n, o, j);
      expect(d).toBeGreaterThanOrEqual(125);
      expect(d).toBeLessThanOrEqual(15_000);
    }));
  });
});
