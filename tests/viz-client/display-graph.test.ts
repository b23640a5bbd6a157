/**
 * The drawn subset of a view graph: everything while the view is small; in
 * a big view, the busiest links, every path, and every edge of a focused
 * node; always a subgraph of the view, kept so through diffs (the server's
 * own diffs between random states), its elements carrying the view's drawn
 * attributes and nothing else.
 */
import fc from 'fast-check';
import type { Attributes } from 'graphology-types';
import { describe, expect, test } from 'vitest';
import { diffStates } from '../../glougloud/views/diff.js';
import { type Attrs, type GraphState, serializeState } from '../../glougloud/views/types.js';
import { Batch, createViewGraph, GraphMirror } from '../../viz-client/src/graph/mirror.js';
import type { GraphDiff, SerializedGraph } from '../../viz-client/src/protocol/messages.js';
import { DisplayGraph } from '../../viz-client/src/render/display-graph.js';

/** Hooks that decorate like the page: drawn attributes derived from the server's (so a stale copy shows). */
const hooks = {
  node: (k: string, a: Attributes, added: boolean) => {
    const moved = !added && a.y !== Number(a.bytes_in ?? 0);
    a.x = k.length; a.y = Number(a.bytes_in ?? 0); a.size = 1 + (Number(a.bytes_in) || 0) % 7; a.color = `#${String(a.addr).length}00`; a.label = `${a.addr}`;
    return moved;
  },
  edge: (_k: string, a: Attributes) => { a.size = 1 + (Number(a.bps) || 0) / 50; a.color = a.kind === 'hop' ? '#f90' : '#09f'; a.type = a.kind === 'hop' ? 'arrow' : 'rect'; a.curvature = 0.2; },
  nodeRemoved: () => undefined,
  cleared: () => undefined,
};

const NODE_FIELDS = ['x', 'y', 'size', 'color', 'label', 'lat', 'lng'];
const EDGE_FIELDS = ['size', 'color', 'type', 'curvature'];
const pick = (a: Attributes, fields: string[]): Attributes => Object.fromEntries(fields.map((f) => [f, a[f]]));

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
  const m = new GraphMirror(createViewGraph(), hooks);
  const d = new DisplayGraph(m.graph, { lodEdges, maxDrawnEdges });
  const b = new Batch();
  m.snapshot(0, serializeState(s) as SerializedGraph, b);
  d.sync(b, new Batch());
  return { m, d };
}

/** The display graph is a subgraph of the view: all its nodes, some of its edges, same ends, the view's drawn attributes only. */
function checkSubgraph(m: GraphMirror, d: DisplayGraph): void {
  expect(d.graph.order).toBe(m.graph.order);
  m.graph.forEachNode((k, a) => {
    const drawn = d.graph.getNodeAttributes(k);
    expect(drawn).not.toBe(a);
    expect(pick(drawn, NODE_FIELDS), k).toEqual(pick(a, NODE_FIELDS));
    expect(Object.keys(drawn).every((f) => NODE_FIELDS.includes(f))).toBe(true);
  });
  d.graph.forEachEdge((k, a, s, t) => {
    expect(m.graph.hasEdge(k)).toBe(true);
    expect([m.graph.source(k), m.graph.target(k)]).toEqual([s, t]);
    expect(a).toEqual(pick(m.graph.getEdgeAttributes(k), EDGE_FIELDS));
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
    const links = d.graph.filterEdges((k) => m.graph.getEdgeAttribute(k, 'kind') === 'link');
    expect(links.length).toBe(100);
    expect(Math.min(...links.map((k) => m.graph.getEdgeAttribute(k, 'bps') as number))).toBe(200);
    expect(d.graph.filterEdges((k) => m.graph.getEdgeAttribute(k, 'kind') === 'hop').length).toBe(20);
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
    const nodeArb: fc.Arbitrary<Attrs> = fc.record({ bytes_in: fc.nat(3), lat: fc.option(fc.constantFrom(10, 20)) }).map(({ bytes_in, lat }) => (lat === null ? { bytes_in } : { bytes_in, lat, lng: 5 }) as Attrs);
    const stateArb = fc.tuple(fc.array(nodeArb, { minLength: 12, maxLength: 12 }), fc.array(fc.record({ a: fc.nat(11), b: fc.nat(11), bps: fc.nat(100), hop: fc.boolean() }), { maxLength: 40 })).map(([ns, es]) => {
      const s: GraphState = { nodes: new Map(keys.map((k, i) => [k, { addr: k, ...ns[i] }])), edges: new Map() };
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
