import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type RedisClientType } from 'redis';
import { NetStore, type NetMessage, type ProbeRef } from '../../../glougloud/modules/1-net.js';
import { openGeoLocator, type OfflineLocator } from '../../../glougloud/geo/locator.js';
import { readStoredNet } from '../../../glougloud/redis/snapshot.js';
import { NOTIFY_KEYSPACE_EVENTS } from '../../../glougloud/store/notify.js';
import { startRedis, type TestRedis } from '../../helpers/redis-server.js';

type Client = RedisClientType;

const probe: ProbeRef = { id: 7, site: { lat: 48.8566, lng: 2.3522, name: 'paris-lab' } };
const T0 = 1_700_000_000_000_000; // µs, message timestamps

const newconn = (conn_id: number, src: string, sport: number, dst: string, dport: number, proto = 6, family = 4): NetMessage =>
  ({ module: 1, type: 1, conn_id, ts: T0, proto, vlan: 10, vlan_inner: 0, sport, dport, family, src, dst });
const data = (conn_id: number, fwd_bytes: number, rev_bytes: number, fwd_pkts = 1, rev_pkts = 1): NetMessage =>
  ({ module: 1, type: 3, conn_id, ts: T0, interval_us: 1_000_000, fwd_pkts, fwd_bytes, rev_pkts, rev_bytes });
const delconn = (conn_id: number): NetMessage => ({ module: 1, type: 2, conn_id, ts: T0, reason: 'fin' });
const name = (addr: string, n: string, rrtype = 1): NetMessage => ({ module: 1, type: 4, ts: T0, rrtype, family: 4, addr, name: n });
const trace = (dst: string, hops: { ttl: number; rtt_us: number | null; addr: string | null }[]): NetMessage =>
  ({ module: 1, type: 5, ts: T0 + 5_000_000, family: 4, dst, hops });

async function exec(c: Client, cmds: string[][]): Promise<void> {
  if (cmds.length === 0) return;
  const m = c.multi();
  for (const cmd of cmds) m.addCommand(cmd);
  await m.execAsPipeline();
}

/** Collects keyspace events (key → events) from a PSUBSCRIBE on a second connection. */
async function subscribe(url: string): Promise<{ events: [string, string][]; client: Client; wait: (pred: () => boolean, ms?: number) => Promise<void> }> {
  const client = createClient({ url });
  await client.connect();
  const events: [string, string][] = [];
  await client.pSubscribe('__keyspace@0__:gg:1:*', (message, channel) => {
    events.push([channel.slice('__keyspace@0__:'.length), message]);
  });
  const wait = async (pred: () => boolean, ms = 3000): Promise<void> => {
    const end = Date.now() + ms;
    while (!pred() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  };
  return { events, client, wait };
}

let redis: TestRedis;
let client: Client;
let locator: OfflineLocator;

beforeAll(async () => {
  redis = await startRedis({ config: [`notify-keyspace-events ${NOTIFY_KEYSPACE_EVENTS}`] });
  client = createClient({ url: redis.url });
  await client.connect();
  locator = await openGeoLocator({ preloadAsn: false });
}, 30_000);

afterAll(async () => {
  client?.destroy();
  await redis?.stop();
});

describe('NetStore flushed into a real Redis', () => {
  it('writes nodes, a connection, a link and a path with directions, geo and TTLs', async () => {
    await client.flushAll();
    const store = new NetStore({}, locator);
    const now = Date.now();
    store.apply(probe, newconn(1, '192.168.1.10', 50000, '8.8.8.8', 443), now);
    store.apply(probe, data(1, 1000, 5000, 3, 5), now + 10);
    store.apply(probe, data(1, 200, 300, 1, 2), now + 20);
    store.apply(probe, name('8.8.8.8', 'dns.google'), now + 30);
    store.apply(probe, trace('8.8.8.8', [
      { ttl: 1, rtt_us: 400, addr: '192.168.1.1' }, { ttl: 2, rtt_us: null, addr: null }, { ttl: 3, rtt_us: 9000, addr: '8.8.8.8' },
    ]), now + 40);
    await exec(client, store.flush(now + 100));

    const conn = await client.hGetAll('gg:1:c:7:1');
    expect(conn).toMatchObject({
      probe: '7', proto: '6', family: '4', src: '192.168.1.10', sport: '50000', dst: '8.8.8.8', dport: '443',
      vlan: '10', vlan_inner: '0', state: 'active', fwd_bytes: '1200', rev_bytes: '5300', fwd_pkts: '4', rev_pkts: '7',
      first: String(now), last: String(now + 20),
    });

    // "1..." < "8...": the private host is a, and src → dst is a → b.
    const link = await client.hGetAll('gg:1:l:192.168.1.10|8.8.8.8');
    expect(link).toMatchObject({ bytes_ab: '1200', bytes_ba: '5300', pkts_ab: '4', pkts_ba: '7', conns: '1', live: '1', first: String(now), last: String(now + 20) });
    expect(Number(link.bps)).toBe(Math.round((6500 * 8) / 10));

    const pub = await client.hGetAll('gg:1:n:8.8.8.8');
    expect(pub).toMatchObject({ scope: 'public', country: 'US', asn: '15169', as_org: 'Google LLC', bytes_in: '1200', bytes_out: '5300', pkts_in: '4', pkts_out: '7', name: 'dns.google', rrtype: '1', 'p:7': String(now + 20) });
    expect(Number(pub.lat)).toBeCloseTo(37.751, 2);
    expect(JSON.parse(pub.names)).toEqual([{ name: 'dns.google', rrtype: 1 }]);
    expect(pub.hop).toBe(String(now + 40));

    const priv = await client.hGetAll('gg:1:n:192.168.1.10');
    expect(priv).toMatchObject({ scope: 'private', lat: '48.8566', lng: '2.3522', site: 'paris-lab', bytes_out: '1200', bytes_in: '5300' });
    expect(priv.country).toBeUndefined();
    const gw = await client.hGetAll('gg:1:n:192.168.1.1');
    expect(gw).toMatchObject({ scope: 'private', site: 'paris-lab', hop: String(now + 40) });

    const path = await client.hGetAll('gg:1:p:7:8.8.8.8');
    expect(path).toMatchObject({ probe: '7', dst: '8.8.8.8', ts: String((T0 + 5_000_000) / 1000) });
    expect(JSON.parse(path.hops)).toEqual([
      { ttl: 1, addr: '192.168.1.1', rtt_us: 400 }, { ttl: 2, addr: null, rtt_us: null }, { ttl: 3, addr: '8.8.8.8', rtt_us: 9000 },
    ]);

    const ttl = async (k: string) => client.ttl(k);
    expect(await ttl('gg:1:c:7:1')).toBeGreaterThan(110);
    expect(await ttl('gg:1:c:7:1')).toBeLessThanOrEqual(120);
    expect(await ttl('gg:1:n:8.8.8.8')).toBeGreaterThan(290);
    expect(await ttl('gg:1:l:192.168.1.10|8.8.8.8')).toBeGreaterThan(290);
    expect(await ttl('gg:1:p:7:8.8.8.8')).toBeGreaterThan(590);
  });

  it('orders a link by address whatever the direction of the connection', async () => {
    await client.flushAll();
    const store = new NetStore({}, locator);
    const now = Date.now();
    // src 8.8.4.4 > dst 10.0.0.5 as text: the link's a is the destination.
    store.apply(probe, newconn(2, '8.8.4.4', 53, '10.0.0.5', 40000, 17), now);
    store.apply(probe, data(2, 100, 900, 1, 3), now);
    await exec(client, store.flush(now + 1));
    expect(await client.exists('gg:1:l:8.8.4.4|10.0.0.5')).toBe(0);
    const link = await client.hGetAll('gg:1:l:10.0.0.5|8.8.4.4');
    expect(link).toMatchObject({ bytes_ab: '900', bytes_ba: '100', pkts_ab: '3', pkts_ba: '1' });
  });

  it('DELCONN deletes the connection and decrements the live count of its link', async () => {
    await client.flushAll();
    const store = new NetStore({}, locator);
    const now = Date.now();
    store.apply(probe, newconn(3, '10.0.0.1', 1000, '10.0.0.2', 80), now);
    store.apply(probe, newconn(4, '10.0.0.2', 2000, '10.0.0.1', 22), now);
    await exec(client, store.flush(now + 1));
    expect(await client.hGet('gg:1:l:10.0.0.1|10.0.0.2', 'live')).toBe('2');
    store.apply(probe, delconn(3), now + 2);
    await exec(client, store.flush(now + 3));
    expect(await client.exists('gg:1:c:7:3')).toBe(0);
    expect(await client.exists('gg:1:c:7:4')).toBe(1);
    expect(await client.hGetAll('gg:1:l:10.0.0.1|10.0.0.2')).toMatchObject({ live: '1', conns: '2' });
  });

  it('DATA for an unknown connection is counted and still recorded on its key', async () => {
    await client.flushAll();
    const store = new NetStore({}, locator);
    const now = Date.now();
    store.apply(probe, data(99, 10, 20), now);
    await exec(client, store.flush(now + 1));
    expect(store.stats.dataUnknownConn).toBe(1);
    expect(await client.hGetAll('gg:1:c:7:99')).toMatchObject({ state: 'unknown', fwd_bytes: '10', rev_bytes: '20', probe: '7' });
    expect(await client.ttl('gg:1:c:7:99')).toBeGreaterThan(100);
    expect((await client.keys('gg:1:l:*')).length).toBe(0);
  });

  it('produces one hset per element per flush, del on DELCONN, and expired when idle', async () => {
    await client.flushAll();
    const sub = await subscribe(redis.url);
    try {
      const store = new NetStore({ connTtlS: 1, nodeTtlS: 2, linkTtlS: 2, pathTtlS: 2 }, locator);
      const t = Date.now();
      store.apply(probe, newconn(5, '10.1.0.1', 1000, '10.1.0.2', 80), t);
      store.apply(probe, newconn(6, '10.1.0.1', 1001, '10.1.0.2', 80), t);
      await exec(client, store.flush(t));
      await sub.wait(() => sub.events.length >= 10);
      const byKey = (k: string) => sub.events.filter(([key]) => key === k).map(([, e]) => e);
      expect(byKey('gg:1:c:7:5')).toEqual(['hset', 'expire']);
      expect(byKey('gg:1:l:10.1.0.1|10.1.0.2')).toEqual(['hset', 'expire']);
      expect(byKey('gg:1:n:10.1.0.1')).toEqual(['hset', 'expire']);

      // A second flush soon after: one hset per changed element, no EXPIRE (its TTL is still fresh).
      sub.events.length = 0;
      store.apply(probe, data(5, 10, 10), t + 100);
      await exec(client, store.flush(t + 100));
      await sub.wait(() => sub.events.length >= 4);
      await new Promise((r) => setTimeout(r, 50));
      expect(sub.events.map(([, e]) => e).every((e) => e === 'hset')).toBe(true);
      expect(new Set(sub.events.map(([k]) => k))).toEqual(new Set(['gg:1:c:7:5', 'gg:1:l:10.1.0.1|10.1.0.2', 'gg:1:n:10.1.0.1', 'gg:1:n:10.1.0.2']));

      sub.events.length = 0;
      store.apply(probe, delconn(5), t + 200);
      await exec(client, store.flush(t + 200));
      await sub.wait(() => byKey('gg:1:c:7:5').includes('del'));
      expect(byKey('gg:1:c:7:5')).toEqual(['del']);

      // Connection 6 stays idle: Redis expires it within its 1 s TTL (active expiry may lag a little).
      await sub.wait(() => byKey('gg:1:c:7:6').includes('expired'), 4000);
      expect(byKey('gg:1:c:7:6')).toContain('expired');
      // The store forgets it at the same time and rewrites the link's live count.
      const cmds = store.flush(Date.now());
      expect(store.stats.connsExpired).toBe(1);
      expect(cmds.find((c) => c[1] === 'gg:1:l:10.1.0.1|10.1.0.2')).toEqual(expect.arrayContaining(['live', '0']));
    } finally {
      sub.client.destroy();
    }
  }, 15_000);

  it('restores totals, the connection index and live counts after a restart', async () => {
    await client.flushAll();
    const before = new NetStore({}, locator);
    const now = Date.now();
    before.apply(probe, newconn(8, '10.2.0.1', 1000, '1.1.1.1', 443), now);
    before.apply(probe, newconn(9, '10.2.0.1', 1001, '1.1.1.1', 443), now);
    before.apply(probe, data(8, 100, 1000), now);
    await exec(client, before.flush(now));
    // Connection 9 vanished while the daemon was down.
    await client.del('gg:1:c:7:9');

    const after = new NetStore({}, locator);
    const stored = await readStoredNet(client);
    expect(stored.conns.map((c) => c.key)).toEqual(['gg:1:c:7:8']);
    expect(after.restore(stored, now + 1000)).toBe(4); // 2 nodes, 1 link, 1 connection
    after.apply(probe, data(8, 1, 10), now + 1000);
    await exec(client, after.flush(now + 1000));
    expect(after.stats.dataUnknownConn).toBe(0);
    expect(await client.hGetAll('gg:1:c:7:8')).toMatchObject({ fwd_bytes: '101', rev_bytes: '1010', src: '10.2.0.1' });
    expect(await client.hGetAll('gg:1:l:1.1.1.1|10.2.0.1')).toMatchObject({ bytes_ab: '1010', bytes_ba: '101', live: '1', conns: '2' });
    expect(await client.hGetAll('gg:1:n:1.1.1.1')).toMatchObject({ bytes_in: '101', bytes_out: '1010', asn: '13335' });
  });
});
