/**
 * The side panel of a node: its addresses, names, location, AS, the probes
 * that saw it, its traffic and live throughput, and its connections (busiest
 * first; a click moves to the other end). Rebuilt live while open, at most
 * a few times a second.
 */
import type { ViewGraph } from '../graph/mirror.js';
import type { Masker } from '../anonymize.js';
import { formatBps, formatBytes, nodeLabel, nodeRole, ROLE_STYLE } from '../graph/encoding.js';
import { byId, fill, fmtInt, h } from './dom.js';

const RRTYPES: Record<number, string> = { 1: 'A', 28: 'AAAA', 12: 'PTR', 5: 'CNAME' };

/** Epoch time in ms (the store writes ms; seconds accepted) as "12 s ago". */
export function ago(t: number, now = Date.now()): string {
  const ms = t < 1e11 ? t * 1000 : t;
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86_400)} d ago`;
}

/** One connection of a node, for the table. */
export interface Connection { edge: string; other: string; kind: string; bps: number; bytes: number; out: boolean }

/** A node's connections, busiest first. */
export function connectionsOf(g: ViewGraph, node: string): Connection[] {
  const out: Connection[] = [];
  g.forEachEdge(node, (edge, a, source, target) => {
    const other = source === node ? target : source;
    out.push({ edge, other, kind: String(a.kind ?? 'link'), bps: Number(a.bps) || 0, bytes: Number(a.bytes) || 0, out: source === node });
  });
  return out.sort((x, y) => y.bps - x.bps || y.bytes - x.bytes || (x.other < y.other ? -1 : 1));
}

/** Probe names for display (from the probes message). */
export type ProbeNames = ReadonlyMap<number, string>;

/** The panel. */
export class PanelView {
  private readonly root = byId('panel');
  private readonly body = byId('panel-body');
  node: string | null = null;
  private last = 0;

  constructor(private readonly g: ViewGraph, private readonly h: {
    select(node: string | null): void;
    unpin(node: string): void;
    isPinned(node: string): boolean;
    masker(): Masker | null;
    probeNames(): ProbeNames;
  }) {
    byId('panel-close').addEventListener('click', () => this.h.select(null));
  }

  /** Opens the panel on a node (null closes it). */
  open(node: string | null): void {
    this.node = node && this.g.hasNode(node) ? node : null;
    this.root.hidden = this.node === null;
    this.last = 0;
    this.render(true);
  }

  /** Rebuilds the panel if open (throttled unless forced). */
  render(force = false): void {
    if (this.node === null) return;
    const now = performance.now();
    if (!force && now - this.last < 500) return;
    this.last = now;
    if (!this.g.hasNode(this.node)) {
      fill(this.body, h('h2', {}, 'Gone'), h('p', { class: 'dim' }, 'This node left the view (filtered out, or inactive for too long).'));
      return;
    }
    const key = this.node, a = this.g.getNodeAttributes(key);
    const mask = this.h.masker();
    const conns = connectionsOf(this.g, key);
    const bps = conns.reduce((s, c) => s + (c.kind === 'link' ? c.bps : 0), 0);
    const rows: [string, Node | string][] = [];
    const add = (k: string, v: Node | string | null | undefined | false): void => { if (v) rows.push([k, v]); };
    const role = nodeRole(a);
    const isGroup = role === 'group';
    add(isGroup ? 'Group' : 'Address', isGroup ? `${a.group}: ${mask ? nodeLabel(key, a, mask) : key}` : mask ? mask.address(String(a.addr ?? key)) : String(a.addr ?? key));
    if (isGroup) add('Members', fmtInt(Number(a.members) || 0));
    add('Role', ROLE_STYLE[role].name + (a.scope && a.scope !== 'public' ? ` (${a.scope})` : ''));
    const names = Array.isArray(a.names) ? (a.names as { name: string; rrtype: number }[]) : typeof a.name === 'string' ? [{ name: a.name, rrtype: Number(a.rrtype) || 0 }] : [];
    if (names.length) add('Names', h('span', {}, ...names.flatMap((n, i) => [i ? h('br') : null, `${mask ? mask.name(n.name) : n.name}${RRTYPES[n.rrtype] ? ` (${RRTYPES[n.rrtype]})` : ''}`])));
    const place = [a.city, a.country].filter((x) => typeof x === 'string').join(', ');
    const site = typeof a.site === 'string' ? `site ${a.site}` : '';
    const coords = typeof a.lat === 'number' && typeof a.lng === 'number' ? `${(a.lat as number).toFixed(3)}, ${(a.lng as number).toFixed(3)}` : '';
    add('Location', [place || site, coords].filter(Boolean).join(' · ') || 'unknown');
    if (a.asn !== undefined) add('AS', `AS${a.asn}${typeof a.as_org === 'string' ? ` ${a.as_org}` : ''}`);
    else if (typeof a.as_org === 'string') add('AS', a.as_org);
    const probes = a.probes as Record<string, number> | undefined;
    if (probes && typeof probes === 'object') {
      const names = this.h.probeNames();
      add('Probes', h('span', {}, ...Object.entries(probes).flatMap(([id, t], i) => [i ? h('br') : null, `#${id}${names.get(Number(id)) ? ` ${names.get(Number(id))}` : ''} · ${ago(t)}`])));
    }
    add('Traffic', `${formatBytes(Number(a.bytes_in) || 0)} in · ${formatBytes(Number(a.bytes_out) || 0)} out`);
    add('Packets', `${fmtInt(Number(a.pkts_in) || 0)} in · ${fmtInt(Number(a.pkts_out) || 0)} out`);
    add('Throughput', h('b', { id: 'panel-bps' }, formatBps(bps)));
    if (typeof a.last === 'number') add('Last seen', ago(a.last));
    if (typeof a.first === 'number') add('First seen', ago(a.first));
    const pinned = this.h.isPinned(key);
    const table = h('table', {}, ...conns.slice(0, 30).map((c) => {
      const link = h('a', { 'data-node': c.other }, nodeLabel(c.other, this.g.getNodeAttributes(c.other), mask));
      link.addEventListener('click', () => this.h.select(c.other));
      return h('tr', {}, h('td', {}, c.kind === 'hop' ? (c.out ? '→ ' : '← ') : ''), h('td', {}, link),
        h('td', { class: 'num' }, c.kind === 'hop' ? 'path' : formatBps(c.bps)), h('td', { class: 'num' }, c.kind === 'hop' ? '' : formatBytes(c.bytes)));
    }));
    const unpin = pinned ? h('button', { type: 'button' }, 'Unpin') : null;
    unpin?.addEventListener('click', () => { this.h.unpin(key); this.render(true); });
    fill(this.body,
      h('h2', { id: 'panel-title' }, nodeLabel(key, a, mask)),
      h('dl', { id: 'panel-facts' }, ...rows.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])),
      unpin,
      h('h3', {}, `Connections (${fmtInt(conns.length)})`),
      conns.length ? table : h('p', { class: 'dim' }, 'none in this view'),
      conns.length > 30 ? h('p', { class: 'dim' }, `and ${fmtInt(conns.length - 30)} more`) : null,
    );
    this.root.dataset.node = mask ? '' : key;
    this.root.dataset.address = mask ? '' : String(a.addr ?? key);
  }
}
