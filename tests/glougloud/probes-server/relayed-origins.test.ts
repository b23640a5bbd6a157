/** Probe id ownership across direct sessions and relay chains, and what is written for relayed probes and relays. */
import { describe, expect, test } from 'vitest';
import { Msg } from '../../../protocol/index.js';
import { OriginTable } from '../../../glougloud/probes-server/relayed-origins.js';

const site = { lat: 48.85, lng: 2.35, name: 'paris' };
const hset = (cmds: string[][], key: string): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const c of cmds) if (c[0] === 'HSET' && c[1] === key) for (let i = 2; i < c.length; i += 2) out[c[i]] = c[i + 1];
  return out;
};

describe('OriginTable', () => {
  test('an id is owned by the way it was first seen; another way at the same time is a collision', () => {
    const t = new OriginTable({ ownerTimeoutMs: 30_000 });
    expect(t.claim(7, '', 0)).toEqual({ ok: true, moved: null });
    expect(t.forward(7, [100], site, 0, 0, 1000)).toEqual({ ok: false, owner: '' });
    expect(t.forward(7, [100], site, 0, 0, 2000).ok).toBe(false);
    expect(t.claim(7, '', 3000).ok).toBe(true);
    expect(t.collisionsOf(7)).toBe(2);
    expect(t.probe(7)).toBeUndefined();
  });

  test('two chains for one id collide too; the owner keeps it while it is heard from', () => {
    const t = new OriginTable({ ownerTimeoutMs: 30_000 });
    expect(t.forward(9, [100, 200], site, 0, 0, 0).ok).toBe(true);
    expect(t.forward(9, [101, 200], site, 0, 0, 25_000)).toEqual({ ok: false, owner: '100>200' });
    expect(t.forward(9, [100, 200], site, 0, 0, 29_000).ok).toBe(true);
    expect(t.forward(9, [101, 200], site, 0, 0, 58_000).ok).toBe(false);
  });

  test('an owner silent for ownerTimeoutMs gives the id up: the probe moved', () => {
    const t = new OriginTable({ ownerTimeoutMs: 30_000 });
    t.claim(5, '', 0);
    const r = t.forward(5, [100], site, 0, 0, 30_000);
    expect(r.ok && r.moved).toBe('');
    expect(t.claim(5, '', 31_000).ok).toBe(false);
  });

  test('a relayed probe keeps its chain, counts and a stable reference for the stores', () => {
    const t = new OriginTable();
    const a = t.forward(7, [100, 200], site, 3, 1, 0);
    if (!a.ok) expect.fail('collision');
    const first = a.probe.ref;
    const b = t.forward(7, [100, 200], { ...site }, 2, 0, 10);
    if (!b.ok) expect.fail('collision');
    expect(b.probe.ref).toBe(first);
    const c = t.forward(7, [100, 200], { ...site, name: 'paris-2' }, 0, 0, 20);
    if (!c.ok) expect.fail('collision');
    expect(c.probe.ref).not.toBe(first);
    expect(c.probe.ref.site.name).toBe('paris-2');
    const h = hset(t.statsCommands(30), 'gg:0:probe:7');
    expect(h).toMatchObject({ via: '100>200', via_lost: '5', via_dropped: '1', via_forwards: '3', site_name: 'paris-2' });
  });

  test('RELAY_STATS add up per relay; sessions is the latest; stats stop after the owner timeout', () => {
    const t = new OriginTable({ ownerTimeoutMs: 30_000 });
    const rs = (over: object) => ({ ...Msg.RELAY_STATS, ts: 1, interval_us: 1, sessions: 2, datagrams: 10, lost: 1, dropped: 0, auth_failures: 1, replays: 2, unknown_sessions: 3, loops: 0, refused: 4, ...over });
    t.relayStats(100, rs({}), 0);
    t.relayStats(100, rs({ sessions: 1, auth_failures: 5 }), 1000);
    const cmds = t.statsCommands(1000);
    expect(hset(cmds, 'gg:0:probe:100')).toMatchObject({ relay_sessions: '1', relay_datagrams: '20', relay_auth_failures: '6', relay_replays: '4', relay_unknown_sessions: '6', relay_refused: '8' });
    expect(cmds).toContainEqual(['EXPIRE', 'gg:0:probe:100', '86400']);
    expect(hset(t.statsCommands(40_000), 'gg:0:probe:100')).toEqual({});
  });

  test('collisions are written on the id\'s hash', () => {
    const t = new OriginTable();
    t.claim(3, '', 0);
    t.forward(3, [100], site, 0, 0, 1);
    expect(hset(t.statsCommands(2), 'gg:0:probe:3')).toEqual({ collisions: '1' });
  });
});
