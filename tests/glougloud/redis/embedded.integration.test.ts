import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createClient } from 'redis';
import { EmbeddedRedis, type EmbeddedExit, pingSocket } from '../../../glougloud/redis/embedded.js';
import { renderRedisConfig } from '../../../glougloud/redis/config.js';

const base = mkdtempSync(join(tmpdir(), 'gg-embedded-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

const alive = (pid: number): boolean => {
  try { process.kill(pid, 0); return true; } catch { return false; }
};

describe('renderRedisConfig', () => {
  it('listens on a unix socket only, with the notify classes and pubsub limit set', () => {
    const text = renderRedisConfig({
      runtimeDir: '/run/gg', stateDir: '/var/lib/gg dir', save: '', appendonly: false, maxmemory: '64mb',
      pubsubLimit: { hard: '256mb', soft: '64mb', seconds: 30 }, extra: [],
    });
    expect(text).toMatch(/^port 0$/m);
    expect(text).toMatch(/^unixsocket "\/run\/gg\/redis.sock"$/m);
    expect(text).toMatch(/^unixsocketperm 700$/m);
    expect(text).toMatch(/^notify-keyspace-events Kghxe$/m);
    expect(text).toMatch(/^client-output-buffer-limit pubsub 256mb 64mb 30$/m);
    expect(text).toMatch(/^save ""$/m);
    expect(text).toMatch(/^dir "\/var\/lib\/gg dir"$/m);
    expect(text).toMatch(/^maxmemory-policy volatile-ttl$/m);
  });
});

describe('EmbeddedRedis', () => {
  it('refuses a bad configuration with a code', async () => {
    const r = await new EmbeddedRedis({ runtimeDir: join(base, 'bad'), stateDir: join(base, 'bad'), save: '1\nrename-command' }).start();
    expect(r).toMatchObject({ ok: false, code: 'GG_REDIS_BAD_CONFIG' });
  });

  it('reports a server that cannot start', async () => {
    const dir = join(base, 'nostart');
    const r = await new EmbeddedRedis({ runtimeDir: dir, stateDir: dir, extra: ['no-such-directive yes'], startTimeoutMs: 3000 }).start();
    expect(r).toMatchObject({ ok: false, code: 'GG_REDIS_START_FAILED' });
  });

  it('starts, answers, restarts after being killed, saves on stop and leaves no process', async () => {
    const runtimeDir = join(base, 'run'), stateDir = join(base, 'state');
    const redis = new EmbeddedRedis({ runtimeDir, stateDir, save: '3600 1', restartMinMs: 50, restartMaxMs: 200 });
    const exits: EmbeddedExit[] = [];
    redis.on('exit', (e) => exits.push(e));
    const started = await redis.start();
    expect(started.ok).toBe(true);
    if (!started.ok) return;
    expect(statSync(runtimeDir).mode & 0o777).toBe(0o700);
    expect(statSync(join(runtimeDir, 'redis.conf')).mode & 0o777).toBe(0o600);
    expect(statSync(started.socket).mode & 0o777).toBe(0o700);

    const c = createClient({ url: started.url });
    await c.connect();
    expect(await c.ping()).toBe('PONG');
    const notify = (await c.configGet('notify-keyspace-events'))['notify-keyspace-events'];
    expect([...notify].sort().join('')).toBe([...'Kghxe'].sort().join(''));
    expect((await c.configGet('port')).port).toBe('0');
    await c.set('gg:test', 'kept');
    c.destroy();

    const first = started.pid;
    const ready = new Promise<{ pid: number }>((resolve) => redis.once('ready', resolve));
    process.kill(first, 'SIGKILL');
    const again = await ready;
    expect(again.pid).not.toBe(first);
    expect(exits).toHaveLength(1);
    expect(exits[0]).toMatchObject({ pid: first, signal: 'SIGKILL' });
    expect(await pingSocket(started.socket)).toBe(true);

    const c2 = createClient({ url: started.url });
    await c2.connect();
    await c2.set('gg:test', 'saved at shutdown');
    c2.destroy();
    await redis.stop();
    expect(alive(again.pid)).toBe(false);
    expect(redis.pid).toBeNull();
    expect(exits).toHaveLength(1); // a requested stop is not a death
    // SIGTERM made Redis write its snapshot.
    expect(readFileSync(join(stateDir, 'glougloud.rdb')).includes(Buffer.from('saved at shutdown'))).toBe(true);
  }, 20_000);
});
