// `npm run bench -- relay [--seconds S] [--rates R1,R2,...] [--only direct,one,two] [--keep-going] [--profile DIR]`:
// the sustained events/s into one real glougloud (built dist/, embedded Redis
// in a temp dir) directly, through one ggrelay, and through a chain of two
// relays, measured in the same run. One load generator per topology (a worker
// thread speaking the protocol: one authenticated session, sealed datagrams of
// 38 DATA messages over 1000 connections) offers a ladder of rates, the three
// topologies in turn at each rate, then closer to where each stops keeping up.
// glougloud's side is read from its own stats (gg:0:probe:<id>: messages it
// attributes to the generator's probe id, on its clock). A rate is sustained
// when glougloud keeps up with it while it is offered and next to nothing is
// lost once everything settled. Prints each step, then the relayed rates
// against the direct one (target: at least 80%). Everything is removed at the end.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { createClient } from 'redis';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const DIST = join(root, 'dist');
const IS_ROOT = process.getuid?.() === 0;
const NOBODY = 65534;
/** Offered rates tried on each topology, events/s. */
const DEFAULT_RATES = [20_000, 30_000, 45_000, 67_000, 100_000, 150_000, 225_000];
/** After the ladder, this many halvings of the interval between the last rate sustained and the first not. */
const BISECTIONS = 2;
/** Before measuring, each topology runs this long at a low rate: JIT, connections and nodes are warm for all three alike. */
const WARMUP_RATE = 10_000;
/** A rate is sustained when glougloud keeps up (at least this share of it while it is offered)... */
const KEEP_UP = 0.9;
/** ... and no more than this share is lost once everything settled. */
const MAX_LOSS = 0.01;
/** A step is measured from this long after its rate is offered. */
const WARMUP_MS = 1000;
const CONNS = 1000;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const CLK_TCK = 100;

/** CPU ticks (user + system) a process has used; 0 once it is gone. */
function ticks(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]);
  } catch {
    return 0;
  }
}

/** Datagrams the kernel dropped at each of these local UDP ports (receive buffer full), from /proc/net/udp. */
function udpDrops(ports) {
  const out = Object.fromEntries(ports.map((p) => [p, 0]));
  for (const line of readFileSync('/proc/net/udp', 'utf8').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 13) continue;
    const port = parseInt(f[1].split(':')[1], 16);
    if (port in out) out[port] += Number(f[f.length - 1]);
  }
  return out;
}

/** A process and all its descendants, with their command lines. */
function tree(pid) {
  const out = [];
  const walk = (p) => {
    let cmd = '';
    try { cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8').replace(/\0/g, ' '); } catch { return; }
    out.push({ pid: p, cmd });
    try {
      for (const t of readdirSync(`/proc/${p}/task`)) {
        for (const c of readFileSync(`/proc/${p}/task/${t}/children`, 'utf8').trim().split(/\s+/)) if (c) walk(Number(c));
      }
    } catch { /* gone */ }
  };
  walk(pid);
  return out;
}

function option(args, name, def) {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : def;
}

// ------------------------------------------------------------ load generator

/** Worker: one probe session to host:port, then events at the rates the main thread asks for. */
async function generator({ host, port, id, secret }) {
  const { createSocket } = await import('node:dgram');
  const { ProbeSession } = await import(join(DIST, 'protocol/session/probe-session.js'));
  const { DatagramPacker, Msg } = await import(join(DIST, 'protocol/index.js'));
  const socket = createSocket('udp4');
  await new Promise((r) => socket.bind(0, r));
  const session = new ProbeSession({ probeId: id, secret: Buffer.from(secret), site: { lat: 45.5, lng: -73.6, name: 'bench' } });
  socket.on('message', (m) => {
    const r = session.receive(m, Date.now());
    if (r.kind === 'send') socket.send(r.datagram, port, host);
    if (r.kind === 'messages' && r.reply) socket.send(r.reply, port, host);
  });
  socket.send(session.start(Date.now()), port, host);
  for (let i = 0; session.state !== 'established'; i++) {
    if (i > 200) throw new Error(`generator ${id}: no session (${session.state})`);
    const r = session.tick(Date.now());
    if (r.kind === 'send') socket.send(r.datagram, port, host);
    await sleep(50);
  }
  const ts0 = Date.now() * 1000;
  // The connections first, so every DATA finds its connection.
  const packer = new DatagramPacker(1400);
  const opening = [];
  for (let c = 0; c < CONNS; c++) {
    const p = packer.add({ ...Msg.NEWCONN, conn_id: c, ts: ts0, proto: 6, vlan: 0, vlan_inner: 0, sport: 20000 + c, dport: 443,
      family: 4, src: `10.1.${c >> 8}.${c & 255}`, dst: `198.51.100.${c % 200}` });
    if (p) opening.push(p);
  }
  opening.push(packer.flush());
  for (const p of opening) socket.send(session.seal(p), port, host);
  // Full datagrams of DATA (38 each), cycling over the connections.
  const payloads = [];
  let conn = 0;
  for (let d = 0; d < 200; d++) {
    for (let k = 0; k < 38; k++) {
      const full = packer.add({ ...Msg.DATA, conn_id: conn++ % CONNS, ts: ts0 + d * 1000 + k, interval_us: 100_000, fwd_pkts: 3, fwd_bytes: 1500, rev_pkts: 2, rev_bytes: 900 });
      if (full) payloads.push(full);
    }
  }
  const perDatagram = 38;
  let rate = 0;
  let sent = 0;
  let since = performance.now();
  let base = 0;
  parentPort.on('message', (m) => {
    if (m.rate !== undefined) { rate = m.rate; since = performance.now(); base = 0; }
    if (m.count) parentPort.postMessage({ sent });
    if (m.stop) { socket.close(); process.exit(0); }
  });
  parentPort.postMessage({ ready: true });
  let next = 0;
  let tickAt = 0;
  for (;;) {
    const now = performance.now();
    // Keepalive as any probe does; a session lost is handshaken again.
    if (now >= tickAt) {
      tickAt = now + 1000;
      const r = session.tick(Date.now());
      if (r.kind === 'send') socket.send(r.datagram, port, host);
      if (session.state === 'closed') socket.send(session.start(Date.now()), port, host);
    }
    let n = 0;
    if (rate > 0 && session.state === 'established') {
      // Paced: the datagrams due by now, a batch at a time.
      const due = Math.floor(((now - since) / 1000) * rate / perDatagram);
      for (; base < due && n < 256; n++, base++) {
        socket.send(session.seal(payloads[next]), port, host);
        next = (next + 1) % payloads.length;
        sent += perDatagram;
      }
      // A generator that cannot keep up does not pile up a debt it will never pay.
      if (due - base > rate / perDatagram) base = due;
    }
    // Nothing due: wait for the next millisecond rather than spin (the generator shares the CPUs it measures).
    if (n === 0) await sleep(1);
    else await new Promise((r) => setImmediate(r));
  }
}

if (!isMainThread && workerData?.generator) {
  generator(workerData).catch((e) => { console.error(e); process.exit(1); });
}

// ------------------------------------------------------------ processes

function secretFile(dir, name, secret, ownerNobody = false) {
  const f = join(dir, name);
  writeFileSync(f, secret, { mode: 0o600 });
  chmodSync(f, 0o600);
  if (ownerNobody && IS_ROOT) chownSync(f, NOBODY, NOBODY);
  return f;
}

/** Starts a daemon with an IPC channel; resolves with the process and the ready message. */
function daemon(name, args, isReady, nodeArgs = []) {
  const proc = spawn(process.execPath, [...nodeArgs, ...args], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
  const logs = [];
  proc.stderr.on('data', (d) => logs.push(...d.toString().split('\n').filter(Boolean)));
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${name} not ready in 60 s:\n${logs.join('\n')}`)), 60_000);
    proc.on('message', (m) => { if (isReady(m)) { clearTimeout(t); resolve({ proc, logs, ready: m }); } });
    proc.once('exit', (code) => { clearTimeout(t); reject(new Error(`${name} exited ${code}:\n${logs.join('\n')}`)); });
  });
}

async function stop(p) {
  if (!p || p.exitCode !== null || p.signalCode !== null) return;
  p.kill('SIGTERM');
  await Promise.race([new Promise((r) => p.once('exit', r)), sleep(10_000).then(() => p.kill('SIGKILL'))]);
}

async function upstreamUp(relay) {
  for (let i = 0; i < 400 && !relay.logs.some((l) => l.includes('"msg":"session established"')); i++) await sleep(50);
}

// ------------------------------------------------------------ measurement

/** messages and updated (ms, glougloud clock) of a probe's stats. */
async function sample(redis, id) {
  const h = await redis.hGetAll(`gg:0:probe:${id}`);
  return { messages: Number(h.messages ?? 0), updated: Number(h.updated ?? 0) };
}

/** Waits for the next stats write of a probe (they come once a second). */
async function nextSample(redis, id, after) {
  for (let i = 0; i < 200; i++) {
    const s = await sample(redis, id);
    if (s.updated > after.updated) return s;
    await sleep(50);
  }
  return sample(redis, id);
}

/** The probe's count once it stops moving: two stats writes in a row with the same count (10 s at most). */
async function settled(redis, id) {
  let prev = await nextSample(redis, id, await sample(redis, id));
  for (let i = 0; i < 10; i++) {
    const next = await nextSample(redis, id, prev);
    if (next.messages === prev.messages) return next;
    prev = next;
  }
  return prev;
}

/**
 * One step at an offered rate: `during` is glougloud's own rate while the
 * generator runs (between two of its stats writes), `loss` what never arrived
 * once everything settled. Sustained: during ≥ 95% of offered (it keeps up, not
 * only buffers) and loss ≤ 1%.
 */
async function step(redis, gen, id, rate, seconds, cpu, hops) {
  const count = () => new Promise((r) => { gen.once('message', (m) => r({ sent: m.sent, at: performance.now() })); gen.postMessage({ count: true }); });
  const m0 = await settled(redis, id);
  const d0 = udpDrops(hops.map((h) => h.port));
  gen.postMessage({ rate });
  const c0 = await count();
  await sleep(WARMUP_MS);
  const a = await nextSample(redis, id, await sample(redis, id));
  const t0 = cpu.map((c) => ticks(c.pid));
  const w0 = performance.now();
  await sleep(seconds * 1000);
  const t1 = cpu.map((c) => ticks(c.pid));
  const w1 = performance.now();
  const b = await nextSample(redis, id, await sample(redis, id));
  // Share of one CPU each part used while the rate was offered.
  const load = Object.fromEntries(cpu.map((c, i) => [c.name, (t1[i] - t0[i]) / CLK_TCK / ((w1 - w0) / 1000)]));
  gen.postMessage({ rate: 0 });
  const c1 = await count();
  const m1 = await settled(redis, id);
  const d1 = udpDrops(hops.map((h) => h.port));
  // Where datagrams were lost: the receive buffer of each hop.
  const drops = Object.fromEntries(hops.map((h) => [h.name, d1[h.port] - d0[h.port]]));
  const during = (b.messages - a.messages) / ((b.updated - a.updated) / 1000);
  const offered = (c1.sent - c0.sent) / ((c1.at - c0.at) / 1000);
  const loss = 1 - (m1.messages - m0.messages) / (c1.sent - c0.sent);
  return { rate, offered, during, loss, load, drops, ok: during >= KEEP_UP * offered && loss <= MAX_LOSS };
}

export async function run(args = []) {
  const seconds = Number(option(args, '--seconds', '5'));
  const rates = option(args, '--rates', DEFAULT_RATES.join(',')).split(',').map(Number);
  const keepGoing = args.includes('--keep-going');
  const only = option(args, '--only', 'direct,one,two').split(',');
  // --profile DIR: CPU profiles of the relays (written when they stop).
  const profile = option(args, '--profile', '');
  const dir = mkdtempSync(join(tmpdir(), 'gg-relay-bench-'));
  chmodSync(dir, 0o755);
  const probesDir = join(dir, 'gg-probes');
  mkdirSync(probesDir, { mode: 0o700 });
  const s = Object.fromEntries(['p1', 'p2', 'p3', 'r100', 'r150', 'r200'].map((k) => [k, randomBytes(24).toString('hex')]));
  for (const [id, k] of [[1, 'p1'], [100, 'r100'], [200, 'r200']]) secretFile(probesDir, String(id), s[k], true);
  const procs = [];
  const workers = [];
  let redis;
  try {
    const gg = await daemon('glougloud', [join(DIST, 'glougloud/main.js'), '-d', '-p', '0', '-P', '0', '-l', '127.0.0.1', '--probes-dir', probesDir,
      '--state-dir', join(dir, 'state'), '--runtime-dir', join(dir, 'run'), '--relays', '100,150,200', ...(IS_ROOT ? ['-u', 'nobody'] : [])],
    (m) => m.type === 'ready' && m.probesPort);
    procs.push(gg.proc);
    const ggPort = gg.ready.probesPort;
    const relay = async (id, secretKey, upstream, downstream) => {
      const rdir = join(dir, `relay-${id}`);
      mkdirSync(rdir, { mode: 0o755 });
      const probes = join(rdir, 'probes');
      mkdirSync(probes, { mode: 0o700 });
      for (const [pid, k] of downstream) secretFile(probes, String(pid), s[k], true);
      const r = await daemon(`relay ${id}`, [join(DIST, 'relay/main.js'), '-d', '-l', '127.0.0.1', '-p', '0', '-s', upstream, '--id', String(id),
        '--secret-file', secretFile(rdir, 'secret', s[secretKey]), '--probes-dir', probes, ...(IS_ROOT ? ['-u', 'nobody'] : [])], (m) => m.type === 'ready' && m.port,
      profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`, `--cpu-prof-name=relay-${id}.cpuprofile`] : []);
      procs.push(r.proc);
      await upstreamUp(r);
      return r;
    };
    const r100 = await relay(100, 'r100', `127.0.0.1:${ggPort}`, [[2, 'p2']]);
    const r200 = await relay(200, 'r200', `127.0.0.1:${ggPort}`, [[150, 'r150']]);
    const r150 = await relay(150, 'r150', `127.0.0.1:${r200.ready.port}`, [[3, 'p3']]);
    redis = createClient({ url: `unix://${join(dir, 'run', 'redis.sock')}` });
    await redis.connect();

    const topologies = [
      { key: 'direct', name: 'direct', id: 1, port: ggPort, secret: s.p1 },
      { key: 'one', name: 'one relay', id: 2, port: r100.ready.port, secret: s.p2 },
      { key: 'two', name: 'two relays', id: 3, port: r150.ready.port, secret: s.p3 },
    ].filter((t) => only.includes(t.key));
    console.log(`relay bench: ${cpus().length} CPUs, load ${loadavg().map((x) => x.toFixed(2)).join(' ')}; ${seconds} s per step; rates ${rates.join(', ')} events/s offered`);
    const results = {};
    const gens = {};
    for (const t of topologies) {
      const gen = new Worker(fileURLToPath(import.meta.url), { workerData: { generator: true, host: '127.0.0.1', port: t.port, id: t.id, secret: t.secret } });
      workers.push(gen);
      await new Promise((resolve, reject) => { gen.once('message', resolve); gen.once('error', reject); });
      gens[t.name] = gen;
      results[t.name] = [];
      gen.postMessage({ rate: WARMUP_RATE });
      await sleep(3000);
      gen.postMessage({ rate: 0 });
    }
    await sleep(1500);
    // Rate by rate, each topology in turn: whatever else the machine does weighs on all three alike.
    const ggTree = tree(gg.proc.pid);
    const part = (re) => ggTree.find((p) => re.test(p.cmd))?.pid ?? 0;
    const cpu = [
      { name: 'probes server', pid: part(/probes-server\/main\.js/) },
      { name: 'redis', pid: part(/redis-server/) },
      { name: 'relay 100', pid: r100.proc.pid }, { name: 'relay 150', pid: r150.proc.pid }, { name: 'relay 200', pid: r200.proc.pid },
      { name: 'generator', pid: process.pid }, // the bench process: its generator threads and its Redis reads
    ];
    const hops = [{ name: 'glougloud', port: ggPort }, { name: 'relay 100', port: r100.ready.port }, { name: 'relay 150', port: r150.ready.port }, { name: 'relay 200', port: r200.ready.port }];
    const report = (t, r) => {
      const dropped = Object.entries(r.drops).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`).join(', ');
      console.log(`  ${t.name.padEnd(10)} offered ${Math.round(r.offered).toString().padStart(7)}  glougloud ${Math.round(r.during).toString().padStart(7)} events/s  lost ${(100 * r.loss).toFixed(2).padStart(6)}%  ${(r.ok ? 'sustained' : 'not sustained').padEnd(13)}  CPU ${Object.entries(r.load).filter(([, v]) => v >= 0.01).map(([k, v]) => `${k} ${Math.round(100 * v)}%`).join(', ')}${dropped ? `  datagrams dropped at: ${dropped}` : ''}`);
    };
    const alive = new Set(topologies.map((t) => t.name));
    for (const rate of rates) {
      for (const t of topologies) {
        if (!alive.has(t.name)) continue;
        const r = await step(redis, gens[t.name], t.id, rate, seconds, cpu, hops);
        results[t.name].push(r);
        report(t, r);
        if (!r.ok && !keepGoing) alive.delete(t.name);
      }
      if (alive.size === 0) break;
    }
    // Then closer to where each one stops keeping up.
    for (let i = 0; i < BISECTIONS; i++) {
      for (const t of topologies) {
        const good = results[t.name].filter((r) => r.ok).map((r) => r.rate);
        const bad = results[t.name].filter((r) => !r.ok).map((r) => r.rate);
        if (!good.length || !bad.length) continue;
        const r = await step(redis, gens[t.name], t.id, Math.round((Math.max(...good) + Math.min(...bad)) / 2), seconds, cpu, hops);
        results[t.name].push(r);
        report(t, r);
      }
    }
    for (const g of Object.values(gens)) g.postMessage({ stop: true });
    const sustained = (name) => Math.max(0, ...results[name].filter((r) => r.ok).map((r) => r.offered));
    const direct = results.direct ? sustained('direct') : NaN;
    console.log(`\nsustained (glougloud keeps up with ≥ ${100 * KEEP_UP}%, ≤ ${100 * MAX_LOSS}% lost), events/s:`);
    for (const t of topologies) {
      const v = sustained(t.name);
      const vs = t.name === 'direct' ? '' : `  ${(100 * v / direct).toFixed(0)}% of direct ${v >= 0.8 * direct ? '(target ≥ 80%: met)' : '(target ≥ 80%: NOT met)'}`;
      console.log(`  ${t.name.padEnd(10)} ${Math.round(v).toString().padStart(7)}${vs}`);
    }
  } finally {
    for (const w of workers) w.terminate();
    await redis?.quit().catch(() => undefined);
    for (const p of procs.reverse()) await stop(p);
    rmSync(dir, { recursive: true, force: true });
  }
}
