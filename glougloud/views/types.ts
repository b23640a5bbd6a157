/**
 * The graph as viz clients hold it, and the messages that change it. A full
 * graph travels in graphology's serialized shape; a diff lists node and edge
 * additions, attribute updates and removals (spec/viz-protocol.md).
 */

/** A JSON attribute value. States never hold null: in an update, null means "attribute deleted". */
export type AttrValue = string | number | boolean | AttrValue[] | { [k: string]: AttrValue };

/** Attributes of a node or an edge. */
export type Attrs = Record<string, AttrValue>;

/** A node as sent: graphology's serialized node. */
export interface NodeEntry { key: string; attributes: Attrs }

/** An edge as sent: graphology's serialized edge (links are undirected, hops directed). */
export interface EdgeEntry { key: string; source: string; target: string; undirected: boolean; attributes: Attrs }

/** Changed attributes of an element; null deletes the attribute. */
export interface AttrsUpdate { key: string; attributes: Record<string, AttrValue | null> }

/** One kind of element's changes. Removals are keys. */
export interface ElementChanges<E> { add: E[]; update: AttrsUpdate[]; remove: string[] }

/**
 * What turns one view state into the next. A client applies it in this
 * order: edges.remove, nodes.remove, nodes.add, nodes.update, edges.add,
 * edges.update (so an edge never names a missing node).
 */
export interface GraphDiff { nodes: ElementChanges<NodeEntry>; edges: ElementChanges<EdgeEntry> }

/** A visible graph: node attributes by key, edges by key. */
export interface GraphState { nodes: Map<string, Attrs>; edges: Map<string, EdgeEntry> }

/** graphology's serialized graph. */
export interface SerializedGraph {
  attributes: Attrs;
  options: { type: 'mixed'; multi: true; allowSelfLoops: true };
  nodes: NodeEntry[];
  edges: EdgeEntry[];
}

/** A diff with nothing in it. */
export function emptyDiff(): GraphDiff {
  return { nodes: { add: [], update: [], remove: [] }, edges: { add: [], update: [], remove: [] } };
}

/** Number of operations in a diff. */
export function diffSize(d: GraphDiff): number {
  return d.nodes.add.length + d.nodes.update.length + d.nodes.remove.length
    + d.edges.add.length + d.edges.update.length + d.edges.remove.length;
}

/** An empty state. */
export function emptyState(): GraphState {
  return { nodes: new Map(), edges: new Map() };
}

/** A state as graphology's serialized shape, nodes and edges sorted by key (stable output). */
export function serializeState(s: GraphState, attributes: Attrs = {}): SerializedGraph {
  const nodes = [...s.nodes.keys()].sort().map((key) => ({ key, attributes: s.nodes.get(key) as Attrs }));
  const edges = [...s.edges.keys()].sort().map((key) => s.edges.get(key) as EdgeEntry);
  return { attributes, options: { type: 'mixed', multi: true, allowSelfLoops: true }, nodes, edges };
}

/** Deep equality of two attribute values (JSON data only). */
export function sameValue(a: AttrValue | undefined, b: AttrValue | undefined): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  return JSON.stringify(a) === JSON.stringify(b);
}

/** The update that turns `prev` into `next` (changed and deleted attributes), or null if equal. */
export function attrsPatch(prev: Attrs, next: Attrs): Record<string, AttrValue | null> | null {
  let out: Record<string, AttrValue | null> | null = null;
  for (const k in next) {
    if (!sameValue(prev[k], next[k])) (out ??= {})[k] = next[k];
  }
  for (const k in prev) {
    if (!(k in next)) (out ??= {})[k] = null;
  }
  return out;
}

/** `attrs` with a patch applied (a new object). */
export function applyPatch(attrs: Attrs, patch: Record<string, AttrValue | null>): Attrs {
  const out: Attrs = { ...attrs };
  for (const k in patch) {
    const v = patch[k];
    if (v === null) delete out[k];
    else out[k] = v;
  }
  return out;
}
