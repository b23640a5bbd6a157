/**
 * The mirror of a graph module's live state (one per viz server, shared by
 * every view): nodes, edges, who touches whom, and which protocols and ports
 * each link carries. apply() takes the keys read in one tick and says which
 * elements changed, so that views work in proportion to what changed. A
 * node named by an edge but without a key of its own is a "stub": it exists
 * (edges need both ends) without attributes. Pure.
 */
import type { SourceConn, SourceEdge, SourceNode, SourceRecord } from './source-types.js';

/** Elements that changed in one apply(): node ids and source edge ids. */
export interface Touched { nodes: Set<string>; edges: Set<string> }

/** Protocols and ports of a link's live connections, as counts (a connection adds each once). */
export interface LinkServices { protos: Map<number, number>; ports: Map<number, number>; pairs: Map<number, number> }

/** Number key of a (protocol, port) pair. */
export function pairKey(proto: number, port: number): number {
  return proto * 65536 + port;
}

function bump(m: Map<number, number>, k: number, d: number): void {
  const n = (m.get(k) ?? 0) + d;
  if (n <= 0) m.delete(k);
  else m.set(k, n);
}

type Mirrored = { kind: 'node'; id: string } | { kind: 'edges' } | { kind: 'conn' };

/** The mirrored state of one graph module. */
export class SourceGraph {
  readonly nodes = new Map<string, SourceNode>();
  readonly edges = new Map<string, SourceEdge>();
  private readonly keyEdges = new Map<string, string[]>();
  private readonly adj = new Map<string, Set<string>>();
  private readonly conns = new Map<string, SourceConn>();
  private readonly svc = new Map<string, LinkServices>();
  private readonly mirrored = new Map<string, Mirrored>();

  /** Applies the keys read in one tick; returns what changed. */
  apply(records: readonly SourceRecord[]): Touched {
    const t: Touched = { nodes: new Set(), edges: new Set() };
    for (const r of records) {
      switch (r.kind) {
        case 'node': this.setNode(r.key, r.id, r.node, t); break;
        case 'edges': this.setEdges(r.key, r.edges, t); break;
        case 'conn': this.setConn(r.key, r.conn, t); break;
        default: break;
      }
    }
    return t;
  }

  /** Records that remove every mirrored key not in `present` (a reload: what Redis no longer has). */
  removalsExcept(present: ReadonlySet<string>): SourceRecord[] {
    const out: SourceRecord[] = [];
    for (const [key, m] of this.mirrored) {
      if (present.has(key)) continue;
      if (m.kind === 'node') out.push({ kind: 'node', key, id: m.id, node: null });
      else if (m.kind === 'edges') out.push({ kind: 'edges', key, edges: [] });
      else out.push({ kind: 'conn', key, conn: null });
    }
    return out;
  }

  /** True if the node exists: it has a key, or an edge names it. */
  hasNode(id: string): boolean {
    return this.nodes.has(id) || this.adj.has(id);
  }

  /** Every existing node id (keyed and stubs). */
  *nodeIds(): IterableIterator<string> {
    for (const id of this.nodes.keys()) yield id;
    for (const id of this.adj.keys()) if (!this.nodes.has(id)) yield id;
  }

  /** Ids of the source edges that touch a node. */
  incident(id: string): ReadonlySet<string> {
    return this.adj.get(id) ?? EMPTY;
  }

  /** A link's protocols and ports (undefined: no live connection known). */
  services(linkId: string): LinkServices | undefined {
    return this.svc.get(linkId);
  }

  /** True if a connection key is mirrored with its protocol and ports. */
  hasConn(key: string): boolean {
    return this.conns.has(key);
  }

  /** Sizes, for metrics. */
  get sizes(): { nodes: number; edges: number; conns: number; keys: number } {
    return { nodes: this.nodes.size, edges: this.edges.size, conns: this.conns.size, keys: this.mirrored.size };
  }

  private setNode(key: string, id: string, node: SourceNode | null, t: Touched): void {
    if (node) { this.nodes.set(id, node); this.mirrored.set(key, { kind: 'node', id }); t.nodes.add(id); return; }
    this.mirrored.delete(key);
    if (this.nodes.delete(id)) t.nodes.add(id);
  }

  private link(e: SourceEdge, t: Touched): void {
    for (const n of e.a === e.b ? [e.a] : [e.a, e.b]) {
      let s = this.adj.get(n);
      if (!s) { s = new Set(); this.adj.set(n, s); if (!this.nodes.has(n)) t.nodes.add(n); }
      s.add(e.id);
    }
  }

  private unlink(e: SourceEdge, t: Touched): void {
    for (const n of e.a === e.b ? [e.a] : [e.a, e.b]) {
      const s = this.adj.get(n);
      if (!s) continue;
      s.delete(e.id);
      if (s.size === 0) { this.adj.delete(n); if (!this.nodes.has(n)) t.nodes.add(n); }
    }
  }

  private setEdges(key: string, edges: readonly SourceEdge[], t: Touched): void {
    const before = this.keyEdges.get(key);
    const now = new Set(edges.map((e) => e.id));
    if (before) {
      for (const id of before) {
        if (now.has(id)) continue;
        const old = this.edges.get(id);
        if (old) { this.unlink(old, t); this.edges.delete(id); t.edges.add(id); }
      }
    }
    for (const e of edges) {
      const old = this.edges.get(e.id);
      if (old && (old.a !== e.a || old.b !== e.b)) this.unlink(old, t);
      this.edges.set(e.id, e);
      if (!old || old.a !== e.a || old.b !== e.b) this.link(e, t);
      t.edges.add(e.id);
    }
    if (edges.length) { this.keyEdges.set(key, edges.map((e) => e.id)); this.mirrored.set(key, { kind: 'edges' }); }
    else { this.keyEdges.delete(key); this.mirrored.delete(key); }
  }

  private setConn(key: string, conn: SourceConn | null, t: Touched): void {
    const old = this.conns.get(key);
    if (old) this.count(old, -1, t);
    if (conn) { this.conns.set(key, conn); this.count(conn, 1, t); this.mirrored.set(key, { kind: 'conn' }); }
    else { this.conns.delete(key); this.mirrored.delete(key); }
  }

  private count(c: SourceConn, d: number, t: Touched): void {
    let s = this.svc.get(c.link);
    if (!s) { s = { protos: new Map(), ports: new Map(), pairs: new Map() }; this.svc.set(c.link, s); }
    bump(s.protos, c.proto, d);
    bump(s.ports, c.sport, d);
    if (c.dport !== c.sport) bump(s.ports, c.dport, d);
    bump(s.pairs, pairKey(c.proto, c.sport), d);
    if (c.dport !== c.sport) bump(s.pairs, pairKey(c.proto, c.dport), d);
    if (s.protos.size === 0) this.svc.delete(c.link);
    t.edges.add(c.link);
  }
}

const EMPTY: ReadonlySet<string> = new Set();
