// `npm run bench -- viz [--clients 1000,5000] [--rate 10000] [--seconds 20] [--procs 4]`
//
// The viz server under load: a real glougloud (embedded Redis, probes server,
// viz server), a simulated probe feeding --rate events/s, and WebSocket
// clients with a mix of filters spread over separate load processes. A
// second, tiny probe sends "markers" (a new link between addresses no
// simulated host uses) ten times a second; each client notes when each marker
// first reaches it. Printed per client count: latency probe → client
// (p50/p99/max), markers a client should have seen but did not, the viz
// server's CPU and RSS (from its /metrics), and bytes per client per second.
import { fork, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const PASSWORD = 'bench-password';
const now = () => performance.timeOrigin + performance.now();

/** Filter mix: [config, can a marker be seen in it]. Markers are CGNAT ↔ benchmarking addresses with huge byte counts. */
const MIX = [
  [{}, true],
  [{ grouping: 'prefix' }, true],
  [{ include: ['100.64.0.0/10'], windowS: 60 }, true],
  [{ minBytes: 1_000_000, maxNodes: 500, maxEdges: 1000 }, true],
  [{ grouping: 'country', paths: false }, false],
  [{ grouping: 'asn', maxNodes: 200 }, false],
  [{ exclude: ['10.0.0.0/8'], protocols: ['tcp'] }, true],
  [{ maxNodes: 1000, maxEdges: 2000 }, true],
];

// ---------------------------------------------------------------- worker ---
async function worker() {
  const { default: WebSocket } = await import('ws');
  const [port, from, count] = process.argv.slice(3).map(Number);
  /** Latencies from one reference time per marker (sent by the probe; landed in Redis), in 1 ms buckets. */
  const latency = () => ({ ref: new Map(), waiting: new Map(), hist: new Uint32Array(60_001), seen: 0 });
  const fromProbe = latency(), fromRedis = latency();
  let bytes = 0, messages = 0, measuring = false, ready = 0, closed = 0;
  const record = (l, ms) => { l.hist[Math.max(0, Math.min(60_000, Math.round(ms)))]++; l.seen++; };
  const reference = (l, i, t) => {
    l.ref.set(i, t);
    for (const r of l.waiting.get(i) ?? []) if (measuring) record(l, r - t);
    l.waiting.delete(i);
  };
  const received = (l, i, t) => {
    const r = l.ref.get(i);
    if (r !== undefined) record(l, t - r);
    else { let w = l.waiting.get(i); if (!w) l.waiting.set(i, (w = [])); w.push(t); }
  };
  const clients = [];
  process.on('disconnect', () => process.exit(0));
  process.on('message', (m) => {
    if (m.type === 'marker') reference(fromProbe, m.i, m.t);
    else if (m.type === 'landed') reference(fromRedis, m.i, m.t);
    else if (m.type === 'measure') {
      measuring = true; bytes = 0; messages = 0;
      for (const l of [fromProbe, fromRedis]) { l.hist.fill(0); l.seen = 0; }
    } else if (m.type === 'report') {
      measuring = false;
      const out = (l) => ({ seen: l.seen, hist: Array.from(l.hist) });
      process.send({ type: 'report', bytes, messages, closed, probe: out(fromProbe), redis: out(fromRedis) });
    } else if (m.type === 'stop') { for (const c of clients) c.terminate(); setTimeout(() => process.exit(0), 200); }
  });
  const MARK = Buffer.from('"100.');
  /** The number at `p` in a buffer of ASCII digits, and where it ends. */
  const num = (b, p) => { let n = 0, q = p; while (q < b.length && b[q] >= 48 && b[q] <= 57 && q - p < 3) n = n * 10 + b[q++] - 48; return [n, q]; };
  const open = (k) => new Promise((resolve) => {
    const [config, watch] = MIX[k % MIX.length];
    // No UTF-8 validation: the load processes must cost less than what they measure.
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, { perMessageDeflate: false, skipUTF8Validation: true });
    const got = new Set();
    clients.push(ws);
    let state = 0;
    ws.on('message', (data) => {
      const t = now();
      if (state < 3) {
        const text = data.toString();
        if (state === 0 && text.includes('"hello"')) { ws.send(JSON.stringify({ type: 'auth', v: 1, password: PASSWORD })); state = 1; }
        else if (state === 1 && text.includes('"auth-ok"')) { ws.send(JSON.stringify({ type: 'config', ...config })); state = 2; }
        else if (state === 2 && text.startsWith('{"type":"snapshot"')) { state = 3; ready++; resolve(); }
        return;
      }
      if (!measuring) return;
      bytes += data.length; messages++;
      if (!watch) return;
      // Markers are the only addresses in 100.64.0.0/10: find them without decoding the message.
      for (let p = data.indexOf(MARK); p !== -1; p = data.indexOf(MARK, p + 5)) {
        const [o2, e2] = num(data, p + 5);
        if (o2 < 64 || o2 > 127 || data[e2] !== 46) continue;
        const [o3, e3] = num(data, e2 + 1);
        if (data[e3] !== 46) continue;
        const i = ((o2 - 64) << 8) | o3;
        if (got.has(i)) continue;
        got.add(i);
        received(fromProbe, i, t);
        received(fromRedis, i, t);
      }
    });
    ws.on('close', () => { closed++; resolve(); });
    ws.on('error', () => resolve());
  });
  // Connect gradually: a burst of thousands of handshakes is not what is measured.
  for (let k = from; k < from + count; k += 50) {
    await Promise.all(Array.from({ length: Math.min(50, from + count - k) }, (_, j) => open(k + j)));
  }
  process.send({ type: 'ready', ready });
}

// ---------------------------------------------------------------- parent ---
function arg(args, name, def) {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
}

async function metrics(port) {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const get = (n) => Number(text.split('\n').find((l) => l.startsWith(`${n} `))?.split(' ')[1] ?? NaN);
  return { cpu: get('process_cpu_seconds_total'), rss: get('process_resident_memory_bytes') };
}

/** A marker probe: the real session layer from dist/protocol, one new link per marker; it keeps its session alive. */
async function markerProbe(probesPort, secret) {
  const { ProbeSession } = await import('../../dist/protocol/session/probe-session.js');
  const { encodeMessages } = await import('../../dist/protocol/datagram.js');
  const sock = createSocket('udp4');
  await new Promise((r) => sock.bind(0, '127.0.0.1', r));
  const raw = (d) => sock.send(d, probesPort, '127.0.0.1');
  let session, handshaking = false;
  const handshake = async () => {
    if (handshaking) return;
    handshaking = true;
    try { await handshakeOnce(); } finally { handshaking = false; }
  };
  const handshakeOnce = async () => {
    session = new ProbeSession({ probeId: 2, secret: Buffer.from(secret), site: { lat: 48.85, lng: 2.35, name: 'Bench' }, mode: 'encrypt' });
    raw(session.start(Date.now()));
    const deadline = Date.now() + 10_000;
    while (session.state !== 'established') {
      if (Date.now() > deadline) throw new Error('marker probe: no session');
      const r = session.tick(Date.now());
      if (r.kind === 'send') raw(r.datagram);
      await new Promise((r2) => setTimeout(r2, 50));
    }
  };
  sock.on('message', (m) => { const r = session.receive(m, Date.now()); if (r.kind === 'send') raw(r.datagram); if (r.kind === 'messages' && r.reply) raw(r.reply); });
  await handshake();
  const keepAlive = setInterval(() => {
    if (session.state !== 'established') { handshake().catch(() => undefined); return; }
    const r = session.tick(Date.now());
    if (r.kind === 'send') raw(r.datagram);
  }, 500);
  const ts0 = Date.now() * 1000;
  return {
    send(i) {
      const src = `100.${64 + (i >> 8)}.${i & 255}.1`, dst = `198.18.${i & 255}.${1 + (i >> 8)}`;
      const msgs = [
        { module: 1, type: 1, conn_id: 100_000 + i, ts: ts0, proto: 6, vlan: 0, vlan_inner: 0, sport: 40000, dport: 443, family: 4, src, dst },
        { module: 1, type: 3, conn_id: 100_000 + i, ts: ts0 + 1000, interval_us: 1000, fwd_pkts: 1000, fwd_bytes: 2_000_000_000, rev_pkts: 1000, rev_bytes: 2_000_000_000 },
      ];
      const d = session.state === 'established' ? session.seal(encodeMessages(msgs)) : null;
      if (d) raw(d);
      return d !== null;
    },
    close() { clearInterval(keepAlive); sock.close(); },
  };
}

async function phase(o) {
  const { n, procs, port, seconds, markers, gg } = o;
  const workers = o.workers;
  const per = Math.ceil(n / procs);
  for (let p = 0; p < procs; p++) {
    const count = Math.min(per, n - p * per);
    if (count <= 0) break;
    workers.push(fork(fileURLToPath(import.meta.url), ['--worker', String(port), String(p * per), String(count)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
  }
  const ready = await Promise.all(workers.map((w) => new Promise((r) => w.on('message', (m) => { if (m.type === 'ready') r(m.ready); }))));
  const connected = ready.reduce((a, b) => a + b, 0);
  await new Promise((r) => setTimeout(r, 3000));
  for (const w of workers) w.send({ type: 'measure' });
  const m0 = await metrics(port), t0 = now();
  const landedBefore = markers.landed.size, firstMarker = markers.next;
  let rssMax = m0.rss, sentMarkers = 0;
  const timer = setInterval(() => {
    const i = markers.next++;
    const t = now();
    if (!markers.probe.send(i)) return;
    sentMarkers++;
    for (const w of workers) if (w.connected) w.send({ type: 'marker', i, t });
  }, 100);
  const sampler = setInterval(async () => { rssMax = Math.max(rssMax, (await metrics(port).catch(() => m0)).rss); }, 1000);
  await new Promise((r) => setTimeout(r, seconds * 1000));
  clearInterval(timer);
  // Let the last markers arrive.
  await new Promise((r) => setTimeout(r, 2000));
  clearInterval(sampler);
  const m1 = await metrics(port), t1 = now();
  let landedNow = 0;
  for (const i of markers.landed) if (i >= firstMarker) landedNow++;
  void landedBefore;
  const reports = await Promise.all(workers.map((w) => new Promise((r) => { w.on('message', (m) => { if (m.type === 'report') r(m); }); w.send({ type: 'report' }); })));
  for (const w of workers) w.send({ type: 'stop' });
  await Promise.all(workers.map((w) => new Promise((r) => w.once('exit', r))));
  let bytes = 0, closed = 0;
  for (const r of reports) { bytes += r.bytes; closed += r.closed; }
  const merged = (k) => {
    const hist = new Array(60_001).fill(0);
    let seen = 0;
    for (const r of reports) { r[k].hist.forEach((c, i) => { hist[i] += c; }); seen += r[k].seen; }
    const pct = (q) => { let acc = 0; for (let i = 0; i < hist.length; i++) { acc += hist[i]; if (acc >= q * seen && acc > 0) return i; } return NaN; };
    let max = NaN; for (let i = hist.length - 1; i >= 0; i--) if (hist[i]) { max = i; break; }
    return { seen, p50: pct(0.5), p99: pct(0.99), max };
  };
  const probe = merged('probe'), redis = merged('redis');
  const watching = Array.from({ length: connected }, (_, k) => MIX[k % MIX.length][1]).filter(Boolean).length;
  const expected = watching * sentMarkers;
  const secs = (t1 - t0) / 1000;
  void gg;
  return {
    clients: connected, procs: workers.length, markers: sentMarkers, landed: landedNow, deliveries: probe.seen, missed: Math.max(0, expected - probe.seen), closed,
    p50: probe.p50, p99: probe.p99, max: probe.max, r50: redis.p50, r99: redis.p99, rmax: redis.max, cpu: (100 * (m1.cpu - m0.cpu)) / secs, rssMiB: rssMax / 1048576,
    kibPerClientS: bytes / 1024 / connected / secs,
  };
}

export async function run(args) {
  const counts = String(arg(args, 'clients', '1000,5000')).split(',').map(Number);
  const rate = Number(arg(args, 'rate', 10_000));
  const seconds = Number(arg(args, 'seconds', 20));
  const procs = Number(arg(args, 'procs', 4));
  const dir = mkdtempSync(join(tmpdir(), 'gg-bench-viz-'));
  chmodSync(dir, 0o755);
  const probesDir = join(dir, 'probes');
  mkdirSync(probesDir, { mode: 0o700 });
  for (const [id, s] of [[1, 'bench-sim'], [2, 'bench-markers']]) writeFileSync(join(probesDir, String(id)), s, { mode: 0o600 });
  const isRoot = process.getuid?.() === 0;
  // As root glougloud runs its children as nobody: the secrets must be theirs.
  if (isRoot) for (const f of ['1', '2']) chownSync(join(probesDir, f), 65534, 65534);
  const { hashPassword } = await import('../../dist/glougloud/viz-server/password.js');
  // A cheap hash: thousands of clients log in at once here; the check itself is the real one.
  const passwordHash = await hashPassword(PASSWORD, { N: 1024, r: 8, p: 1 });
  writeFileSync(join(dir, 'glougloud.json'), JSON.stringify({ viz: { passwordHash, limits: { maxClients: 20_000, maxConcurrentAuth: 8, maxQueuedAuth: 10_000 } } }));
  const ggArgs = [join(root, 'dist/glougloud/main.js'), '-d', '-p', '0', '-P', '0', '-f', join(dir, 'glougloud.json'),
    '--probes-dir', probesDir, '--state-dir', join(dir, 'state'), '--runtime-dir', join(dir, 'run'), ...(isRoot ? ['-u', 'nobody'] : [])];
  const gg = spawn(process.execPath, ggArgs, { stdio: ['ignore', 'ignore', 'ignore', 'ipc'] });
  // Whatever happens, glougloud and the simulated probe do not outlive the benchmark.
  let sim = null;
  process.once('exit', () => { sim?.kill('SIGTERM'); gg.kill('SIGTERM'); });
  const ports = await new Promise((resolve, reject) => {
    const p = {};
    const t = setTimeout(() => reject(new Error('glougloud not ready')), 30_000);
    gg.on('message', (m) => { Object.assign(p, m.probesPort ? { probes: m.probesPort } : {}, m.vizPort ? { viz: m.vizPort } : {}); if (p.probes && p.viz) { clearTimeout(t); resolve(p); } });
  });
  sim = spawn(process.execPath, [join(root, 'dist/probe/main.js'), '--simulate', '--rate', String(rate), '-s', `127.0.0.1:${ports.probes}`, '--id', '1', '--secret-file', join(probesDir, '1')], { stdio: 'ignore' });
  const markers = { probe: await markerProbe(ports.probes, 'bench-markers'), next: 0 };
  // When each marker lands in Redis (its link's first hset): the viz server's own share of the latency.
  const { createClient } = await import('redis');
  const sub = createClient({ url: `unix://${join(dir, 'run', 'redis.sock')}` });
  sub.on('error', () => undefined);
  await sub.connect();
  const landed = (markers.landed = new Set());
  await sub.pSubscribe('__keyspace@*__:gg:1:l:100.*', (event, channel) => {
    const m = /:gg:1:l:100\.(\d+)\.(\d+)\./.exec(channel);
    if (event !== 'hset' || !m) return;
    const i = ((Number(m[1]) - 64) << 8) | Number(m[2]);
    if (landed.has(i)) return;
    landed.add(i);
    const t = now();
    for (const w of markers.workers) if (w.connected) w.send({ type: 'landed', i, t });
  });
  markers.workers = [];
  const rows = [];
  try {
    await new Promise((r) => setTimeout(r, 5000)); // the simulated network fills up
    for (const n of counts) {
      process.stderr.write(`viz bench: ${n} clients in ${procs} load processes, probe at ${rate} events/s, ${seconds} s\n`);
      const workers = (markers.workers = []);
      try {
        rows.push({ n, ...(await phase({ n, procs, port: ports.viz, seconds, markers, gg, workers })) });
      } finally {
        for (const w of workers) if (w.exitCode === null) w.kill('SIGKILL');
      }
    }
  } finally {
    markers.probe.close();
    sub.destroy();
    sim.kill('SIGTERM');
    gg.kill('SIGTERM');
    await new Promise((r) => gg.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
  const f = (x, d = 0) => (Number.isFinite(x) ? x.toFixed(d) : '–');
  console.log(`\nviz server: probe → client latency, ${rate} events/s simulated, markers every 100 ms, tick 100 ms, ${seconds} s per row`);
  console.log('(probe → client: from the marker datagram to each client receiving it; Redis → client: from its first hset notification)');
  console.log('| clients | load procs | markers sent / in Redis | deliveries | missed | closed | probe→client p50 / p99 / max ms | Redis→client p50 / p99 / max ms | viz CPU % (1 core = 100) | viz RSS MiB | KiB/client/s |');
  console.log('|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    console.log(`| ${r.clients} | ${r.procs} | ${r.markers} / ${r.landed} | ${r.deliveries} | ${r.missed} | ${r.closed} | ${f(r.p50)} / ${f(r.p99)} / ${f(r.max)} | ${f(r.r50)} / ${f(r.r99)} / ${f(r.rmax)} | ${f(r.cpu)} | ${f(r.rssMiB)} | ${f(r.kibPerClientS, 1)} |`);
  }
  const last = rows.at(-1);
  if (last) console.log(`\ntarget: 5000 clients with p99 < 500 ms — ${last.clients >= 5000 && last.p99 < 500 ? 'met' : 'not met'} (${last.clients} clients, p99 ${f(last.p99)} ms)`);
}

if (process.argv[2] === '--worker') worker();
