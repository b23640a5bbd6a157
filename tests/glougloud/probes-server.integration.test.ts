/**
 * glougloud for real: its own embedded redis-server, the probes server as a
 * separate process (dropping to nobody when run as root), driven over UDP by
 * a test probe built from protocol/. Asserts what lands in Redis, the
 * per-probe stats and the error counters.
 */
import { createSocket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { encodeDatagram, Msg, type Message } from '../../protocol/index.js';
import { startGlougloud, type TestGlougloud } from '../helpers/glougloud.js';
import { eventually, TestProbe } from '../helpers/probe-client.js';

type Client = ReturnType<typeof createClient>;

const T0 = 1_763_000_000_000_000;
const newconn = (id: number, src: string, dst: string, sport = 40000, dport = 443): Message =>
  ({ module: 1, type: 1, conn_id: id, ts: T0, proto: 6, vlan: 0, vlan_inner: 0, sport, dport, family: 4, src, dst });
const data = (id: number, fb: number, rb: number): Message =>
  ({ module: 1, type: 3, conn_id: id, ts: T0 + 100_000, interval_us: 100_000, fwd_pkts: 2, fwd_bytes: fb, rev_pkts: 3, rev_bytes: rb });

let gg: TestGlougloud;
let redis: Client;
let probe: TestProbe;

beforeAll(async () => {
  gg = await startGlougloud({ probes: { 1: 'secret-one', 2: 'secret-two' } });
  redis = createClient({ url: gg.redisUrl });
  await redis.connect();
  probe = new TestProbe(gg.probesPort, 1, 'secret-one');
  await probe.connect();
}, 60_000);

afterAll(async () => {
  probe?.close();
  await redis?.quit();
  const code = await gg?.stop();
  expect(code).toBe(0);
});

const serverStats = async () => (await redis.hGetAll('gg:0:server')) as Record<string, string>;

describe('probes server', () => {
  test('a probe\'s connections, traffic and names land in Redis', async () => {
    probe.send([
      newconn(7, '10.1.2.3', '8.8.8.8'),
      data(7, 1000, 5000),
      { module: 1, type: 4, ts: T0, rrtype: 1, family: 4, addr: '8.8.8.8', name: 'dns.google' },
    ]);
    const conn = await eventually(async () => {
      const h = await redis.hGetAll('gg:1:c:1:7');
      return h.fwd_bytes === '1000' ? h : null;
    }, 'connection hash');
    expect(conn).toMatchObject({ src: '10.1.2.3', dst: '8.8.8.8', sport: '40000', dport: '443', proto: '6', rev_bytes: '5000' });
    const link = await redis.hGetAll('gg:1:l:10.1.2.3|8.8.8.8');
    expect(Number(link.a_bytes ?? link.bytes_ab)).toBe(1000);
    const remote = await redis.hGetAll('gg:1:n:8.8.8.8');
    expect(JSON.stringify(remote)).toContain('dns.google');
    expect(remote.country).toBe('US');
    // A private address stands where its probe says it is.
    const local = await redis.hGetAll('gg:1:n:10.1.2.3');
    expect(Number(local.lat)).toBeCloseTo(48.85, 1);
    expect(await redis.ttl('gg:1:c:1:7')).toBeGreaterThan(0);
    const stats = await eventually(async () => {
      const h = await redis.hGetAll('gg:0:probe:1');
      return Number(h.messages) >= 3 ? h : null;
    }, 'probe stats');
    expect(stats.site_name).toBe('Test site');
    expect(Number(stats.datagrams)).toBeGreaterThanOrEqual(1);
  });

  test('DELCONN removes the connection and keeps the link', async () => {
    probe.send([newconn(8, '10.1.2.3', '1.1.1.1'), data(8, 10, 20)]);
    await eventually(async () => (await redis.exists('gg:1:c:1:8')) === 1, 'connection 8');
    probe.send([{ module: 1, type: 2, conn_id: 8, ts: T0 + 200_000, reason: 'fin' }]);
    await eventually(async () => (await redis.exists('gg:1:c:1:8')) === 0, 'connection 8 deleted');
    expect(await redis.exists('gg:1:l:1.1.1.1|10.1.2.3')).toBe(1);
  });

  test('hostile datagrams are counted and dropped, never written', async () => {
    const before = new Set(await redis.keys('gg:1:*'));
    const sealedOk = probe.send([newconn(9, '10.9.9.9', '9.9.9.9')]);
    await eventually(async () => (await redis.exists('gg:1:c:1:9')) === 1, 'connection 9');
    const hostile: Buffer[] = [
      randomBytes(100),
      Buffer.from('GG'),
      Buffer.concat([Buffer.from([0x47, 0x47, 2, 0]), randomBytes(40)]),
      // A plain, well-formed NEWCONN outside any session.
      encodeDatagram({ version: 1, flags: 0, session_id: probe.session.sessionId, seq: 0 }, [newconn(10, '10.6.6.6', '6.6.6.6')]),
      // Forged: right header and session, random ciphertext.
      Buffer.concat([sealedOk.subarray(0, 8), Buffer.from([0, 0, 0, 0, 0, 0, 0x10, 0]), randomBytes(60)]),
      // Replayed.
      sealedOk,
      // Bit-flipped.
      (() => { const b = Buffer.from(sealedOk); b[b.length - 20] ^= 1; return b; })(),
    ];
    for (const h of hostile) probe.raw(h);
    const stats = await eventually(async () => {
      const s = await serverStats();
      return Number(s['drop:GG_ERR_REPLAYED']) >= 1 && Number(s['drop:GG_ERR_AUTH_FAILED']) >= 2 ? s : null;
    }, 'drop counters');
    expect(Number(stats['drop:GG_ERR_BAD_MAGIC'])).toBeGreaterThanOrEqual(1);
    expect(Number(stats['drop:GG_ERR_TRUNCATED'])).toBeGreaterThanOrEqual(1);
    expect(Number(stats['drop:GG_ERR_BAD_VERSION'])).toBeGreaterThanOrEqual(1);
    expect(Number(stats.dropped)).toBeGreaterThanOrEqual(hostile.length - 1);
    const after = await redis.keys('gg:1:*');
    const added = after.filter((k) => !before.has(k));
    expect(added.some((k) => k.includes('6.6.6.6') || k === 'gg:1:c:1:10')).toBe(false);
    // Still serving.
    probe.send([newconn(11, '10.1.1.1', '4.4.4.4')]);
    await eventually(async () => (await redis.exists('gg:1:c:1:11')) === 1, 'connection 11 after the attack');
  });

  test('a wrong secret is denied and counted', async () => {
    const liar = new TestProbe(gg.probesPort, 2, 'not-the-secret');
    await expect(liar.connect(1500)).rejects.toThrow(/not done/);
    liar.close();
    await eventually(async () => Number((await serverStats()).denied) >= 1, 'denied counter');
  });

  test('a handshake flood from one source does not starve an established probe', async () => {
    const flooder = createSocket('udp4');
    const hello = encodeDatagram({ version: 1, flags: 0, session_id: 0, seq: 0 }, [
      { ...Msg.HELLO, probe_id: 2, min_version: 1, max_version: 1, mode: 'encrypt', nonce: randomBytes(32) },
    ]);
    for (let i = 0; i < 3000; i++) {
      hello.fill(i & 255, hello.length - 32); // fresh nonces
      flooder.send(hello, gg.probesPort, '127.0.0.1');
      if (i % 500 === 0) probe.send([newconn(100 + i, '10.2.2.2', '2.2.2.2', 1000 + i)]);
    }
    for (let i = 0; i < 3000; i += 500) {
      await eventually(async () => (await redis.exists(`gg:1:c:1:${100 + i}`)) === 1, `connection ${100 + i} during the flood`);
    }
    await eventually(async () => Number((await serverStats())['drop:GG_ERR_RATE_LIMITED']) > 100, 'rate-limited counter');
    flooder.close();
  });

  test('a restarted probe gets a new session and keeps its stats', async () => {
    const before = probe.session.sessionId;
    await probe.handshake();
    expect(probe.session.sessionId).not.toBe(before);
    probe.send([newconn(12, '10.3.3.3', '3.3.3.3')]);
    await eventually(async () => (await redis.exists('gg:1:c:1:12')) === 1, 'connection 12 on the new session');
    const s = await eventually(async () => {
      const h = await redis.hGetAll('gg:0:probe:1');
      return Number(h.session) === probe.session.sessionId ? h : null;
    }, 'stats of the new session');
    expect(Number(s.messages)).toBeGreaterThan(5);
    expect(Number((await serverStats()).replaced)).toBeGreaterThanOrEqual(1);
  });

  test('SIGHUP reloads secrets; a group-readable secret file is refused', async () => {
    gg.addProbe(3, 'secret-three', 0o644);
    gg.addProbe(4, 'secret-four');
    gg.proc.kill('SIGHUP');
    await eventually(() => gg.logs.some((l) => l.includes('probe secret refused') && l.includes('"file":"3"')), 'refusal logged');
    const p4 = new TestProbe(gg.probesPort, 4, 'secret-four');
    await p4.connect();
    p4.close();
    const p3 = new TestProbe(gg.probesPort, 3, 'secret-three');
    await expect(p3.connect(1500)).rejects.toThrow(/not done/);
    p3.close();
  });
});
