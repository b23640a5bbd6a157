/** The pure pieces views are built from: top-N selection, expiry, whole-state diffs and merged pending diffs. */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { diffStates, PendingDiff } from '../../../glougloud/views/diff.js';
import { ExpiryQueue } from '../../../glougloud/views/expiry.js';
import { Replica } from '../../../glougloud/views/replica.js';
import { TopN } from '../../../glougloud/views/topn.js';
import { emptyState, type GraphState, serializeState } from '../../../glougloud/views/types.js';

describe('TopN', () => {
  test('keeps exactly the best `limit` by score then key, whatever the order of changes', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 6 }), fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'), fc.option(fc.integer({ min: 0, max: 5 }))), { maxLength: 80 }), (limit, ops) => {
      const t = new TopN(limit);
      const scores = new Map<string, number>();
      const kept = new Set<string>();
      for (const [i, [k, s]] of ops.entries()) {
        t.set(k, s);
        if (s === null) scores.delete(k); else scores.set(k, s);
        if (i % 3 === 0) {
          const { entered, left } = t.settle();
          for (const x of entered) kept.add(x);
          for (const x of left) kept.delete(x);
          const want = [...scores].sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1)).slice(0, limit).map(([x]) => x).sort();
          expect([...t.keys()].sort()).toEqual(want);
          expect([...kept].sort()).toEqual(want);
        }
      }
    }), { numRuns: 300 });
  });
});

describe('ExpiryQueue', () => {
  test('pops each id once, at its earliest deadline', () => {
    const q = new ExpiryQueue();
    q.schedule('a', 10); q.schedule('b', 5); q.schedule('a', 20); q.schedule('c', 7); q.schedule('c', 3);
    expect(q.popDue(4)).toEqual(['c']);
    expect(q.popDue(10).sort()).toEqual(['a', 'b']);
    expect(q.popDue(100)).toEqual([]);
    expect(q.size).toBe(0);
  });
});

const state = (nodes: Record<string, object>, edges: [string, string, string, object][]): GraphState => {
  const s = emptyState();
  for (const [k, a] of Object.entries(nodes)) s.nodes.set(k, a as never);
  for (const [k, source, target, a] of edges) s.edges.set(k, { key: k, source, target, undirected: true, attributes: a as never });
  return s;
};

describe('diffs', () => {
  test('whole-state diff: adds, changed attributes only (null deletes), removes', () => {
    const a = state({ x: { n: 1, gone: true }, y: { n: 2 } }, [['x|y', 'x', 'y', { b: 1 }]]);
    const b = state({ x: { n: 1 }, z: { n: 3 } }, [['x|z', 'x', 'z', { b: 2 }]]);
    const d = diffStates(a, b);
    expect(d.nodes).toEqual({ add: [{ key: 'z', attributes: { n: 3 } }], update: [{ key: 'x', attributes: { gone: null } }], remove: ['y'] });
    expect(d.edges.remove).toEqual(['x|y']);
    const r = new Replica();
    r.snapshot(0, serializeState(a));
    expect(r.diff(0, 1, d)).toEqual({ ok: true });
    expect(serializeState(r.state)).toEqual(serializeState(b));
  });

  test('merged pending diffs take a replica to the same state as the diffs one by one', () => {
    const states = [
      state({ a: { v: 1 } }, []),
      state({ a: { v: 2 }, b: { v: 1 } }, [['a|b', 'a', 'b', { w: 1 }]]),
      state({ b: { v: 1 } }, []),
      state({ a: { v: 9 }, b: { v: 2 } }, [['a|b', 'a', 'b', { w: 5 }]]),
      state({ a: { v: 9 }, c: {} }, [['a|c', 'a', 'c', {}]]),
    ];
    const p = new PendingDiff();
    for (let i = 1; i < states.length; i++) p.merge(diffStates(states[i - 1], states[i]));
    const r = new Replica();
    r.snapshot(0, serializeState(states[0]));
    expect(r.diff(0, 4, p.take())).toEqual({ ok: true });
    expect(serializeState(r.state)).toEqual(serializeState(states[4]));
    expect(p.size).toBe(0);
  });

  test('the replica refuses gaps, duplicates and dangling edges', () => {
    const r = new Replica();
    r.snapshot(3, serializeState(state({ a: {} }, [])));
    const empty = diffStates(emptyState(), emptyState());
    expect(r.diff(2, 4, empty)).toMatchObject({ ok: false, code: 'GG_VIZ_SEQ_GAP' });
    expect(r.diff(3, 4, { ...empty, nodes: { add: [{ key: 'a', attributes: {} }], update: [], remove: [] } })).toMatchObject({ code: 'GG_VIZ_DUPLICATE' });
    const r2 = new Replica();
    r2.snapshot(0, serializeState(state({ a: {}, b: {} }, [['a|b', 'a', 'b', {}]])));
    expect(r2.diff(0, 1, { ...empty, nodes: { add: [], update: [], remove: ['a'] } })).toMatchObject({ code: 'GG_VIZ_DANGLING' });
  });
});
