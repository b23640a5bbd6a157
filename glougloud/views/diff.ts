/**
 * Diffs between whole states (a client changing its configuration gets the
 * diff from its old view to the new one, not a reload) and the merging of
 * successive diffs for a client that cannot keep up: only the latest state
 * of each element is kept, so what waits for a slow client is bounded by the
 * size of its view, not by time. Pure.
 */
import {
  type AttrValue, type Attrs, applyPatch, attrsPatch, type AttrsUpdate, type EdgeEntry, emptyDiff, type GraphDiff,
  type GraphState, type NodeEntry,
} from './types.js';

/** The diff that turns `prev` into `next`. An edge whose ends changed is removed and added again. */
export function diffStates(prev: GraphState, next: GraphState): GraphDiff {
  const d = emptyDiff();
  for (const [k, e] of prev.edges) {
    const n = next.edges.get(k);
    if (!n || n.source !== e.source || n.target !== e.target || n.undirected !== e.undirected) d.edges.remove.push(k);
  }
  for (const k of prev.nodes.keys()) if (!next.nodes.has(k)) d.nodes.remove.push(k);
  for (const [k, attrs] of next.nodes) {
    const p = prev.nodes.get(k);
    if (!p) d.nodes.add.push({ key: k, attributes: attrs });
    else { const patch = attrsPatch(p, attrs); if (patch) d.nodes.update.push({ key: k, attributes: patch }); }
  }
  for (const [k, e] of next.edges) {
    const p = prev.edges.get(k);
    if (!p || p.source !== e.source || p.target !== e.target || p.undirected !== e.undirected) d.edges.add.push(e);
    else { const patch = attrsPatch(p.attributes, e.attributes); if (patch) d.edges.update.push({ key: k, attributes: patch }); }
  }
  return d;
}

type Patch = Record<string, AttrValue | null>;

/** What is pending for one element: removed (and perhaps added again), added, or only updated. */
type Op<E> = { removed: boolean; added: E | null; patch: Patch | null };

function mergePatch(into: Patch | null, p: Patch): Patch {
  return into ? { ...into, ...p } : { ...p };
}

class PendingKind<E extends { key: string; attributes: Attrs }> {
  readonly ops = new Map<string, Op<E>>();

  add(e: E): void {
    const o = this.ops.get(e.key);
    if (o) { o.added = e; o.patch = null; } else this.ops.set(e.key, { removed: false, added: e, patch: null });
  }

  update(u: AttrsUpdate): void {
    const o = this.ops.get(u.key);
    if (!o) { this.ops.set(u.key, { removed: false, added: null, patch: { ...u.attributes } }); return; }
    if (o.added) o.added = { ...o.added, attributes: applyPatch(o.added.attributes, u.attributes) };
    else o.patch = mergePatch(o.patch, u.attributes);
  }

  remove(key: string): void {
    const o = this.ops.get(key);
    // Added since the client last heard: it never saw it, nothing to remove.
    if (o && o.added && !o.removed) { this.ops.delete(key); return; }
    this.ops.set(key, { removed: true, added: null, patch: null });
  }

  into(c: { add: E[]; update: AttrsUpdate[]; remove: string[] }): void {
    for (const [key, o] of this.ops) {
      if (o.removed) c.remove.push(key);
      if (o.added) c.add.push(o.added);
      else if (o.patch) c.update.push({ key, attributes: o.patch });
    }
  }
}

/** Diffs merged for a client that is behind: latest state per element. */
export class PendingDiff {
  private nodes = new PendingKind<NodeEntry>();
  private edges = new PendingKind<EdgeEntry>();

  /** Number of elements with something pending. */
  get size(): number {
    return this.nodes.ops.size + this.edges.ops.size;
  }

  /** Folds the next diff in (diffs must come in order). */
  merge(d: GraphDiff): void {
    // Same order as a client applies them.
    for (const k of d.edges.remove) this.edges.remove(k);
    for (const k of d.nodes.remove) this.nodes.remove(k);
    for (const n of d.nodes.add) this.nodes.add(n);
    for (const u of d.nodes.update) this.nodes.update(u);
    for (const e of d.edges.add) this.edges.add(e);
    for (const u of d.edges.update) this.edges.update(u);
  }

  /** The merged diff; the pending set is emptied. */
  take(): GraphDiff {
    const d = emptyDiff();
    this.nodes.into(d.nodes);
    this.edges.into(d.edges);
    this.clear();
    return d;
  }

  /** Forgets everything (the client will get a fresh snapshot). */
  clear(): void {
    this.nodes = new PendingKind<NodeEntry>();
    this.edges = new PendingKind<EdgeEntry>();
  }
}
