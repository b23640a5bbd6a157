// `npm run bench -- probe [--packets N] [--snap BYTES] [--runs N] [--keep]`:
// builds a large Ethernet pcap from the shared captures (copies with their
// addresses rewritten, so every copy's flows are new), then times, on that
// same file, ggprobe (in-process with events encoded into protocol datagrams
// and discarded, and the real CLI with --print to /dev/null) against
// tcpdump -w /dev/null (the libpcap read floor), tshark -z conv,tcp,
// softflowd and argus. Prints packets/s and our ratio to each.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, closeSync, mkdtempSync, openSync, readdirSync, rmSync, writeSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SHARED = join(root, '..', 'shared', 'pcaps');
const DIST = join(root, 'dist');
const LINK_ETHERNET = 1;
const LINK_SLL = 113;
const LINK_SLL2 = 276;
/** Microseconds between two packets of the built file: a link busy at 500 k packets/s. */
const GAP_US = 2;

/** One pass over a capture with our own reader; `onRecord(linkType, bytes, origLen)` gets a copy of each packet. */
async function readCapture(path, onRecord) {
  const { openCaptureFile } = await import(join(DIST, 'probe/capture/open.js'));
  const opened = openCaptureFile(path);
  if (!opened.ok) return;
  opened.reader.forEach((r) => onRecord(r.linkType, Buffer.from(r.buf.subarray(r.dataStart, r.dataStart + r.capLen)), r.origLen));
  opened.reader.close();
}

/** A Linux cooked (SLL, SLL2) frame as Ethernet: made-up MAC addresses, the same EtherType and payload. */
function asEthernet(linkType, b, origLen) {
  if (linkType === LINK_ETHERNET) return { frame: b, origLen };
  const [typeAt, headerLen] = linkType === LINK_SLL ? [14, 16] : linkType === LINK_SLL2 ? [0, 20] : [-1, 0];
  if (typeAt < 0 || b.length < headerLen) return null;
  const frame = Buffer.alloc(14 + b.length - headerLen);
  frame.set([2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2]);
  frame.writeUInt16BE(b.readUInt16BE(typeAt), 12);
  b.copy(frame, 14, headerLen);
  return { frame, origLen: origLen - headerLen + 14 };
}

/** Captures whose frames average more than this many bytes are bulk transfers (TSO segments, downloads). */
const BULK_MEAN_BYTES = 900;
/** Bulk captures go into one copy in this many, so the file's mean frame stays near a mixed link's (~300 B). */
const BULK_EVERY = 8;

/**
 * One copy of the given captures as pcap records (headers included, times
 * left to fill), and where each record's IP addresses sit, for rewriting.
 */
async function template(files, snap) {
  const { decodePacket } = await import(join(DIST, 'probe/decode/packet.js'));
  const { PacketInfo } = await import(join(DIST, 'probe/decode/packet-info.js'));
  const info = new PacketInfo();
  const parts = [];
  const recordAt = [];
  const v4 = [];
  const v6 = [];
  let size = 0;
  for (const f of files) {
    await readCapture(f, (linkType, bytes, origLen) => {
      const eth = asEthernet(linkType, bytes, origLen);
      if (eth === null) return;
      const capLen = Math.min(eth.frame.length, snap);
      const rec = Buffer.alloc(16 + capLen);
      rec.writeUInt32LE(capLen, 8);
      rec.writeUInt32LE(eth.origLen, 12);
      eth.frame.copy(rec, 16, 0, capLen);
      decodePacket(info, LINK_ETHERNET, rec, 16, capLen, eth.origLen);
      if (info.ipVersion === 4) v4.push(size + info.srcOffset, size + info.dstOffset);
      else if (info.ipVersion === 6) v6.push(size + info.srcOffset, size + info.dstOffset);
      recordAt.push(size);
      parts.push(rec);
      size += rec.length;
    });
  }
  return { bytes: Buffer.concat(parts), recordAt: Int32Array.from(recordAt), v4: Int32Array.from(v4), v6: Int32Array.from(v6), copy: Buffer.alloc(size) };
}

/** The shared captures split into mixed traffic and bulk transfers, by mean frame size. */
async function sharedTemplates(snap) {
  const light = [];
  const bulk = [];
  for (const f of readdirSync(SHARED).filter((n) => /\.pcap(ng)?$/.test(n)).sort()) {
    let n = 0;
    let bytes = 0;
    await readCapture(join(SHARED, f), (_l, b) => { n++; bytes += b.length; });
    (n > 0 && bytes / n > BULK_MEAN_BYTES ? bulk : light).push(join(SHARED, f));
  }
  return { light: await template(light, snap), bulk: await template(bulk, snap) };
}

/**
 * Writes `packets` records: copies of the mixed-traffic template (plus the bulk
 * one every BULK_EVERY copies), copy k with the second 16 bits of every
 * address XORed with k so its flows are new, times GAP_US apart.
 */
export async function buildCapture(path, packets, snap) {
  const { light, bulk } = await sharedTemplates(snap);
  const fd = openSync(path, 'w', 0o644);
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b2c3d4, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(snap, 16);
  header.writeUInt32LE(LINK_ETHERNET, 20);
  writeSync(fd, header);
  let written = 0;
  let ts = 1_700_000_000_000_000;
  let bytes = 24;
  let copies = 0;
  for (let k = 0; written < packets; k++) {
    copies++;
    for (const t of k % BULK_EVERY === 0 ? [light, bulk] : [light]) {
      const copy = t.copy;
      t.bytes.copy(copy);
      const hi = (k >> 8) & 255;
      const lo = k & 255;
      for (const off of t.v4) { copy[off + 1] ^= hi; copy[off + 2] ^= lo; }
      for (const off of t.v6) { copy[off + 2] ^= hi; copy[off + 3] ^= lo; }
      const n = Math.min(t.recordAt.length, packets - written);
      for (let i = 0; i < n; i++) {
        const at = t.recordAt[i];
        copy.writeUInt32LE(Math.floor(ts / 1e6), at);
        copy.writeUInt32LE(ts % 1e6, at + 4);
        ts += GAP_US;
      }
      const end = n === t.recordAt.length ? copy.length : t.recordAt[n];
      writeSync(fd, copy, 0, end);
      bytes += end;
      written += n;
    }
  }
  closeSync(fd);
  return { packets: written, bytes, copies, light: light.recordAt.length, bulk: bulk.recordAt.length };
}

/** In a worker (a fresh isolate each run): the pipeline over the file, events encoded as module-1 messages into datagrams, then dropped. */
async function pipelineRun(path) {
  const { openCaptureFile } = await import(join(DIST, 'probe/capture/open.js'));
  const { PacketPipeline } = await import(join(DIST, 'probe/pipeline.js'));
  const { MessageSink } = await import(join(DIST, 'probe/events/message-sink.js'));
  const { DatagramPacker } = await import(join(DIST, 'protocol/index.js'));
  const packer = new DatagramPacker();
  let messages = 0;
  let datagrams = 0;
  const sink = new MessageSink((m) => {
    messages++;
    if (packer.add(m) !== null) datagrams++;
  });
  const t0 = process.hrtime.bigint();
  const pipeline = new PacketPipeline(sink, { track: {} });
  const opened = openCaptureFile(path);
  if (!opened.ok) throw new Error(`${opened.code}: ${opened.detail}`);
  const err = opened.reader.forEach((rec) => pipeline.record(rec));
  opened.reader.close();
  if (err) throw new Error(`${err.code}: ${err.detail}`);
  pipeline.finish();
  if (packer.flush() !== null) datagrams++;
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return { seconds, packets: pipeline.stats.packets, messages, datagrams, connections: pipeline.tracker.stats.newconns };
}

if (!isMainThread && workerData?.probeBench) {
  parentPort.postMessage(await pipelineRun(workerData.path));
}

function inWorker(path) {
  return new Promise((resolve, reject) => {
    const w = new Worker(fileURLToPath(import.meta.url), { workerData: { probeBench: true, path } });
    w.once('message', resolve);
    w.once('error', reject);
  });
}

/** Wall time of one command, output discarded; null when it is not installed or fails. */
function timeCommand(cmd, args, { stdout = 'ignore' } = {}) {
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(cmd, args, { stdio: ['ignore', stdout, 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => { if (err.length < 4096) err += d; });
    child.on('error', () => resolve(null));
    child.on('close', (code) => {
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      resolve(code === 0 ? { seconds, stderr: err } : (console.error(`${cmd}: exit ${code}: ${err.trim().split('\n').pop()}`), null));
    });
  });
}

/** Runs taking longer than this are not repeated: one run of tens of seconds says enough. */
const SLOW_S = 20;

/** Median of `runs` runs (fewer when a run is slow); null when a run failed. */
async function median(runs, fn) {
  const out = [];
  for (let i = 0; i < runs; i++) {
    const r = await fn();
    if (r === null) return null;
    out.push(r);
    if (r.seconds > SLOW_S) break;
  }
  out.sort((a, b) => a.seconds - b.seconds);
  return { ...out[Math.floor(out.length / 2)], runs: out.length };
}

function option(args, name, def) {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? Number(args[i + 1]) : def;
}

/** Entry point for scripts/bench.mjs: builds the capture, times every tool on it, prints the table. */
export async function run(args = []) {
  const packets = option(args, '--packets', 5_000_000);
  const snap = option(args, '--snap', 65535);
  const runs = option(args, '--runs', 3);
  const setup = spawnSync('bash', [join(root, 'scripts/setup.sh'), 'softflowd', 'argus-server', 'tcpdump'], { stdio: 'inherit' });
  if (setup.status !== 0) console.error('probe bench: setup.sh failed; tools that are missing are left out');

  const dir = mkdtempSync(join(tmpdir(), 'ggprobe-bench-'));
  // The CLI drops root privileges before reading: let any user read the file.
  chmodSync(dir, 0o755);
  const file = join(dir, 'big.pcap');
  try {
    const t0 = Date.now();
    const built = await buildCapture(file, packets, snap);
    console.error(`built ${file}: ${built.packets} packets, ${(built.bytes / 1e9).toFixed(2)} GB, ${built.copies} copies of ${built.light} records (+ ${built.bulk} bulk-transfer records in one copy of ${BULK_EVERY}), in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    // Warm the page cache so every tool reads from memory.
    await timeCommand('cat', [file]);

    const rows = [];
    const add = (tool, r, note = '') => rows.push({ tool, seconds: r?.seconds ?? NaN, runs: r?.runs ?? 0, note: r === null ? 'not run (missing or failed)' : note });
    const inproc = await median(runs, () => inWorker(file));
    add('ggprobe pipeline, in-process (events encoded into datagrams, dropped)', inproc,
      `${inproc.connections} connections, ${inproc.messages} messages in ${inproc.datagrams} datagrams`);
    const devnull = openSync('/dev/null', 'w');
    add('`ggprobe -r F --print > /dev/null`', await median(runs, () => timeCommand(process.execPath, [join(DIST, 'probe/main.js'), '-r', file, '--print'], { stdout: devnull })), 'NDJSON encoded and written');
    closeSync(devnull);
    add('`tcpdump -r F -w /dev/null`', await median(runs, () => timeCommand('tcpdump', ['-r', file, '-w', '/dev/null'])), 'libpcap read floor');
    add('`softflowd -r F -n 127.0.0.1:9995 -v 9 -m 1000000`', await median(runs, () => timeCommand('softflowd', ['-r', file, '-n', '127.0.0.1:9995', '-v', '9', '-m', '1000000'])), 'flow table sized like ours');
    add('`argus -r F -w /dev/null`', await median(runs, () => timeCommand('argus', ['-r', file, '-w', '/dev/null'])));
    add('`tshark -r F -q -z conv,tcp`', await median(runs, () => timeCommand('tshark', ['-n', '-r', file, '-q', '-z', 'conv,tcp'])));

    const load = loadavg()[0];
    const ours = rows[0].seconds;
    const rate = (s) => built.packets / s;
    console.log(`probe benchmark — ${new Date().toISOString().slice(0, 10)}, node ${process.version}, ${built.packets} packets (${(built.bytes / 1e9).toFixed(2)} GB, snap ${snap}), ${built.copies} address-rewritten copies of the shared captures; median of ${runs} runs (1 run when one takes over ${SLOW_S} s); ${cpus().length} CPUs, load average ${load.toFixed(1)} at the end (compare figures of one run only)`);
    console.log('| tool | wall s | packets/s | runs | their time / ours (in-process) | notes |');
    console.log('|---|---|---|---|---|---|');
    for (const r of rows) {
      const ok = Number.isFinite(r.seconds);
      console.log(`| ${r.tool} | ${ok ? r.seconds.toFixed(2) : '—'} | ${ok ? (rate(r.seconds) / 1e6).toFixed(2) + ' M' : '—'} | ${r.runs} | ${ok ? (r.seconds / ours).toFixed(2) : '—'} | ${r.note} |`);
    }
    const beats = ['tshark', 'softflowd', 'argus'].map((t) => rows.find((r) => r.tool.includes(t))).filter((r) => Number.isFinite(r.seconds));
    console.log(`target: faster than tshark, softflowd and argus (${beats.every((r) => r.seconds > ours) ? 'met' : 'NOT met'}); ≥ 2 M packets/s (${rate(ours) >= 2e6 ? 'met' : 'NOT met'}: ${(rate(ours) / 1e6).toFixed(2)} M)`);
  } finally {
    if (!args.includes('--keep')) rmSync(dir, { recursive: true, force: true });
    else console.error(`kept ${file}`);
  }
}

// Also runnable directly: node scripts/bench/probe.mjs [args]
if (isMainThread && process.argv[1] === fileURLToPath(import.meta.url)) await run(process.argv.slice(2));
