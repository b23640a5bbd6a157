/**
 * What a view shows for a node or an edge that stands for several source
 * elements (a /24, an AS, a country; the links between two groups; the paths
 * sharing a hop), kept up to date member by member. Sums are exact (integers,
 * coordinates in millionths of a degree), so the result depends only on the
 * set of members, never on the order they came and went. Pure.
 */
import type { SourceEdge, SourceNode } from './source-types.js';
import type { Attrs } from './types.js';

/** Attributes of a node without a key of its own (only named by edges). */
export function stubAttrs(id: string): Attrs {
  return { addr: id, stub: true };
}

/** A node's attributes for a view restricted to some probes (other probes' fields removed). */
export function projectNode(n: SourceNode, probes: ReadonlySet<number> | null): Attrs {
  if (probes === null || n.attrs.probes === undefined) return n.attrs;
  const seen = n.attrs.probes as Record<string, number>;
  const kept: Record<string, number> = {};
  let any = false;
  for (const k in seen) if (probes.has(Number(k))) { kept[k] = seen[k]; any = true; }
  const out: Attrs = { ...n.attrs };
  if (any) out.probes = kept; else delete out.probes;
  return out;
}

function bump(m: Map<string, number>, k: string | null, d: number): void {
  if (k === null) return;
  const n = (m.get(k) ?? 0) + d;
  if (n <= 0) m.delete(k); else m.set(k, n);
}

/** Most frequent value (ties: smallest), or null. */
function mode(m: Map<string, number>): string | null {
  let best: string | null = null, n = 0;
  for (const [k, c] of m) if (c > n || (c === n && best !== null && k < best)) { best = k; n = c; }
  return best;
}

/** The kind of group an id names. */
export function groupKind(id: string): string {
  if (id.startsWith('country:')) return 'country';
  if (id.startsWith('site:')) return 'site';
  if (/^AS\d+$/.test(id)) return 'asn';
  return id.includes('/') ? 'prefix' : 'host';
}

/** A node of a view: one or several present source nodes. */
export class NodeGroup {
  readonly members = new Map<string, SourceNode | null>();
  bytesIn = 0; bytesOut = 0; pktsIn = 0; pktsOut = 0;
  private last = 0;
  private lastStale = false;
  private latSum = 0; private lngSum = 0; private geo = 0;
  private readonly countries = new Map<string, number>();
  private readonly orgs = new Map<string, number>();
  /** Candidate edges of the view that end at this node (kept by the view). */
  edgeRefs = 0;

  constructor(readonly id: string) {}

  /** Adds a member (null: a stub). */
  add(id: string, n: SourceNode | null): void {
    this.members.set(id, n);
    if (!n) return;
    this.bytesIn += n.bytesIn; this.bytesOut += n.bytesOut; this.pktsIn += n.pktsIn; this.pktsOut += n.pktsOut;
    // `last` is an upper bound of the members' (exact unless stale); a value at or above it is the new exact maximum.
    if (n.last >= this.last) { this.last = n.last; this.lastStale = false; }
    if (n.latE6 !== null && n.lngE6 !== null) { this.latSum += n.latE6; this.lngSum += n.lngE6; this.geo++; }
    bump(this.countries, n.country, 1);
    bump(this.orgs, n.asOrg, 1);
  }

  /** Removes a member, with the values it was added with. */
  remove(id: string): void {
    const n = this.members.get(id);
    this.members.delete(id);
    if (!n) return;
    this.bytesIn -= n.bytesIn; this.bytesOut -= n.bytesOut; this.pktsIn -= n.pktsIn; this.pktsOut -= n.pktsOut;
    if (n.last >= this.last) this.lastStale = true;
    if (n.latE6 !== null && n.lngE6 !== null) { this.latSum -= n.latE6; this.lngSum -= n.lngE6; this.geo--; }
    bump(this.countries, n.country, -1);
    bump(this.orgs, n.asOrg, -1);
  }

  /** Ranking score: bytes in and out. */
  get score(): number {
    return this.bytesIn + this.bytesOut;
  }

  private lastValue(): number {
    if (this.lastStale) {
      this.lastStale = false;
      this.last = 0;
      for (const n of this.members.values()) if (n && n.last > this.last) this.last = n.last;
    }
    return this.last;
  }

  /** Attributes of the group as shown. */
  attributes(): Attrs {
    const kind = groupKind(this.id);
    const label = kind === 'country' || kind === 'site' ? this.id.slice(this.id.indexOf(':') + 1) : this.id;
    const a: Attrs = {
      group: kind, label, members: this.members.size,
      bytes_in: this.bytesIn, bytes_out: this.bytesOut, pkts_in: this.pktsIn, pkts_out: this.pktsOut,
    };
    const last = this.lastValue();
    if (last > 0) a.last = last;
    if (this.geo > 0) { a.lat = Math.round(this.latSum / this.geo) / 1e6; a.lng = Math.round(this.lngSum / this.geo) / 1e6; }
    const c = mode(this.countries), o = mode(this.orgs);
    if (c !== null) a.country = c;
    if (o !== null) a.as_org = o;
    if (kind === 'asn') a.asn = Number(this.id.slice(2));
    return a;
  }
}

/** An edge of a view: one or several passing source edges between the same two nodes. */
export class EdgeGroup {
  readonly members = new Map<string, { e: SourceEdge; flip: boolean }>();
  bytesST = 0; bytesTS = 0; pktsST = 0; pktsTS = 0; bps = 0; conns = 0; live = 0;
  private last = 0;
  private lastStale = false;
  /** Whether the view counts it as a candidate (kept by the view). */
  candidate = false;

  constructor(readonly key: string, readonly kind: 'link' | 'hop', readonly source: string, readonly target: string) {}

  /** Adds a member; `flip` when its a→b runs target→source here. */
  add(e: SourceEdge, flip: boolean): void {
    this.members.set(e.id, { e, flip });
    this.bytesST += flip ? e.bytesBA : e.bytesAB; this.bytesTS += flip ? e.bytesAB : e.bytesBA;
    this.pktsST += flip ? e.pktsBA : e.pktsAB; this.pktsTS += flip ? e.pktsAB : e.pktsBA;
    this.bps += e.bps; this.conns += e.conns; this.live += e.live;
    if (e.last >= this.last) { this.last = e.last; this.lastStale = false; }
  }

  /** Removes a member, with the values it was added with. */
  remove(id: string): void {
    const m = this.members.get(id);
    if (!m) return;
    this.members.delete(id);
    const { e, flip } = m;
    this.bytesST -= flip ? e.bytesBA : e.bytesAB; this.bytesTS -= flip ? e.bytesAB : e.bytesBA;
    this.pktsST -= flip ? e.pktsBA : e.pktsAB; this.pktsTS -= flip ? e.pktsAB : e.pktsBA;
    this.bps -= e.bps; this.conns -= e.conns; this.live -= e.live;
    if (e.last >= this.last) this.lastStale = true;
  }

  /** Ranking score and minBytes measure: bytes both ways. */
  get score(): number {
    return this.bytesST + this.bytesTS;
  }

  private lastValue(): number {
    if (this.lastStale) {
      this.lastStale = false;
      this.last = 0;
      for (const { e } of this.members.values()) if (e.last > this.last) this.last = e.last;
    }
    return this.last;
  }

  /** Attributes as shown; `grouped`: several links may stand behind it. */
  attributes(grouped: boolean): Attrs {
    const last = this.lastValue();
    if (this.kind === 'hop') return { kind: 'hop', paths: this.members.size, last };
    const a: Attrs = {
      kind: 'link', bytes_ab: this.bytesST, bytes_ba: this.bytesTS, pkts_ab: this.pktsST, pkts_ba: this.pktsTS,
      bytes: this.bytesST + this.bytesTS, bps: this.bps, conns: this.conns, live: this.live, last,
    };
    if (grouped) a.links = this.members.size;
    else for (const { e } of this.members.values()) a.first = e.first;
    return a;
  }
}
