// `npm run bench -- ingest [--seconds S] [--rates R1,R2,...] [--per-generator N] [--profile-rate R] [--no-profile] [--keep-going]`:
// a real glougloud (built dist/, embedded Redis in a temp dir) fed by real
// probes in --simulate mode, each a separate process with its own probe id
// and secret, at an increasing rate ladder. Per step: events the probes sent
// against messages glougloud counted (gg:0:server), Redis catch-up after the
// probes stop, glougloud's and Redis's CPU and RSS, Redis commands per event
// and Redis bytes per live connection. Then redis-benchmark -P 64 on the same
// Redis for the commands the schema uses, and a CPU profile of the probes
// server at the highest rate tried. Everything is removed at the end.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient } from 'redis';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const DIST = join(root, 'dist');
const IS_ROOT = process.getuid?.() === 0;
const NOBODY = 65534;
const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100;
/** The simulator opens its connections over ~2 s: the sustained rate is measured after this. */
const RAMP_MS = 3000;
/** Catch-up longer than this is not waited for. */
const CATCHUP_TIMEOUT_MS = 10_000;
/** The criterion: Redis reflects every event within this long after the probes stop. */
const CATCHUP_LIMIT_MS = 1000;
/** Write commands glougloud issues (INFO commandstats names); our own reads are not counted. */
const WRITE_COMMANDS = ['hset', 'expire', 'del', 'unlink', 'hincrby', 'pexpire', 'hdel', 'set', 'incr'];

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function option(args, name, def) {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : def;
}

// ---------------------------------------------------------------- /proc

/** CPU ticks (user + system) and RSS bytes of a process; null once it is gone. */
function procSample(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rss = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
    return { ticks: Number(f[11]) + Number(f[12]), rss };
  } catch {
    return null;
  }
}

/** Start time of a process (clock ticks since boot), to tell it from a later one with the same pid. */
function startTime(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return null;
  }
}

/** SIGKILL a process we know, only if that pid is still the same process. */
function killIfSame(pid, started) {
  if (started !== null && startTime(pid) === started) {
    try { process.kill(pid, 'SIGKILL'); } catch { /* gone meanwhile */ }
  }
}

/** Direct children of a process, with their command lines. */
function childrenOf(pid) {
  const out = [];
  try {
    for (const t of readdirSync(`/proc/${pid}/task`)) {
      for (const c of readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8').trim().split(/\s+/)) {
        if (!c) continue;
        let cmdline = '';
        try { cmdline = readFileSync(`/proc/${c}/cmdline`, 'utf8').replace(/\0/g, ' ').trim(); } catch { /* gone */ }
        out.push({ pid: Number(c), cmdline });
      }
    }
  } catch { /* gone */ }
  return out;
}

/** Host-wide UDP counters (other processes' traffic included). */
function udpCounters() {
  const lines = readFileSync('/proc/net/snmp', 'utf8').split('\n').filter((l) => l.startsWith('Udp: '));
  const names = lines[0].split(/\s+/).slice(1);
  const values = lines[1].split(/\s+/).slice(1).map(Number);
  return Object.fromEntries(names.map((n, i) => [n, values[i]]));
}

/** CPU ticks (user + system) of a set of processes now; ticks of processes that already exited are lost. */
function ticksOf(pids) {
  let t = 0;
  for (const pid of pids) t += procSample(pid)?.ticks ?? 0;
  return t;
}

/** Nanoseconds the main threads of these processes spent runnable but waiting for a CPU (/proc/PID/schedstat). */
function runqueueWaitOf(pids) {
  let ns = 0;
  for (const pid of pids) {
    try { ns += Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[1]); } catch { /* gone */ }
  }
  return ns;
}

/**
 * CPU and RSS of groups of processes: CPU between named marks (take a mark
 * while the processes still run), RSS sampled every 250 ms until stop().
 */
class Meter {
  constructor(groups) {
    this.groups = groups; // name -> () => pid[]
    this.marks = {};
    this.rss = {};
    this.timer = null;
  }

  mark(name) {
    const ticks = {};
    const wait = {};
    for (const g of Object.keys(this.groups)) {
      ticks[g] = ticksOf(this.groups[g]());
      wait[g] = runqueueWaitOf(this.groups[g]());
    }
    this.marks[name] = { at: performance.now(), ticks, wait };
  }

  sampleRss() {
    for (const g of Object.keys(this.groups)) {
      let r = 0;
      for (const pid of this.groups[g]()) r += procSample(pid)?.rss ?? 0;
      (this.rss[g] ??= []).push(r);
    }
  }

  start() {
    this.mark('start');
    this.sampleRss();
    this.timer = setInterval(() => this.sampleRss(), 250);
    this.timer.unref();
  }

  stopRss() {
    clearInterval(this.timer);
  }

  /** CPU seconds and % of one core of a group between two marks. */
  cpu(group, from, to) {
    const a = this.marks[from], b = this.marks[to];
    const seconds = (b.ticks[group] - a.ticks[group]) / CLK_TCK;
    return { seconds, pct: (100 * seconds) / ((b.at - a.at) / 1000) };
  }

  /** Share of the time between two marks a group's main threads waited for a CPU while runnable (summed over them). */
  waiting(group, from, to) {
    const a = this.marks[from], b = this.marks[to];
    return (100 * (b.wait[group] - a.wait[group]) / 1e6) / (b.at - a.at);
  }

  /** Mean and peak RSS of a group over the samples taken. */
  rssOf(group) {
    const r = this.rss[group] ?? [0];
    return { mean: r.reduce((s, x) => s + x, 0) / r.length, max: Math.max(...r) };
  }
}

// ---------------------------------------------------------------- glougloud

/** Starts glougloud in `dir` with secrets for `ids`; resolves once its probes server is ready. */
async function startGlougloud(dir, ids, nodeArgs = []) {
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  chmodSync(dir, 0o755);
  const probesDir = join(dir, 'probes');
  mkdirSync(probesDir, { mode: 0o700 });
  const secrets = new Map();
  for (const id of ids) {
    const f = join(probesDir, String(id));
    writeFileSync(f, randomBytes(32).toString('hex'), { mode: 0o600 });
    if (IS_ROOT) chownSync(f, NOBODY, NOBODY);
    secrets.set(id, f);
  }
  // No RDB snapshots: a fork in the middle of a step would measure the snapshot, not the ingest path.
  const config = join(dir, 'glougloud.json');
  writeFileSync(config, JSON.stringify({ redis: { save: '' } }));
  const args = [...nodeArgs, join(DIST, 'glougloud/main.js'), '-d', '-p', '0', '-P', '0', '-l', '127.0.0.1',
    '--probes-dir', probesDir, '--state-dir', join(dir, 'state'), '--runtime-dir', join(dir, 'run'), '-f', config];
  if (IS_ROOT) args.push('-u', 'nobody');
  const proc = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], cwd: dir });
  const logs = [];
  let partial = '';
  proc.stderr.on('data', (d) => {
    const lines = (partial + d.toString()).split('\n');
    partial = lines.pop() ?? '';
    logs.push(...lines);
    if (logs.length > 50_000) logs.splice(0, logs.length - 50_000);
  });
  const exited = new Promise((r) => proc.once('exit', r));
  const port = await new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      proc.kill('SIGTERM');
      reject(new Error(`glougloud not ready in 30 s:\n${logs.slice(-20).join('\n')}`));
    }, 30_000);
    proc.on('message', (m) => { if (m?.type === 'ready' && m.probesPort) { clearTimeout(t); resolve(m.probesPort); } });
    proc.once('exit', (code) => { clearTimeout(t); reject(new Error(`glougloud exited ${code}:\n${logs.slice(-20).join('\n')}`)); });
  });
  const kids = childrenOf(proc.pid);
  const probesServer = kids.find((k) => k.cmdline.includes('probes-server/main.js'))?.pid;
  const redisPid = kids.find((k) => k.cmdline.startsWith('redis-server'))?.pid;
  // The supervisor and every node child (probes server, viz server): glougloud's own cost.
  const nodePids = [proc.pid, ...kids.filter((k) => k.pid !== redisPid).map((k) => k.pid)];
  if (!probesServer || !redisPid) {
    proc.kill('SIGTERM');
    throw new Error(`glougloud's children not found: ${JSON.stringify(kids)}`);
  }
  const started = kids.map((k) => ({ pid: k.pid, at: startTime(k.pid) }));
  return {
    proc, port, logs, secrets, probesServer, redisPid, nodePids, socket: join(dir, 'run', 'redis.sock'),
    /** SIGTERM and wait (children write their CPU profiles on a clean exit); SIGKILL whatever is left after 15 s. */
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGTERM');
        const t = setTimeout(() => proc.kill('SIGKILL'), 15_000);
        await exited;
        clearTimeout(t);
      }
      // Left over only when glougloud itself had to be killed.
      for (const k of started) killIfSame(k.pid, k.at);
    },
  };
}

// ---------------------------------------------------------------- load generators

/** Probe processes still running, so that an interrupted run can end them. */
const runningGenerators = new Set();

/** One ggprobe --simulate process sending to glougloud; `done` resolves with its summary line's figures. */
function startGenerator(port, id, secretFile, rate, seed, nodeArgs = []) {
  const args = [...nodeArgs, join(DIST, 'probe/main.js'), '--simulate', '--rate', String(rate), '--seed', String(seed),
    '-s', `127.0.0.1:${port}`, '--id', String(id), '--secret-file', secretFile];
  const proc = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, GG_LOG_LEVEL: 'warn' } });
  let err = '';
  proc.stderr.on('data', (d) => { err += d; if (err.length > 65536) err = err.slice(-16384); });
  runningGenerators.add(proc);
  const done = new Promise((resolve) => {
    proc.once('exit', (code, signal) => {
      runningGenerators.delete(proc);
      const m = /(\d+) events \(.*?\), ([\d.]+) s, .*sent (\d+) datagrams, dropped (\d+)/.exec(err);
      resolve(m
        ? { ok: true, events: Number(m[1]), seconds: Number(m[2]), datagrams: Number(m[3]), dropped: Number(m[4]) }
        : { ok: false, code, signal, stderr: err.trim().split('\n').slice(-3).join(' | ') });
    });
  });
  return { proc, done, id };
}

// ---------------------------------------------------------------- Redis reads

async function serverStats(r) {
  const h = await r.hGetAll('gg:0:server');
  return { messages: Number(h.messages ?? 0), datagrams: Number(h.datagrams ?? 0), dropped: Number(h.dropped ?? 0), updated: Number(h.updated ?? 0) };
}

/** Waits until gg:0:server was written after `since` (ms), so it counts everything received before. */
async function freshServerStats(r, since, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await serverStats(r);
    if (s.updated > since || Date.now() > deadline) return s;
    await sleep(100);
  }
}

async function info(r, section) {
  const out = {};
  for (const line of (await r.info(section)).split('\r\n')) {
    const i = line.indexOf(':');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

/**
 * Redis memory holding the state: used_memory less client buffers (a slow
 * subscriber's pending notifications are not state), AOF and replication buffers.
 */
async function stateMemory(r) {
  const m = await info(r, 'memory');
  const n = (k) => Number(m[k] ?? 0);
  return { state: n('used_memory') - n('mem_clients_normal') - n('mem_clients_slaves') - n('mem_aof_buffer') - n('mem_replication_backlog'), clients: n('mem_clients_normal') };
}

/** Calls of glougloud's write commands so far. */
async function writeCalls(r) {
  const s = await info(r, 'commandstats');
  let n = 0;
  for (const c of WRITE_COMMANDS) n += Number(/calls=(\d+)/.exec(s[`cmdstat_${c}`] ?? '')?.[1] ?? 0);
  return n;
}

/**
 * Waits until glougloud has written its backlog: at most a few write calls
 * (its once-a-second stats) in 600 ms; gives up after `timeoutMs`. Returns
 * whether it drained.
 */
async function quiesce(r, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  let last = await writeCalls(r);
  for (;;) {
    await sleep(600);
    const now = await writeCalls(r);
    if (now - last <= 4) return true;
    if (Date.now() > deadline) return false;
    last = now;
  }
}

/** Connection keys of the given probes now in Redis (one SCAN over the keyspace). */
async function countConns(r, ids) {
  const prefixes = ids.map((id) => `gg:1:c:${id}:`);
  let n = 0;
  let sample = null;
  for await (const keys of r.scanIterator({ MATCH: 'gg:1:c:*', COUNT: 10_000 })) {
    for (const k of keys) {
      if (prefixes.some((p) => k.startsWith(p))) { n++; sample ??= k; }
    }
  }
  return { n, sample };
}

// ---------------------------------------------------------------- one step

/**
 * Runs one probe per id at `rate` events/s in total for `seconds`, then
 * stops them and measures loss, catch-up, CPU and Redis memory.
 */
async function runStep(gg, r, ids, rate, seconds, baseMemory, genNodeArgs = []) {
  const before = { server: await serverStats(r), udp: udpCounters(), writes: await writeCalls(r) };
  const fromUs = Number(process.hrtime.bigint() / 1000n);
  const gens = ids.map((id, i) => startGenerator(gg.port, id, gg.secrets.get(id), Math.round(rate / ids.length), 7919 * id + i, genNodeArgs));
  const meter = new Meter({
    glougloud: () => gg.nodePids,
    probesServer: () => [gg.probesServer],
    redis: () => [gg.redisPid],
    generators: () => gens.map((g) => g.proc.pid),
  });
  meter.start();
  await sleep(RAMP_MS);
  const s1 = await serverStats(r);
  await sleep(Math.max(1000, seconds * 1000 - RAMP_MS));
  const s2 = await serverStats(r);
  // glougloud writes its stats through the same queue as the state: stale stats mean a write backlog.
  const statsLagMs = Date.now() - s2.updated;
  meter.mark('load');
  meter.stopRss();
  // The live state at its fullest: memory against the empty Redis, per connection of this step.
  const mem = await stateMemory(r);
  const live = await countConns(r, ids);
  const connKeyBytes = live.n ? Number(await r.sendCommand(['MEMORY', 'USAGE', live.sample, 'SAMPLES', '0']) ?? NaN) : NaN;
  const keyspace = Number(/keys=(\d+)/.exec((await info(r, 'keyspace')).db0 ?? '')?.[1] ?? 0);

  // Catch-up: the probes end every connection with a DELCONN when stopped; Redis is up to date once none is left.
  meter.mark('stop');
  const stopUs = Number(process.hrtime.bigint() / 1000n);
  const tStop = performance.now();
  for (const g of gens) g.proc.kill('SIGTERM');
  let catchupMs = NaN;
  for (;;) {
    const left = await countConns(r, ids);
    const t = performance.now() - tStop;
    if (left.n === 0) { catchupMs = t; break; }
    if (t > CATCHUP_TIMEOUT_MS) break;
    await sleep(20);
  }
  const kill = setTimeout(() => { for (const g of gens) g.proc.kill('SIGKILL'); }, 20_000);
  const results = await Promise.all(gens.map((g) => g.done));
  clearTimeout(kill);
  // Loss is counted once glougloud has written everything it queued: late is not lost.
  const drained = await quiesce(r);
  meter.mark('end');
  const after = { server: await freshServerStats(r, Date.now()), udp: udpCounters(), writes: await writeCalls(r) };
  const toUs = Number(process.hrtime.bigint() / 1000n);

  const failed = results.filter((x) => !x.ok);
  if (failed.length) console.error(`ingest bench: ${failed.length} probe(s) gave no summary: ${JSON.stringify(failed[0])}`);
  const sent = results.reduce((s, x) => s + (x.events ?? 0), 0);
  const genSeconds = Math.max(...results.map((x) => x.seconds ?? seconds));
  const genDropped = results.reduce((s, x) => s + (x.dropped ?? 0), 0);
  const received = after.server.messages - before.server.messages;
  const steady = s2.updated > s1.updated && statsLagMs < 2500 ? ((s2.messages - s1.messages) * 1000) / (s2.updated - s1.updated) : NaN;
  const loss = sent - received;
  const usage = {};
  for (const g of ['glougloud', 'probesServer', 'redis']) {
    usage[g] = { cpu: meter.cpu(g, 'start', 'load').pct, waiting: meter.waiting(g, 'start', 'load'), rss: meter.rssOf(g) };
  }
  const gen = meter.cpu('generators', 'start', 'stop');
  usage.generators = { cpu: gen.pct, rss: meter.rssOf('generators') };
  // CPU per event: the server's and Redis's over the whole step (everything received was processed by 'end'),
  // the probes' up to SIGTERM against the share of their events sent by then.
  const elapsedToStop = (meter.marks.stop.at - meter.marks.start.at) / 1000;
  const usPerEvent = {
    probesServer: received ? (1e6 * meter.cpu('probesServer', 'start', 'end').seconds) / received : NaN,
    redis: received ? (1e6 * meter.cpu('redis', 'start', 'end').seconds) / received : NaN,
    generators: sent ? (1e6 * gen.seconds) / (sent * Math.min(1, elapsedToStop / genSeconds)) : NaN,
  };
  return {
    rate, seconds, generators: ids.length, sent, received, loss, lossPct: sent ? (100 * loss) / sent : NaN, genDropped, steady,
    // Without a steady-state reading, the mean over the probes' run (ramp-up included: an underestimate).
    sustained: Number.isFinite(steady) ? steady : received / genSeconds,
    serverDropped: after.server.dropped - before.server.dropped,
    rcvbufErrors: (after.udp.RcvbufErrors ?? 0) - (before.udp.RcvbufErrors ?? 0),
    usage, usPerEvent, catchupMs, liveConns: live.n, keyspace,
    bytesPerConn: live.n ? (mem.state - baseMemory) / live.n : NaN, connKeyBytes, clientBuffers: mem.clients,
    commandsPerEvent: received ? (after.writes - before.writes) / received : NaN,
    window: { fromUs, stopUs, toUs }, genPids: gens.map((g) => g.proc.pid), drained, statsLagMs,
    ok: failed.length === 0 && sent > 0 && loss === 0 && genDropped === 0 && catchupMs <= CATCHUP_LIMIT_MS,
  };
}

// ---------------------------------------------------------------- redis-benchmark

/** The schema's commands as redis-benchmark runs them, on a scratch prefix. */
const REDIS_BENCH = [
  ['HSET (6 fields, a DATA update of a connection)', ['HSET', 'ggbench:c:__rand_int__', 'state', 'active', 'last', '__rand_int__', 'fwd_bytes', '__rand_int__', 'fwd_pkts', '__rand_int__', 'rev_bytes', '__rand_int__', 'rev_pkts', '__rand_int__']],
  ['HSET (1 field)', ['HSET', 'ggbench:h:__rand_int__', 'bps', '__rand_int__']],
  ['HINCRBY', ['HINCRBY', 'ggbench:i:__rand_int__', 'bytes', '1']],
  ['EXPIRE', ['EXPIRE', 'ggbench:c:__rand_int__', '120']],
  ['DEL', ['DEL', 'ggbench:c:__rand_int__']],
  ['INCR (reference table)', ['INCR', 'ggbench:n:__rand_int__']],
];

function redisBenchmark(socket, argv, n) {
  const r = spawnSync('redis-benchmark', ['-s', socket, '-P', '64', '-n', String(n), '-r', '100000', '-q', ...argv], { encoding: 'utf8', timeout: 120_000 });
  if (r.error || r.status !== 0) return { rate: NaN, error: r.error?.message ?? r.stderr.trim() };
  const all = [...r.stdout.matchAll(/([\d.]+) requests per second/g)];
  return { rate: all.length ? Number(all[all.length - 1][1]) : NaN };
}

async function deletePrefix(r, pattern) {
  let n = 0;
  for await (const keys of r.scanIterator({ MATCH: pattern, COUNT: 10_000 })) {
    if (keys.length) n += Number(await r.sendCommand(['UNLINK', ...keys]));
  }
  return n;
}

// ---------------------------------------------------------------- CPU profile

/** Where a profiled function lives, coarsely: who to blame for its time. */
function area(cf) {
  const u = cf.url ?? '';
  if (!u) return cf.functionName.startsWith('(') ? cf.functionName : '(native)';
  if (u.includes('node_modules/@redis/')) return 'node-redis client';
  if (u.includes('node_modules/')) return `other dependencies`;
  if (u.startsWith('node:')) return 'Node.js internals (dgram, streams, crypto wrappers, ...)';
  const m = /dist\/([^/]+)\/([^/]+)/.exec(u);
  return m ? `our code: ${m[1]}/${m[2].replace(/\.js$/, '')}` : u;
}

/**
 * Self time by function and by area, and inclusive time of our own functions,
 * from a .cpuprofile, counting only samples between fromUs and toUs
 * (V8's profile clock is the monotonic clock of process.hrtime).
 */
function readProfile(file, fromUs, toUs, top = 15) {
  const p = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const label = (cf) => {
    const where = cf.url ? ` ${cf.url.replace(/^file:\/\//, '').replace(root + '/', '')}:${cf.lineNumber + 1}` : '';
    return `${cf.functionName || '(anonymous)'}${where}`;
  };
  const self = new Map();
  const areas = new Map();
  const inclusive = new Map();
  let total = 0;
  let t = p.startTime;
  for (let i = 0; i < p.samples.length; i++) {
    t += p.timeDeltas[i] ?? 0;
    const dt = p.timeDeltas[i + 1] ?? 0;
    if (t < fromUs || t > toUs) continue;
    const n = byId.get(p.samples[i]);
    if (!n) continue;
    total += dt;
    self.set(label(n.callFrame), (self.get(label(n.callFrame)) ?? 0) + dt);
    const a = area(n.callFrame);
    areas.set(a, (areas.get(a) ?? 0) + dt);
    const seen = new Set();
    for (let id = n.id; id !== undefined; id = parent.get(id)) {
      const cf = byId.get(id).callFrame;
      if (!cf.url?.startsWith(`file://${DIST}/`) || !cf.functionName) continue;
      const key = label(cf);
      if (seen.has(key)) continue;
      seen.add(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + dt);
    }
  }
  const sorted = (m, k) => [...m.entries()].sort((x, y) => y[1] - x[1]).slice(0, k);
  return { total, self: sorted(self, top), areas: sorted(areas, 12), inclusive: sorted(inclusive, 12) };
}

/** One step with the probes server and one probe under node --cpu-prof; their top functions during the load. */
async function profileStep(dir, ids, rate, seconds, perGenerator) {
  const profDir = join(dir, 'prof');
  const genDir = join(dir, 'prof-probe');
  for (const d of [profDir, genDir]) {
    mkdirSync(d, { recursive: true, mode: 0o777 });
    chmodSync(d, 0o777); // written after the processes dropped their privileges
  }
  const gg = await startGlougloud(join(dir, 'gg'), ids, ['--cpu-prof', '--cpu-prof-dir', profDir]);
  const r = createClient({ socket: { path: gg.socket } });
  r.on('error', () => {});
  let step;
  try {
    await r.connect();
    await sleep(1200);
    const base = (await stateMemory(r)).state;
    step = await runStep(gg, r, ids.slice(0, Math.max(1, Math.ceil(rate / perGenerator))), rate, seconds, base, ['--cpu-prof', '--cpu-prof-dir', genDir]);
  } finally {
    await r.quit().catch(() => {});
    await gg.stop();
  }
  const find = (d, pid) => readdirSync(d).find((f) => f.includes(`.${pid}.`));
  const server = find(profDir, gg.probesServer);
  const probe = find(genDir, step.genPids[0]);
  return {
    step,
    // The server's whole step (load and catch-up); the probe's load until SIGTERM.
    server: server ? readProfile(join(profDir, server), step.window.fromUs, step.window.toUs) : null,
    probe: probe ? readProfile(join(genDir, probe), step.window.fromUs, step.window.stopUs) : null,
  };
}

// ---------------------------------------------------------------- report

const fmtInt = (n) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '—');
const fmt = (n, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : '—');

const MB = (b) => fmt(b / 2 ** 20, 0);

/** ok, or what failed. */
function verdict(s) {
  if (s.ok) return 'ok';
  const why = [];
  if (s.loss !== 0 || s.genDropped) why.push('loss');
  if (!(s.catchupMs <= CATCHUP_LIMIT_MS)) why.push('Redis late');
  return `FAIL (${why.join(', ') || 'probe failed'})`;
}

function printTable(steps) {
  console.log('| rate offered | probes | events sent | received | loss % | received/s (steady) | catch-up ms | glougloud CPU % (probes server) | probes server waiting for a CPU % | glougloud RSS MB (max) | Redis CPU % | Redis RSS MB | probes CPU % | CPU µs/event: probes server, Redis, probe | Redis cmds/event | Redis B/live conn | verdict |');
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const s of steps) {
    const u = s.usage;
    const why = [];
    if (s.genDropped) why.push(`probe queues dropped ${s.genDropped} datagrams`);
    if (s.rcvbufErrors) why.push(`kernel UDP receive-buffer drops ${fmtInt(s.rcvbufErrors)}`);
    if (s.serverDropped) why.push(`glougloud dropped ${s.serverDropped} datagrams`);
    if (!s.drained) why.push('glougloud still writing to Redis 30 s after the probes stopped: part of this may be late, not lost');
    const loss = `${fmt(s.lossPct, 3)}${why.length ? ` (${why.join(', ')})` : ''}`;
    const catchup = Number.isFinite(s.catchupMs) ? fmtInt(s.catchupMs) : `> ${fmtInt(CATCHUP_TIMEOUT_MS)}`;
    const us = s.usPerEvent;
    console.log(`| ${fmtInt(s.rate)} | ${s.generators} | ${fmtInt(s.sent)} | ${fmtInt(s.received)} | ${loss} | ${Number.isFinite(s.steady) ? fmtInt(s.steady) : `— (stats ${fmt(s.statsLagMs / 1000, 1)} s late; mean ${fmtInt(s.sustained)})`} | ${catchup} | ${fmt(u.glougloud.cpu, 0)} (${fmt(u.probesServer.cpu, 0)}) | ${fmt(u.probesServer.waiting, 0)} | ${MB(u.glougloud.rss.mean)} (${MB(u.glougloud.rss.max)}) | ${fmt(u.redis.cpu, 0)} | ${MB(u.redis.rss.mean)} | ${fmt(u.generators.cpu, 0)} | ${fmt(us.probesServer, 2)}, ${fmt(us.redis, 2)}, ${fmt(us.generators, 2)} | ${fmt(s.commandsPerEvent, 2)} | ${fmtInt(s.bytesPerConn)} | ${verdict(s)} |`);
  }
}

function printProfile(title, p) {
  console.log('');
  console.log(title);
  if (!p) { console.log('(no profile written)'); return; }
  const pct = (us) => fmt((100 * us) / p.total, 1);
  const esc = (x) => x.replace(/\|/g, '\\|');
  console.log('| self time % | by area | | self time % | by function | | inclusive % | our functions |');
  console.log('|---|---|---|---|---|---|---|---|');
  const rows = Math.max(p.areas.length, p.self.length, p.inclusive.length);
  for (let i = 0; i < rows; i++) {
    const a = p.areas[i], f = p.self[i], c = p.inclusive[i];
    console.log(`| ${a ? pct(a[1]) : ''} | ${a ? esc(a[0]) : ''} | | ${f ? pct(f[1]) : ''} | ${f ? esc(f[0]) : ''} | | ${c ? pct(c[1]) : ''} | ${c ? esc(c[0]) : ''} |`);
  }
}

/** Everything measured, as markdown. */
function printReport(o) {
  const { steps, seconds, perGenerator, rb, deleted, notify, store, prof, load } = o;
  const n = cpus().length;
  const good = steps.filter((s) => s.ok);
  const best = good.length ? good.reduce((a, b) => (b.sustained > a.sustained ? b : a)) : null;
  const ref = best ?? steps[0];
  console.log(`ingest benchmark — ${new Date().toISOString().slice(0, 10)}, node ${process.version}, ${n} CPUs (${cpus()[0]?.model ?? '?'}), load average ${load.before} before, ${load.after} after`);
  console.log(`One glougloud (supervisor, probes server, viz server with no browser connected, embedded Redis with RDB snapshots off and notify-keyspace-events ${notify}) fed by \`ggprobe --simulate\` processes (encrypted sessions, ≤ ${fmtInt(perGenerator)} events/s each, a fresh probe id and session per step), ${seconds} s per step.`);
  console.log(`The probes run on the same ${n} CPUs as glougloud and Redis and take CPU from them ("probes CPU %"); other work on the machine does too (load average above).`);
  console.log(`loss = events the probes reported sent − messages glougloud counted (gg:0:server). received/s = gg:0:server messages over the steady part (after ${RAMP_MS / 1000} s of ramp-up; — when those stats, written through glougloud's Redis queue, were late: then the mean over the step, ramp-up included). catch-up = ms from SIGTERM to the probes (each then sends a DELCONN for every live connection) until Redis holds none of their gg:1:c:* keys. A step passes with zero loss and catch-up ≤ ${CATCHUP_LIMIT_MS} ms. CPU % is of one core over the loaded part; "waiting for a CPU" is the time the probes server's event loop was runnable but not running (/proc/PID/schedstat): high means the machine, not glougloud, set the pace; CPU µs/event = CPU seconds ÷ events over the whole step.`);
  console.log('');
  printTable(steps);
  console.log('');
  console.log(best
    ? `highest rate with zero loss and Redis up to date within ${CATCHUP_LIMIT_MS / 1000} s: ${fmtInt(best.sustained)} events/s received (offered ${fmtInt(best.rate)}/s by ${best.generators} probe(s)), catch-up ${fmtInt(best.catchupMs)} ms, glougloud ${fmt(best.usage.glougloud.cpu, 0)} % CPU, ${MB(best.usage.glougloud.rss.mean)} MB RSS — target ≥ 300,000 events/s: ${best.sustained >= 300_000 ? 'met' : 'MISSED'}`
    : `highest rate with zero loss and Redis up to date within ${CATCHUP_LIMIT_MS / 1000} s: none (every step lost events or caught up late) — target ≥ 300,000 events/s: MISSED`);
  // What each side costs per event bounds the rate whatever the machine is doing.
  const us = ref.usPerEvent;
  const serverSide = us.probesServer + us.redis;
  console.log(`CPU per event at ${fmtInt(ref.rate)}/s: probes server ${fmt(us.probesServer, 2)} µs, Redis ${fmt(us.redis, 2)} µs, probe (simulate + encode + seal + send) ${fmt(us.generators, 2)} µs → the probes server alone on one free core: ≤ ${fmtInt(1e6 / us.probesServer)} events/s; Redis alone on one core: ≤ ${fmtInt(1e6 / us.redis)} events/s; everything on these ${n} CPUs: ≤ ${fmtInt((n * 1e6) / (serverSide + us.generators))} events/s.`);
  console.log(`Redis memory per live connection: ${fmtInt(ref.bytesPerConn)} B = (memory with ${fmtInt(ref.liveConns)} live connections and ${fmtInt(ref.keyspace)} keys in all − memory empty) ÷ live connections, at ${fmtInt(ref.rate)}/s, nodes, links and paths included (memory = used_memory − client, AOF and replication buffers; client buffers were ${fmtInt(ref.clientBuffers)} B then); one connection hash alone: MEMORY USAGE ${fmtInt(ref.connKeyBytes)} B — target < 1 KiB: ${ref.bytesPerConn < 1024 ? 'met' : 'MISSED'}`);
  const cpe = ref.commandsPerEvent;
  console.log(`Redis write commands per event: ${fmt(cpe, 2)} (INFO commandstats HSET + EXPIRE + DEL over the step ÷ messages received)${store ? `; glougloud's own count over the ladder: ${fmtInt(store.commands)} commands for ${fmtInt(store.messages)} messages = ${fmt(store.commands / store.messages, 2)}` : ''}.`);
  console.log('');
  console.log(`redis-benchmark -s SOCKET -P 64 -n 1000000 -r 100000 (50 clients) on the same Redis after the ladder (its notify-keyspace-events; glougloud's viz server stays subscribed to gg:1:* notifications, which the scratch keys do not match), scratch keys ggbench:* (${fmtInt(deleted)} deleted afterwards):`);
  // Without a passing step, the best rate that lost nothing, Redis late or not.
  const lossless = steps.filter((x) => x.loss === 0 && x.sent > 0);
  const ours = best?.sustained ?? (lossless.length ? Math.max(...lossless.map((x) => x.sustained)) : NaN);
  const oursWhat = best ? 'our passing events/s' : 'our best zero-loss events/s (Redis late)';
  console.log(`| command | requests/s | ${oursWhat} (${fmtInt(ours)}) ÷ this | events/s this rate would carry at our commands per event |`);
  console.log('|---|---|---|---|');
  for (const b of rb) console.log(`| ${b.name} | ${Number.isFinite(b.rate) ? fmtInt(b.rate) : `failed: ${b.error}`} | ${fmt(ours / b.rate, 3)} | ${fmtInt(b.rate / cpe)} |`);
  console.log('One event is not one command: DATA of one connection within a tick merge into one HSET, but a flush also writes the nodes and link it touched, EXPIRE when due, and DEL on DELCONN; the last column divides by the commands per event measured above.');
  if (prof) {
    const ps = prof.step;
    const what = `one ${ps.seconds} s step at ${fmtInt(ps.rate)}/s offered by ${ps.generators} probe(s): received ${fmtInt(ps.sustained)}/s, loss ${fmt(ps.lossPct, 3)} %, probes server ${fmt(ps.usage.probesServer.cpu, 0)} % CPU, Redis ${fmt(ps.usage.redis.cpu, 0)} %`;
    printProfile(`CPU profile of the probes server (node --cpu-prof; samples of the step only, load and catch-up; ${what}):`, prof.server);
    printProfile('CPU profile of one probe in the same step (samples until SIGTERM):', prof.probe);
  }
}

/** glougloud's warnings and errors (pino levels ≥ 40), to explain a failed step. */
function printProblems(logs) {
  const seen = new Map();
  for (const l of logs) {
    let j;
    try { j = JSON.parse(l); } catch { continue; }
    if (j.level < 40) continue;
    const key = `${j.name} ${j.msg}`;
    seen.set(key, { n: (seen.get(key)?.n ?? 0) + 1, line: l });
  }
  for (const { n, line } of seen.values()) console.error(`  glougloud: ${n}× ${line.slice(0, 400)}`);
}

// ---------------------------------------------------------------- main

export async function run(args = []) {
  const seconds = Number(option(args, '--seconds', 10));
  const rates = String(option(args, '--rates', '25000,50000,100000,200000,300000,400000')).split(',').map(Number);
  const perGenerator = Number(option(args, '--per-generator', 100_000));
  const keepGoing = args.includes('--keep-going');
  const profile = !args.includes('--no-profile');
  for (const f of ['glougloud/main.js', 'probe/main.js']) {
    if (!existsSync(join(DIST, f))) throw new Error(`dist/${f} missing: build first (npx tsc -p tsconfig.json)`);
  }
  const maxGens = Math.max(...rates.map((x) => Math.ceil(x / perGenerator)));
  const ids = Array.from({ length: rates.length * maxGens + maxGens }, (_, i) => i + 1);
  const dir = mkdtempSync(join(tmpdir(), 'gg-ingest-bench-'));
  chmodSync(dir, 0o755);
  let gg = null;
  let r = null;
  const load = { before: loadavg().map((x) => x.toFixed(1)).join(' '), after: '' };
  const cleanup = async () => {
    for (const p of runningGenerators) p.kill('SIGKILL');
    await r?.quit().catch(() => {});
    await gg?.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  const onSignal = () => { void cleanup().finally(() => process.exit(130)); };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    gg = await startGlougloud(join(dir, 'gg'), ids);
    r = createClient({ socket: { path: gg.socket } });
    r.on('error', (e) => console.error(`ingest bench: redis: ${e.message}`));
    await r.connect();
    await sleep(1200); // the first stats write and restore are done
    const baseMemory = (await stateMemory(r)).state;
    console.error(`glougloud pid ${gg.proc.pid} (probes server ${gg.probesServer}, redis ${gg.redisPid}), UDP port ${gg.port}, Redis memory empty ${fmtInt(baseMemory)} B`);

    const steps = [];
    let next = 0;
    for (const rate of rates) {
      const n = Math.max(1, Math.ceil(rate / perGenerator));
      const stepIds = ids.slice(next, next + n);
      next += n;
      const logMark = gg.logs.length;
      const s = await runStep(gg, r, stepIds, rate, seconds, baseMemory);
      steps.push(s);
      console.error(`  ${fmtInt(rate)}/s offered by ${n} probe(s): sent ${fmtInt(s.sent)}, received ${fmtInt(s.received)} (${fmtInt(s.sustained)}/s sustained), loss ${fmt(s.lossPct, 3)} %, probes server ${fmt(s.usage.probesServer.cpu, 0)} % CPU (waiting for one ${fmt(s.usage.probesServer.waiting, 0)} %), redis ${fmt(s.usage.redis.cpu, 0)} %, catch-up ${fmt(s.catchupMs, 0)} ms, ${verdict(s)}`);
      if (!s.ok) printProblems(gg.logs.slice(logMark));
      if (!s.ok && !keepGoing) break;
    }

    // redis-benchmark on the same Redis, once glougloud has written its backlog, on a scratch prefix.
    await quiesce(r);
    const rb = [];
    for (const [name, argv] of REDIS_BENCH) rb.push({ name, ...redisBenchmark(gg.socket, argv, 1_000_000) });
    const deleted = await deletePrefix(r, 'ggbench:*');
    const notify = (await r.configGet('notify-keyspace-events'))['notify-keyspace-events'];
    await r.quit();
    r = null;
    await gg.stop();
    const stoppedLine = gg.logs.find((l) => l.includes('probes server stopped'));
    const store = stoppedLine ? JSON.parse(stoppedLine).store : null;
    gg = null;

    // A CPU profile of the probes server at the highest rate tried (the first failing one, when one failed).
    let prof = null;
    if (profile) {
      const pRate = Number(option(args, '--profile-rate', steps[steps.length - 1].rate));
      prof = await profileStep(join(dir, 'profile'), ids, pRate, Math.min(seconds, 8), perGenerator);
    }

    load.after = loadavg().map((x) => x.toFixed(1)).join(' ');
    printReport({ steps, seconds, perGenerator, rb, deleted, notify, store, prof, load });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await cleanup();
  }
}

// Also runnable directly: node scripts/bench/ingest.mjs [args]
if (process.argv[1] === fileURLToPath(import.meta.url)) await run(process.argv.slice(2));
