/**
 * A client's view configuration: interface, defaults, limits, validation of
 * what a client sent (hostile input: error values with stable codes, never a
 * throw), the user's access rights applied, and the canonical key under which
 * clients with the same effective configuration share one view.
 */
import { parseCidr } from './cidr.js';

/** How nodes are merged so that huge graphs stay readable. */
export type Grouping = 'none' | 'prefix' | 'asn' | 'country';

/** A validated, canonical view configuration. */
export interface ViewConfig {
  /** Module whose graph is viewed (1: network). */
  module: number;
  /** Only edges with at least one end in these prefixes (empty: all). Canonical text, sorted. */
  include: string[];
  /** Nodes in these prefixes are dropped with their edges. */
  exclude: string[];
  /** Only what these probes saw; null: every probe the user may see. */
  probes: number[] | null;
  /** Only links carrying a live connection of these IP protocols (empty: all). */
  protocols: number[];
  /** Only links carrying a live connection from or to these ports (empty: all). */
  ports: number[];
  /** Links below this many bytes (both directions) are hidden, and nodes below it without such links. */
  minBytes: number;
  /** Links below this throughput (bits/s) are hidden. */
  minBps: number;
  /** Only elements active in the last `windowS` seconds; 0: no window. */
  windowS: number;
  /** At most this many nodes (the most active by bytes) and edges. */
  maxNodes: number;
  maxEdges: number;
  grouping: Grouping;
  /** Show links (traffic) and hop chains (traceroute paths). */
  links: boolean;
  paths: boolean;
}

/** What a user may see: module ids and probe ids, null meaning all. */
export interface Access { modules: number[] | null; probes: number[] | null }

/** Bounds on what a client may ask for. */
export const VIEW_LIMITS = Object.freeze({
  maxListEntries: 64,
  maxNodes: 50_000,
  maxEdges: 100_000,
  maxWindowS: 7 * 86_400,
});

/** Modules that have a graph. */
export const GRAPH_MODULES: readonly number[] = [1];

/** Defaults: the whole network graph, ungrouped, the 5,000 most active nodes and 10,000 edges. */
export const DEFAULT_VIEW_CONFIG: Readonly<ViewConfig> = Object.freeze({
  module: 1, include: [], exclude: [], probes: null, protocols: [], ports: [],
  minBytes: 0, minBps: 0, windowS: 0, maxNodes: 5000, maxEdges: 10_000,
  grouping: 'none', links: true, paths: true,
});

/** IP protocol names a client may use instead of numbers. */
const PROTOCOL_NAMES: Record<string, number> = { icmp: 1, tcp: 6, udp: 17, gre: 47, esp: 50, icmpv6: 58, sctp: 132 };

const GROUPINGS: readonly Grouping[] = ['none', 'prefix', 'asn', 'country'];

/** Why a configuration was refused. */
export type ConfigError = { ok: false; code: 'GG_VIZ_BAD_CONFIG' | 'GG_VIZ_FORBIDDEN' | 'GG_VIZ_UNKNOWN_MODULE'; detail: string };

const KNOWN_FIELDS = new Set(['type', 'v', ...Object.keys(DEFAULT_VIEW_CONFIG)]);

function bad(detail: string): ConfigError {
  return { ok: false, code: 'GG_VIZ_BAD_CONFIG', detail };
}

function intList(v: unknown, field: string, min: number, max: number, names?: Record<string, number>): number[] | ConfigError {
  if (v === undefined) return [];
  if (!Array.isArray(v) || v.length > VIEW_LIMITS.maxListEntries) return bad(`${field}: expected an array of at most ${VIEW_LIMITS.maxListEntries} entries`);
  const out = new Set<number>();
  for (const x of v) {
    const n = typeof x === 'string' && names && x.toLowerCase() in names ? names[x.toLowerCase()] : x;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) return bad(`${field}: ${JSON.stringify(x)} is not an integer in [${min}, ${max}]`);
    out.add(n);
  }
  return [...out].sort((a, b) => a - b);
}

function cidrList(v: unknown, field: string): string[] | ConfigError {
  if (v === undefined) return [];
  if (!Array.isArray(v) || v.length > VIEW_LIMITS.maxListEntries) return bad(`${field}: expected an array of at most ${VIEW_LIMITS.maxListEntries} CIDRs`);
  const out = new Set<string>();
  for (const x of v) {
    const c = parseCidr(x as string);
    if (!c.ok) return bad(`${field}: ${c.detail}`);
    out.add(c.cidr.text);
  }
  return [...out].sort();
}

function num(v: unknown, field: string, def: number, min: number, max: number, integer = false): number | ConfigError {
  if (v === undefined) return def;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v))) {
    return bad(`${field}: expected ${integer ? 'an integer' : 'a number'} in [${min}, ${max}], got ${JSON.stringify(v)}`);
  }
  return v;
}

function bool(v: unknown, field: string, def: boolean): boolean | ConfigError {
  if (v === undefined) return def;
  return typeof v === 'boolean' ? v : bad(`${field}: expected true or false`);
}

const isErr = (x: unknown): x is ConfigError => typeof x === 'object' && x !== null && (x as { ok?: unknown }).ok === false;

/** Validates a client's `config` message against the limits and the user's access; never throws. */
export function validateViewConfig(raw: unknown, access: Access): { ok: true; config: ViewConfig } | ConfigError {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return bad('expected an object');
  const r = raw as Record<string, unknown>;
  for (const k of Object.keys(r)) if (!KNOWN_FIELDS.has(k)) return bad(`${k}: unknown setting`);
  const module = num(r.module, 'module', DEFAULT_VIEW_CONFIG.module, 0, 255, true);
  if (isErr(module)) return module;
  if (!GRAPH_MODULES.includes(module)) return { ok: false, code: 'GG_VIZ_UNKNOWN_MODULE', detail: `module ${module} has no graph` };
  if (access.modules !== null && !access.modules.includes(module)) return { ok: false, code: 'GG_VIZ_FORBIDDEN', detail: `module ${module} is not allowed for this user` };
  const include = cidrList(r.include, 'include'); if (isErr(include)) return include;
  const exclude = cidrList(r.exclude, 'exclude'); if (isErr(exclude)) return exclude;
  let probes: number[] | null = null;
  if (r.probes !== undefined && r.probes !== null) {
    const p = intList(r.probes, 'probes', 0, 0xffffffff); if (isErr(p)) return p;
    if (p.length === 0) return bad('probes: give at least one probe id, or null for all');
    if (access.probes !== null) {
      const denied = p.filter((x) => !access.probes!.includes(x));
      if (denied.length) return { ok: false, code: 'GG_VIZ_FORBIDDEN', detail: `probes ${denied.join(', ')} are not allowed for this user` };
    }
    probes = p;
  } else if (access.probes !== null) {
    probes = [...access.probes].sort((a, b) => a - b);
  }
  const protocols = intList(r.protocols, 'protocols', 0, 255, PROTOCOL_NAMES); if (isErr(protocols)) return protocols;
  const ports = intList(r.ports, 'ports', 0, 65535); if (isErr(ports)) return ports;
  const minBytes = num(r.minBytes, 'minBytes', 0, 0, Number.MAX_SAFE_INTEGER); if (isErr(minBytes)) return minBytes;
  const minBps = num(r.minBps, 'minBps', 0, 0, Number.MAX_SAFE_INTEGER); if (isErr(minBps)) return minBps;
  const windowS = num(r.windowS, 'windowS', 0, 0, VIEW_LIMITS.maxWindowS); if (isErr(windowS)) return windowS;
  const maxNodes = num(r.maxNodes, 'maxNodes', DEFAULT_VIEW_CONFIG.maxNodes, 1, VIEW_LIMITS.maxNodes, true); if (isErr(maxNodes)) return maxNodes;
  const maxEdges = num(r.maxEdges, 'maxEdges', DEFAULT_VIEW_CONFIG.maxEdges, 0, VIEW_LIMITS.maxEdges, true); if (isErr(maxEdges)) return maxEdges;
  const grouping = r.grouping === undefined ? DEFAULT_VIEW_CONFIG.grouping : r.grouping;
  if (!GROUPINGS.includes(grouping as Grouping)) return bad(`grouping: expected one of ${GROUPINGS.join(', ')}`);
  const links = bool(r.links, 'links', true); if (isErr(links)) return links;
  const paths = bool(r.paths, 'paths', true); if (isErr(paths)) return paths;
  return {
    ok: true,
    config: { module, include, exclude, probes, protocols, ports, minBytes, minBps, windowS, maxNodes, maxEdges, grouping: grouping as Grouping, links, paths },
  };
}

/** The canonical key of a configuration: equal keys, equal views. */
export function viewKey(c: ViewConfig): string {
  return JSON.stringify([c.module, c.include, c.exclude, c.probes, c.protocols, c.ports, c.minBytes, c.minBps,
    c.windowS, c.maxNodes, c.maxEdges, c.grouping, c.links, c.paths]);
}
