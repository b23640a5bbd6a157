import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mergeSettingsFile, parseHostPort, type Check, type SettingRule } from '../protocol/edge/settings.js';

export { parseHostPort };

/**
 * ggrelay's configuration: interface, defaults, validation with the key at
 * fault, and resolution (defaults ← file ← command line). Every limit the
 * relay enforces is named here.
 */

/** Default UDP port of a probes server (glougloud's and a relay's alike). */
export const DEFAULT_PORT = 4430;

/** The relay's resolved configuration. */
export interface RelayConfig {
  /** Address and UDP port downstream probes (and relays) send to. */
  listen: string;
  port: number;
  /** glougloud, or the next relay. */
  upstream: { host: string; port: number };
  /** This relay's probe id upstream. */
  id: number;
  /** File holding this relay's secret upstream (mode 600). */
  secretFile: string;
  /** Downstream probe secrets: one file per probe id, as glougloud's. */
  probesDir: string;
  /** Unprivileged account the relay runs as once its socket is open, when started as root. */
  user: string;
  /** Where the relay stands, sent upstream in its AUTH. */
  site: { lat: number; lng: number; name: string };
  /** Upstream session authenticated but not encrypted (debugging only). */
  integrity: boolean;
  /** Largest upstream datagram, header and tag included. */
  maxDatagram: number;
  /** Upstream payloads kept while the upstream session is down; beyond it messages are dropped and counted. */
  upstreamBuffer: number;
  /** A partly filled upstream datagram leaves at the latest this long after its first message. */
  flushMs: number;
  /** An envelope with no messages goes up for each downstream probe silent this long. */
  heartbeatMs: number;
  /** Period of RELAY_STATS. */
  statsMs: number;
  /** A downstream session with no authentic datagram for this long is forgotten. */
  sessionTimeoutMs: number;
  maxSessions: number;
  maxPendingHandshakes: number;
  /** Handshakes allowed per source address per second (token bucket, burst = 2x). */
  handshakeRate: number;
  /** Receive buffer requested from the kernel for the downstream socket. */
  recvBufferBytes: number;
  /** Period of session expiry, heartbeats and stats. */
  tickMs: number;
}

/** Defaults; `upstream`, `id` and `secretFile` have none and must be given. */
export function defaultRelayConfig(root: boolean): RelayConfig {
  const uid = typeof process.getuid === 'function' ? process.getuid() : 0;
  const userBase = process.env.XDG_RUNTIME_DIR ? join(process.env.XDG_RUNTIME_DIR, 'ggrelay') : join(tmpdir(), `ggrelay-${uid}`);
  return {
    listen: '127.0.0.1', port: DEFAULT_PORT, upstream: { host: '', port: DEFAULT_PORT }, id: 0, secretFile: '',
    probesDir: root ? '/var/lib/ggrelay/probes' : join(userBase, 'probes'), user: '_ggrelay',
    site: { lat: 0, lng: 0, name: '' }, integrity: false,
    maxDatagram: 1400, upstreamBuffer: 4096, flushMs: 20, heartbeatMs: 5000, statsMs: 1000,
    sessionTimeoutMs: 60_000, maxSessions: 10_000, maxPendingHandshakes: 1024, handshakeRate: 5,
    recvBufferBytes: 8 * 1024 * 1024, tickMs: 100,
  };
}

/** Parses HOST[:PORT], [V6]:PORT or a bare IPv6 address. */
/** `upstream` may be written HOST[:PORT] in a file. */
const settingRule: SettingRule = (k, v, at, base) => {
  if (k !== 'upstream' || typeof v !== 'string') return undefined;
  const hp = parseHostPort(v, DEFAULT_PORT);
  if (!hp.ok) return { ok: false, error: `${at}: ${hp.error}` };
  base[k] = { host: hp.host, port: hp.port };
  return { ok: true };
};

const PORT = (v: number) => Number.isInteger(v) && v >= 0 && v <= 65535;
const INT = (v: number, min: number, max: number) => Number.isInteger(v) && v >= min && v <= max;

/** Validates a resolved configuration; the first problem found is reported with its key. */
export function validateRelayConfig(c: RelayConfig): Check {
  const bad = (key: string, why: string): Check => ({ ok: false, error: `${key}: ${why}` });
  if (!PORT(c.port)) return bad('port', `must be 0-65535, got ${c.port}`);
  if (c.listen === '') return bad('listen', 'must be an address');
  if (c.upstream.host === '') return bad('upstream', 'required: glougloud or the next relay, HOST[:PORT] (-s)');
  if (!INT(c.upstream.port, 1, 65535)) return bad('upstream.port', `must be 1-65535, got ${c.upstream.port}`);
  if (!INT(c.id, 1, 0xffffffff)) return bad('id', 'required: this relay\'s probe id upstream, 1 to 4294967295 (--id)');
  if (c.secretFile === '') return bad('secretFile', 'required: the file holding this relay\'s secret (--secret-file)');
  if (c.probesDir === '') return bad('probesDir', 'must be a directory');
  if (!/^[a-z_][a-z0-9_-]*$/i.test(c.user)) return bad('user', `not a user name: ${JSON.stringify(c.user)}`);
  if (!(Math.abs(c.site.lat) <= 90)) return bad('site.lat', 'must be -90..90');
  if (!(Math.abs(c.site.lng) <= 180)) return bad('site.lng', 'must be -180..180');
  if (Buffer.byteLength(c.site.name) > 64) return bad('site.name', 'at most 64 bytes');
  if (!INT(c.maxDatagram, 576, 65507)) return bad('maxDatagram', `must be 576-65507, got ${c.maxDatagram}`);
  if (!INT(c.upstreamBuffer, 1, 1_000_000)) return bad('upstreamBuffer', `must be 1-1000000 datagrams, got ${c.upstreamBuffer}`);
  if (!INT(c.flushMs, 1, 10_000)) return bad('flushMs', `must be 1-10000, got ${c.flushMs}`);
  if (!INT(c.tickMs, 10, 10_000)) return bad('tickMs', `must be 10-10000, got ${c.tickMs}`);
  if (!INT(c.statsMs, c.tickMs, 3_600_000)) return bad('statsMs', `must be tickMs-3600000, got ${c.statsMs}`);
  if (!INT(c.heartbeatMs, c.tickMs, 3_600_000)) return bad('heartbeatMs', `must be tickMs-3600000, got ${c.heartbeatMs}`);
  if (!INT(c.sessionTimeoutMs, 1000, 86_400_000)) return bad('sessionTimeoutMs', 'must be ≥ 1000');
  if (!INT(c.maxSessions, 1, 10_000_000)) return bad('maxSessions', 'must be ≥ 1');
  if (!INT(c.maxPendingHandshakes, 1, 10_000_000)) return bad('maxPendingHandshakes', 'must be ≥ 1');
  if (!(c.handshakeRate > 0)) return bad('handshakeRate', 'must be > 0');
  if (!INT(c.recvBufferBytes, 65_536, 1 << 30)) return bad('recvBufferBytes', 'must be 65536 to 1 GiB');
  return { ok: true };
}

/** Command-line settings that override the file (strings as typed). */
export interface RelayOverrides {
  listen?: string; port?: string; upstream?: string; id?: string; secretFile?: string; probesDir?: string; user?: string;
  siteLat?: string; siteLng?: string; siteName?: string; integrity?: boolean;
}

/** Resolves defaults ← file ← command line, then validates. */
export function resolveRelayConfig(root: boolean, file: string | undefined, o: RelayOverrides): { ok: true; config: RelayConfig } | { ok: false; error: string } {
  const c = defaultRelayConfig(root);
  if (file) {
    const m = mergeSettingsFile(c as unknown as Record<string, unknown>, file, settingRule);
    if (!m.ok) return m;
  }
  const num = (v: string, name: string): number | string => (/^-?\d+(\.\d+)?$/.test(v) ? Number(v) : `${name}: not a number: ${v}`);
  const numbers: [string | undefined, string, (n: number) => void][] = [
    [o.port, '-p', (n) => { c.port = n; }],
    [o.id, '--id', (n) => { c.id = n; }],
    [o.siteLat, '--site-lat', (n) => { c.site.lat = n; }],
    [o.siteLng, '--site-lng', (n) => { c.site.lng = n; }],
  ];
  for (const [v, name, set] of numbers) {
    if (v === undefined) continue;
    const n = num(v, name);
    if (typeof n === 'string') return { ok: false, error: n };
    set(n);
  }
  if (o.upstream !== undefined) {
    const hp = parseHostPort(o.upstream, DEFAULT_PORT);
    if (!hp.ok) return { ok: false, error: `-s: ${hp.error}` };
    c.upstream = { host: hp.host, port: hp.port };
  }
  if (o.listen) c.listen = o.listen;
  if (o.secretFile) c.secretFile = o.secretFile;
  if (o.probesDir) c.probesDir = o.probesDir;
  if (o.user) c.user = o.user;
  if (o.siteName !== undefined) c.site.name = o.siteName;
  if (o.integrity) c.integrity = true;
  const v = validateRelayConfig(c);
  return v.ok ? { ok: true, config: c } : v;
}
