/**
 * Slow and malicious clients, for real: a client that stops reading and
 * floods configuration changes never makes the server buffer without bound,
 * never delays the others, gets a fresh snapshot once it reads again, and is
 * closed with 4408 when it stays behind too long.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { TestGlougloud } from '../../helpers/glougloud.js';
import { eventually } from '../../helpers/probe-client.js';
import { converges, PASSWORD, startSimProbe, startVizGlougloud, stopChild } from './harness.js';
import { TestVizClient } from './viz-client.js';
import type { ChildProcess } from 'node:child_process';

let gg: TestGlougloud;
let probe: ChildProcess;
const clients: TestVizClient[] = [];
const MAX_LAG_MS = 6000;
const FLIP = [{ maxNodes: 50_000, maxEdges: 100_000 }, { grouping: 'prefix' }];

async function client(config: object): Promise<TestVizClient> {
  const c = new TestVizClient(gg.vizPort);
  clients.push(c);
  expect((await c.login(PASSWORD)).type).toBe('auth-ok');
  expect((await c.configure(config)).type).toBe('snapshot');
  return c;
}

async function metric(name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${gg.vizPort}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

/**
 * Stops reading, and sends configuration changes (each answered with a diff
 * of the whole graph) a few at a time until the server sees the client behind:
 * the quickest way to fill the kernel's socket buffers.
 */
async function fallBehind(c: TestVizClient, counter: string): Promise<void> {
  const before = await metric(counter);
  c.ws.pause();
  for (let i = 0; i < 200; i += 2) {
    c.send({ type: 'config', ...FLIP[1] });
    c.send({ type: 'config', ...FLIP[0] });
    if (i % 6 === 4 && (await metric(counter)) > before) return;
  }
  await eventually(async () => (await metric(counter)) > before, counter, 10_000);
}

beforeAll(async () => {
  gg = await startVizGlougloud({
    limits: { highWaterBytes: 64 * 1024, lowWaterBytes: 16 * 1024, maxLagMs: MAX_LAG_MS, maxPendingOps: 200, messageRate: 100 },
  });
  probe = startSimProbe(gg, 1, 3000);
  const c = await client({});
  await eventually(() => c.replica.state.nodes.size > 150, 'a graph of some size', 30_000);
}, 60_000);

afterAll(async () => {
  await stopChild(probe);
  for (const c of clients) c.close();
  expect(await gg?.stop()).toBe(0);
});

describe('slow clients', () => {
  test('a client that stops reading does not delay the others and is closed with 4408', async () => {
    const fast = clients[0];
    const bad = await client(FLIP[0]);
    const closesBefore = await metric('gg_viz_slow_closes_total');
    await fallBehind(bad, 'gg_viz_slow_clients');
    // While it is behind, the others get every tick's diff.
    const t0 = Date.now();
    const arrivals: number[] = [];
    const seen = fast.messages.length;
    let buffered = 0;
    while (Date.now() - t0 < MAX_LAG_MS - 500) {
      await new Promise((r) => setTimeout(r, 100));
      for (let i = seen + arrivals.length; i < fast.messages.length; i++) arrivals.push(Date.now());
      buffered = Math.max(buffered, await metric('gg_viz_client_buffered_bytes_max'));
    }
    // What waits for the bad client stays near the high-water mark (64 KiB) plus one message.
    expect(buffered).toBeLessThan(2 * 1024 * 1024);
    await eventually(async () => (await metric('gg_viz_slow_closes_total')) > closesBefore, 'the slow client closed', 10_000);
    const text = await (await fetch(`http://127.0.0.1:${gg.vizPort}/metrics`)).text();
    expect(text).toMatch(/gg_viz_closes_total\{reason="GG_VIZ_TOO_SLOW"\} [1-9]/);
    // The others kept getting their diffs, tick after tick.
    const diffs = fast.messages.slice(seen).filter((m) => m.type === 'diff');
    expect(diffs.length).toBeGreaterThanOrEqual(3);
    const gaps = arrivals.slice(1).map((t, i) => t - arrivals[i]);
    // Ticks are 100 ms; the bound leaves room for a loaded test machine.
    expect(Math.max(...gaps)).toBeLessThan(3000);
    expect(fast.problems).toEqual([]);
    bad.close();
  }, 30_000);

  test('a client too far behind gets a fresh snapshot when it reads again, then follows', async () => {
    const slow = await client(FLIP[0]);
    await fallBehind(slow, 'gg_viz_slow_resets_total');
    slow.ws.resume();
    await slow.next((m) => m.type === 'notice' && m.code === 'GG_VIZ_SLOW_RESET', 'reset notice', 0, 30_000);
    await slow.next((m) => m.type === 'snapshot' && m.reason === 'reset', 'fresh snapshot', 0, 30_000);
    expect(slow.closeCode).toBe(null);
    await stopChild(probe);
    await converges(gg, slow, FLIP[0]);
    await converges(gg, clients[0], {});
    expect(slow.problems).toEqual([]);
    // Snapshots and merged diffs go out as text frames too.
    expect(slow.binaryFrames).toBe(0);
  }, 60_000);
});
