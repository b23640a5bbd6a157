/**
 * What a client does with the server's messages, written down as code: it
 * holds the graph, applies a snapshot, then each diff in order (checking the
 * numbering), and refuses anything a graphology graph would refuse. Used by
 * the tests and the benchmark, and the model for other clients. Pure.
 */
import { applyPatch, type GraphDiff, type GraphState, type SerializedGraph, emptyState } from './types.js';

/** Why a message could not be applied. */
export type ReplicaError = { ok: false; code: 'GG_VIZ_SEQ_GAP' | 'GG_VIZ_DUPLICATE' | 'GG_VIZ_MISSING' | 'GG_VIZ_DANGLING'; detail: string };

/** A client's copy of its view. */
export class Replica {
  state: GraphState = emptyState();
  /** Sequence number of the last state applied; -1 before the first snapshot. */
  seq = -1;

  /** Replaces everything with a snapshot. */
  snapshot(seq: number, g: SerializedGraph): { ok: true } | ReplicaError {
    const s = emptyState();
    for (const n of g.nodes) {
      if (s.nodes.has(n.key)) return { ok: false, code: 'GG_VIZ_DUPLICATE', detail: `node ${n.key}` };
      s.nodes.set(n.key, n.attributes);
    }
    for (const e of g.edges) {
      if (s.edges.has(e.key)) return { ok: false, code: 'GG_VIZ_DUPLICATE', detail: `edge ${e.key}` };
      if (!s.nodes.has(e.source) || !s.nodes.has(e.target)) return { ok: false, code: 'GG_VIZ_MISSING', detail: `edge ${e.key} names a missing node` };
      s.edges.set(e.key, e);
    }
    this.state = s;
    this.seq = seq;
    return { ok: true };
  }

  /** Applies a diff numbered `prev` → `seq`, in the protocol's order. */
  diff(prev: number, seq: number, d: GraphDiff): { ok: true } | ReplicaError {
    if (prev !== this.seq) return { ok: false, code: 'GG_VIZ_SEQ_GAP', detail: `diff from ${prev}, replica at ${this.seq}` };
    const s = this.state;
    for (const k of d.edges.remove) if (!s.edges.delete(k)) return { ok: false, code: 'GG_VIZ_MISSING', detail: `remove of unknown edge ${k}` };
    for (const k of d.nodes.remove) if (!s.nodes.delete(k)) return { ok: false, code: 'GG_VIZ_MISSING', detail: `remove of unknown node ${k}` };
    if (d.nodes.remove.length) {
      const gone = new Set(d.nodes.remove);
      for (const e of s.edges.values()) if (gone.has(e.source) || gone.has(e.target)) return { ok: false, code: 'GG_VIZ_DANGLING', detail: `edge ${e.key} outlives its node` };
    }
    for (const n of d.nodes.add) {
      if (s.nodes.has(n.key)) return { ok: false, code: 'GG_VIZ_DUPLICATE', detail: `node ${n.key}` };
      s.nodes.set(n.key, n.attributes);
    }
    for (const u of d.nodes.update) {
      const a = s.nodes.get(u.key);
      if (!a) return { ok: false, code: 'GG_VIZ_MISSING', detail: `update of unknown node ${u.key}` };
      s.nodes.set(u.key, applyPatch(a, u.attributes));
    }
    for (const e of d.edges.add) {
      if (s.edges.has(e.key)) return { ok: false, code: 'GG_VIZ_DUPLICATE', detail: `edge ${e.key}` };
      if (!s.nodes.has(e.source) || !s.nodes.has(e.target)) return { ok: false, code: 'GG_VIZ_MISSING', detail: `edge ${e.key} names a missing node` };
      s.edges.set(e.key, e);
    }
    for (const u of d.edges.update) {
      const e = s.edges.get(u.key);
      if (!e) return { ok: false, code: 'GG_VIZ_MISSING', detail: `update of unknown edge ${u.key}` };
      s.edges.set(u.key, { ...e, attributes: applyPatch(e.attributes, u.attributes) });
    }
    this.seq = seq;
    return { ok: true };
  }
}
