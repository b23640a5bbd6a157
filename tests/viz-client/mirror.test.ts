/**
 * The browser's graph mirror against the server's own diff machinery: random
 * sequences of view states are diffed by glougloud (diffStates, and
 * PendingDiff's merged catch-up diffs), applied by GraphMirror to a real
 * graphology graph, and the graph must equal the state every time. Bad
 * numbering and inconsistent diffs are refused with their codes.
 */
import fc from 'fast-check';
import type { Attributes } from 'graphology-types';
import { describe, expect, test } from 'vitest';
import { diffStates, PendingDiff } from '../../glougloud/views/diff.js';
import { type GraphState, serializeState } from '../../glougloud/views/types.js';
import { Batch, createViewGraph, GraphMirror, type MirrorHooks, type ViewGraph } from '../../viz-client/src/graph/mirror.js';
import type { GraphDiff as ClientDiff, SerializedGraph as ClientGraph } from '../../viz-client/src/protocol/messages.js';

const DISPLAY = ['x', 'y', 'size', 'color', 'label', 'type', 'curvature'];

/** Hooks that decorate like the page does (display attributes added), so the comparison must ignore them. */
function hooks(log: string[] = []): MirrorHooks {
  return {
    node: (k, a, added) => { a.x = 1; a.y = 2; a.size = 3; a.color = '#fff'; a.label = k; log.push(`${added ? '+' : '~'}n:${k}`); return false; },
    edge: (k, a, added) => { a.size = 1; a.color = '#000'; a.type = 'line'; log.push(`${added ? '+' : '~'}e:${k}`); },
    nodeRemoved: (k) => { log.push(`-n:${k}`); },
    cleared: () => { log.push('clear'); },
  };
}

function strip(a: Attributes): Attributes {
  const out: Attributes = {};
  for (const [k, v] of Object.entries(a)) if (!DISPLAY.includes(k)) out[k] = v;
  return out;
}

/** The graph as a state, display attributes removed. */
function stateOf(g: ViewGraph): GraphState {
  const s: GraphState = { nodes: new Map(), edges: new Map() };
  g.forEachNode((k, a) => s.nodes.set(k, strip(a) as never));
  g.forEachEdge((k, a, source, target, _sa, _ta, undirected) => s.edges.set(k, { key: k, source, target, undirected, attributes: strip(a) as never }));
  return s;
}

/** JSON with object keys sorted (attribute order carries no meaning). */
const canon = (s: GraphState): string => JSON.stringify(serializeState(s), (_k, x: unknown) => (x && typeof x === 'object' && !Array.isArray(x)
  ? Object.fromEntries(Object.entries(x as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : x));

const NODE_KEYS = ['10.0.0.1', '10.0.0.2', '192.0.2.7', '2001:db8::1', '8.8.8.8', '1.1.1.1'];

/** A random view state: some nodes with attributes, links (undirected) and hops (directed) between present nodes. */
const stateArb: fc.Arbitrary<GraphState> = fc.record({
  nodes: fc.subarray(NODE_KEYS, { minLength: 0 }),
  attrs: fc.array(fc.record({ bytes_in: fc.nat(1e9), country: fc.constantFrom('FR', 'US', 'DE'), last: fc.nat(), lat: fc.double({ min: -80, max: 80, noNaN: true }) }, { requiredKeys: ['bytes_in'] }), { minLength: 6, maxLength: 6 }),
  edges: fc.array(fc.record({ a: fc.nat(5), b: fc.nat(5), hop: fc.boolean(), bps: fc.nat(1e7) }), { maxLength: 12 }),
}).map(({ nodes, attrs, edges }) => {
  const s: GraphState = { nodes: new Map(), edges: new Map() };
  nodes.forEach((k, i) => s.nodes.set(k, { addr: k, ...attrs[i] }));
  for (const e of edges) {
    if (nodes.length === 0) break;
    const a = nodes[e.a % nodes.length], b = nodes[e.b % nodes.length];
    const key = e.hop ? `${a}>${b}` : a <= b ? `${a}|${b}` : `${b}|${a}`;
    const [source, target] = e.hop || a <= b ? [a, b] : [b, a];
    s.edges.set(key, { key, source, target, undirected: !e.hop, attributes: e.hop ? { kind: 'hop', paths: 1 } : { kind: 'link', bps: e.bps, bytes: e.bps * 3 } });
  }
  return s;
});

describe('GraphMirror', () => {
  test('a snapshot then server diffs keep the graph equal to every state', () => {
    fc.assert(fc.property(fc.array(stateArb, { minLength: 2, maxLength: 8 }), (states) => {
      const m = new GraphMirror(createViewGraph(), hooks());
      expect(m.snapshot(0, serializeState(states[0]) as ClientGraph, new Batch())).toEqual({ ok: true });
      expect(canon(stateOf(m.graph))).toBe(canon(states[0]));
      for (let i = 1; i < states.length; i++) {
        const d = diffStates(states[i - 1], states[i]) as unknown as ClientDiff;
        const r = m.diff(i - 1, i, d, new Batch());
        expect(r).toEqual({ ok: true });
        expect(canon(stateOf(m.graph))).toBe(canon(states[i]));
      }
      expect(m.seq).toBe(states.length - 1);
    }), { numRuns: 300 });
  });

  test('a merged catch-up diff (PendingDiff) brings the graph from the first state to the last', () => {
    fc.assert(fc.property(fc.array(stateArb, { minLength: 2, maxLength: 8 }), (states) => {
      const m = new GraphMirror(createViewGraph(), hooks());
      m.snapshot(3, serializeState(states[0]) as ClientGraph, new Batch());
      const p = new PendingDiff();
      for (let i = 1; i < states.length; i++) p.merge(diffStates(states[i - 1], states[i]));
      expect(m.diff(3, 9, p.take() as unknown as ClientDiff, new Batch())).toEqual({ ok: true });
      expect(canon(stateOf(m.graph))).toBe(canon(states[states.length - 1]));
    }), { numRuns: 300 });
  });

  test('the batch lists what changed, and updates are applied in place (no graph events)', () => {
    const m = new GraphMirror(createViewGraph(), hooks());
    const a = { nodes: new Map([['a', { bytes_in: 1 }], ['b', { bytes_in: 2 }]]), edges: new Map([['a|b', { key: 'a|b', source: 'a', target: 'b', undirected: true, attributes: { kind: 'link', bps: 0, bytes: 1 } }]]) } as GraphState;
    const b = { nodes: new Map([['a', { bytes_in: 5 }], ['c', { bytes_in: 1 }]]), edges: new Map() } as GraphState;
    const c = { nodes: new Map([['a', { bytes_in: 5 }], ['c', { bytes_in: 1 }]]), edges: new Map([['a|c', { key: 'a|c', source: 'a', target: 'c', undirected: true, attributes: { kind: 'link', bps: 10, bytes: 2 } }]]) } as GraphState;
    m.snapshot(0, serializeState(a) as ClientGraph, new Batch());
    let events = 0;
    m.graph.on('nodeAttributesUpdated', () => events++);
    m.graph.on('edgeAttributesUpdated', () => events++);
    const b1 = new Batch();
    expect(m.diff(0, 1, diffStates(a, b) as unknown as ClientDiff, b1)).toEqual({ ok: true });
    expect([...b1.nodesAdded]).toEqual(['c']);
    expect([...b1.nodesRemoved]).toEqual(['b']);
    expect([...b1.nodesUpdated]).toEqual(['a']);
    expect([...b1.edgesRemoved]).toEqual(['a|b']);
    expect(b1.structural).toBe(true);
    const cd = diffStates(c, { ...c, edges: new Map([['a|c', { ...c.edges.get('a|c')!, attributes: { kind: 'link', bps: 20, bytes: 9 } }]]) }) as unknown as ClientDiff;
    const b2 = new Batch();
    m.diff(1, 2, diffStates(b, c) as unknown as ClientDiff, b2);
    const b3 = new Batch();
    m.diff(2, 3, cd, b3);
    expect(b3.structural).toBe(false);
    expect([...b3.edgesUpdated]).toEqual(['a|c']);
    expect([...b3.edgesActive]).toEqual(['a|c']);
    expect(m.graph.getEdgeAttribute('a|c', 'bps')).toBe(20);
    expect(events).toBe(0);
  });

  test('an attribute set to null is deleted', () => {
    const m = new GraphMirror(createViewGraph(), hooks());
    m.snapshot(0, { nodes: [{ key: 'a', attributes: { name: 'x.example', bytes_in: 1 } }], edges: [] }, new Batch());
    m.diff(0, 1, { nodes: { add: [], update: [{ key: 'a', attributes: { name: null, bytes_in: 2 } }], remove: [] }, edges: { add: [], update: [], remove: [] } }, new Batch());
    expect(m.graph.getNodeAttribute('a', 'name')).toBeUndefined();
    expect(m.graph.getNodeAttribute('a', 'bytes_in')).toBe(2);
  });

  const empty = (): ClientDiff => ({ nodes: { add: [], update: [], remove: [] }, edges: { add: [], update: [], remove: [] } });

  test('refuses what a consistent server never sends, with stable codes', () => {
    const fresh = (): GraphMirror => {
      const m = new GraphMirror(createViewGraph(), hooks());
      m.snapshot(5, { nodes: [{ key: 'a', attributes: {} }, { key: 'b', attributes: {} }], edges: [{ key: 'a|b', source: 'a', target: 'b', undirected: true, attributes: {} }] }, new Batch());
      return m;
    };
    expect(fresh().diff(4, 6, empty(), new Batch())).toMatchObject({ ok: false, code: 'GG_VC_SEQ_GAP' });
    expect(fresh().diff(6, 7, empty(), new Batch())).toMatchObject({ ok: false, code: 'GG_VC_SEQ_GAP' });
    expect(fresh().diff(5, 6, { ...empty(), nodes: { add: [{ key: 'a', attributes: {} }], update: [], remove: [] } }, new Batch())).toMatchObject({ ok: false, code: 'GG_VC_DUPLICATE' });
    expect(fresh().diff(5, 6, { ...empty(), nodes: { add: [], update: [{ key: 'z', attributes: {} }], remove: [] } }, new Batch())).toMatchObject({ ok: false, code: 'GG_VC_MISSING' });
    expect(fresh().diff(5, 6, { ...empty(), nodes: { add: [], update: [], remove: ['z'] } }, new Batch())).toMatchObject({ ok: false, code: 'GG_VC_MISSING' });
    expect(fresh().diff(5, 6, { ...empty(), edges: { add: [{ key: 'a|z', source: 'a', target: 'z', undirected: true, attributes: {} }], update: [], remove: [] } }, new Batch())).toMatchObject({ ok: false, code: 'GG_VC_MISSING' });
    expect(fresh().diff(5, 6, { ...empty(), nodes: { add: [], update: [], remove: ['a'] } }, new Batch())).toMatchObject({ ok: false, code: 'GG_VC_DANGLING' });
    expect(fresh().diff(5, 6, { ...empty(), edges: { add: [], update: [], remove: ['x|y'] } }, new Batch())).toMatchObject({ ok: false, code: 'GG_VC_MISSING' });
    const dup = new GraphMirror(createViewGraph(), hooks());
    expect(dup.snapshot(0, { nodes: [{ key: 'a', attributes: {} }, { key: 'a', attributes: {} }], edges: [] }, new Batch())).toMatchObject({ ok: false, code: 'GG_VC_DUPLICATE' });
  });

  test('hooks see nodes before sigma would: new elements decorated before they are added, removals announced', () => {
    const log: string[] = [];
    const m = new GraphMirror(createViewGraph(), hooks(log));
    m.graph.on('nodeAdded', ({ key, attributes }) => { log.push(`added ${key} at ${attributes.x},${attributes.y}`); });
    m.snapshot(0, { nodes: [{ key: 'a', attributes: {} }], edges: [] }, new Batch());
    m.diff(0, 1, { ...empty(), nodes: { add: [{ key: 'b', attributes: {} }], update: [], remove: ['a'] } }, new Batch());
    expect(log).toEqual(['clear', '+n:a', 'added a at 1,2', '-n:a', '+n:b', 'added b at 1,2']);
  });
});
