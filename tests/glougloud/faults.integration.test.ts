/**
 * glougloud under faults: its Redis killed mid-stream (external and embedded),
 * and a clean stop that leaves no process behind.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createClient } from 'redis';
import { describe, expect, test } from 'vitest';
import type { Message } from '../../protocol/index.js';
import { startGlougloud } from '../helpers/glougloud.js';
import { eventually, TestProbe } from '../helpers/probe-client.js';
import { startRedis } from '../helpers/redis-server.js';

const T0 = 1_763_000_000_000_000;
const newconn = (id: number): Message =>
  ({ module: 1, type: 1, conn_id: id, ts: T0, proto: 17, vlan: 0, vlan_inner: 0, sport: 5000 + id, dport: 53, family: 4, src: '10.0.0.5', dst: '9.9.9.9' });

/** Processes whose command line mentions `needle`. */
function processesWith(needle: string): string[] {
  try {
    return execFileSync('pgrep', ['-af', needle], { encoding: 'utf8' }).trim().split('\n').filter((l) => l && !l.includes('pgrep'));
  } catch {
    return [];
  }
}

describe('faults', () => {
  test('external Redis killed mid-stream: writes are buffered, then land once it is back', async () => {
    // World-accessible socket: glougloud's probes server runs as nobody when the tests run as root.
    const cfg = ['unixsocketperm 777'];
    let redis = await startRedis({ config: cfg });
    chmodSync(redis.dir, 0o755);
    const gg = await startGlougloud({ probes: { 1: 's1' }, redisUrl: redis.url });
    const probe = new TestProbe(gg.probesPort, 1, 's1');
    try {
      await probe.connect();
      const c = createClient({ url: redis.url });
      c.on('error', () => undefined);
      await c.connect();
      // glougloud set the notifications the viz side needs on the external Redis.
      const notify = (await c.configGet('notify-keyspace-events'))['notify-keyspace-events'];
      expect(notify).toMatch(/K/);
      probe.send([newconn(1)]);
      await eventually(async () => (await c.exists('gg:1:c:1:1')) === 1, 'connection 1');
      await c.quit();

      await redis.stop({ keepDir: true });
      for (let i = 2; i <= 6; i++) { probe.send([newconn(i)]); await new Promise((r) => setTimeout(r, 100)); }
      redis = await startRedis({ dir: redis.dir, config: cfg });
      const c2 = createClient({ url: redis.url });
      c2.on('error', () => undefined);
      await c2.connect();
      await eventually(async () => (await c2.exists('gg:1:c:1:6')) === 1, 'connection sent while Redis was down', 15_000);
      // The freshly started Redis lost the earlier keys: glougloud wrote what it had buffered.
      expect(await c2.exists('gg:1:c:1:2')).toBe(1);
      await c2.quit();
      expect(gg.logs.some((l) => /reconnect|connection (lost|back)|redis/i.test(l))).toBe(true);
    } catch (e) {
      throw new Error(`${(e as Error).message}\n${gg.logs.slice(-15).join('\n')}`);
    } finally {
      probe.close();
      expect(await gg.stop()).toBe(0);
      await redis.stop();
    }
  }, 60_000);

  test('embedded Redis killed: glougloud restarts it and goes on writing', async () => {
    const gg = await startGlougloud({ probes: { 1: 's1' } });
    const probe = new TestProbe(gg.probesPort, 1, 's1');
    try {
      await probe.connect();
      probe.send([newconn(1)]);
      let c = createClient({ url: gg.redisUrl });
      c.on('error', () => undefined);
      await c.connect();
      await eventually(async () => (await c.exists('gg:1:c:1:1')) === 1, 'connection 1');
      await c.quit();
      const pids = processesWith(gg.dir).filter((l) => l.includes('redis-server')).map((l) => Number(l.split(' ')[0]));
      expect(pids.length).toBe(1);
      process.kill(pids[0], 'SIGKILL');
      await eventually(() => gg.logs.some((l) => l.includes('embedded redis') && /died|exit|restart/i.test(l)), 'death logged');
      await eventually(() => processesWith(gg.dir).some((l) => l.includes('redis-server') && !l.startsWith(`${pids[0]} `)), 'a new redis-server', 15_000);
      probe.send([newconn(2)]);
      c = createClient({ url: gg.redisUrl });
      c.on('error', () => undefined);
      await eventually(async () => { if (!c.isOpen) await c.connect(); return (await c.exists('gg:1:c:1:2')) === 1; }, 'connection 2 after the restart', 15_000);
      await c.quit();
    } finally {
      probe.close();
      expect(await gg.stop()).toBe(0);
    }
  }, 60_000);

  test('SIGHUP with a changed configuration file restarts the servers with it', async () => {
    const gg = await startGlougloud({ probes: { 1: 's1' }, config: { ttl: { conn: 100, node: 300, link: 300, path: 600 } } });
    try {
      writeFileSync(join(gg.dir, 'glougloud.json'), JSON.stringify({ ttl: { conn: 40, node: 300, link: 300, path: 600 } }));
      // Port 0 in tests: the restarted probes server announces its new port.
      let port = 0;
      gg.proc.on('message', (m: { type?: string; probesPort?: number }) => { if (m.type === 'ready' && m.probesPort) port = m.probesPort; });
      gg.proc.kill('SIGHUP');
      await eventually(() => gg.logs.filter((l) => l.includes('restarted with the new configuration')).length >= 1, 'children restarted');
      await eventually(() => port !== 0, 'the restarted probes server ready', 60_000);
      const probe = new TestProbe(port, 1, 's1');
      // The new probes server may still be starting: the probe retransmits its HELLO until it answers.
      await probe.connect(20_000);
      probe.send([newconn(1)]);
      const c = createClient({ url: gg.redisUrl });
      c.on('error', () => undefined);
      await c.connect();
      const ttl = await eventually(async () => { const t = await c.ttl('gg:1:c:1:1'); return t > 0 ? t : null; }, 'connection with a TTL');
      expect(ttl).toBeLessThanOrEqual(40);
      await c.quit();
      probe.close();
      // A broken file is refused and the running configuration kept.
      writeFileSync(join(gg.dir, 'glougloud.json'), '{"ttl": {"conn": "soon"}}');
      gg.proc.kill('SIGHUP');
      await eventually(() => gg.logs.some((l) => l.includes('configuration not reloaded') && l.includes('ttl.conn')), 'refusal logged');
    } finally {
      expect(await gg.stop()).toBe(0);
    }
  }, 60_000);

  test('SIGTERM stops glougloud, its probes server and its Redis', async () => {
    const gg = await startGlougloud({ probes: { 1: 's1' } });
    const dir = gg.dir;
    expect(processesWith(dir).length).toBeGreaterThanOrEqual(2);
    expect(await gg.stop()).toBe(0);
    await eventually(() => processesWith(dir).length === 0, 'no process left', 5000);
  }, 30_000);

  test('-n checks the configuration; a bad configuration file gets an exact message', () => {
    const run = (args: string[]) => {
      try {
        return { code: 0, out: execFileSync(process.execPath, ['dist/glougloud/main.js', ...args], { encoding: 'utf8', stdio: 'pipe' }) };
      } catch (e) {
        const err = e as { status: number; stderr: string };
        return { code: err.status, out: err.stderr };
      }
    };
    expect(run(['-n', '-u', 'nobody'])).toEqual({ code: 0, out: 'configuration OK\n' });
    expect(run(['-n', '-p', 'eighty'])).toMatchObject({ code: 2, out: expect.stringContaining('-p: not a port number: eighty') });
    expect(run(['--bogus'])).toMatchObject({ code: 2, out: expect.stringContaining('unknown option --bogus') });
    expect(run(['--help']).out).toContain('usage: glougloud');
  }, 30_000);
});
