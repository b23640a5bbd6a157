/**
 * The drawn subset of a view graph: everything while the view is small; in
 * a big view, the busiest links, every path, and every edge of a focused
 * node; always a subgraph of the view, kept so through diffs (the server's
 * own diffs between random states), sharing attribute objects.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { diffStates } from '../../glougloud/views/diff.js';
import { type GraphState, serializeState } from '../../glougloud/views/types.js';
import { Batch, createViewGraph, GraphMirror } from '../../viz-client/src/graph/mirror.js';
import type { GraphDiff, SerializedGraph } from '../../viz-client/src/protocol/messages.js';
import { DisplayGraph } from '../../viz-client/src/render/display-graph.js';

const noHooks = { node: () => false, edge: () => undefined, nodeRemoved: () => undefined, cleared: () => undefined };

/** A star of `n` links from a hub (bps = index) plus `hops` paths. */
function star(n: number, hops: number): GraphState {
  const s: GraphState = { nodes: new Map([['hub', { addr: 'hub' }]]), edges: new Map() };
  for (let i = 0; i < n; i++) {
    s.nodes.set(`n${i}`, { addr: `n${i}` });
    s.edges.set(`hub|n${i}`, { key: `hub|n${i}`, source: 'hub', target: `n${i}`, undirected: true, attributes: { kind: 'link', bps: i } });
  }
  for (let i = 0; i < hops; i++) s.edges.set(`n${i}>n${i + 1}`, { key: `n${i}>n${i + 1}`, source: `n${i}`, target: `n${i + 1}`, undirected: false, attributes: { kind: 'hop' } });
  return s;
}

function setup(s: GraphState, lodEdges: number, maxDrawnEdges: number): { m: GraphMirror; d: DisplayGraph } {
  const m = new GraphMirror(createViewGraph(), noHooks);
  const d = new DisplayGraph(m.graph, { lodEdges, maxDrawnEdges });
  const b = new Batch();
  m.snapshot(0, serializeState(s) as SerializedGraph, b);
  d.sync(b, new Batch());
  return { m, d };
}

/** The display graph is a subgraph of the view: all its nodes, some of its edges, same ends and attributes. */
function checkSubgraph(m: GraphMirror, d: DisplayGraph): void {
  expect(d.graph.order).toBe(m.graph.order);
  m.graph.forEachNode((k, a) => expect(d.graph.getNodeAttributes(k)).toBe(a));
  d.graph.forEachEdge((k, a, s, t) => {
    expect(m.graph.hasEdge(k)).toBe(true);
    expect([m.graph.source(k), m.graph.target(k)]).toEqual([s, t]);
    expect(m.graph.getEdgeAttributes(k)).toBe(a);
  });
}

describe('DisplayGraph', () => {
  test('a small view is drawn whole', () => {
    const { m, d } = setup(star(100, 10), 5000, 5000);
    expect(d.threshold).toBeNull();
    expect(d.graph.size).toBe(m.graph.size);
    checkSubgraph(m, d);
  });

  test('a big view draws its busiest links and every path; a focused node gets all its edges', () => {
    const { m, d } = setup(star(300, 20), 200, 100);
    checkSubgraph(m, d);
    const links = d.graph.filterEdges((_k, a) => a.kind === 'link');
    expect(links.length).toBe(100);
    expect(Math.min(...links.map((k) => d.graph.getEdgeAttribute(k, 'bps') as number))).toBe(200);
    expect(d.graph.filterEdges((_k, a) => a.kind === 'hop').length).toBe(20);
    const focus = new Batch();
    d.setFocus(['hub', null], focus);
    expect(d.graph.degree('hub')).toBe(300);
    expect(focus.edgesAdded.size).toBe(200);
    const unfocus = new Batch();
    d.setFocus([null, null], unfocus);
    expect(d.graph.degree('hub')).toBe(100);
    expect(unfocus.edgesRemoved.size).toBe(200);
    checkSubgraph(m, d);
  });

  test('edges come into and leave the picture as their throughput crosses the threshold', () => {
    const { m, d } = setup(star(300, 0), 200, 100);
    const up = new Batch(), dup = new Batch();
    m.diff(0, 1, { nodes: { add: [], update: [], remove: [] }, edges: { add: [], update: [{ key: 'hub|n5', attributes: { bps: 1e6 } }, { key: 'hub|n299', attributes: { bps: 0 } }], remove: [] } }, up);
    d.sync(up, dup);
    expect(d.graph.hasEdge('hub|n5')).toBe(true);
    expect(d.graph.hasEdge('hub|n299')).toBe(false);
    expect([...dup.edgesAdded]).toEqual(['hub|n5']);
    expect([...dup.edgesRemoved]).toEqual(['hub|n299']);
  });

  test('through random server diffs it stays a subgraph holding exactly the edges it should', () => {
    const keys = Array.from({ length: 12 }, (_, i) => `h${i}`);
    const stateArb = fc.array(fc.record({ a: fc.nat(11), b: fc.nat(11), bps: fc.nat(100), hop: fc.boolean() }), { maxLength: 40 }).map((es) => {
      const s: GraphState = { nodes: new Map(keys.map((k) => [k, { addr: k }])), edges: new Map() };
      for (const e of es) {
        if (e.a === e.b) continue;
        const [x, y] = [keys[e.a], keys[e.b]];
        const key = e.hop ? `${x}>${y}` : x < y ? `${x}|${y}` : `${y}|${x}`;
        const [source, target] = e.hop || x < y ? [x, y] : [y, x];
        s.edges.set(key, { key, source, target, undirected: !e.hop, attributes: e.hop ? { kind: 'hop' } : { kind: 'link', bps: e.bps } });
      }
      return s;
    });
    fc.assert(fc.property(fc.array(stateArb, { minLength: 2, maxLength: 6 }), fc.constantFrom('h0', 'h3', null), (states, focus) => {
      const { m, d } = setup(states[0], 10, 5);
      d.setFocus([focus, null], new Batch());
      for (let i = 1; i < states.length; i++) {
        const b = new Batch();
        expect(m.diff(i - 1, i, diffStates(states[i - 1], states[i]) as unknown as GraphDiff, b)).toEqual({ ok: true });
        d.sync(b, new Batch());
        checkSubgraph(m, d);
        const t = d.threshold;
        m.graph.forEachEdge((k, a, s, tg) => {
          const want = t === null || s === focus || tg === focus || a.kind === 'hop' || (a.bps as number) >= t;
          expect(d.graph.hasEdge(k), k).toBe(want);
        });
      }
    }), { numRuns: 200 });
  });
});
