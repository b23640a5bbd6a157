/**
 * The kernel's received/dropped counters of a live capture. cap does not
 * expose pcap_stats, so we find libpcap's packet socket ourselves (a socket
 * inode that appeared in /proc/self/fd when the capture opened and that
 * /proc/net/packet lists) and read PACKET_STATISTICS with a small addon.
 */
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Why the counters cannot be read; stable codes. */
export type CaptureStatsCode =
  | 'GG_ERR_STATS_NO_ADDON' // probe/native not built
  | 'GG_ERR_STATS_NO_SOCKET' // no packet socket appeared with the capture
  | 'GG_ERR_STATS_AMBIGUOUS' // several did; which is ours is unknown
  | 'GG_ERR_STATS_READ'; // getsockopt failed (closed socket, not a packet socket)

/** An error value of this module. */
export interface CaptureStatsError { ok: false; code: CaptureStatsCode; detail: string }

/** Totals since the capture opened; `received` includes `dropped`, as libpcap's ps_recv does. */
export interface CaptureCounters { received: number; dropped: number }

/** What reading the counters gives. */
export type CaptureStatsResult = ({ ok: true } & CaptureCounters) | CaptureStatsError;

/** One read of the kernel counters; the kernel zeroes them after each read. */
export interface KernelSample { packets: number; drops: number }

/** The addon's shape. */
interface StatsAddon { packetSocketStats(fd: number): KernelSample }

const ADDON_PATH = 'probe/native/build/Release/capture_stats.node';

/** Running totals of counters that reset on every read. Pure. */
export class CounterTotals implements CaptureCounters {
  received = 0;
  dropped = 0;

  /** Adds one read. */
  add(sample: KernelSample): void {
    this.received += sample.packets;
    this.dropped += sample.drops;
  }
}

/** Inodes in the Inode column of /proc/net/packet's text. Pure; ignores lines it cannot read. */
export function packetSocketInodes(text: string): Set<number> {
  const lines = text.split('\n');
  const col = (lines[0] ?? '').trim().split(/\s+/).indexOf('Inode');
  const out = new Set<number>();
  if (col < 0) return out;
  for (const line of lines.slice(1)) {
    const inode = Number((line.trim().split(/\s+/)[col]) ?? '');
    if (Number.isSafeInteger(inode) && inode > 0) out.add(inode);
  }
  return out;
}

/** This process's socket descriptors: fd → socket inode. */
export function socketFds(dir = '/proc/self/fd'): Map<number, number> {
  const out = new Map<number, number>();
  let names: string[];
  try { names = readdirSync(dir); } catch { return out; }
  for (const name of names) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(join(dir, name)));
      if (m) out.set(Number(name), Number(m[1]));
    } catch { /* closed while listing (readdirSync's own descriptor) */ }
  }
  return out;
}

/**
 * The capture's descriptor: a packet socket among `after` whose inode was not
 * in `before` (null: any packet socket). Pure.
 */
export function pickCaptureFd(before: Map<number, number> | null, after: Map<number, number>, packetInodes: Set<number>):
  { ok: true; fd: number } | CaptureStatsError {
  const old = new Set(before?.values() ?? []);
  const fds = [...after].filter(([, inode]) => packetInodes.has(inode) && !old.has(inode)).map(([fd]) => fd);
  if (fds.length === 1) return { ok: true, fd: fds[0] };
  if (fds.length === 0) return { ok: false, code: 'GG_ERR_STATS_NO_SOCKET', detail: 'no new packet socket in /proc/self/fd' };
  return { ok: false, code: 'GG_ERR_STATS_AMBIGUOUS', detail: `packet sockets on fds ${fds.join(', ')}` };
}

/** Finds the capture's packet socket in this process (`before`: socketFds() taken just before opening it). */
export function findCaptureFd(before: Map<number, number> | null, packetTable = '/proc/net/packet'): { ok: true; fd: number } | CaptureStatsError {
  let text: string;
  try { text = readFileSync(packetTable, 'utf8'); } catch (e) {
    return { ok: false, code: 'GG_ERR_STATS_NO_SOCKET', detail: `${packetTable}: ${(e as Error).message}` };
  }
  return pickCaptureFd(before, socketFds(), packetSocketInodes(text));
}

let addon: StatsAddon | CaptureStatsError | null = null;

/** Loads probe/native's addon once, from the source tree or next to dist/. */
export function loadStatsAddon(): StatsAddon | CaptureStatsError {
  if (addon) return addon;
  const here = dirname(fileURLToPath(import.meta.url));
  // probe/sources/ when run from source, dist/probe/sources/ when built.
  const path = [join(here, '..', '..', ADDON_PATH), join(here, '..', '..', '..', ADDON_PATH)].find((p) => existsSync(p));
  if (!path) return (addon = { ok: false, code: 'GG_ERR_STATS_NO_ADDON', detail: `${ADDON_PATH} is not built (run scripts/setup.sh)` });
  try {
    addon = createRequire(import.meta.url)(path) as StatsAddon;
  } catch (e) {
    addon = { ok: false, code: 'GG_ERR_STATS_NO_ADDON', detail: `${path}: ${(e as Error).message}` };
  }
  return addon;
}

/** Reads a packet socket's counters and keeps the totals. */
export class CaptureStats {
  private readonly totals = new CounterTotals();
  constructor(private readonly fd: number, private readonly addon: StatsAddon) {}

  /** Reads the kernel counters (which resets them) and returns the totals. */
  read(): CaptureStatsResult {
    try {
      this.totals.add(this.addon.packetSocketStats(this.fd));
    } catch (e) {
      return { ok: false, code: 'GG_ERR_STATS_READ', detail: `fd ${this.fd}: ${(e as Error).message}` };
    }
    return { ok: true, received: this.totals.received, dropped: this.totals.dropped };
  }
}

/** Counters for the capture opened since `before` was taken, or why there are none. */
export function openCaptureStats(before: Map<number, number> | null): CaptureStats | CaptureStatsError {
  const a = loadStatsAddon();
  if ('ok' in a) return a;
  const found = findCaptureFd(before);
  return found.ok ? new CaptureStats(found.fd, a) : found;
}

/** The logger calls the reporter makes (pino's shape). */
interface StatsLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/**
 * Logs a live capture's counters: periodically at info, unavailability once
 * at warn, and a phrase for the final summary line.
 */
export function captureStatsReporter(read: () => CaptureStatsResult, log: StatsLog): { start(): void; tick(): void; summary(): string } {
  let warned = false;
  const get = (): CaptureStatsResult => {
    const s = read();
    if (!s.ok && !warned) {
      warned = true;
      log.warn({ code: s.code, detail: s.detail }, 'kernel capture counters unavailable: drops will not be reported');
    }
    return s;
  };
  return {
    start() { get(); },
    tick() {
      const s = get();
      if (s.ok) log.info({ received: s.received, dropped: s.dropped }, 'capture statistics');
    },
    summary() {
      const s = get();
      return s.ok ? `, kernel received ${s.received}, dropped ${s.dropped}` : ', kernel counters unavailable';
    },
  };
}
