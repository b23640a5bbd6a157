/**
 * A client's backlog (glougloud/viz-server/backlog.ts): what a client behind
 * is owed. The property drives the server's own backlog with random live
 * changes, configuration changes and socket levels, applies what it says to
 * send as a client would, and checks that whenever the client has caught up
 * it holds exactly a fresh snapshot, and that what waits for it stays bounded.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { validateViewConfig, viewKey, type ViewConfig } from '../../../glougloud/views/config.js';
import { diffStates } from '../../../glougloud/views/diff.js';
import { referenceState } from '../../../glougloud/views/reference.js';
import { Replica } from '../../../glougloud/views/replica.js';
import { SourceGraph } from '../../../glougloud/views/source.js';
import { emptyDiff, type GraphDiff, serializeState } from '../../../glougloud/views/types.js';
import { View } from '../../../glougloud/views/view.js';
import { Backlog, type BacklogLimits } from '../../../glougloud/viz-server/backlog.js';
import { configArb, opArb, recordOf, T0 } from './view-model.js';

const LIMITS: BacklogLimits = { highWaterBytes: 1000, lowWaterBytes: 100, maxPendingOps: 4, maxLagMs: 30_000, maxResetsPerMinute: 3 };

/** A diff adding `n` lone nodes named from `from`. */
function adds(from: number, n: number): GraphDiff {
  const d = emptyDiff();
  for (let i = 0; i < n; i++) d.nodes.add.push({ key: `n${from + i}`, attributes: {} });
  return d;
}

describe('backlog', () => {
  test('sends while the socket is below the high-water mark; merges above; catches up below the low-water mark', () => {
    const b = new Backlog(LIMITS);
    b.snapshotSent(3);
    expect(b.offer(3, 4, adds(0, 1), 1000, 0)).toBe(true);
    expect(b.seq).toBe(4);
    expect(b.offer(4, 5, adds(1, 1), 1001, 10)).toBe(false);
    expect(b.offer(5, 6, adds(2, 1), 0, 20)).toBe(false);
    expect([b.lagging, b.seq, b.head, b.pendingOps]).toEqual([true, 4, 6, 2]);
    // Between the marks: still waiting.
    expect(b.service(6, 500, 30)).toEqual({ do: 'none' });
    const c = b.service(6, 100, 40);
    expect(c).toMatchObject({ do: 'diff', prev: 4, seq: 6 });
    expect((c as { diff: GraphDiff }).diff.nodes.add.map((n) => n.key)).toEqual(['n1', 'n2']);
    expect([b.lagging, b.seq, b.pendingOps]).toEqual([false, 6, 0]);
    expect(b.service(6, 0, 50)).toEqual({ do: 'none' });
  });

  test('too much merged: dropped for a snapshot, the reset counted', () => {
    let resets = 0;
    const b = new Backlog(LIMITS, () => resets++);
    expect(b.offer(0, 1, adds(0, 3), 5000, 0)).toBe(false);
    expect(b.offer(1, 2, adds(3, 3), 5000, 1)).toBe(false);
    expect([resets, b.pendingOps]).toEqual([1, 0]);
    expect(b.offer(2, 3, adds(6, 1), 5000, 2)).toBe(false);
    expect(b.pendingOps).toBe(0);
    expect(b.service(3, 0, 3)).toEqual({ do: 'snapshot', seq: 3 });
    expect([b.lagging, b.seq]).toEqual([false, 3]);
  });

  test('a break in the numbering, or a view that moved without it, gets a snapshot', () => {
    const gap = new Backlog(LIMITS);
    expect(gap.offer(2, 3, adds(0, 1), 0, 0)).toBe(false);
    expect(gap.service(3, 0, 1)).toEqual({ do: 'snapshot', seq: 3 });
    const moved = new Backlog(LIMITS);
    expect(moved.offer(0, 1, adds(0, 1), 5000, 0)).toBe(false);
    expect(moved.service(2, 0, 1)).toEqual({ do: 'snapshot', seq: 2 });
  });

  test('behind for too long, or reset too often: closed', () => {
    const slow = new Backlog(LIMITS);
    expect(slow.offer(0, 1, adds(0, 1), 5000, 0)).toBe(false);
    expect(slow.service(1, 5000, LIMITS.maxLagMs)).toEqual({ do: 'none' });
    expect(slow.service(1, 0, LIMITS.maxLagMs + 1)).toEqual({ do: 'close' });
    const flappy = new Backlog(LIMITS);
    let seq = 0;
    for (let i = 0; i <= LIMITS.maxResetsPerMinute; i++) {
      expect(flappy.offer(seq, seq + 1, adds(0, 10), 5000, i * 1000)).toBe(false);
      seq++;
      const want = i < LIMITS.maxResetsPerMinute ? { do: 'snapshot', seq } : { do: 'close' };
      expect(flappy.service(seq, 0, i * 1000 + 1)).toEqual(want);
    }
    // Resets older than a minute no longer count.
    const patient = new Backlog(LIMITS);
    for (let i = 0; i < 6; i++) {
      patient.offer(i, i + 1, adds(0, 10), 5000, i * 30_000);
      expect(patient.service(i + 1, 0, i * 30_000 + 1)).toEqual({ do: 'snapshot', seq: i + 1 });
    }
  });
});

function config(raw: unknown): ViewConfig {
  const r = validateViewConfig(raw, { modules: null, probes: null });
  if (!r.ok) throw new Error(r.detail);
  return r.config;
}

interface Client { view: View; backlog: Backlog; replica: Replica }

/** Socket levels: empty, between the marks, above the high-water mark. */
const level = fc.constantFrom(0, 0, 500, 5000);

describe('a client behind catches up to exactly a fresh snapshot', () => {
  test('random changes, configuration changes and socket levels', () => {
    const limits = { ...LIMITS, maxLagMs: Number.MAX_SAFE_INTEGER, maxResetsPerMinute: Number.MAX_SAFE_INTEGER };
    fc.assert(fc.property(
      fc.array(configArb, { minLength: 1, maxLength: 3 }),
      fc.array(fc.oneof(
        { weight: 6, arbitrary: fc.record({ kind: fc.constant('tick' as const), ops: fc.array(opArb, { minLength: 1, maxLength: 6 }), levels: fc.array(level, { minLength: 3, maxLength: 3 }) }) },
        { weight: 1, arbitrary: fc.record({ kind: fc.constant('config' as const), i: fc.nat(2), c: configArb, level }) },
      ), { minLength: 1, maxLength: 30 }),
      (configs, steps) => {
        const source = new SourceGraph();
        let now = T0;
        const applied = (r: { ok: boolean }, where: string): void => { expect(r, where).toEqual({ ok: true }); };
        const clients: Client[] = configs.map((raw) => {
          const view = View.build(config(raw), source, now);
          const c = { view, backlog: new Backlog(limits), replica: new Replica() };
          applied(c.replica.snapshot(view.seq, serializeState(view.state)), 'snapshot');
          c.backlog.snapshotSent(view.seq);
          return c;
        });
        const serve = (c: Client, buffered: number, where: string): void => {
          const a = c.backlog.service(c.view.seq, buffered, now);
          if (a.do === 'snapshot') applied(c.replica.snapshot(a.seq, serializeState(c.view.state)), `${where}: reset snapshot`);
          else if (a.do === 'diff') applied(c.replica.diff(a.prev, a.seq, a.diff), `${where}: catch-up diff`);
          else expect(a.do, where).toBe('none');
        };
        const check = (where: string): void => {
          for (const c of clients) {
            expect(c.backlog.pendingOps, `${where}: bounded`).toBeLessThanOrEqual(limits.maxPendingOps);
            if (c.backlog.lagging) continue;
            expect(c.replica.seq).toBe(c.view.seq);
            expect(serializeState(c.replica.state), `${where}: caught up`).toEqual(serializeState(referenceState(c.view.config, source, now)));
          }
        };
        for (const [n, step] of steps.entries()) {
          if (step.kind === 'tick') {
            const records = [];
            for (const mk of step.ops) {
              const o = mk(now);
              if (o.op === 'time') { now += o.dt; continue; }
              const r = recordOf(o);
              if (r) records.push(r);
            }
            const touched = source.apply(records);
            for (const [i, c] of clients.entries()) {
              const prev = c.view.seq;
              const d = c.view.apply(touched, now);
              if (c.view.seq !== prev && c.backlog.offer(prev, c.view.seq, d, step.levels[i], now)) {
                applied(c.replica.diff(prev, c.view.seq, d), `step ${n}: diff`);
              }
              serve(c, step.levels[(i + 1) % 3], `step ${n}`);
            }
          } else {
            const c = clients[step.i % clients.length];
            const next = config(step.c);
            if (viewKey(next) === viewKey(c.view.config)) {
              if (!c.backlog.lagging) applied(c.replica.diff(c.backlog.seq, c.backlog.seq, emptyDiff()), `step ${n}: same config`);
            } else {
              const v = View.build(next, source, now);
              const prev = c.backlog.seq, d = diffStates(c.view.state, v.state);
              if (c.backlog.offer(c.backlog.head, v.seq, d, step.level, now)) applied(c.replica.diff(prev, v.seq, d), `step ${n}: config diff`);
              c.view = v;
            }
          }
          check(`step ${n}`);
        }
        for (const c of clients) serve(c, 0, 'end');
        check('end');
      },
    ), { numRuns: 150 });
  }, 60_000);
});
