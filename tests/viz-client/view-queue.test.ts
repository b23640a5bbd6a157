/**
 * Between the socket and the graph: the server's messages wait for the next
 * frame and are applied as one batch (the diffs of several ticks, in order,
 * through the real mirror, give the state the last one describes); a
 * snapshot supersedes what waits; a paused page holds a bounded amount and
 * then asks for a reload; the frame budget spaces out batches whose frames
 * are slow and lets cheap ones through every frame.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { diffStates } from '../../glougloud/views/diff.js';
import { type GraphState, serializeState } from '../../glougloud/views/types.js';
import { Batch, createViewGraph, GraphMirror } from '../../viz-client/src/graph/mirror.js';
import { FrameBudget, messageOps, type ViewMessage, ViewQueue } from '../../viz-client/src/graph/view-queue.js';
import type { GraphDiff, SerializedGraph } from '../../viz-client/src/protocol/messages.js';

const noHooks = { node: () => false, edge: () => undefined, nodeRemoved: () => undefined, cleared: () => undefined };

function state(nodes: Record<string, number>): GraphState {
  return { nodes: new Map(Object.entries(nodes).map(([k, v]) => [k, { addr: k, bytes_in: v }])), edges: new Map() };
}

function snapshot(seq: number, s: GraphState): ViewMessage {
  return { type: 'snapshot', seq, reason: 'config', config: {}, graph: serializeState(s) as SerializedGraph };
}

function diff(prev: number, seq: number, a: GraphState, b: GraphState): ViewMessage {
  return { type: 'diff', prev, seq, ...(diffStates(a, b) as unknown as GraphDiff) };
}

/** What a frame does: everything waiting, applied in order, in one batch. */
function applyFrame(q: ViewQueue, m: GraphMirror): Batch {
  const b = new Batch();
  for (const msg of q.take()) {
    const r = msg.type === 'snapshot' ? m.snapshot(msg.seq, msg.graph, b) : m.diff(msg.prev, msg.seq, msg, b);
    expect(r).toEqual({ ok: true });
  }
  return b;
}

const nodesOf = (m: GraphMirror): Record<string, unknown> => Object.fromEntries(m.graph.mapNodes((k, a) => [k, a.bytes_in]));

describe('ViewQueue', () => {
  test('the diffs of several ticks wait for one frame and apply as one batch, in order', () => {
    const q = new ViewQueue(), m = new GraphMirror(createViewGraph(), noHooks);
    const s = [state({ a: 1 }), state({ a: 2, b: 1 }), state({ b: 2, c: 1 }), state({ b: 3, c: 1, d: 9 })];
    q.push(snapshot(0, s[0]), false);
    applyFrame(q, m);
    for (let i = 1; i < s.length; i++) q.push(diff(i - 1, i, s[i - 1], s[i]), false);
    expect(q.length).toBe(3);
    expect(q.pendingOps).toBe([1, 2, 3].reduce((n, i) => n + messageOps(diff(i - 1, i, s[i - 1], s[i])), 0));
    const b = applyFrame(q, m);
    expect(q.length).toBe(0);
    expect(m.seq).toBe(3);
    expect(nodesOf(m)).toEqual({ b: 3, c: 1, d: 9 });
    // One batch names every change of the three ticks.
    expect([...b.nodesRemoved].sort()).toEqual(['a']);
    expect([...b.nodesAdded].sort()).toEqual(['b', 'c', 'd']);
  });

  test('a snapshot supersedes whatever waits', () => {
    const q = new ViewQueue(), m = new GraphMirror(createViewGraph(), noHooks);
    q.push(snapshot(0, state({ a: 1 })), false);
    q.push(diff(0, 1, state({ a: 1 }), state({ a: 2 })), false);
    q.push(snapshot(7, state({ z: 5 })), false);
    expect(q.length).toBe(1);
    applyFrame(q, m);
    expect([m.seq, nodesOf(m)]).toEqual([7, { z: 5 }]);
  });

  test('paused: diffs wait up to the bound; past it they are dropped, later ones ignored, until a snapshot reloads the view', () => {
    const q = new ViewQueue(10), m = new GraphMirror(createViewGraph(), noHooks);
    q.push(snapshot(0, state({})), true);
    applyFrame(q, m);
    let prev = state({}), seq = 0;
    const all: Record<string, number> = {};
    // Each tick adds n nodes (n operations).
    const next = (n: number): ViewMessage => {
      for (let i = 0; i < n; i++) all[`n${seq}-${i}`] = i;
      const s = state(all);
      const d = diff(seq, seq + 1, prev, s);
      prev = s;
      seq++;
      return d;
    };
    q.push(next(4), true);
    q.push(next(4), true);
    expect([q.length, q.reloadNeeded]).toEqual([2, false]);
    q.push(next(4), true);
    expect([q.length, q.pendingOps, q.reloadNeeded]).toEqual([0, 0, true]);
    q.push(next(1), true);
    expect(q.length).toBe(0);
    q.push(snapshot(9, prev), false);
    expect([q.length, q.reloadNeeded]).toEqual([1, false]);
    applyFrame(q, m);
    expect(m.seq).toBe(9);
  });

  test('not paused, nothing is dropped however much waits (the next frame takes it all)', () => {
    const q = new ViewQueue(10);
    q.push(snapshot(0, state({})), false);
    for (let i = 0; i < 5; i++) q.push(diff(i, i + 1, state({}), state({ [`x${i}`]: 1, [`y${i}`]: 1, [`z${i}`]: 1 })), false);
    expect([q.length, q.reloadNeeded]).toEqual([6, false]);
  });
});

describe('FrameBudget', () => {
  test('cheap frames: a batch every frame', () => {
    const b = new FrameBudget();
    let t = 0;
    for (let i = 0; i < 100; i++) {
      expect(b.ready(t)).toBe(true);
      b.measured(t, t + 16.7);
      t += 16.7;
    }
  });

  test('slow frames: the next batch waits about twice the excess, never more than the cap', () => {
    fc.assert(fc.property(fc.double({ min: 40, max: 5000, noNaN: true }), (cost) => {
      const b = new FrameBudget(16, 2000);
      let t = 0;
      for (let i = 0; i < 30; i++) { b.measured(t, t + cost); t += cost; }
      const wait = Math.min(2000, 2 * (cost - 20));
      expect(b.frameCost).toBeCloseTo(cost, 1);
      expect(b.ready(t + wait - 1)).toBe(false);
      expect(b.ready(t + wait + 1)).toBe(true);
    }), { numRuns: 100 });
  });
});
