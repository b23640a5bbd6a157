import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from 'redis';
import { RedisWriter, backoffDelay } from '../../../glougloud/redis/writer.js';
import { startRedis, type TestRedis } from '../../helpers/redis-server.js';

const until = async (pred: () => boolean, ms = 5000): Promise<void> => {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('backoffDelay', () => {
  it('grows exponentially, is capped, and is jittered within [½, 1] of the step', () => {
    expect(backoffDelay(0, 100, 5000, () => 1)).toBe(100);
    expect(backoffDelay(0, 100, 5000, () => 0)).toBe(50);
    expect(backoffDelay(3, 100, 5000, () => 1)).toBe(800);
    expect(backoffDelay(20, 100, 5000, () => 1)).toBe(5000);
    expect(backoffDelay(1000, 100, 5000, () => 0)).toBe(2500);
  });
});

describe('RedisWriter against a real Redis', () => {
  let redis: TestRedis;
  beforeAll(async () => { redis = await startRedis(); });
  afterAll(async () => { await redis?.stop(); });

  it('writes each flush as a pipeline, in order', async () => {
    const w = new RedisWriter({ url: redis.url });
    await w.start();
    for (let i = 0; i < 20; i++) w.write([['HSET', 'gg:1:n:10.0.0.1', 'n', String(i)], ['RPUSH', 'gg:test:order', String(i)]]);
    await until(() => w.idle);
    const c = createClient({ url: redis.url });
    await c.connect();
    expect(await c.hGet('gg:1:n:10.0.0.1', 'n')).toBe('19');
    expect(await c.lRange('gg:test:order', 0, -1)).toEqual(Array.from({ length: 20 }, (_, i) => String(i)));
    c.destroy();
    expect(w.stats()).toMatchObject({ flushesWritten: 20, commandsWritten: 40, flushesDropped: 0, connected: true });
    await w.close();
  });

  it('counts a pipeline in which Redis answered an error, without dropping it', async () => {
    const w = new RedisWriter({ url: redis.url });
    await w.start();
    w.write([['SET', 'gg:test:str', 'x'], ['HSET', 'gg:test:str', 'f', 'v'], ['SET', 'gg:test:after', 'y']]);
    await until(() => w.idle);
    expect(w.stats()).toMatchObject({ pipelinesWithErrors: 1, flushesWritten: 1, flushesTorn: 0 });
    await w.close();
  });

  it('buffers while Redis is down, drops the oldest beyond its bound, and drains after reconnecting', async () => {
    const dropped: number[] = [];
    let reconnects = 0;
    const w = new RedisWriter({
      url: redis.url, maxPending: 3, backoffMinMs: 20, backoffMaxMs: 100,
      onDrop: (f) => dropped.push(f), onReconnect: () => { reconnects++; },
    });
    await w.start();
    await redis.stop({ keepDir: true });
    await until(() => !w.stats().connected);
    for (let i = 1; i <= 5; i++) w.write([['SET', `gg:test:flush:${i}`, String(i)]]);
    expect(w.stats()).toMatchObject({ pending: 3, flushesDropped: 2, commandsDropped: 2 });
    expect(dropped).toEqual([1, 1]);

    redis = await startRedis({ dir: redis.dir });
    await until(() => w.stats().connected && w.idle, 10_000);
    expect(reconnects).toBe(1);
    const c = createClient({ url: redis.url });
    await c.connect();
    expect(await c.mGet(['gg:test:flush:1', 'gg:test:flush:2', 'gg:test:flush:3', 'gg:test:flush:4', 'gg:test:flush:5']))
      .toEqual([null, null, '3', '4', '5']);
    c.destroy();
    expect(w.stats()).toMatchObject({ reconnects: 1, flushesWritten: 3, pending: 0 });
    await w.close();
  }, 20_000);

  it('resolves start() after its timeout when Redis is unreachable, and keeps trying', async () => {
    const w = new RedisWriter({ url: 'unix:///nonexistent/gg.sock', firstConnectTimeoutMs: 200, backoffMinMs: 50, backoffMaxMs: 100 });
    const t0 = Date.now();
    await w.start();
    expect(Date.now() - t0).toBeLessThan(2000);
    w.write([['SET', 'k', 'v']]);
    expect(w.stats()).toMatchObject({ connected: false, pending: 1 });
    await w.close(100);
    expect(w.stats()).toMatchObject({ flushesDropped: 1, pending: 0 });
  });
});

describe('RedisWriter started before its Redis', () => {
  it('connects once Redis comes up and writes what was queued', async () => {
    const { mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = mkdtempSync(join(tmpdir(), 'gg-redis-'));
    const w = new RedisWriter({ url: `unix://${join(dir, 'redis.sock')}`, firstConnectTimeoutMs: 100, backoffMinMs: 20, backoffMaxMs: 100 });
    await w.start();
    w.write([['SET', 'gg:test:early', '1']]);
    const r = await startRedis({ dir });
    try {
      await until(() => w.stats().connected && w.idle, 10_000);
      const c = createClient({ url: r.url });
      await c.connect();
      expect(await c.get('gg:test:early')).toBe('1');
      c.destroy();
    } finally {
      await w.close();
      await r.stop();
    }
  }, 15_000);
});
