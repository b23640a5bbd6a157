import { afterAll, describe, expect, it } from 'vitest';
import { createClient } from 'redis';
import { checkRedisUrl, configValue, prepareExternalRedis } from '../../../glougloud/redis/external.js';
import { missingNotifyClasses } from '../../../glougloud/store/notify.js';
import { startRedis, type TestRedis } from '../../helpers/redis-server.js';

const servers: TestRedis[] = [];
afterAll(async () => { await Promise.all(servers.map((s) => s.stop())); });

async function notifyOf(url: string): Promise<string> {
  const c = createClient({ url });
  await c.connect();
  const v = (await c.configGet('notify-keyspace-events'))['notify-keyspace-events'];
  c.destroy();
  return v;
}

describe('prepareExternalRedis', () => {
  it('adds the missing classes with CONFIG SET', async () => {
    const r = await startRedis({ config: ['notify-keyspace-events Elg'] });
    servers.push(r);
    const res = await prepareExternalRedis(r.url);
    expect(res).toMatchObject({ ok: true, changed: true });
    const now = await notifyOf(r.url);
    expect(missingNotifyClasses(now)).toBe('');
    // What was there stays (someone else may rely on it).
    expect(now).toContain('E');
    expect(now).toContain('l');
  });

  it('leaves a server that already has them alone (A covers g, h, x, e)', async () => {
    const r = await startRedis({ config: ['notify-keyspace-events AK'] });
    servers.push(r);
    expect(await prepareExternalRedis(r.url)).toMatchObject({ ok: true, changed: false });
  });

  it('says what to configure when CONFIG is not allowed', async () => {
    const r = await startRedis({ config: ['user default on nopass ~* &* +@all -config'] });
    servers.push(r);
    const res = await prepareExternalRedis(r.url);
    expect(res).toMatchObject({ ok: false, code: 'GG_REDIS_NOTIFY_CONFIG' });
    if (!res.ok) expect(res.detail).toContain('notify-keyspace-events');
  });

  it('rejects bad URLs and reports unreachable servers by code', async () => {
    expect(await prepareExternalRedis('http://localhost:6379')).toMatchObject({ ok: false, code: 'GG_REDIS_BAD_URL' });
    expect(await prepareExternalRedis('unix://relative.sock')).toMatchObject({ ok: false, code: 'GG_REDIS_BAD_URL' });
    expect(await prepareExternalRedis('unix:///nonexistent/gg.sock')).toMatchObject({ ok: false, code: 'GG_REDIS_UNREACHABLE' });
    expect(checkRedisUrl('redis://127.0.0.1:6379')).toBeNull();
    expect(checkRedisUrl('unix:///run/redis.sock')).toBeNull();
  });

  it('reads CONFIG GET replies of both protocol versions', () => {
    expect(configValue(['notify-keyspace-events', 'Kx'], 'notify-keyspace-events')).toBe('Kx');
    expect(configValue({ 'notify-keyspace-events': 'Kx' }, 'notify-keyspace-events')).toBe('Kx');
    expect(configValue(new Map([['notify-keyspace-events', 'Kx']]), 'notify-keyspace-events')).toBe('Kx');
    expect(configValue(null, 'notify-keyspace-events')).toBeNull();
  });
});
