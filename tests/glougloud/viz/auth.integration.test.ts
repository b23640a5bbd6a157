/**
 * The viz server's doors, for real: nothing about the graph before a valid
 * password, failed logins delayed per address with growing delays, named
 * users limited to their probes and modules, hostile messages answered with
 * error codes and then a close (never a crash), the HTTP endpoints, and TLS.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { get as httpsGet } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Message } from '../../../protocol/index.js';
import type { TestGlougloud } from '../../helpers/glougloud.js';
import { eventually, TestProbe } from '../../helpers/probe-client.js';
import { PASSWORD, startVizGlougloud } from './harness.js';
import { TestVizClient } from './viz-client.js';

let gg: TestGlougloud;
let watcher: TestVizClient;
const open: TestVizClient[] = [];
const DELAY = 1200;

function connect(localAddress: string, port = gg.vizPort, tls = false): TestVizClient {
  const c = new TestVizClient(port, { localAddress, tls });
  open.push(c);
  return c;
}

const T0 = 1_763_000_000_000_000;
const traffic = (src: string, dst: string, id: number): Message[] => [
  { module: 1, type: 1, conn_id: id, ts: T0, proto: 6, vlan: 0, vlan_inner: 0, sport: 50000 + id, dport: 443, family: 4, src, dst },
  { module: 1, type: 3, conn_id: id, ts: T0 + 1000, interval_us: 1000, fwd_pkts: 3, fwd_bytes: 3000, rev_pkts: 4, rev_bytes: 9000 },
];

beforeAll(async () => {
  gg = await startVizGlougloud({
    probes: { 1: 'secret-1', 2: 'secret-2' },
    users: { alice: { password: 'alice-pw', probes: [1] }, bob: { password: 'bob-pw', modules: [0] } },
    limits: { loginDelayBaseMs: DELAY, maxStrikes: 3, authTimeoutMs: 3000, maxPayloadBytes: 4096 },
  });
  const p1 = new TestProbe(gg.probesPort, 1, 'secret-1');
  const p2 = new TestProbe(gg.probesPort, 2, 'secret-2');
  await p1.connect();
  await p2.connect();
  p1.send(traffic('10.1.0.1', '203.0.113.1', 1));
  p2.send(traffic('10.2.0.1', '203.0.113.2', 1));
  watcher = connect('127.0.0.10');
  await watcher.login(PASSWORD);
  await watcher.configure({});
  await eventually(() => watcher.replica.state.nodes.has('203.0.113.1') && watcher.replica.state.nodes.has('203.0.113.2'), 'traffic of both probes', 15_000);
  await eventually(async () => (await watcher.next((m) => m.type === 'probes' && (m.probes as unknown[]).length === 2, 'both probes')) !== null, 'probes', 10_000);
  p1.close(); p2.close();
}, 60_000);

afterAll(async () => {
  for (const c of open) c.close();
  expect(await gg?.stop()).toBe(0);
});

describe('viz authentication', () => {
  test('nothing about the graph before login; repeated attempts close the connection', async () => {
    const c = connect('127.0.0.2');
    await c.open();
    await c.next((m) => m.type === 'hello', 'hello');
    c.send({ type: 'config' });
    expect(await c.next((m) => m.type === 'error', 'error')).toMatchObject({ code: 'GG_VIZ_NOT_AUTHENTICATED' });
    c.send({ type: 'config', grouping: 'asn' });
    c.send({ type: 'config' });
    expect(await c.closed()).toEqual({ code: 4400, reason: 'GG_VIZ_TOO_MANY_ERRORS' });
    expect(c.messages.some((m) => ['snapshot', 'diff', 'probes', 'auth-ok'].includes(m.type))).toBe(false);
  });

  test('a wrong password is refused, then the address waits, longer each time; other addresses do not', async () => {
    const c = connect('127.0.0.3');
    const first = await c.login('wrong');
    expect(first).toMatchObject({ type: 'error', code: 'GG_VIZ_AUTH_FAILED', retryAfterMs: DELAY });
    // Even the right password is not checked while the address must wait.
    expect(await c.login(PASSWORD)).toMatchObject({ type: 'error', code: 'GG_VIZ_RATE_LIMITED' });
    const other = connect('127.0.0.4');
    expect((await other.login(PASSWORD)).type).toBe('auth-ok');
    await new Promise((r) => setTimeout(r, DELAY + 100));
    const second = await c.login('wrong again');
    expect(second).toMatchObject({ code: 'GG_VIZ_AUTH_FAILED', retryAfterMs: 2 * DELAY });
    // Five refused attempts on one connection: closed.
    for (let i = 0; i < 3 && c.closeCode === null; i++) await c.login(PASSWORD).catch(() => null);
    expect((await c.closed()).code).toBe(4401);
    await new Promise((r) => setTimeout(r, 2 * DELAY + 100));
    const again = connect('127.0.0.3');
    expect((await again.login(PASSWORD)).type).toBe('auth-ok');
    const metrics = await (await fetch(`http://127.0.0.1:${gg.vizPort}/metrics`)).text();
    expect(metrics).toMatch(/gg_viz_logins_total\{outcome="failed"\} [2-9]/);
    expect(metrics).toMatch(/gg_viz_logins_total\{outcome="rate_limited"\} [1-9]/);
  }, 30_000);

  test('a client that does not log in in time is closed', async () => {
    const c = connect('127.0.0.5');
    expect(await c.closed()).toEqual({ code: 4401, reason: 'GG_VIZ_AUTH_TIMEOUT' });
  });

  test('named users see only their probes and modules, now and as traffic goes on, and only their probes\' health', async () => {
    const alice = connect('127.0.0.6');
    expect(await alice.login('alice-pw', 'alice')).toMatchObject({ type: 'auth-ok', user: 'alice', probes: [1] });
    const probes = await alice.next((m) => m.type === 'probes', 'probes');
    expect((probes.probes as { id: number }[]).map((p) => p.id)).toEqual([1]);
    expect(await alice.configure({ probes: [2] })).toMatchObject({ type: 'error', code: 'GG_VIZ_FORBIDDEN' });
    const snap = await alice.configure({});
    expect(snap).toMatchObject({ type: 'snapshot', config: { probes: [1] } });
    const nodes = alice.replica.state.nodes;
    expect(nodes.has('203.0.113.1')).toBe(true);
    expect(nodes.has('203.0.113.2')).toBe(false);
    expect(nodes.has('10.2.0.1')).toBe(false);
    // Live: both probes reach one host, probe 2 alone another.
    const p1 = new TestProbe(gg.probesPort, 1, 'secret-1');
    const p2 = new TestProbe(gg.probesPort, 2, 'secret-2');
    await p1.connect();
    await p2.connect();
    p1.send(traffic('10.1.0.1', '198.51.100.50', 2));
    p2.send([...traffic('10.2.0.1', '198.51.100.50', 2), ...traffic('10.2.0.1', '198.51.100.60', 3)]);
    const w = watcher.replica.state;
    await eventually(() => w.nodes.has('198.51.100.60') && Object.keys((w.nodes.get('198.51.100.50')?.probes ?? {}) as object).length === 2, 'both probes\' traffic', 15_000);
    await eventually(() => nodes.has('198.51.100.50') && alice.replica.state.edges.has('10.1.0.1|198.51.100.50'), 'probe 1\'s traffic for alice', 15_000);
    // Probe health is refreshed every second: let a few updates reach her.
    const seen = alice.messages.length;
    await alice.next((m) => m.type === 'probes', 'a health update', seen, 10_000);
    p1.close(); p2.close();
    expect(Object.keys(nodes.get('198.51.100.50')!.probes as object)).toEqual(['1']);
    for (const k of ['198.51.100.60', '10.2.0.1', '203.0.113.2']) expect(nodes.has(k)).toBe(false);
    expect(alice.replica.state.edges.has('10.2.0.1|198.51.100.50')).toBe(false);
    const everything = JSON.stringify(alice.messages);
    for (const k of ['198.51.100.60', '10.2.0.1', '203.0.113.2', 'secret-2']) expect(everything).not.toContain(k);
    const health = alice.messages.filter((m) => m.type === 'probes');
    expect(health.length).toBeGreaterThanOrEqual(2);
    for (const m of health) expect((m.probes as { id: number }[]).map((p) => p.id)).toEqual([1]);
    expect(alice.problems).toEqual([]);
    const bob = connect('127.0.0.7');
    expect(await bob.login('bob-pw', 'bob')).toMatchObject({ type: 'auth-ok', modules: [0], probes: null });
    expect(await bob.configure({})).toMatchObject({ type: 'error', code: 'GG_VIZ_FORBIDDEN' });
    expect(bob.messages.some((m) => m.type === 'snapshot' || m.type === 'diff')).toBe(false);
    expect(await connect('127.0.0.8').login('alice-pw', 'bob')).toMatchObject({ code: 'GG_VIZ_AUTH_FAILED' });
  }, 40_000);

  test('malformed, unknown, out-of-order and oversized messages get error codes; the server goes on', async () => {
    const c = connect('127.0.0.9');
    expect((await c.login(PASSWORD)).type).toBe('auth-ok');
    const codes: string[] = [];
    // Two strikes (of three allowed) on this connection.
    for (const bad of ['{not json', '[1,2]']) {
      const from = c.messages.length;
      c.send(bad);
      codes.push((await c.next((m) => m.type === 'error', 'error', from)).code as string);
    }
    expect(codes).toEqual(['GG_VIZ_BAD_JSON', 'GG_VIZ_BAD_MESSAGE']);
    expect(c.closeCode).toBe(null);
    const d = connect('127.0.0.11');
    expect((await d.login(PASSWORD)).type).toBe('auth-ok');
    for (const [bad, code] of [['{"type":"launch"}', 'GG_VIZ_UNKNOWN_TYPE'], [JSON.stringify({ type: 'auth', v: 1, password: PASSWORD }), 'GG_VIZ_ALREADY_AUTHENTICATED']] as const) {
      const from = d.messages.length;
      d.send(bad);
      expect(await d.next((m) => m.type === 'error', 'error', from)).toMatchObject({ code });
    }
    const e = connect('127.0.0.12');
    expect((await e.login(PASSWORD)).type).toBe('auth-ok');
    expect(await e.configure({ maxNodes: -1 })).toMatchObject({ code: 'GG_VIZ_BAD_CONFIG' });
    expect(await e.configure({ grouping: 'planet' })).toMatchObject({ code: 'GG_VIZ_BAD_CONFIG' });
    e.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    expect(await e.closed()).toEqual({ code: 4400, reason: 'GG_VIZ_TOO_MANY_ERRORS' });
    const f = connect('127.0.0.13');
    await f.login(PASSWORD);
    f.send({ type: 'config', include: Array(50).fill('10.0.0.0/8'), pad: 'x'.repeat(5000) });
    expect((await f.closed()).code).toBe(1009);
    const v = connect('127.0.0.14');
    await v.open();
    v.send({ type: 'auth', v: 99, password: PASSWORD });
    expect((await v.closed()).code).toBe(4426);
    // Still serving.
    expect((await fetch(`http://127.0.0.1:${gg.vizPort}/healthz`)).status).toBe(200);
    const g = connect('127.0.0.15');
    expect((await g.login(PASSWORD)).type).toBe('auth-ok');
    expect((await g.configure({ grouping: 'asn' })).type).toBe('snapshot');
  });

  test('random frames over real sockets: protocol errors or closes with protocol codes, the server unharmed', async () => {
    const CODES = ['GG_VIZ_BAD_JSON', 'GG_VIZ_BAD_MESSAGE', 'GG_VIZ_UNKNOWN_TYPE', 'GG_VIZ_TOO_BIG', 'GG_VIZ_ALREADY_AUTHENTICATED',
      'GG_VIZ_RATE_LIMITED', 'GG_VIZ_BAD_CONFIG', 'GG_VIZ_FORBIDDEN', 'GG_VIZ_UNKNOWN_MODULE', 'GG_VIZ_TOO_MANY_VIEWS', 'GG_VIZ_BAD_VERSION'];
    const shaped = fc.record({ type: fc.constantFrom('auth', 'config', 'ping', 'diff', 'snapshot'), v: fc.constantFrom(1, 2, '1'), module: fc.jsonValue(),
      grouping: fc.oneof(fc.constantFrom('none', 'asn', 'prefix'), fc.string()), include: fc.array(fc.string(), { maxLength: 3 }), maxNodes: fc.oneof(fc.integer(), fc.double()),
      password: fc.string(), id: fc.jsonValue() }, { requiredKeys: ['type'] }).map((o) => JSON.stringify(o));
    const frame = fc.oneof(
      { weight: 1, arbitrary: fc.string({ maxLength: 300 }) }, { weight: 1, arbitrary: fc.json({ maxDepth: 3 }) }, { weight: 6, arbitrary: shaped },
      { weight: 1, arbitrary: fc.constantFrom('{}', 'null', '{"type":null}', '\u0000', '{"type":"config","__proto__":{"x":1}}', '{"type":"config","grouping":"asn"}') },
    );
    const batches = fc.sample(fc.array(frame, { minLength: 4, maxLength: 8 }), { numRuns: 12, seed: 6 });
    for (const [i, batch] of batches.entries()) {
      const c = connect(`127.0.1.${i + 1}`);
      expect((await c.login(PASSWORD)).type).toBe('auth-ok');
      for (const f of batch) c.send(f);
      c.send({ type: 'ping', id: 'end' });
      // Answered to the end, or closed (next() gives up at once on a close).
      await c.next((m) => m.type === 'pong' && m.id === 'end', 'the last pong', 0, 10_000).catch(() => null);
      for (const m of c.messages) {
        expect(['hello', 'auth-ok', 'probes', 'snapshot', 'diff', 'error', 'pong', 'notice']).toContain(m.type);
        if (m.type === 'error') expect(CODES).toContain(m.code);
      }
      if (c.closeCode !== null) expect([4400, 4426, 1009]).toContain(c.closeCode);
      expect(c.problems).toEqual([]);
      c.close();
    }
    expect((await fetch(`http://127.0.0.1:${gg.vizPort}/healthz`)).status).toBe(200);
    const after = connect('127.0.0.16');
    expect((await after.login(PASSWORD)).type).toBe('auth-ok');
    expect((await after.configure({})).type).toBe('snapshot');
  }, 60_000);

  test('HTTP: health, metrics, the client or its placeholder, nothing outside it', async () => {
    const base = `http://127.0.0.1:${gg.vizPort}`;
    const h = await fetch(`${base}/healthz`);
    expect(h.status).toBe(200);
    expect(await h.json()).toMatchObject({ status: 'ok', redis: true });
    const m = await (await fetch(`${base}/metrics`)).text();
    for (const name of ['gg_viz_clients', 'gg_viz_probes', 'gg_viz_probe_events_per_second', 'gg_viz_diff_ops_total', 'gg_viz_sent_bytes_total', 'gg_viz_ticks_total', 'gg_viz_slow_clients', 'process_resident_memory_bytes']) {
      expect(m).toContain(name);
    }
    const root = await fetch(`${base}/`);
    expect(root.status).toBe(200);
    expect(root.headers.get('content-type')).toContain('text/html');
    for (const p of ['/../../etc/passwd', '/%2e%2e/%2e%2e/etc/passwd', '/..%2f..%2fetc%2fpasswd', '/.env']) {
      const r = await fetch(`${base}${p}`);
      expect([400, 404]).toContain(r.status);
      expect(await r.text()).not.toContain('root:');
    }
    expect((await fetch(`${base}/`, { method: 'POST' })).status).toBe(405);
    expect((await fetch(`${base}/ws`)).status).toBe(426);
  });
});

describe('viz over TLS', () => {
  test('https and wss when a certificate and key are configured, on the address given with -L', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gg-tls-'));
    try {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
        '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
      const tls = await startVizGlougloud({ viz: { tls: { cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem') } }, args: ['-L', '127.0.0.3'] });
      try {
        const health = await new Promise<{ status: number; body: string }>((resolve, reject) => {
          httpsGet(`https://127.0.0.3:${tls.vizPort}/healthz`, { rejectUnauthorized: false }, (res) => {
            let body = '';
            res.on('data', (d: Buffer) => { body += d.toString(); });
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
          }).on('error', reject);
        });
        expect(health.status).toBe(200);
        expect(JSON.parse(health.body)).toMatchObject({ status: 'ok' });
        const c = new TestVizClient(tls.vizPort, { tls: true, host: '127.0.0.3' });
        expect((await c.login(PASSWORD)).type).toBe('auth-ok');
        expect((await c.configure({})).type).toBe('snapshot');
        expect(c.binaryFrames).toBe(0);
        c.close();
        const plain = new TestVizClient(tls.vizPort, { host: '127.0.0.3' });
        await expect(plain.open()).rejects.toThrow();
        // Only the address given listens.
        await expect(new TestVizClient(tls.vizPort, { tls: true }).open()).rejects.toThrow(/ECONNREFUSED/);
      } finally {
        expect(await tls.stop()).toBe(0);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
