/**
 * One view of the graph: a configuration applied to the source, kept up to
 * date incrementally. apply() takes what changed in the source (and what left
 * the activity window) and returns the diff a client holding the previous
 * state needs; the work is proportional to the change, never to the graph.
 * Clients with the same configuration share a view. Pure.
 *
 * Stages, each maintained incrementally (the reference, views/reference.ts,
 * computes the same from scratch):
 *  1. node facts (group, probes, prefixes) per source node;
 *  2. passing source edges, grouped into view edges;
 *  3. present source nodes (shown on their own, or the end of a passing edge), grouped into view nodes;
 *  4. candidate view edges (display filters) and nodes (an end of one, or enough bytes);
 *  5. the most active maxNodes nodes, then maxEdges edges among those whose ends are kept.
 */
import { EdgeGroup, NodeGroup, projectNode, stubAttrs } from './aggregate.js';
import type { ViewConfig } from './config.js';
import { ExpiryQueue } from './expiry.js';
import { CompiledFilter, type NodeMeta, sameMeta } from './filter.js';
import type { SourceGraph, Touched } from './source.js';
import type { SourceEdge } from './source-types.js';
import { TopN } from './topn.js';
import { type Attrs, attrsPatch, emptyDiff, emptyState, type GraphDiff, type GraphState } from './types.js';

/** Where a view edge goes for a source edge: its key and direction; null: nowhere (inside one group). */
export function placeEdge(e: SourceEdge, ga: string, gb: string, grouped: boolean): { key: string; source: string; target: string; flip: boolean } | null {
  if (e.kind === 'hop') return ga === gb ? null : { key: `${ga}>${gb}`, source: ga, target: gb, flip: false };
  if (ga === gb && grouped) return null;
  return ga <= gb ? { key: `${ga}|${gb}`, source: ga, target: gb, flip: false } : { key: `${gb}|${ga}`, source: gb, target: ga, flip: true };
}

/** Whether a view edge passes the display filters (links: minBytes, minBps). */
export function displayPasses(c: ViewConfig, kind: 'link' | 'hop', bytes: number, bps: number): boolean {
  return kind === 'hop' || (bytes >= c.minBytes && bps >= c.minBps);
}

/** A configuration applied to a source, incrementally. */
export class View {
  readonly filter: CompiledFilter;
  private readonly grouped: boolean;
  private readonly probeSet: Set<number> | null;
  private readonly metas = new Map<string, NodeMeta>();
  private readonly refs = new Map<string, number>();
  private readonly presentIn = new Map<string, string>();
  private readonly edgeIn = new Map<string, { key: string | null; a: string; b: string }>();
  private readonly groups = new Map<string, NodeGroup>();
  private readonly vedges = new Map<string, EdgeGroup>();
  private readonly vadj = new Map<string, Set<string>>();
  private readonly nodeTop: TopN;
  private readonly edgeTop: TopN;
  private readonly expiry = new ExpiryQueue();
  /** What a client holding every diff so far has. */
  readonly state: GraphState = emptyState();
  /** Number of non-empty diffs produced. */
  seq = 0;

  constructor(readonly config: ViewConfig, private readonly source: SourceGraph) {
    this.filter = new CompiledFilter(config);
    this.grouped = config.grouping !== 'none';
    this.probeSet = config.probes === null ? null : new Set(config.probes);
    this.nodeTop = new TopN(config.maxNodes);
    this.edgeTop = new TopN(config.maxEdges);
  }

  /** A view built from the whole source as it is at `now`. */
  static build(config: ViewConfig, source: SourceGraph, now: number): View {
    const v = new View(config, source);
    v.apply({ nodes: new Set(source.nodeIds()), edges: new Set(source.edges.keys()) }, now);
    v.seq = 0;
    return v;
  }

  /** Elements waiting to leave the window (for metrics). */
  get pendingExpiries(): number {
    return this.expiry.size;
  }

  private meta(id: string): NodeMeta {
    let m = this.metas.get(id);
    if (!m) { m = this.filter.meta(id, this.source.nodes.get(id)); this.metas.set(id, m); }
    return m;
  }

  private ref(id: string, d: number, dirty: Set<string>): void {
    const n = (this.refs.get(id) ?? 0) + d;
    if (n <= 0) this.refs.delete(id); else this.refs.set(id, n);
    dirty.add(id);
  }

  /** Applies a change of the source at `now`; returns the diff from the previous state. */
  apply(touched: Touched, now: number): GraphDiff {
    const tn = new Set(touched.nodes), te = new Set(touched.edges);
    for (const id of this.expiry.popDue(now)) (id.charCodeAt(0) === 110 ? tn : te).add(id.slice(2));
    const src = this.source;
    // 1. Node facts; a node whose group or probes changed moves its edges.
    for (const id of tn) {
      if (!src.hasNode(id)) { this.metas.delete(id); continue; }
      const m = this.filter.meta(id, src.nodes.get(id));
      const old = this.metas.get(id);
      this.metas.set(id, m);
      if (old && !sameMeta(old, m)) for (const e of src.incident(id)) te.add(e);
    }
    // 2. Source edges.
    const dirtyN = tn, dirtyV = new Set<string>();
    for (const id of te) {
      const old = this.edgeIn.get(id);
      if (old) {
        this.edgeIn.delete(id);
        this.ref(old.a, -1, dirtyN); this.ref(old.b, -1, dirtyN);
        if (old.key !== null) { this.vedges.get(old.key)!.remove(id); dirtyV.add(old.key); }
      }
      const e = src.edges.get(id);
      if (!e) continue;
      const ma = this.meta(e.a), mb = this.meta(e.b);
      if (!this.filter.edgePasses(e, ma, mb, src.services(id), now)) continue;
      if (this.filter.windowed) this.expiry.schedule(`e:${id}`, this.filter.deadline(e.time) + 1);
      const p = placeEdge(e, ma.group, mb.group, this.grouped);
      this.ref(e.a, 1, dirtyN); this.ref(e.b, 1, dirtyN);
      this.edgeIn.set(id, { key: p?.key ?? null, a: e.a, b: e.b });
      if (!p) continue;
      let v = this.vedges.get(p.key);
      if (!v) {
        v = new EdgeGroup(p.key, e.kind, p.source, p.target);
        this.vedges.set(p.key, v);
        for (const g of [p.source, p.target]) { let s = this.vadj.get(g); if (!s) this.vadj.set(g, (s = new Set())); s.add(p.key); }
      }
      v.add(e, p.flip);
      dirtyV.add(p.key);
    }
    // 3. Present source nodes into view nodes.
    const dirtyG = new Set<string>();
    for (const id of dirtyN) {
      const oldG = this.presentIn.get(id);
      if (oldG !== undefined) { this.groups.get(oldG)!.remove(id); this.presentIn.delete(id); dirtyG.add(oldG); }
      if (!src.hasNode(id)) continue;
      const m = this.meta(id), node = src.nodes.get(id);
      const alone = node !== undefined && this.filter.nodePasses(node, m, now);
      if (alone && this.filter.windowed) this.expiry.schedule(`n:${id}`, this.filter.deadline(node.time) + 1);
      if (!alone && !this.refs.has(id)) continue;
      let g = this.groups.get(m.group);
      if (!g) this.groups.set(m.group, (g = new NodeGroup(m.group)));
      g.add(id, node ?? null);
      this.presentIn.set(id, m.group);
      dirtyG.add(m.group);
    }
    // 4. Candidate view edges, and the node references they make.
    for (const key of dirtyV) {
      const v = this.vedges.get(key)!;
      const cand = v.members.size > 0 && displayPasses(this.config, v.kind, v.score, v.bps);
      if (cand !== v.candidate) {
        v.candidate = cand;
        for (const g of [v.source, v.target]) { this.groups.get(g)!.edgeRefs += cand ? 1 : -1; dirtyG.add(g); }
      }
      if (v.members.size === 0) {
        this.vedges.delete(key);
        for (const g of [v.source, v.target]) { const s = this.vadj.get(g); s?.delete(key); if (s?.size === 0) this.vadj.delete(g); }
      }
    }
    // 5. Candidate view nodes, then the most active ones.
    for (const g of dirtyG) {
      const grp = this.groups.get(g);
      if (!grp) continue;
      if (grp.members.size === 0 && grp.edgeRefs === 0) { this.groups.delete(g); this.nodeTop.set(g, null); continue; }
      this.nodeTop.set(g, grp.edgeRefs > 0 || grp.score >= this.config.minBytes ? grp.score : null);
    }
    const nodes = this.nodeTop.settle();
    const dirtyE = dirtyV;
    for (const g of nodes.entered) for (const k of this.vadj.get(g) ?? []) dirtyE.add(k);
    for (const g of nodes.left) for (const k of this.vadj.get(g) ?? []) dirtyE.add(k);
    for (const key of dirtyE) {
      const v = this.vedges.get(key);
      const ok = v !== undefined && v.candidate && this.nodeTop.has(v.source) && this.nodeTop.has(v.target);
      this.edgeTop.set(key, ok ? v.score : null);
    }
    const edges = this.edgeTop.settle();
    return this.emit(nodes, edges, dirtyG, dirtyE);
  }

  private nodeAttrs(g: string): Attrs {
    const grp = this.groups.get(g)!;
    if (this.grouped) return grp.attributes();
    const n = grp.members.get(g);
    return n ? projectNode(n, this.probeSet) : stubAttrs(g);
  }

  private emit(nodes: { entered: string[]; left: string[] }, edges: { entered: string[]; left: string[] }, dirtyG: Set<string>, dirtyE: Set<string>): GraphDiff {
    const d = emptyDiff();
    const s = this.state;
    for (const k of edges.left) { s.edges.delete(k); d.edges.remove.push(k); }
    for (const g of nodes.left) { s.nodes.delete(g); d.nodes.remove.push(g); }
    for (const g of nodes.entered) dirtyG.add(g);
    for (const g of dirtyG) {
      if (!this.nodeTop.has(g)) continue;
      const attrs = this.nodeAttrs(g);
      const prev = s.nodes.get(g);
      if (!prev) d.nodes.add.push({ key: g, attributes: attrs });
      else { const p = attrsPatch(prev, attrs); if (!p) continue; d.nodes.update.push({ key: g, attributes: p }); }
      s.nodes.set(g, attrs);
    }
    for (const k of edges.entered) dirtyE.add(k);
    for (const k of dirtyE) {
      if (!this.edgeTop.has(k)) continue;
      const v = this.vedges.get(k)!;
      const attrs = v.attributes(this.grouped);
      const prev = s.edges.get(k);
      if (!prev) {
        const entry = { key: k, source: v.source, target: v.target, undirected: v.kind === 'link', attributes: attrs };
        d.edges.add.push(entry);
        s.edges.set(k, entry);
        continue;
      }
      const p = attrsPatch(prev.attributes, attrs);
      if (!p) continue;
      d.edges.update.push({ key: k, attributes: p });
      s.edges.set(k, { ...prev, attributes: attrs });
    }
    if (d.nodes.add.length + d.nodes.update.length + d.nodes.remove.length + d.edges.add.length + d.edges.update.length + d.edges.remove.length) this.seq++;
    return d;
  }
}
