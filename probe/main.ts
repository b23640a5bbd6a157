#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { formatHelp, parseArgs } from '../protocol/edge/cli.js';
import { createLogger } from '../protocol/edge/log.js';
import { dropPrivileges, firstAccount, isRoot } from '../protocol/edge/privileges.js';
import { readSecretFile } from '../protocol/edge/secret-file.js';
import { CountingSink } from './events/counting-sink.js';
import { MessageSink } from './events/message-sink.js';
import { NdjsonSink } from './events/ndjson-sink.js';
import type { EventSink } from './events/sink.js';
import { TeeSink } from './events/tee-sink.js';
import { PROBE_ABOUT, PROBE_OPTIONS, PROBE_SYNOPSIS } from './options.js';
import { PacketPipeline } from './pipeline.js';
import { forkRelay, resolveRelayChild, stopRelay } from './relay-child.js';
import { resolveProbeConfig } from './probe-config.js';
import { DnsReverse, END_OF_FILE_GRACE_MS } from './resolve/dns-reverse.js';
import { ResolvingSink } from './resolve/resolving-sink.js';
import { Simulator } from './simulate/simulator.js';
import { pickWorldHosts } from './simulate/world-hosts.js';
import { captureStatsReporter } from './sources/capture-stats.js';
import { runFile } from './sources/file-source.js';
import { holdCaptureFile, type HeldCapture } from './capture/open.js';
import type { CaptureReader } from './capture/reader.js';
import { listInterfaces, openLive, type LiveCapture } from './sources/live-source.js';
import { Uplink } from './uplink/uplink.js';
import { UdpTracer } from './trace/udp-tracer.js';

function fail(msg: string, code = 2): number {
  process.stderr.write(`ggprobe: ${msg}\n`);
  return code;
}

async function main(): Promise<number> {
  const parsed = parseArgs(process.argv.slice(2), PROBE_OPTIONS);
  if (!parsed.ok) return fail(parsed.error);
  let values = parsed.args.values;
  if (values.help) { process.stdout.write(formatHelp(PROBE_SYNOPSIS, PROBE_ABOUT, PROBE_OPTIONS)); return 0; }
  if (values.listInterfaces) {
    try { process.stdout.write(listInterfaces().join('\n') + '\n'); return 0; } catch (e) { return fail((e as Error).message, 1); }
  }
  if (parsed.args.positional.length) return fail(`unexpected argument ${parsed.args.positional[0]}`);
  if (typeof values.config === 'string') {
    try {
      values = { ...JSON.parse(readFileSync(values.config, 'utf8')), ...values };
    } catch (e) { return fail(`${values.config}: ${(e as Error).message}`); }
  }
  const cfg = resolveProbeConfig(values);
  if (!cfg.ok) return fail(cfg.error);
  const c = cfg.config;
  const relayChild = resolveRelayChild(values, c.server);
  if (!relayChild.ok) return fail(relayChild.error);
  // The secret is checked (mode, size) before -n answers, so -n catches a world-readable secret file.
  let secret: Buffer | null = null;
  if (c.server) {
    const s = readSecretFile(c.server.secretFile);
    if (!s.ok) return fail(s.error);
    secret = s.secret;
  }
  if (values.check) { process.stdout.write('configuration OK\n'); return 0; }
  const log = createLogger('ggprobe', c.verbose);

  // Privileged setup: the capture and the secret, nothing else.
  let live: LiveCapture | null = null;
  let tracer: UdpTracer | null = null;
  if (c.source.kind === 'live') {
    // --trace sockets first: a capture filter must let their datagrams and answers through, so it needs their ports.
    if (c.trace) {
      const t = await UdpTracer.open({ plan: { ratePerS: c.trace.ratePerS, maxHops: c.trace.maxHops }, exclude: c.server ? [c.server.host] : [], log });
      if (!t.ok) return fail(`${t.code}: ${t.detail}`, 1);
      tracer = t.tracer;
    }
    const own = c.server ? ` and not (udp and port ${c.server.port} and host ${c.server.host})` : '';
    const userFilter = c.source.filter && tracer ? `(${c.source.filter}) or ${tracer.captureFilter()}` : c.source.filter;
    const filter = userFilter ? `(${userFilter})${own}` : own.replace(/^ and /, '');
    const opened = openLive(c.source.device, filter, c.bufferBytes);
    if (!opened.ok) return fail(opened.error, 1);
    live = opened.capture;
  }
  // A capture file only root can read is opened now, before privileges go; --loop reads the same descriptor again.
  let firstReader: CaptureReader | undefined;
  let held: HeldCapture | null = null;
  if (c.source.kind === 'file') {
    const h = holdCaptureFile(c.source.path);
    if (!h.ok) return fail(`${c.source.path}: ${h.code}: ${h.detail}`, 1);
    held = h.held;
    const opened = h.held.read();
    if (!opened.ok) return fail(`${c.source.path}: ${opened.code}: ${opened.detail}`, 1);
    firstReader = opened.reader;
  }
  // The relay beside the probe starts as root too, and drops privileges on its own.
  const relay = relayChild.child ? forkRelay(relayChild.child, log) : null;
  if (isRoot()) {
    if (c.noDropPriv) log.warn('keeping root (--no-droppriv)');
    else {
      const acc = firstAccount(c.user ? [c.user] : ['_ggprobe', 'nobody']);
      if (!acc.ok) return fail(acc.error, 1);
      const d = dropPrivileges(acc.account);
      if (!d.ok) return fail(d.error, 1);
      log.info({ user: acc.account.name }, 'privileges dropped');
    }
  }

  // Outputs.
  const sinks: EventSink[] = [];
  const counts = new CountingSink();
  sinks.push(counts);
  let ndjson: NdjsonSink | null = null;
  if (c.print) { ndjson = new NdjsonSink(process.stdout); sinks.push(ndjson); }
  let uplink: Uplink | null = null;
  if (c.server && secret) {
    uplink = new Uplink({ host: c.server.host, port: c.server.port, probeId: c.server.id, secret, site: c.site, mode: c.mode, log });
    const u = uplink;
    const started = await u.start();
    if (!started.ok) return fail(started.error, 1);
    sinks.push(new MessageSink((m) => u.send(m)));
  }
  // The tracer hears of new destinations (NEWCONN) and of answered ones (TRACE) like any sink.
  if (tracer) sinks.push(tracer);
  const sink = sinks.length === 1 ? sinks[0] : new TeeSink(sinks);
  // --resolve: the pipeline's events pass by the resolver on their way out; names from lookups go straight out,
  // stamped with capture time: the clock when live (it stamps the packets), the newest event's time in a file.
  let reverse: DnsReverse | null = null;
  let resolving: ResolvingSink | null = null;
  if (c.resolve) {
    const liveClock = c.source.kind === 'live';
    reverse = new DnsReverse(c.resolve, sink, () => (liveClock ? Math.round((performance.timeOrigin + performance.now()) * 1000) : resolving?.latestTs ?? 0));
    resolving = new ResolvingSink(sink, reverse);
    reverse.start();
  }

  let stopping = false;
  let stopLive: (() => void) | null = null;
  const stop = (): void => { stopping = true; stopLive?.(); };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);

  const t0 = Date.now();
  let summaryPackets = 0;
  let summaryBytes = 0;
  let summarySkipped = 0;
  let summaryKernel = '';
  let exitCode = 0;
  if (c.source.kind === 'simulate') {
    const world = pickWorldHosts(160, c.source.seed);
    const sim = new Simulator(world, sink, { rate: c.source.rate, seed: c.source.seed, dataIntervalUs: c.dataIntervalUs });
    log.info({ hosts: world.length, countries: new Set(world.map((h) => h.country)).size, rate: c.source.rate }, 'simulating');
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        if (stopping) { clearInterval(timer); sim.finish(Date.now() * 1000); resolve(); return; }
        sim.step(Date.now() * 1000);
      }, 50);
    });
  } else {
    const pipeline = new PacketPipeline(resolving ?? sink, { track: { maxConns: c.maxConns, dataIntervalUs: c.dataIntervalUs }, tracer: tracer?.traffic() });
    if (c.source.kind === 'file' && held) {
      const file = held;
      const out = process.stdout;
      // A file read at full speed would be over before the handshake: wait for the session (bounded), then keep pace with the link.
      if (uplink && !(await uplink.whenEstablished(10_000))) log.warn('no session with the server after 10 s: reading anyway; what the bounded queue cannot hold is dropped and counted');
      const up = uplink;
      const r = await runFile({
        firstReader, open: () => file.read(),
        realtime: c.source.realtime, loop: c.source.loop, flush: () => sink.flush(),
        drain: () => (ndjson && out.writableLength > 4 * 1024 * 1024 ? new Promise<void>((res) => out.once('drain', () => res())) : up?.room() ?? null),
      }, pipeline, () => stopping);
      file.close();
      pipeline.finish();
      // Lookups still queued or in flight get a bounded grace: a short capture still gets its names.
      if (reverse) await reverse.drain(END_OF_FILE_GRACE_MS, () => stopping);
      if (!r.ok) {
        process.stderr.write(`ggprobe: ${c.source.path}: ${r.error.code}: ${r.error.detail}\n`);
        exitCode = 1;
      }
    } else if (live) {
      const cap = live;
      cap.start(pipeline);
      // Each tick also writes out what is buffered: a live --print shows events as they happen, not by the chunk.
      const idle = setInterval(() => {
        pipeline.advance(Math.round((performance.timeOrigin + performance.now()) * 1000));
        sink.flush();
      }, 100);
      const kernel = captureStatsReporter(() => cap.stats(), log);
      kernel.start();
      const statsTimer = setInterval(() => kernel.tick(), c.statsIntervalMs);
      log.info({ interface: c.source.kind === 'live' ? c.source.device : '' }, 'capturing');
      await new Promise<void>((resolve) => { stopLive = resolve; });
      clearInterval(idle);
      clearInterval(statsTimer);
      summaryKernel = kernel.summary();
      if (tracer) {
        tracer.close();
        log.info({ ...tracer.planner.stats, ...tracer.stats, ownTrace: pipeline.stats.ownTrace }, 'traceroutes');
      }
      cap.close();
      pipeline.finish(Math.round((performance.timeOrigin + performance.now()) * 1000));
    }
    summaryPackets = pipeline.stats.packets;
    summaryBytes = pipeline.stats.bytes;
    summarySkipped = pipeline.stats.skipped;
  }
  if (reverse) {
    reverse.stop();
    log.info({ ...reverse.counters, cached: reverse.core.cached }, 'reverse lookups');
  }
  sink.flush();
  if (uplink) await uplink.close();
  if (relay) await stopRelay(relay);
  const elapsed = (Date.now() - t0) / 1000;
  const events = counts.newconns + counts.datas + counts.delconns + counts.names + counts.traces;
  process.stderr.write(`ggprobe: ${summaryPackets} packets, ${summaryBytes} bytes, ${summarySkipped} skipped, ${counts.newconns} connections, ${events} events` +
    ` (${counts.datas} data, ${counts.names} names, ${counts.traces} traces), ${elapsed.toFixed(3)} s, ${Math.round(summaryPackets / Math.max(elapsed, 1e-6))} packets/s` + summaryKernel +
    (uplink ? `, sent ${uplink.counters.datagrams} datagrams, dropped ${uplink.counters.dropped}` : '') + (reverse?.summary() ?? '') + '\n');
  await new Promise<void>((r) => (process.stdout.writableLength ? process.stdout.once('drain', () => r()) : r()));
  return exitCode;
}

main().then((code) => process.exit(code), (e: Error) => {
  process.stderr.write(`ggprobe: ${e.stack ?? e.message}\n`);
  process.exit(1);
});
