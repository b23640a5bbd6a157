/**
 * The consistency promise: a client that applies its snapshot and every diff
 * (including diffs between configurations, and merged diffs while it was
 * slow) holds exactly what a fresh snapshot with the same configuration gives.
 * Random live-state changes, time steps and configuration changes; after each
 * step every client is compared with the view computed from scratch.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { validateViewConfig, type ViewConfig } from '../../../glougloud/views/config.js';
import { diffStates, PendingDiff } from '../../../glougloud/views/diff.js';
import { referenceState } from '../../../glougloud/views/reference.js';
import { Replica } from '../../../glougloud/views/replica.js';
import { SourceGraph } from '../../../glougloud/views/source.js';
import { serializeState, type GraphState } from '../../../glougloud/views/types.js';
import { View } from '../../../glougloud/views/view.js';
import { configArb, opArb, recordOf, T0 } from './view-model.js';

function canon(s: GraphState): unknown {
  return serializeState(s);
}

function config(raw: unknown): ViewConfig {
  const r = validateViewConfig(raw, { modules: null, probes: null });
  if (!r.ok) throw new Error(r.detail);
  return r.config;
}

interface Client { view: View; replica: Replica; slow: boolean; pending: PendingDiff; pendingSeq: number }

describe('views stay consistent with a fresh snapshot', () => {
  test('random changes, time steps, config changes and slow clients', () => {
    fc.assert(fc.property(
      fc.array(configArb, { minLength: 1, maxLength: 3 }),
      fc.array(fc.oneof(
        { weight: 8, arbitrary: fc.array(opArb, { minLength: 1, maxLength: 6 }).map((ops) => ({ kind: 'tick' as const, ops })) },
        { weight: 1, arbitrary: fc.tuple(fc.nat(2), configArb).map(([i, c]) => ({ kind: 'config' as const, i, c })) },
        { weight: 1, arbitrary: fc.tuple(fc.nat(2), fc.boolean()).map(([i, slow]) => ({ kind: 'slow' as const, i, slow })) },
      ), { minLength: 1, maxLength: 30 }),
      (configs, steps) => {
        const source = new SourceGraph();
        let now = T0;
        const clients: Client[] = configs.map((c) => {
          const view = View.build(config(c), source, now);
          const replica = new Replica();
          replica.snapshot(view.seq, serializeState(view.state));
          return { view, replica, slow: false, pending: new PendingDiff(), pendingSeq: 0 };
        });
        const check = (where: string): void => {
          for (const c of clients) {
            const want = canon(referenceState(c.view.config, source, now));
            expect(canon(c.view.state), `${where}: view state`).toEqual(want);
            if (!c.slow) expect(canon(c.replica.state), `${where}: replica`).toEqual(want);
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
            for (const c of clients) {
              const prev = c.view.seq;
              const d = c.view.apply(touched, now);
              if (c.view.seq === prev) continue;
              if (c.slow) { c.pending.merge(d); c.pendingSeq = c.view.seq; continue; }
              const r = c.replica.diff(prev, c.view.seq, d);
              expect(r, `step ${n}: diff applies`).toEqual({ ok: true });
            }
          } else if (step.kind === 'config') {
            const c = clients[step.i % clients.length];
            if (c.slow) continue;
            const next = View.build(config(step.c), source, now);
            const d = diffStates(c.view.state, next.state);
            expect(c.replica.diff(c.replica.seq, next.seq, d), `step ${n}: config diff applies`).toEqual({ ok: true });
            c.view = next;
          } else {
            const c = clients[step.i % clients.length];
            if (c.slow && !step.slow && c.pending.size > 0) {
              expect(c.replica.diff(c.replica.seq, c.pendingSeq, c.pending.take()), `step ${n}: merged diff applies`).toEqual({ ok: true });
            }
            c.slow = step.slow;
          }
          check(`step ${n}`);
        }
        for (const c of clients) {
          if (c.slow && c.pending.size > 0) expect(c.replica.diff(c.replica.seq, c.pendingSeq, c.pending.take())).toEqual({ ok: true });
          c.slow = false;
        }
        check('end');
      },
    ), { numRuns: 200 });
  }, 60_000);
});
