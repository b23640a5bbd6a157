/**
 * The graph sigma draws: every node of the view, and the edges worth
 * drawing. Below the level-of-detail threshold that is every edge; above
 * it, the busiest links, the traceroute paths, and every edge of a focused
 * (hovered or selected) node. Elements carry only what is drawn (position,
 * size, colour, label; and a node's location, which the map layer reads),
 * copied from the view graph as it changes: sigma copies every element's
 * attributes whenever it re-reads the graph (a snapshot, a hover), and a
 * dozen small fields copy far faster than the server's thirty. Sigma's work
 * per frame is then bounded by what is drawn, not by what the view holds.
 * Positions belong to this graph: the layouts move its nodes; a node's
 * position is copied from the view only when it arrives or moves there.
 */
import type { Attributes } from 'graphology-types';
import { Batch, createViewGraph, type ViewGraph } from '../graph/mirror.js';

/** Level-of-detail settings. */
export interface DetailSettings {
  /** Above this many edges in the view, not every edge is drawn. */
  lodEdges: number;
  /** How many links are drawn then (the busiest). */
  maxDrawnEdges: number;
}

/** What a drawn node carries, copied from its view attributes (`position`: x and y too). */
export function drawnNode(a: Attributes, into: Attributes = {}, position = true): Attributes {
  if (position) { into.x = a.x; into.y = a.y; }
  into.size = a.size;
  into.color = a.color;
  into.label = a.label;
  into.lat = a.lat;
  into.lng = a.lng;
  if (a.fixed) into.fixed = true;
  return into;
}

/** What a drawn edge carries, copied from its view attributes. */
export function drawnEdge(a: Attributes, into: Attributes = {}): Attributes {
  into.size = a.size;
  into.color = a.color;
  into.type = a.type;
  into.curvature = a.curvature;
  return into;
}

/** The drawn subset of a view graph. */
export class DisplayGraph {
  readonly graph: ViewGraph = createViewGraph();
  /** Throughput a link needs to be drawn (null: every edge is drawn). */
  threshold: number | null = null;
  private readonly focused = new Set<string>();

  constructor(private readonly data: ViewGraph, private readonly s: DetailSettings) {}

  private wanted(attrs: Attributes, source: string, target: string): boolean {
    if (this.threshold === null || this.focused.has(source) || this.focused.has(target)) return true;
    return attrs.kind === 'hop' || (Number(attrs.bps) || 0) >= this.threshold;
  }

  /** Puts a data edge in or out of the picture as it should be; records what changed. */
  private place(key: string, out: Batch, updated: boolean): void {
    const d = this.data, g = this.graph;
    const has = g.hasEdge(key);
    if (!d.hasEdge(key)) {
      if (has) this.drop(key, out);
      return;
    }
    const source = d.source(key), target = d.target(key), attrs = d.getEdgeAttributes(key);
    const want = this.wanted(attrs, source, target);
    if (want && !has) {
      if (d.isDirected(key)) g.addDirectedEdgeWithKey(key, source, target, drawnEdge(attrs));
      else g.addUndirectedEdgeWithKey(key, source, target, drawnEdge(attrs));
      out.edgesAdded.add(key);
      out.edgesRemoved.delete(key);
    } else if (!want && has) {
      this.drop(key, out);
    } else if (want && updated) {
      drawnEdge(attrs, g.getEdgeAttributes(key));
      out.edgesUpdated.add(key);
    }
  }

  private drop(key: string, out: Batch): void {
    this.graph.dropEdge(key);
    out.edgesRemoved.add(key);
    out.edgesAdded.delete(key);
    out.edgesUpdated.delete(key);
    out.edgesActive.delete(key);
  }

  /** Rebuilds everything from the view graph (one pass, no lookups: the largest graphs arrive this way). */
  private rebuild(out: Batch): void {
    const g = this.graph;
    g.clear();
    out.reset = true;
    this.data.forEachNode((k, a) => { g.addNode(k, drawnNode(a)); });
    this.data.forEachEdge((k, a, source, target, _sa, _ta, undirected) => {
      if (!this.wanted(a, source, target)) return;
      if (undirected) g.addUndirectedEdgeWithKey(k, source, target, drawnEdge(a));
      else g.addDirectedEdgeWithKey(k, source, target, drawnEdge(a));
    });
  }

  /** Applies what a batch changed in the view graph; `out` lists the changes of the drawn graph. */
  sync(b: Batch, out: Batch): void {
    if (b.reset) { this.updateThreshold(); this.rebuild(out); return; }
    const g = this.graph;
    for (const k of b.edgesRemoved) if (g.hasEdge(k)) this.drop(k, out);
    for (const k of b.nodesRemoved) {
      if (!g.hasNode(k)) continue;
      g.forEachEdge(k, (e) => { out.edgesRemoved.add(e); });
      g.dropNode(k);
      out.nodesRemoved.add(k);
      this.focused.delete(k);
    }
    for (const k of b.nodesAdded) if (this.data.hasNode(k) && !g.hasNode(k)) { g.addNode(k, drawnNode(this.data.getNodeAttributes(k))); out.nodesAdded.add(k); }
    for (const k of b.nodesUpdated) {
      if (!g.hasNode(k)) continue;
      const moved = b.nodesMoved.has(k);
      drawnNode(this.data.getNodeAttributes(k), g.getNodeAttributes(k), moved);
      out.nodesUpdated.add(k);
      if (moved) out.nodesMoved.add(k);
    }
    for (const k of b.edgesAdded) this.place(k, out, false);
    for (const k of b.edgesUpdated) this.place(k, out, true);
    for (const k of b.edgesActive) if (g.hasEdge(k)) out.edgesActive.add(k);
    out.ops = b.ops;
  }

  /** Recomputes the throughput threshold from the view graph; true if the picture must be re-evaluated. */
  updateThreshold(): boolean {
    let next: number | null = null;
    if (this.data.size > this.s.lodEdges) {
      const all = new Float64Array(this.data.size);
      let n = 0;
      this.data.forEachEdge((_e, a) => { if (a.kind !== 'hop') all[n++] = Number(a.bps) || 0; });
      // A typed array sorts numerically without a comparator, many times faster on 30,000 edges.
      const bps = all.subarray(0, n).sort();
      // The busiest maxDrawnEdges, never an idle one.
      next = Math.max(1, n === 0 ? 1 : bps[Math.max(0, n - this.s.maxDrawnEdges)]);
    }
    const cur = this.threshold;
    // Edges follow the threshold one by one as their throughput changes: a full pass is for big moves only.
    if (next === cur || (next !== null && cur !== null && next < cur * 2 && next > cur / 2)) return false;
    this.threshold = next;
    return true;
  }

  /** Re-evaluates every edge (the threshold changed). */
  reevaluate(out: Batch): void {
    this.data.forEachEdge((k) => this.place(k, out, false));
    this.graph.forEachEdge((k) => { if (!this.data.hasEdge(k)) this.place(k, out, false); });
  }

  /**
   * Copies every node's drawn attributes but its position again (a new
   * colouring); sigma hears of it. `inPlace`: sigma may repaint the nodes
   * where they are (told which attributes changed), rather than reindexing.
   */
  restyleNodes(inPlace: boolean): void {
    const copy = (k: string, a: Attributes): Attributes => drawnNode(this.data.getNodeAttributes(k), a, false);
    if (inPlace) this.graph.updateEachNodeAttributes(copy, { attributes: ['size', 'color', 'label'] });
    else this.graph.updateEachNodeAttributes(copy);
  }

  /** Copies every edge's drawn attributes again (a new edge style), without telling sigma (which is refreshed whole next). */
  restyleEdges(): void {
    this.graph.forEachEdge((k, a) => { drawnEdge(this.data.getEdgeAttributes(k), a); });
  }

  /** The nodes whose every edge is drawn (hovered, selected); `out` lists what that changed. */
  setFocus(nodes: (string | null)[], out: Batch): void {
    const next = new Set(nodes.filter((n): n is string => n !== null && this.data.hasNode(n)));
    const changed = [...this.focused, ...next].filter((n) => this.focused.has(n) !== next.has(n));
    if (changed.length === 0) return;
    this.focused.clear();
    for (const n of next) this.focused.add(n);
    for (const n of changed) if (this.data.hasNode(n)) this.data.forEachEdge(n, (e) => this.place(e, out, false));
  }
}
