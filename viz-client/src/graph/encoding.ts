/**
 * How a node or an edge is drawn, from its server attributes: node size by
 * traffic, node colour by country, probe or role, labels from DNS names
 * (else addresses), edge thickness by current throughput, hop chains apart
 * from traffic links. Tables, not branches; the same inputs always give the
 * same colours, so two screens agree. Pure.
 */
import type { Attributes } from 'graphology-types';
import type { Masker } from '../anonymize.js';
import { fnv1a } from '../anonymize.js';
import type { ColorMode } from '../url-state.js';

/** What a node is, for the role colouring. */
export type Role = 'local' | 'public' | 'router' | 'special' | 'group' | 'unlocated';

/** Role colours and their legend names. */
export const ROLE_STYLE: Readonly<Record<Role, { color: string; name: string }>> = Object.freeze({
  local: { color: '#3ec46d', name: 'local (private, site)' },
  public: { color: '#4a9eff', name: 'public host' },
  router: { color: '#ff9f1c', name: 'router (traceroute hop)' },
  special: { color: '#e05ae0', name: 'multicast, broadcast, …' },
  group: { color: '#b28dff', name: 'group' },
  unlocated: { color: '#8a94a6', name: 'not located' },
});

/** Colour of what has no category (no country, no probe). */
export const UNKNOWN_COLOR = '#8a94a6';

const LOCAL_SCOPES = new Set(['private', 'loopback', 'link-local', 'cgnat', 'ula']);
const SPECIAL_SCOPES = new Set(['multicast', 'broadcast', 'unspecified', 'documentation', 'benchmarking', 'reserved']);

/** The role of a node from its attributes. */
export function nodeRole(a: Attributes): Role {
  if (typeof a.group === 'string' && a.group !== 'host') return 'group';
  const scope = a.scope as string | undefined;
  if (scope !== undefined && LOCAL_SCOPES.has(scope)) return 'local';
  if (scope !== undefined && SPECIAL_SCOPES.has(scope)) return 'special';
  if (a.hop !== undefined && a.last === undefined) return 'router';
  if (typeof a.lat !== 'number') return 'unlocated';
  return 'public';
}

/** The probe that saw a node last (null: none). */
export function lastProbe(a: Attributes): number | null {
  const p = a.probes as Record<string, number> | undefined;
  if (!p || typeof p !== 'object') return null;
  let best: number | null = null, t = -Infinity;
  for (const k in p) if (p[k] > t || (p[k] === t && Number(k) < (best ?? Infinity))) { best = Number(k); t = p[k]; }
  return best;
}

/** The legend category of a node under a colouring ("" when it has none). */
export function nodeCategory(a: Attributes, mode: ColorMode): string {
  switch (mode) {
    case 'country': return typeof a.country === 'string' ? a.country : '';
    case 'probe': { const p = lastProbe(a); return p === null ? '' : String(p); }
    case 'role': return nodeRole(a);
  }
}

/** An HSL colour as #rrggbb (sigma's WebGL programs read hex and rgb(a), not hsl). */
export function hslHex(h: number, sPct: number, lPct: number): string {
  const s = sPct / 100, l = lPct / 100;
  const k = (n: number): number => (n + h / 30) % 12;
  const a = s * Math.min(l, 1 - l);
  const f = (n: number): number => Math.round(255 * (l - a * Math.max(-1, Math.min(k(n) - 3, 9 - k(n), 1))));
  return `#${[f(0), f(8), f(4)].map((v) => v.toString(16).padStart(2, '0')).join('')}`;
}

/** Colours already worked out (a snapshot colours thousands of nodes from a few hundred countries); bounded, the keys come from the network. */
const hashed = new Map<string, string>();

/** 12 hues × 3 tones: distinct enough for a legend, the same category always gets the same colour. */
function hashedColor(s: string): string {
  let c = hashed.get(s);
  if (c !== undefined) return c;
  const h = fnv1a(s);
  const hue = (h % 12) * 30 + 8;
  const [sat, light] = [[75, 60], [60, 48], [85, 72]][Math.floor(h / 12) % 3];
  c = hslHex(hue, sat, light);
  if (hashed.size >= 4096) hashed.clear();
  hashed.set(s, c);
  return c;
}

const PROBE_COLORS = ['#4a9eff', '#ff9f1c', '#3ec46d', '#e05ae0', '#ffd23f', '#ff5d73', '#2ec4b6', '#b28dff', '#f7a8b8', '#9bc53d'];

/** The colour of a legend category. */
export function categoryColor(mode: ColorMode, category: string): string {
  if (category === '') return UNKNOWN_COLOR;
  if (mode === 'role') return ROLE_STYLE[category as Role]?.color ?? UNKNOWN_COLOR;
  if (mode === 'probe') return PROBE_COLORS[Number(category) % PROBE_COLORS.length];
  return hashedColor(category);
}

/** Node radius (screen pixels at zoom 1) from the bytes it sent and received: logarithmic, 2 to 14. */
export function nodeSize(a: Attributes): number {
  const bytes = (Number(a.bytes_in) || 0) + (Number(a.bytes_out) || 0);
  const s = 2 + 1.1 * Math.log10(1 + bytes / 10_000);
  return Math.min(14, a.group !== undefined && a.group !== 'host' ? s + 2 : s);
}

/** A node's label: a DNS name, else its address (masked on public displays); groups by their name. */
export function nodeLabel(key: string, a: Attributes, mask: Masker | null): string {
  if (typeof a.group === 'string' && a.group !== 'host') {
    // From the key, not the `label` attribute, which holds what is drawn (possibly masked).
    const label = /^(country|site):/.test(key) ? key.slice(key.indexOf(':') + 1) : key;
    return mask && a.group === 'prefix' ? mask.address(label) : label;
  }
  const names = a.names as { name: string }[] | undefined;
  const name = Array.isArray(names) && names.length > 0 && typeof names[0].name === 'string' ? names[0].name : typeof a.name === 'string' ? a.name : null;
  if (name !== null) return mask ? mask.name(name) : name;
  const addr = typeof a.addr === 'string' ? a.addr : key;
  return mask ? mask.address(addr) : addr;
}

/** Edge thickness (pixels) from the current throughput: logarithmic, 0.5 (idle) to 4. */
export function edgeSize(a: Attributes): number {
  if (a.kind === 'hop') return 1;
  const bps = Number(a.bps) || 0;
  return Math.min(4, 0.5 + 0.4 * Math.log10(1 + bps / 1000));
}

/**
 * A translucent colour for sigma's WebGL programs, which blend with
 * (ONE, ONE_MINUS_SRC_ALPHA): the channels must be premultiplied by alpha,
 * or overlapping translucent edges add up to white.
 */
export function premultiplied(r: number, g: number, b: number, a: number): string {
  return `rgba(${Math.round(r * a)}, ${Math.round(g * a)}, ${Math.round(b * a)}, ${a})`;
}

/** Edge colours: idle links faint, links carrying traffic brighter, hop chains orange. */
export const EDGE_COLORS = Object.freeze({
  idle: premultiplied(140, 160, 190, 0.16), live: premultiplied(80, 165, 255, 0.4), hop: premultiplied(255, 159, 28, 0.7),
});

/** The same colours for CSS (the legend), which blends straight alpha, a little stronger to read as a swatch. */
export const EDGE_CSS_COLORS = Object.freeze({ idle: 'rgba(140, 160, 190, 0.55)', live: 'rgba(80, 165, 255, 0.95)', hop: 'rgba(255, 159, 28, 0.95)' });

/** The colour of an edge. */
export function edgeColor(a: Attributes): string {
  if (a.kind === 'hop') return EDGE_COLORS.hop;
  return (Number(a.bps) || 0) > 0 ? EDGE_COLORS.live : EDGE_COLORS.idle;
}

/** Human-readable bytes ("1.2 MB"). */
export function formatBytes(n: number): string {
  const u = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];
  let i = 0;
  while (n >= 1000 && i < u.length - 1) { n /= 1000; i++; }
  return `${i === 0 ? n : n.toFixed(n < 10 ? 2 : n < 100 ? 1 : 0)} ${u[i]}`;
}

/** Human-readable throughput ("3.4 Mbit/s"). */
export function formatBps(n: number): string {
  const u = ['bit/s', 'kbit/s', 'Mbit/s', 'Gbit/s', 'Tbit/s'];
  let i = 0;
  while (n >= 1000 && i < u.length - 1) { n /= 1000; i++; }
  return `${i === 0 ? Math.round(n) : n.toFixed(n < 10 ? 2 : n < 100 ? 1 : 0)} ${u[i]}`;
}
