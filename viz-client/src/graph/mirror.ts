/**
 * The browser's copy of its view: a graphology graph kept equal to the
 * server's, one snapshot then each diff in order (numbering checked, the
 * protocol's order of operations followed). Server attributes are node and
 * edge attributes as sent; the hooks add what is drawn (position, size,
 * colour) before sigma sees an element. Attribute updates are written in
 * place without graph events, and listed in the batch, so that the renderer
 * refreshes only what changed instead of reprocessing the whole graph.
 */
import { MultiGraph } from 'graphology';
import type { Attributes } from 'graphology-types';
import type { AttrValue, EdgeEntry, GraphDiff, SerializedGraph } from '../protocol/messages.js';

/** What the drawing layers add to elements as they arrive and change. */
export interface MirrorHooks {
  /** A node's server attributes were set (`added`: it is new); display attributes may be written into `attrs`. True if it moved. */
  node(key: string, attrs: Attributes, added: boolean): boolean;
  /** An edge's server attributes were set. */
  edge(key: string, attrs: Attributes, added: boolean, source: string, target: string): void;
  /** A node is about to leave the graph. */
  nodeRemoved(key: string, attrs: Attributes): void;
  /** The graph is about to be emptied (a snapshot replaces it). */
  cleared(): void;
}

/** What one or several messages changed: the renderer's work list. */
export class Batch {
  reset = false;
  readonly nodesAdded = new Set<string>();
  readonly nodesUpdated = new Set<string>();
  /** Updated nodes whose position changed. */
  readonly nodesMoved = new Set<string>();
  readonly nodesRemoved = new Set<string>();
  readonly edgesAdded = new Set<string>();
  readonly edgesUpdated = new Set<string>();
  readonly edgesRemoved = new Set<string>();
  /** Edges whose traffic counters moved (for the flow animation). */
  readonly edgesActive = new Set<string>();
  /** Operations applied. */
  ops = 0;

  /** True when elements came or went (sigma must reindex). */
  get structural(): boolean {
    return this.reset || this.nodesAdded.size + this.nodesRemoved.size + this.edgesAdded.size + this.edgesRemoved.size > 0;
  }
}

/** Why a message could not be applied: the client needs a fresh snapshot. */
export type MirrorError = { ok: false; code: 'GG_VC_SEQ_GAP' | 'GG_VC_DUPLICATE' | 'GG_VC_MISSING' | 'GG_VC_DANGLING'; detail: string };

/** Result of applying a message. */
export type MirrorResult = { ok: true } | MirrorError;

const TRAFFIC = ['bytes', 'bytes_ab', 'bytes_ba', 'bps'];

/** The graph of a view: mixed (links undirected, hops directed), parallel edges allowed (a link and a path between two hosts). */
export type ViewGraph = MultiGraph;

/**
 * A copy of an element's attributes, to which the hooks then add what is
 * drawn. Object.assign, not a spread: V8 gives spread copies a shape that
 * makes each property added afterwards slow (ten times slower over a
 * snapshot's 40,000 elements).
 */
function copyAttributes(a: Attributes): Attributes {
  return Object.assign({}, a);
}

/** A new empty view graph. */
export function createViewGraph(): ViewGraph {
  return new MultiGraph({ type: 'mixed', allowSelfLoops: true });
}

/** A graphology graph mirroring one view of the server. */
export class GraphMirror {
  /** Sequence number of the state held; -1 before the first snapshot. */
  seq = -1;

  constructor(readonly graph: ViewGraph, private readonly hooks: MirrorHooks) {}

  /**
   * Adds an edge, or says why it cannot be. graphology checks the key and
   * the ends itself (and throws): checking first would look everything up
   * twice, which the largest snapshots feel.
   */
  private addEdge(e: EdgeEntry, batch: Batch): MirrorError | null {
    const attrs = copyAttributes(e.attributes);
    this.hooks.edge(e.key, attrs, true, e.source, e.target);
    try {
      if (e.undirected === false) this.graph.addDirectedEdgeWithKey(e.key, e.source, e.target, attrs);
      else this.graph.addUndirectedEdgeWithKey(e.key, e.source, e.target, attrs);
    } catch {
      return this.graph.hasEdge(e.key) ? { ok: false, code: 'GG_VC_DUPLICATE', detail: `edge ${e.key}` } : { ok: false, code: 'GG_VC_MISSING', detail: `edge ${e.key} names a missing node` };
    }
    batch.edgesAdded.add(e.key);
    batch.edgesRemoved.delete(e.key);
    return null;
  }

  /** Replaces the whole graph with a snapshot. */
  snapshot(seq: number, g: SerializedGraph, batch: Batch): MirrorResult {
    this.hooks.cleared();
    this.graph.clear();
    batch.reset = true;
    const seen = new Set<string>();
    for (const n of g.nodes) {
      if (seen.has(n.key)) return { ok: false, code: 'GG_VC_DUPLICATE', detail: `node ${n.key}` };
      seen.add(n.key);
      const attrs = copyAttributes(n.attributes);
      this.hooks.node(n.key, attrs, true);
      this.graph.addNode(n.key, attrs);
    }
    for (const e of g.edges) {
      const err = this.addEdge(e, batch);
      if (err) return err;
    }
    batch.ops += g.nodes.length + g.edges.length;
    this.seq = seq;
    return { ok: true };
  }

  /** Applies a diff numbered `prev` → `seq`, in the protocol's order. */
  diff(prev: number, seq: number, d: GraphDiff, batch: Batch): MirrorResult {
    if (prev !== this.seq) return { ok: false, code: 'GG_VC_SEQ_GAP', detail: `diff from ${prev}, mirror at ${this.seq}` };
    const g = this.graph;
    for (const k of d.edges.remove) {
      if (!g.hasEdge(k)) return { ok: false, code: 'GG_VC_MISSING', detail: `remove of unknown edge ${k}` };
      g.dropEdge(k);
      batch.edgesRemoved.add(k);
      batch.edgesAdded.delete(k); batch.edgesUpdated.delete(k); batch.edgesActive.delete(k);
    }
    for (const k of d.nodes.remove) {
      if (!g.hasNode(k)) return { ok: false, code: 'GG_VC_MISSING', detail: `remove of unknown node ${k}` };
      if (g.degree(k) > 0) return { ok: false, code: 'GG_VC_DANGLING', detail: `node ${k} removed with edges left` };
      this.hooks.nodeRemoved(k, g.getNodeAttributes(k));
      g.dropNode(k);
      batch.nodesRemoved.add(k);
      batch.nodesAdded.delete(k); batch.nodesUpdated.delete(k); batch.nodesMoved.delete(k);
    }
    for (const n of d.nodes.add) {
      if (g.hasNode(n.key)) return { ok: false, code: 'GG_VC_DUPLICATE', detail: `node ${n.key}` };
      const attrs = copyAttributes(n.attributes);
      this.hooks.node(n.key, attrs, true);
      g.addNode(n.key, attrs);
      batch.nodesAdded.add(n.key);
      batch.nodesRemoved.delete(n.key);
    }
    for (const u of d.nodes.update) {
      if (!g.hasNode(u.key)) return { ok: false, code: 'GG_VC_MISSING', detail: `update of unknown node ${u.key}` };
      const attrs = g.getNodeAttributes(u.key);
      patch(attrs, u.attributes);
      const moved = this.hooks.node(u.key, attrs, false);
      if (!batch.nodesAdded.has(u.key)) { batch.nodesUpdated.add(u.key); if (moved) batch.nodesMoved.add(u.key); }
    }
    for (const e of d.edges.add) {
      const err = this.addEdge(e, batch);
      if (err) return err;
    }
    for (const u of d.edges.update) {
      if (!g.hasEdge(u.key)) return { ok: false, code: 'GG_VC_MISSING', detail: `update of unknown edge ${u.key}` };
      const attrs = g.getEdgeAttributes(u.key);
      patch(attrs, u.attributes);
      this.hooks.edge(u.key, attrs, false, g.source(u.key), g.target(u.key));
      if (!batch.edgesAdded.has(u.key)) batch.edgesUpdated.add(u.key);
      if (TRAFFIC.some((f) => f in u.attributes) && Number(attrs.bps) > 0) batch.edgesActive.add(u.key);
    }
    batch.ops += d.nodes.add.length + d.nodes.update.length + d.nodes.remove.length + d.edges.add.length + d.edges.update.length + d.edges.remove.length;
    this.seq = seq;
    return { ok: true };
  }
}

/** Applies an attribute patch in place (null deletes). */
export function patch(attrs: Attributes, p: Record<string, AttrValue | null>): void {
  for (const k in p) {
    const v = p[k];
    if (v === null) delete attrs[k];
    else attrs[k] = v;
  }
}
