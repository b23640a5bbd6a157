// `npm run bench -- live [--seconds S] [--rates 100000,200000,...] [--packets N]`:
// live capture at a ladder of offered rates. Creates two network namespaces
// joined by a veth (names carry a per-run tag; deleted in a finally), writes a
// pcap of UDP/TCP packets over many flows inside the test subnet, and for each
// rate replays it with tcpreplay into one end while ggprobe captures on the
// other; then the same with `tcpdump -w /dev/null` as the reference. Reads
// tcpreplay's sent count, ggprobe's captured/received/dropped summary and
// tcpdump's own counters. The ladder runs with the capture side's offloads
// off; one rate runs with them on, where libpcap's immediate mode (which cap
// asks for) gets a ring of few 64 KiB frames. Also measured: tcpreplay with
// nothing capturing, and cap merely counting frames. Root only; bounded in
// time (about 2 minutes) and traffic (only into the namespaces it creates).
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const PROBE = join(root, 'dist/probe/main.js');
/** RFC 2544's benchmarking range; every replayed address is inside it. */
const SUBNET = '198.18.96.0/20';
const FLOWS = 4096;
/** Kernel buffer for both captures: ggprobe's 64 MiB default, given to tcpdump too (-B is in KiB). */
const BUFFER_KIB = 64 * 1024;
/** The whole run stops starting new steps past this. */
const BUDGET_MS = 170_000;

/** Internet checksum of b[from, to). */
function checksum(b, from, to, seed = 0) {
  let s = seed;
  for (let i = from; i + 1 < to; i += 2) s += b.readUInt16BE(i);
  if ((to - from) & 1) s += b[to - 1] << 8;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

/** One Ethernet/IPv4 frame of flow f; the destination MAC is not the capturing veth's, so the stack drops it after the capture saw it. */
function frame(f, seq, payloadLen) {
  const tcp = f % 10 < 7;
  const l4 = tcp ? 20 : 8;
  const b = Buffer.alloc(14 + 20 + l4 + payloadLen);
  b.set([0x02, 0x67, 0x67, 0, 0, 0x02, 0x02, 0x67, 0x67, 0, 0, 0x01, 0x08, 0x00]);
  const base = (198 << 24 | 18 << 16 | 96 << 8) >>> 0;
  const src = base + 1 + ((f * 7) % 4094);
  const dst = base + 1 + ((f * 13 + 5) % 4094);
  b.writeUInt8(0x45, 14);
  b.writeUInt16BE(20 + l4 + payloadLen, 16);
  b.writeUInt16BE(seq & 0xffff, 18);
  b.writeUInt8(64, 22);
  b.writeUInt8(tcp ? 6 : 17, 23);
  b.writeUInt32BE(src, 26);
  b.writeUInt32BE(dst, 30);
  b.writeUInt16BE(checksum(b, 14, 34), 24);
  const sport = 1024 + f;
  const dport = [443, 80, 53, 8080, 22, 5432][f % 6];
  b.writeUInt16BE(sport, 34);
  b.writeUInt16BE(dport, 36);
  for (let i = 14 + 20 + l4; i < b.length; i++) b[i] = (i * 31 + f) & 0xff;
  if (tcp) {
    b.writeUInt32BE((seq * 1000) >>> 0, 38);
    b.writeUInt32BE(1, 42);
    b.writeUInt8(5 << 4, 46);
    b.writeUInt8(seq === 0 ? 0x02 : payloadLen ? 0x18 : 0x10, 47); // SYN first, then PSH/ACK or ACK
    b.writeUInt16BE(65535, 48);
  } else {
    b.writeUInt16BE(8 + payloadLen, 38);
  }
  // Transport checksum over the pseudo-header, as a real host would send it.
  const pseudo = ((src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + (tcp ? 6 : 17) + l4 + payloadLen);
  b.writeUInt16BE(checksum(b, 34, b.length, pseudo) || (tcp ? 0 : 0xffff), tcp ? 50 : 40);
  return b;
}

/** A little pcap writer: `packets` frames over FLOWS flows, in a shuffled but fixed order. */
export function writeCapture(path, packets) {
  const parts = [];
  const head = Buffer.alloc(24);
  head.writeUInt32LE(0xa1b2c3d4, 0);
  head.writeUInt16LE(2, 4);
  head.writeUInt16LE(4, 6);
  head.writeUInt32LE(65535, 16);
  head.writeUInt32LE(1, 20); // LINKTYPE_ETHERNET
  parts.push(head);
  const seqs = new Uint32Array(FLOWS);
  let s = 1;
  const rnd = () => ((s = (s * 1103515245 + 12345) >>> 0) / 0x100000000);
  let bytes = 24;
  for (let i = 0; i < packets; i++) {
    const f = (rnd() * FLOWS) | 0;
    const r = rnd();
    // Mostly small: pure ACKs and short datagrams, some larger segments.
    const len = f % 10 < 7 ? (r < 0.4 ? 0 : 64 + ((r * 640) | 0)) : 32 + ((r * 240) | 0);
    const fr = frame(f, seqs[f]++, len);
    const rec = Buffer.alloc(16);
    rec.writeUInt32LE(1_763_000_000 + Math.floor(i / 1e6), 0);
    rec.writeUInt32LE(i % 1e6, 4);
    rec.writeUInt32LE(fr.length, 8);
    rec.writeUInt32LE(fr.length, 12);
    parts.push(rec, fr);
    bytes += 16 + fr.length;
  }
  writeFileSync(path, Buffer.concat(parts));
  return { packets, bytes };
}

function ip(...args) {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr.trim()}`);
}

/** Packets the kernel dropped from CPU backlogs (before any capture saw them), whole machine. */
function backlogDrops() {
  try {
    return readFileSync('/proc/net/softnet_stat', 'utf8').trim().split('\n').reduce((s, l) => s + parseInt(l.split(/\s+/)[1], 16), 0);
  } catch {
    return NaN;
  }
}

/** Starts a capture command in a namespace; resolves once `ready` shows on its stderr. */
function startCapture(ns, cmd, args, ready, stdout) {
  const child = spawn('ip', ['netns', 'exec', ns, cmd, ...args], { stdio: ['ignore', stdout, 'pipe'] });
  let err = '';
  child.stderr.on('data', (d) => { if (err.length < 1 << 16) err += d; });
  const exited = new Promise((r) => child.once('close', () => r(err)));
  const started = new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${cmd} did not start:\n${err}`)), 15_000);
    child.stderr.on('data', () => { if (ready.test(err)) { clearTimeout(t); resolve(); } });
    child.once('close', () => { clearTimeout(t); reject(new Error(`${cmd} exited:\n${err}`)); });
  });
  const stop = async (signal) => {
    // `ip netns exec` execs the command; signal its child in case it ever forks instead.
    let pid = child.pid;
    try { pid = Number(readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(' ')[0]) || pid; } catch { /* gone */ }
    try { process.kill(pid, signal); } catch { /* gone */ }
    const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
    const text = await exited;
    clearTimeout(kill);
    return text;
  };
  return { child, started, stop };
}

/** Replays the file into IFACE inside NS at `pps` (0: top speed); tcpreplay's counts. */
function replay(ns, iface, file, pps, loops) {
  const rate = pps ? ['--pps', String(pps)] : ['--topspeed'];
  const r = spawnSync('ip', ['netns', 'exec', ns, 'tcpreplay', '-q', '-K', '-i', iface, ...rate, `--loop=${loops}`, file],
    { encoding: 'utf8', timeout: 60_000 });
  const out = `${r.stdout}\n${r.stderr}`;
  const sent = Number(/Successful packets:\s+(\d+)/.exec(out)?.[1] ?? NaN);
  const achieved = Number(/Rated:.*?([\d.]+) pps/.exec(out)?.[1] ?? NaN);
  if (!Number.isFinite(sent)) throw new Error(`tcpreplay: ${out.trim()}`);
  return { sent, achieved };
}

/** tcpdump's end-of-run counters. */
function tcpdumpCounts(err) {
  const n = (what) => Number(new RegExp(`(\\d+) packets? ${what}`).exec(err)?.[1] ?? NaN);
  const r = { captured: n('captured'), received: n('received by filter'), dropped: n('dropped by kernel') };
  return Number.isFinite(r.captured) ? r : null;
}

const tcpdump = (extra) => ({
  cmd: 'tcpdump',
  args: (iface) => ['-i', iface, '-n', '-B', String(BUFFER_KIB), ...extra, '-w', '/dev/null', `net ${SUBNET}`],
  ready: /listening on/,
  signal: 'SIGINT',
  parse: tcpdumpCounts,
});

/** The captures compared: how to start one, when it is ready, how to stop it and read its counters. */
const TOOLS = {
  ggprobe: {
    cmd: process.execPath,
    args: (iface) => [PROBE, '-i', iface, '-f', `net ${SUBNET}`, '--print', '-u', 'nobody'],
    ready: /"capturing"/,
    signal: 'SIGTERM',
    parse(err) {
      const m = /ggprobe: (\d+) packets, .*kernel received (\d+), dropped (\d+)/.exec(err);
      return m ? { captured: Number(m[1]), received: Number(m[2]), dropped: Number(m[3]) } : null;
    },
  },
  // The floor of any reader built on cap: frames counted, nothing decoded.
  'cap, count only': {
    cmd: process.execPath,
    args: (iface) => ['--input-type=module', '-e', `
      const { openLive } = await import(${JSON.stringify(join(root, 'dist/probe/sources/live-source.js'))});
      const o = openLive(${JSON.stringify(iface)}, ${JSON.stringify(`net ${SUBNET}`)});
      if (!o.ok) { console.error(o.error); process.exit(1); }
      let n = 0;
      o.capture.start({ record() { n++; } });
      console.error('counting');
      process.on('SIGTERM', () => { const s = o.capture.stats(); console.error(JSON.stringify({ captured: n, received: s.received, dropped: s.dropped })); process.exit(0); });`],
    ready: /counting/,
    signal: 'SIGTERM',
    parse: (err) => { try { return JSON.parse(err.trim().split('\n').pop()); } catch { return null; } },
  },
  tcpdump: tcpdump([]),
  // cap asks libpcap for immediate mode, which means TPACKET_V2 fixed-size frames instead of V3 blocks.
  'tcpdump --immediate-mode': tcpdump(['--immediate-mode']),
};

function option(args, name, def) {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : def;
}

const fmt = (n) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '—');

/** Turns the segmentation/receive offloads of IFACE in NS on or off (libpcap sizes immediate-mode ring frames from them). */
function offloads(ns, iface, on) {
  const v = on ? 'on' : 'off';
  const r = spawnSync('ip', ['netns', 'exec', ns, 'ethtool', '-K', iface, 'tso', v, 'gso', v, 'gro', v], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ethtool -K ${iface}: ${r.stderr.trim()}`);
}

export async function run(args = []) {
  const seconds = Number(option(args, '--seconds', '2'));
  const filePackets = Number(option(args, '--packets', '100000'));
  const rates = option(args, '--rates', '100000,200000,300000,500000,800000,0').split(',').map(Number);
  if (process.getuid?.() !== 0) { console.error('live bench: needs root (network namespaces, capture)'); process.exitCode = 1; return; }
  const setup = spawnSync('bash', [join(root, 'scripts/setup.sh'), 'tcpreplay', 'tcpdump', 'ethtool'], { stdio: 'inherit' });
  const missing = ['tcpreplay', 'tcpdump', 'ethtool'].filter((t) => spawnSync('sh', ['-c', `command -v ${t}`]).status !== 0);
  if (missing.length) { console.error(`live bench: missing ${missing.join(', ')}`); process.exitCode = 1; return; }
  if (setup.status !== 0) console.error('live bench: setup.sh failed; going on with the tools and build present');

  // Main ladder with the capture side's offloads off (frames as sent, as on a
  // capture port); then one rate with them on, the veth default.
  const phases = [
    { offloads: false, rates, tools: ['ggprobe', 'tcpdump'] },
    { offloads: false, rates: [0], tools: ['cap, count only'] },
    { offloads: true, rates: [100_000], tools: ['ggprobe', 'tcpdump --immediate-mode', 'tcpdump'] },
  ];
  const t0 = Date.now();
  // Other work on the machine delays the capture's reader: say how busy it was.
  const load = loadavg()[0];
  const tag = `gl${process.pid % 10000}${Math.floor(Math.random() * 100)}`;
  const [nsCap, nsGen, ifCap, ifGen] = [`${tag}cap`, `${tag}gen`, `${tag}c`, `${tag}g`];
  const dir = mkdtempSync(join(tmpdir(), 'gglive-'));
  chmodSync(dir, 0o755);
  const file = join(dir, 'flows.pcap');
  const running = new Set();
  const cleanup = () => {
    for (const c of running) c.child.kill('SIGKILL');
    for (const ns of [nsCap, nsGen]) spawnSync('ip', ['netns', 'del', ns]);
    rmSync(dir, { recursive: true, force: true });
  };
  const onSignal = () => { cleanup(); process.exit(130); };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const rows = [];
  let ceiling = { sent: NaN, achieved: NaN };
  try {
    ip('netns', 'add', nsCap);
    ip('netns', 'add', nsGen);
    ip('link', 'add', ifCap, 'netns', nsCap, 'type', 'veth', 'peer', 'name', ifGen, 'netns', nsGen);
    ip('-n', nsCap, 'addr', 'add', '198.18.96.1/20', 'dev', ifCap);
    ip('-n', nsGen, 'addr', 'add', '198.18.96.2/20', 'dev', ifGen);
    for (const [ns, i] of [[nsCap, ifCap], [nsGen, ifGen]]) { ip('-n', ns, 'link', 'set', 'lo', 'up'); ip('-n', ns, 'link', 'set', i, 'up'); }
    const built = writeCapture(file, filePackets);
    console.error(`live bench: ${nsGen}/${ifGen} → ${nsCap}/${ifCap}, ${built.packets} packets (${(built.bytes / built.packets).toFixed(0)} B/record), ${FLOWS} flows`);
    // The generator's own ceiling: top speed with nothing capturing.
    ceiling = replay(nsGen, ifGen, file, 0, 5);
    console.error(`  tcpreplay alone: ${fmt(ceiling.achieved)} pps`);
    const devnull = openSync('/dev/null', 'w');
    try {
      for (const phase of phases) {
        offloads(nsCap, ifCap, phase.offloads);
        for (const pps of phase.rates) {
          // A paced rate lasts about `seconds` (at most 6 copies of the file); top speed replays 6 copies.
          const loops = pps ? Math.min(6, Math.max(1, Math.round((pps * seconds) / filePackets))) : 6;
          for (const name of phase.tools) {
            const tool = TOOLS[name];
            const row = { offloads: phase.offloads, pps, name };
            if (Date.now() - t0 > BUDGET_MS) { rows.push({ ...row, skipped: true }); continue; }
            const cap = startCapture(nsCap, tool.cmd, tool.args(ifCap), tool.ready, devnull);
            running.add(cap);
            await cap.started;
            const backlog0 = backlogDrops();
            const r = replay(nsGen, ifGen, file, pps, loops);
            // Let the reader drain its ring before asking for the counts.
            await new Promise((res) => setTimeout(res, 1000));
            const err = await cap.stop(tool.signal);
            running.delete(cap);
            const got = tool.parse(err);
            if (!got) throw new Error(`${name}: no counters in its output:\n${err.slice(-2000)}`);
            rows.push({ ...row, ...r, ...got, backlog: backlogDrops() - backlog0 });
            console.error(`  offloads ${phase.offloads ? 'on' : 'off'}, ${pps || 'top speed'}, ${name}: sent ${r.sent} at ${fmt(r.achieved)} pps, captured ${got.captured}, dropped ${got.dropped}`);
          }
        }
      }
    } finally {
      closeSync(devnull);
    }
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    cleanup();
  }
  report(rows, { seconds, filePackets, ms: Date.now() - t0, ceiling, load });
}

/** The rate a step really ran at: the offered one unless tcpreplay fell more than 5 % short of it. */
const reached = (r) => (r.pps && r.achieved >= 0.95 * r.pps ? r.pps : r.achieved);

/** Lossless: the kernel dropped nothing and every sent packet was read. */
const lossless = (r) => !r.skipped && r.dropped === 0 && r.captured >= r.sent;

function table(rows) {
  console.log('| offered pps | tool | sent | achieved pps | captured | kernel drops | loss % | backlog drops |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    const offered = r.pps ? fmt(r.pps) : 'top speed';
    if (r.skipped) { console.log(`| ${offered} | ${r.name} | not run (time budget) | | | | | |`); continue; }
    const loss = r.sent ? (100 * Math.max(0, r.sent - r.captured)) / r.sent : 0;
    console.log(`| ${offered} | ${r.name} | ${fmt(r.sent)} | ${fmt(r.achieved)} | ${fmt(r.captured)} | ${fmt(r.dropped)} | ${loss.toFixed(2)} | ${fmt(r.backlog)} |`);
  }
}

function report(rows, { seconds, filePackets, ms, ceiling, load }) {
  const cpus = spawnSync('nproc', { encoding: 'utf8' }).stdout.trim();
  console.log(`live capture benchmark — ${new Date().toISOString().slice(0, 10)}, node ${process.version}, ${cpus} CPUs, veth between two namespaces, ` +
    `tcpreplay -K (${filePackets} packets, ${FLOWS} flows, ~${seconds} s per paced rate), BPF filter \`net ${SUBNET}\`, ` +
    `capture buffer ${BUFFER_KIB / 1024} MiB for all, ${(ms / 1000).toFixed(0)} s in all, load average ${load.toFixed(1)} at the start`);
  console.log(`tcpreplay alone (nothing capturing): ${fmt(ceiling.achieved)} pps at top speed`);
  console.log('\ncapture interface with TSO/GSO/GRO off:\n');
  const off = rows.filter((r) => !r.offloads);
  table(off);
  const best = (name) => off.filter((r) => r.name === name && lossless(r)).reduce((m, r) => Math.max(m, reached(r)), 0);
  const ours = best('ggprobe');
  const ref = best('tcpdump');
  const say = (n) => (n ? `${fmt(n)} pps` : 'none (drops at every rate)');
  console.log(`\nhighest rate with no kernel drops and nothing lost: ggprobe ${say(ours)}, tcpdump ${say(ref)}` +
    (ref ? ` (ggprobe/tcpdump ${(ours / ref).toFixed(2)})` : '') + ' — target ≥ 500,000 pps');
  const top = (name) => off.find((r) => r.name === name && r.pps === 0 && !r.skipped);
  const [g, t] = [top('ggprobe'), top('tcpdump')];
  if (g && t) {
    console.log(`at top speed: ggprobe captured ${(100 * g.captured / g.sent).toFixed(1)} % at ${fmt(g.achieved)} pps offered, ` +
      `tcpdump ${(100 * t.captured / t.sent).toFixed(1)} % at ${fmt(t.achieved)} pps (ratio of packets captured per second ${((g.captured / g.sent * g.achieved) / (t.captured / t.sent * t.achieved)).toFixed(2)})`);
  }
  const on = rows.filter((r) => r.offloads);
  if (on.length) {
    console.log('\ncapture interface with TSO/GSO/GRO on (veth default):\n');
    table(on);
  }
}

// Also runnable directly: node scripts/bench/live.mjs [args]
if (process.argv[1] === fileURLToPath(import.meta.url)) await run(process.argv.slice(2));
