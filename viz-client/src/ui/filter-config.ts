/**
 * The filter panel's form and the viz protocol's client configuration, both
 * ways: what a person types ("10.0.0.0/8, 192.168.0.0/16", "tcp udp",
 * "5 MB", "15m") becomes the configuration the server validates, with the
 * first mistake named by field and a stable code; and a configuration (the
 * server's canonical echo, or one from the URL) fills the form. Pure.
 */
import { DEFAULT_VIEW_CONFIG, GROUPINGS, type Grouping, type ViewConfig } from '../protocol/messages.js';

/** What the form holds: text fields as typed, checkboxes, the probes ticked (null: all). */
export interface FilterForm {
  include: string;
  exclude: string;
  probes: number[] | null;
  protocols: string;
  ports: string;
  minBytes: string;
  minBps: string;
  windowS: string;
  maxNodes: string;
  maxEdges: string;
  grouping: string;
  links: boolean;
  paths: boolean;
}

/** A field the form could not turn into configuration. */
export type FormError = {
  ok: false;
  field: keyof FilterForm;
  code: 'GG_VC_BAD_CIDR' | 'GG_VC_BAD_PROTOCOL' | 'GG_VC_BAD_PORT' | 'GG_VC_BAD_NUMBER' | 'GG_VC_BAD_DURATION' | 'GG_VC_BAD_GROUPING' | 'GG_VC_TOO_MANY';
  detail: string;
};

/** Limits the server enforces (glougloud/views/config.ts VIEW_LIMITS), checked here to answer at once. */
export const FORM_LIMITS = Object.freeze({ maxListEntries: 64, maxNodes: 50_000, maxEdges: 100_000, maxWindowS: 7 * 86_400 });

/** IP protocol names the server accepts. */
export const PROTOCOL_NAMES: Readonly<Record<string, number>> = Object.freeze({ icmp: 1, tcp: 6, udp: 17, gre: 47, esp: 50, icmpv6: 58, sctp: 132 });

const PROTOCOL_BY_NUMBER = new Map(Object.entries(PROTOCOL_NAMES).map(([k, v]) => [v, k]));

/** Words of a list field (commas, spaces, semicolons, new lines). */
export function words(s: string): string[] {
  return s.split(/[\s,;]+/).filter((w) => w.length > 0);
}

const V4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** Whether text looks like an address or a prefix the server will take (the server has the last word). */
export function looksLikeCidr(s: string): boolean {
  const slash = s.indexOf('/');
  const addr = slash < 0 ? s : s.slice(0, slash);
  const len = slash < 0 ? null : s.slice(slash + 1);
  if (len !== null && !/^\d{1,3}$/.test(len)) return false;
  if (V4.test(addr)) return len === null || Number(len) <= 32;
  if (!/^[0-9a-f:.]+$/i.test(addr) || !addr.includes(':') || addr.split('::').length > 2) return false;
  return len === null || Number(len) <= 128;
}

const SIZE_UNITS: Record<string, number> = { '': 1, k: 1e3, m: 1e6, g: 1e9, t: 1e12 };

/** "5 MB", "1.5M", "2k", "1200" → a whole number (rounded); null if not one. `unit` is the trailing unit allowed ("b" bytes, "bps"). */
export function parseAmount(s: string, unit: 'b' | 'bps', exact = false): number | null {
  const t = s.trim().toLowerCase().replace(/\s+/g, '');
  if (t === '') return 0;
  const m = unit === 'b' ? /^(\d+(?:\.\d+)?)([kmgt]?)(b|bytes?)?$/.exec(t) : /^(\d+(?:\.\d+)?)([kmgt]?)(bps|bit\/s|b\/s)?$/.exec(t);
  if (!m) return null;
  const n = Number(m[1]) * SIZE_UNITS[m[2]];
  if (exact && !Number.isInteger(n)) return null;
  return Number.isFinite(n) && n <= Number.MAX_SAFE_INTEGER ? Math.round(n) : null;
}

const DURATION_UNITS: Record<string, number> = { '': 1, s: 1, m: 60, min: 60, h: 3600, d: 86_400 };

/** "90", "90s", "15m", "1h", "2d" → seconds; "" or "all" → 0; null if not a duration. */
export function parseDuration(s: string): number | null {
  const t = s.trim().toLowerCase().replace(/\s+/g, '');
  if (t === '' || t === 'all' || t === '0') return 0;
  const m = /^(\d+(?:\.\d+)?)(s|m|min|h|d)?$/.exec(t);
  if (!m) return null;
  return Math.round(Number(m[1]) * DURATION_UNITS[m[2] ?? '']);
}

/** A duration as the form shows it. */
export function formatDuration(s: number): string {
  if (s === 0) return '';
  for (const [u, n] of [['d', 86_400], ['h', 3600], ['m', 60]] as const) if (s % n === 0) return `${s / n}${u}`;
  return `${s}s`;
}

/** An amount as the form shows it (exact: 5000000 → "5M", 1500 → "1.5k"). */
export function formatAmount(n: number): string {
  if (n === 0) return '';
  for (const [u, k] of [['G', 1e9], ['M', 1e6], ['k', 1e3]] as const) {
    if (n >= k && Number.isInteger((n / k) * 1000)) return `${n / k}${u}`;
  }
  return String(n);
}

function listOf(s: string, field: keyof FilterForm): string[] | FormError {
  const w = words(s);
  return w.length > FORM_LIMITS.maxListEntries ? { ok: false, field, code: 'GG_VC_TOO_MANY', detail: `at most ${FORM_LIMITS.maxListEntries} entries` } : w;
}

const isErr = (x: unknown): x is FormError => typeof x === 'object' && x !== null && (x as { ok?: unknown }).ok === false;

function int(s: string, field: keyof FilterForm, def: number, min: number, max: number): number | FormError {
  const t = s.trim().replace(/[\s_,]/g, '');
  if (t === '') return def;
  const n = parseAmount(t, 'b', true);
  if (n === null || n < min || n > max) return { ok: false, field, code: 'GG_VC_BAD_NUMBER', detail: `a whole number from ${min} to ${max}` };
  return n;
}

/** The form turned into a full configuration, or the first field in error. */
export function formToConfig(f: FilterForm, module = DEFAULT_VIEW_CONFIG.module): { ok: true; config: ViewConfig } | FormError {
  const cidrs = (field: 'include' | 'exclude'): string[] | FormError => {
    const l = listOf(f[field], field);
    if (isErr(l)) return l;
    for (const c of l) if (!looksLikeCidr(c)) return { ok: false, field, code: 'GG_VC_BAD_CIDR', detail: `not an address or prefix: ${c}` };
    return l;
  };
  const include = cidrs('include'); if (isErr(include)) return include;
  const exclude = cidrs('exclude'); if (isErr(exclude)) return exclude;
  const pw = listOf(f.protocols, 'protocols'); if (isErr(pw)) return pw;
  const protocols: number[] = [];
  for (const p of pw) {
    const n = /^\d{1,3}$/.test(p) ? Number(p) : PROTOCOL_NAMES[p.toLowerCase()];
    if (n === undefined || n > 255) return { ok: false, field: 'protocols', code: 'GG_VC_BAD_PROTOCOL', detail: `not a protocol: ${p} (tcp, udp, icmp, … or a number)` };
    if (!protocols.includes(n)) protocols.push(n);
  }
  const ptw = listOf(f.ports, 'ports'); if (isErr(ptw)) return ptw;
  const ports: number[] = [];
  for (const p of ptw) {
    if (!/^\d{1,5}$/.test(p) || Number(p) > 65535) return { ok: false, field: 'ports', code: 'GG_VC_BAD_PORT', detail: `not a port: ${p}` };
    if (!ports.includes(Number(p))) ports.push(Number(p));
  }
  const minBytes = parseAmount(f.minBytes, 'b');
  if (minBytes === null) return { ok: false, field: 'minBytes', code: 'GG_VC_BAD_NUMBER', detail: 'an amount of bytes (e.g. 10k, 5MB)' };
  const minBps = parseAmount(f.minBps, 'bps');
  if (minBps === null) return { ok: false, field: 'minBps', code: 'GG_VC_BAD_NUMBER', detail: 'a throughput in bits/s (e.g. 100k, 1M)' };
  const windowS = parseDuration(f.windowS);
  if (windowS === null || windowS > FORM_LIMITS.maxWindowS) return { ok: false, field: 'windowS', code: 'GG_VC_BAD_DURATION', detail: 'a duration up to 7 days (e.g. 90s, 15m, 1h), empty for no window' };
  const maxNodes = int(f.maxNodes, 'maxNodes', DEFAULT_VIEW_CONFIG.maxNodes, 1, FORM_LIMITS.maxNodes); if (isErr(maxNodes)) return maxNodes;
  const maxEdges = int(f.maxEdges, 'maxEdges', DEFAULT_VIEW_CONFIG.maxEdges, 0, FORM_LIMITS.maxEdges); if (isErr(maxEdges)) return maxEdges;
  const grouping = (f.grouping === '' ? 'none' : f.grouping) as Grouping;
  if (!GROUPINGS.includes(grouping)) return { ok: false, field: 'grouping', code: 'GG_VC_BAD_GROUPING', detail: `one of ${GROUPINGS.join(', ')}` };
  const probes = f.probes === null || f.probes.length === 0 ? null : [...new Set(f.probes)].sort((a, b) => a - b);
  return {
    ok: true,
    config: {
      module, include, exclude, probes, protocols: protocols.sort((a, b) => a - b), ports: ports.sort((a, b) => a - b),
      minBytes, minBps, windowS, maxNodes, maxEdges, grouping, links: f.links, paths: f.paths,
    },
  };
}

/** A configuration shown in the form (protocol numbers by name where they have one). */
export function configToForm(c: Partial<ViewConfig>): FilterForm {
  const d = { ...DEFAULT_VIEW_CONFIG, ...c };
  return {
    include: d.include.join(', '),
    exclude: d.exclude.join(', '),
    probes: d.probes === null ? null : [...d.probes],
    protocols: d.protocols.map((p) => (typeof p === 'number' ? PROTOCOL_BY_NUMBER.get(p) ?? String(p) : p)).join(', '),
    ports: d.ports.join(', '),
    minBytes: formatAmount(d.minBytes),
    minBps: formatAmount(d.minBps),
    windowS: formatDuration(d.windowS),
    maxNodes: String(d.maxNodes),
    maxEdges: String(d.maxEdges),
    grouping: d.grouping,
    links: d.links,
    paths: d.paths,
  };
}

/** Only what differs from the server's defaults (for messages and URLs). */
export function configDelta(c: ViewConfig): Partial<ViewConfig> {
  const out: Partial<ViewConfig> = {};
  const d = DEFAULT_VIEW_CONFIG as ViewConfig;
  for (const k of Object.keys(d) as (keyof ViewConfig)[]) {
    if (JSON.stringify(c[k]) !== JSON.stringify(d[k])) (out as Record<string, unknown>)[k] = c[k];
  }
  return out;
}
