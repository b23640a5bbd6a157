/**
 * Update throttling (viz.limits.refreshMs): an element already shown is
 * re-read at most once per refresh interval, however often the probes server
 * writes it; a new element and a removal go out at the next tick. Real
 * glougloud, real Redis written directly (as the probes server writes), real
 * WebSocket client.
 */
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { TestGlougloud } from '../../helpers/glougloud.js';
import { eventually } from '../../helpers/probe-client.js';
import { PASSWORD, startVizGlougloud } from './harness.js';
import { TestVizClient } from './viz-client.js';

const HOST = '198.51.100.7';
const KEY = `gg:1:n:${HOST}`;
const REFRESH_MS = 1500;

let gg: TestGlougloud;
let redis: ReturnType<typeof createClient>;

beforeAll(async () => {
  gg = await startVizGlougloud({ limits: { tickMs: 50, refreshMs: REFRESH_MS } });
  redis = createClient({ url: gg.redisUrl });
  await redis.connect();
});
afterAll(async () => {
  await redis?.quit();
  await gg?.stop();
});

type Attrs = Record<string, unknown>;
/** The updates of HOST's attributes the client received from message index `from` on. */
function updatesOf(c: TestVizClient, from: number): Attrs[] {
  return c.messages.slice(from).filter((m) => m.type === 'diff')
    .flatMap((m) => (m.nodes as { update: { key: string; attributes: Attrs }[] }).update.filter((u) => u.key === HOST).map((u) => u.attributes));
}

describe('update throttling', () => {
  test('a new element at once, its counters once per refresh interval, the last write never lost, a removal at once', async () => {
    const c = new TestVizClient(gg.vizPort);
    await c.open();
    expect((await c.login(PASSWORD)).type).toBe('auth-ok');
    await c.configure({});
    const t = Date.now();
    const base = { first: String(t), last: String(t), pkts_in: '1', pkts_out: '1', bytes_out: '100', 'p:1': String(t), scope: 'public', lat: '50.85', lng: '4.35', country: 'BE' };
    const t0 = Date.now();
    await redis.hSet(KEY, { ...base, bytes_in: '1000' });
    await eventually(() => c.replica.state.nodes.has(HOST), 'the new host', 5000);
    // Well under a refresh interval: a new element does not wait for one.
    expect(Date.now() - t0).toBeLessThan(REFRESH_MS);

    // Twenty writes in about a second: the client sees at most one update per interval, and the last value.
    const from = c.messages.length;
    const started = Date.now();
    for (let i = 1; i <= 20; i++) {
      await redis.hSet(KEY, { bytes_in: String(1000 + i * 100) });
      await new Promise((r) => setTimeout(r, 50));
    }
    await eventually(() => c.replica.state.nodes.get(HOST)?.bytes_in === 3000, 'the last write shown', 10_000);
    const elapsed = Date.now() - started;
    const updates = updatesOf(c, from).filter((a) => 'bytes_in' in a);
    expect(updates.length).toBeGreaterThanOrEqual(1);
    expect(updates.length).toBeLessThanOrEqual(Math.ceil(elapsed / REFRESH_MS) + 1);
    expect(updates.at(-1)!.bytes_in).toBe(3000);

    // A removal goes out at the next tick, even right after an update.
    await redis.hSet(KEY, { bytes_in: '5000' });
    const t1 = Date.now();
    await redis.del(KEY);
    await eventually(() => !c.replica.state.nodes.has(HOST), 'the host removed', 5000);
    expect(Date.now() - t1).toBeLessThan(REFRESH_MS);
    expect(c.problems).toEqual([]);
    c.close();
  }, 60_000);
});
