import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { VizUserConfig } from './viz-server/auth.js';
import { DEFAULT_VIZ_LIMITS, validateVizLimits, type VizLimits } from './viz-server/options.js';
import { parsePasswordHash } from './viz-server/password.js';
import { isPlainObject, mergeSettingsFile, type Check, type SettingRule } from '../protocol/edge/settings.js';

/**
 * glougloud's configuration: interface, defaults, validation with exact
 * messages, and resolution (defaults ← file ← command line). Every limit the
 * daemon enforces is named here.
 */

/** Where a probe stands, used for addresses that cannot be located (private, loopback, ...). */
export interface Site { lat: number; lng: number; name: string }

export interface GlougloudConfig {
  /** Unprivileged account the children run as when started as root. */
  user: string;
  runtimeDir: string;
  stateDir: string;
  probes: {
    listen: string;
    port: number;
    /** One file per probe id; its content is the secret. */
    dir: string;
    sessionTimeoutMs: number;
    maxSessions: number;
    maxPendingHandshakes: number;
    /** Handshakes allowed per source address per second (token bucket, burst = 2x). */
    handshakeRate: number;
    /** Receive buffer requested from the kernel (the kernel doubles it). */
    recvBufferBytes: number;
    /** Probe ids allowed to relay others' messages (FORWARD, RELAY_STATS); every relay of a chain must be listed. */
    relays: number[];
  };
  viz: {
    listen: string;
    port: number;
    /** PEM certificate and key files: HTTPS and wss when both are set (read before privileges are dropped). */
    tls: { cert: string | null; key: string | null };
    /** Shared password as a scrypt hash (glougloud --hash-password); null: only named users. */
    passwordHash: string | null;
    /** Named users, each with its own password hash and, optionally, the modules and probes it may see. */
    users: Record<string, VizUserConfig>;
    /** Directory of the built viz client; null: <repo>/dist/viz-client. */
    staticDir: string | null;
    limits: VizLimits;
  };
  redis: {
    /** redis://host:port or unix:///path of an existing Redis; null = embedded. */
    url: string | null;
    /** RDB snapshot schedule of the embedded Redis ("" = no persistence). */
    save: string;
    /** Flushes kept while Redis is unreachable before they are dropped and counted. */
    maxPendingFlushes: number;
  };
  /** Ingest flush period: events are aggregated in memory and written as one pipeline per tick. */
  tickMs: number;
  /** Seconds idle elements live in Redis. */
  ttl: { conn: number; node: number; link: number; path: number };
  /** Fallback site per probe id, for probes that do not send theirs. */
  sites: Record<string, Site>;
  /** Where each viz or stats log line goes is not configured: logs go to stderr. */
}

/** Defaults for a system service started as root. */
export function defaultConfig(root: boolean): GlougloudConfig {
  const uid = typeof process.getuid === 'function' ? process.getuid() : 0;
  const userBase = process.env.XDG_RUNTIME_DIR ? join(process.env.XDG_RUNTIME_DIR, 'glougloud') : join(tmpdir(), `glougloud-${uid}`);
  return {
    user: '_glougloud',
    runtimeDir: root ? '/run/glougloud' : userBase,
    stateDir: root ? '/var/lib/glougloud' : join(userBase, 'state'),
    probes: {
      listen: '127.0.0.1', port: 4430, dir: root ? '/var/lib/glougloud/probes' : join(userBase, 'probes'),
      sessionTimeoutMs: 60_000, maxSessions: 10_000, maxPendingHandshakes: 1024, handshakeRate: 5,
      recvBufferBytes: 8 * 1024 * 1024,
      // A probe secret proves who a probe is, not that it may speak for others: no relaying unless told.
      relays: [],
    },
    viz: {
      listen: '127.0.0.1', port: 4431, tls: { cert: null, key: null }, passwordHash: null, users: {}, staticDir: null,
      limits: { ...DEFAULT_VIZ_LIMITS },
    },
    redis: { url: null, save: '900 1 300 100', maxPendingFlushes: 200 },
    // Writes aggregate over a tick: shorter = fresher Redis, but more writes per busy element.
    tickMs: 250,
    ttl: { conn: 120, node: 300, link: 300, path: 600 },
    sites: {},
  };
}

/** Keys whose value is taken whole (maps by name); `redis.url` may go back to null. */
const settingRule: SettingRule = (k, v, at, base) => {
  if (k === 'sites' || k === 'users') { base[k] = v; return { ok: true }; }
  if (k === 'url' && (v === null || typeof v === 'string')) { base[k] = v; return { ok: true }; }
  if (k === 'url') return { ok: false, error: `${at}: expected a string or null, got ${JSON.stringify(v)}` };
  return undefined;
};

// Port 0 asks the kernel for a free port (tests, several daemons on one host).
const PORT = (v: number) => Number.isInteger(v) && v >= 0 && v <= 65535;

/** Validates a resolved configuration; the first problem found is reported with its key. */
export function validateConfig(c: GlougloudConfig): Check {
  const bad = (key: string, why: string): Check => ({ ok: false, error: `${key}: ${why}` });
  if (!PORT(c.probes.port)) return bad('probes.port', `must be 0-65535, got ${c.probes.port}`);
  if (!PORT(c.viz.port)) return bad('viz.port', `must be 0-65535, got ${c.viz.port}`);
  if (c.probes.listen === c.viz.listen && c.probes.port === c.viz.port && c.viz.port !== 0) return bad('viz.port', 'same address and port as probes');
  if (!(c.tickMs >= 10 && c.tickMs <= 10_000)) return bad('tickMs', `must be 10-10000, got ${c.tickMs}`);
  for (const k of ['conn', 'node', 'link', 'path'] as const) {
    if (!(Number.isInteger(c.ttl[k]) && c.ttl[k] >= 1)) return bad(`ttl.${k}`, `must be a whole number of seconds ≥ 1, got ${c.ttl[k]}`);
  }
  // A node or link must outlive the connections that refer to it, even just before its EXPIRE is refreshed.
  for (const k of ['node', 'link'] as const) {
    if (c.ttl[k] / 2 < c.ttl.conn) return bad(`ttl.${k}`, `must be at least twice ttl.conn (${c.ttl.conn} s), got ${c.ttl[k]}`);
  }
  if (!(c.probes.sessionTimeoutMs >= 1000)) return bad('probes.sessionTimeoutMs', 'must be ≥ 1000');
  if (!(Number.isInteger(c.probes.maxSessions) && c.probes.maxSessions >= 1)) return bad('probes.maxSessions', 'must be ≥ 1');
  if (!(c.probes.handshakeRate > 0)) return bad('probes.handshakeRate', 'must be > 0');
  if (!idList(c.probes.relays, 0xffffffff, 1)) return bad('probes.relays', 'expected an array of at most 1024 probe ids (1-4294967295)');
  if (c.redis.url !== null && !/^(redis|rediss|unix):\/\//.test(c.redis.url)) {
    return bad('redis.url', `must start with redis://, rediss:// or unix://, got ${JSON.stringify(c.redis.url)}`);
  }
  if (c.redis.save !== '' && !/^(\d+ \d+)( \d+ \d+)*$/.test(c.redis.save)) return bad('redis.save', 'must be pairs of "SECONDS CHANGES", or ""');
  if (!/^[a-z_][a-z0-9_-]*$/i.test(c.user)) return bad('user', `not a user name: ${JSON.stringify(c.user)}`);
  const viz = validateVizConfig(c.viz);
  if (!viz.ok) return viz;
  for (const [id, s] of Object.entries(c.sites)) {
    if (!/^\d+$/.test(id)) return bad(`sites.${id}`, 'keys are probe ids');
    if (!isPlainObject(s) || typeof s.lat !== 'number' || typeof s.lng !== 'number' || Math.abs(s.lat) > 90 || Math.abs(s.lng) > 180) {
      return bad(`sites.${id}`, 'expected { "lat": -90..90, "lng": -180..180, "name": "..." }');
    }
  }
  return { ok: true };
}

const USER_NAME = /^[A-Za-z0-9_.@-]{1,64}$/;
const idList = (v: unknown, max: number, min = 0): boolean => Array.isArray(v) && v.length <= 1024 && v.every((x) => Number.isInteger(x) && x >= min && x <= max);

/** Checks the viz server's settings: TLS files in pairs, password hashes, users and their rights, limits. */
function validateVizConfig(v: GlougloudConfig['viz']): Check {
  const bad = (key: string, why: string): Check => ({ ok: false, error: `viz.${key}: ${why}` });
  for (const k of ['cert', 'key'] as const) {
    if (v.tls[k] !== null && typeof v.tls[k] !== 'string') return bad(`tls.${k}`, 'expected a file path or null');
  }
  if ((v.tls.cert === null) !== (v.tls.key === null)) return bad('tls', 'give both cert and key, or neither');
  if (v.staticDir !== null && typeof v.staticDir !== 'string') return bad('staticDir', 'expected a directory path or null');
  if (v.passwordHash !== null) {
    const h = parsePasswordHash(v.passwordHash);
    if (!h.ok) return bad('passwordHash', h.error);
  }
  if (!isPlainObject(v.users)) return bad('users', 'expected an object of users by name');
  for (const [name, u] of Object.entries(v.users)) {
    if (!USER_NAME.test(name)) return bad(`users.${name}`, 'a user name is 1-64 letters, digits or _.@-');
    if (!isPlainObject(u)) return bad(`users.${name}`, 'expected { "passwordHash": "...", "modules": [...], "probes": [...] }');
    for (const k of Object.keys(u)) if (!['passwordHash', 'modules', 'probes'].includes(k)) return bad(`users.${name}.${k}`, 'unknown setting');
    const h = parsePasswordHash(u.passwordHash);
    if (!h.ok) return bad(`users.${name}.passwordHash`, h.error);
    if (u.modules !== undefined && !idList(u.modules, 255)) return bad(`users.${name}.modules`, 'expected an array of module ids');
    if (u.probes !== undefined && !idList(u.probes, 0xffffffff)) return bad(`users.${name}.probes`, 'expected an array of probe ids');
  }
  return validateVizLimits(v.limits);
}

/** Command-line settings that override the file. */
export interface ConfigOverrides {
  probesListen?: string; probesPort?: string; vizListen?: string; vizPort?: string;
  redis?: string; user?: string; probesDir?: string; stateDir?: string; runtimeDir?: string;
  /** Comma-separated probe ids; replaces probes.relays ("" = none). */
  relays?: string;
}

/** Resolves defaults ← file ← command line, then validates. */
export function resolveConfig(root: boolean, file: string | undefined, o: ConfigOverrides): { ok: true; config: GlougloudConfig } | { ok: false; error: string } {
  const c = defaultConfig(root);
  if (file) {
    const m = mergeSettingsFile(c as unknown as Record<string, unknown>, file, settingRule);
    if (!m.ok) return m;
  }
  const num = (v: string | undefined, name: string): number | undefined | string => {
    if (v === undefined) return undefined;
    return /^\d+$/.test(v) ? Number(v) : `${name}: not a port number: ${v}`;
  };
  for (const [v, name, set] of [
    [o.probesPort, '-p', (n: number) => { c.probes.port = n; }],
    [o.vizPort, '-P', (n: number) => { c.viz.port = n; }],
  ] as const) {
    const n = num(v, name);
    if (typeof n === 'string') return { ok: false, error: n };
    if (n !== undefined) set(n);
  }
  if (o.probesListen) c.probes.listen = o.probesListen;
  if (o.vizListen) c.viz.listen = o.vizListen;
  if (o.redis) c.redis.url = o.redis;
  if (o.user) c.user = o.user;
  if (o.probesDir) c.probes.dir = o.probesDir;
  if (o.stateDir) c.stateDir = o.stateDir;
  if (o.runtimeDir) c.runtimeDir = o.runtimeDir;
  if (o.relays !== undefined) {
    const words = o.relays.split(',').map((w) => w.trim()).filter((w) => w !== '');
    const bad = words.find((w) => !/^\d+$/.test(w));
    if (bad !== undefined) return { ok: false, error: `--relays: not a probe id: ${bad}` };
    c.probes.relays = words.map(Number);
  }
  const v = validateConfig(c);
  return v.ok ? { ok: true, config: c } : v;
}
