import { addressFamily } from '../protocol/address.js';
import { numberOption } from '../protocol/edge/cli.js';
import type { SealMode } from '../protocol/session/codes.js';
import type { Site } from '../protocol/session/session-messages.js';
import { parseHostPort } from '../protocol/edge/settings.js';
import { MAX_CONNS_LIMIT } from './track/options.js';

/** Where the packets come from. */
export type ProbeSource =
  | { kind: 'live'; device: string; filter: string }
  | { kind: 'file'; path: string; realtime?: number; loop: boolean }
  | { kind: 'simulate'; rate: number; seed: number };

/** The probe's resolved configuration. */
export interface ProbeConfig {
  source: ProbeSource;
  server: { host: string; port: number; id: number; secretFile: string } | null;
  site: Site;
  mode: SealMode;
  print: boolean;
  maxConns: number;
  dataIntervalUs: number;
  /** How often a live capture logs the kernel's received/dropped counters. */
  statsIntervalMs: number;
  /** Kernel capture buffer (live), bytes. */
  bufferBytes: number;
  /** --trace: the probe's own traceroutes (live only). */
  trace: { ratePerS: number; maxHops: number } | null;
  /** --resolve: reverse lookups of new addresses, at most rate a second, asking server (else the system's resolvers). */
  resolve: { rate: number; server?: { host: string; port: number } } | null;
  user?: string;
  noDropPriv: boolean;
  verbose: number;
}

/** Default UDP port of glougloud's probes server. */
export const DEFAULT_SERVER_PORT = 4430;

export { parseHostPort };

type Values = Record<string, string | number | boolean | undefined>;

/** Resolves and checks the command line (and --config file values merged under it). */
export function resolveProbeConfig(v: Values): { ok: true; config: ProbeConfig } | { ok: false; error: string } {
  const sources = [v.interface, v.read, v.simulate].filter((x) => x !== undefined && x !== false).length;
  if (sources !== 1) return { ok: false, error: 'give exactly one of -i IFACE, -r FILE, --simulate (or -D)' };
  if (!v.print && !v.server) return { ok: false, error: 'nowhere to send events: give -s HOST[:PORT] and/or --print' };
  if ((v.realtime !== undefined || v.loop) && !v.read) return { ok: false, error: '--realtime and --loop go with -r FILE' };
  if ((v.rate !== undefined || v.seed !== undefined) && !v.simulate) return { ok: false, error: '--rate and --seed go with --simulate' };
  let source: ProbeSource;
  if (v.interface !== undefined) source = { kind: 'live', device: String(v.interface), filter: typeof v.filter === 'string' ? v.filter : '' };
  else if (v.read !== undefined) {
    let realtime: number | undefined;
    if (v.realtime !== undefined) {
      const r = v.realtime === true ? { ok: true as const, value: 1 } : numberOption(v.realtime, '--realtime', 0.001, 1e6);
      if (!r.ok) return r;
      realtime = r.value;
    }
    source = { kind: 'file', path: String(v.read), realtime, loop: v.loop === true };
  } else {
    const rate = numberOption(v.rate ?? 2000, '--rate', 1, 10_000_000);
    if (!rate.ok) return rate;
    const seed = numberOption(v.seed ?? 1, '--seed', 0, 0xffffffff);
    if (!seed.ok) return seed;
    source = { kind: 'simulate', rate: rate.value, seed: seed.value };
  }
  if (v.filter !== undefined && source.kind !== 'live') return { ok: false, error: '-f BPF goes with -i IFACE' };
  let server: ProbeConfig['server'] = null;
  if (v.server !== undefined) {
    const hp = parseHostPort(String(v.server), DEFAULT_SERVER_PORT);
    if (!hp.ok) return hp;
    const id = numberOption(v.id, '--id', 1, 0xffffffff);
    if (!id.ok || !Number.isInteger(id.value)) return { ok: false, error: '-s needs --id N (1 to 4294967295)' };
    if (typeof v.secretFile !== 'string') return { ok: false, error: '-s needs --secret-file FILE' };
    server = { host: hp.host, port: hp.port, id: id.value, secretFile: v.secretFile };
  }
  const lat = numberOption(v.siteLat ?? 0, '--site-lat', -90, 90);
  if (!lat.ok) return lat;
  const lng = numberOption(v.siteLng ?? 0, '--site-lng', -180, 180);
  if (!lng.ok) return lng;
  const name = typeof v.siteName === 'string' ? v.siteName : '';
  if (Buffer.byteLength(name) > 64) return { ok: false, error: '--site-name: at most 64 bytes' };
  const maxConns = numberOption(v.maxConns ?? 1_000_000, '--max-conns', 16, MAX_CONNS_LIMIT);
  if (!maxConns.ok) return maxConns;
  const dataMs = numberOption(v.dataInterval ?? 100, '--data-interval', 1, 60_000);
  if (!dataMs.ok) return dataMs;
  if (v.statsInterval !== undefined && source.kind !== 'live') return { ok: false, error: '--stats-interval goes with -i IFACE' };
  if (v.bufferKiB !== undefined && source.kind !== 'live') return { ok: false, error: '-B KIB goes with -i IFACE' };
  // 64 MiB: in immediate mode libpcap's ring holds fixed-size frames, and 16 MiB lasts ~0.1 s at 100 k packets/s.
  const bufKiB = numberOption(v.bufferKiB ?? 65_536, '-B', 256, 4_194_304);
  if (!bufKiB.ok) return bufKiB;
  const statsS = numberOption(v.statsInterval ?? 10, '--stats-interval', 0.1, 86_400);
  if (!statsS.ok) return statsS;
  let trace: ProbeConfig['trace'] = null;
  if ((v.traceRate !== undefined || v.traceMaxHops !== undefined) && !v.trace) return { ok: false, error: '--trace-rate and --trace-max-hops go with --trace' };
  if (v.trace) {
    if (source.kind !== 'live') return { ok: false, error: '--trace goes with -i IFACE' };
    const rate = numberOption(v.traceRate ?? 2, '--trace-rate', 0.01, 1000);
    if (!rate.ok) return rate;
    const hops = numberOption(v.traceMaxHops ?? 30, '--trace-max-hops', 1, 30);
    if (!hops.ok || !Number.isInteger(hops.value)) return { ok: false, error: '--trace-max-hops: expected an integer in [1, 30]' };
    trace = { ratePerS: rate.value, maxHops: hops.value };
  }
  let resolve: ProbeConfig['resolve'] = null;
  if ((v.resolveRate !== undefined || v.resolveServer !== undefined) && !v.resolve) return { ok: false, error: '--resolve-rate and --resolve-server go with --resolve' };
  if (v.resolve) {
    if (source.kind === 'simulate') return { ok: false, error: '--resolve goes with -i IFACE or -r FILE' };
    const rate = numberOption(v.resolveRate ?? 20, '--resolve-rate', 0.1, 1000);
    if (!rate.ok) return rate;
    resolve = { rate: rate.value };
    if (v.resolveServer !== undefined) {
      const hp = parseHostPort(String(v.resolveServer), 53);
      // node:dns takes addresses only: a server named by a host name would need a lookup of its own.
      if (!hp.ok || addressFamily(hp.host) === 0) return { ok: false, error: `--resolve-server: expected an IP address with an optional port, got ${JSON.stringify(v.resolveServer)}` };
      resolve.server = { host: hp.host, port: hp.port };
    }
  }
  return {
    ok: true,
    config: {
      source, server, resolve, site: { lat: lat.value, lng: lng.value, name }, mode: v.integrity ? 'integrity' : 'encrypt',
      print: v.print === true, maxConns: Math.floor(maxConns.value), dataIntervalUs: Math.round(dataMs.value * 1000), trace,
      statsIntervalMs: Math.round(statsS.value * 1000),
      bufferBytes: Math.floor(bufKiB.value) * 1024,
      user: typeof v.user === 'string' ? v.user : undefined, noDropPriv: v.noDropPriv === true, verbose: (v.verbose as number) ?? 0,
    },
  };
}
