import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { ReplayWindow } from '../../../protocol/session/replay-window.js';

/** Reference model: a set of everything accepted, and the rule from the wire spec. */
class SetModel {
  private readonly seen = new Set<number>();
  private top = 0;
  constructor(private readonly size: number) {}
  accept(seq: number): boolean {
    if (seq < 1 || this.seen.has(seq) || seq <= this.top - this.size) return false;
    this.seen.add(seq);
    if (seq > this.top) this.top = seq;
    return true;
  }
}

describe('ReplayWindow', () => {
  test('in order, duplicates, late arrivals inside and outside the window', () => {
    const w = new ReplayWindow();
    expect(w.accept(1)).toBe(true);
    expect(w.accept(1)).toBe(false);
    expect(w.accept(3)).toBe(true);
    expect(w.accept(2)).toBe(true);
    expect(w.accept(2)).toBe(false);
    expect(w.accept(2000)).toBe(true);
    expect(w.check(976)).toBe(false); // 2000 - 1024: just outside
    expect(w.check(977)).toBe(true);
    expect(w.accept(977)).toBe(true);
    expect(w.accept(977)).toBe(false);
    expect(w.highest).toBe(2000);
  });

  test('check records nothing', () => {
    const w = new ReplayWindow(32);
    expect(w.check(5)).toBe(true);
    expect(w.check(5)).toBe(true);
    expect(w.accept(5)).toBe(true);
    expect(w.check(5)).toBe(false);
  });

  test('seq 0, negatives, fractions and seq ≥ 2^53 are never accepted', () => {
    const w = new ReplayWindow();
    for (const s of [0, -1, 1.5, NaN, 2 ** 53, Infinity]) expect(w.accept(s)).toBe(false);
    expect(w.accept(2 ** 53 - 1)).toBe(true);
    expect(w.accept(2 ** 53 - 1 - 1023)).toBe(true);
    expect(w.accept(2 ** 53 - 1 - 1024)).toBe(false);
  });

  test('a slot reused after the window moves does not carry the old bit', () => {
    const w = new ReplayWindow(32);
    expect(w.accept(1)).toBe(true);
    expect(w.accept(33)).toBe(true); // same slot as 1
    expect(w.accept(65)).toBe(true);
    expect(w.accept(64)).toBe(true);
    expect(w.accept(34)).toBe(true);
  });

  test('rejects sizes that are not multiples of 32', () => {
    expect(() => new ReplayWindow(0)).toThrow(RangeError);
    expect(() => new ReplayWindow(100)).toThrow(RangeError);
  });

  test('property: behaves like the Set-based model', () => {
    const seqs = (max: number) => fc.array(fc.integer({ min: 0, max }), { minLength: 20, maxLength: 400, size: 'max' });
    fc.assert(
      fc.property(fc.constantFrom(32, 64, 1024), fc.oneof(seqs(100), seqs(5000), seqs(Number.MAX_SAFE_INTEGER)), (size, list) => {
        const w = new ReplayWindow(size);
        const m = new SetModel(size);
        for (const s of list) {
          const expectedOk = m.accept(s);
          if (w.check(s) !== expectedOk) return false;
          if (w.accept(s) !== expectedOk) return false;
        }
        return true;
      }),
      { numRuns: 400 },
    );
  });

  test('property: dense streams with jumps, late arrivals and replays match the model', () => {
    // Steps relative to the highest seq so far, so that windows fill up, slide by parts of
    // words and whole words, and late seqs land on slots that were just recycled.
    const step = fc.oneof(
      { weight: 6, arbitrary: fc.integer({ min: 1, max: 3 }).map((d) => ({ kind: 'next' as const, d })) },
      { weight: 2, arbitrary: fc.integer({ min: 1, max: 200 }).map((d) => ({ kind: 'jump' as const, d })) },
      { weight: 4, arbitrary: fc.integer({ min: 0, max: 140 }).map((d) => ({ kind: 'back' as const, d })) },
      { weight: 2, arbitrary: fc.nat().map((d) => ({ kind: 'replay' as const, d })) },
    );
    fc.assert(
      fc.property(fc.constantFrom(32, 64, 96, 128), fc.array(step, { minLength: 200, maxLength: 800 }), (size, steps) => {
        const w = new ReplayWindow(size);
        const m = new SetModel(size);
        const sent: number[] = [];
        let top = 0;
        for (const st of steps) {
          const seq = st.kind === 'next' || st.kind === 'jump' ? top + st.d
            : st.kind === 'back' ? Math.max(0, top - st.d)
            : sent.length > 0 ? sent[st.d % sent.length]! : 1;
          sent.push(seq);
          const expected = m.accept(seq);
          if (w.accept(seq) !== expected) return false;
          if (expected && seq > top) top = seq;
        }
        return true;
      }),
      { numRuns: 300 },
    );
  });

  test('late seqs right after a slide by whole words are still accepted once', () => {
    const w = new ReplayWindow(64);
    for (let s = 1; s <= 64; s++) expect(w.accept(s)).toBe(true);
    expect(w.accept(127)).toBe(true); // slides by 63: slots of 65..126 must be free again
    for (let s = 65; s < 127; s++) expect(w.accept(s), `seq ${s}`).toBe(true);
    for (let s = 64; s <= 127; s++) expect(w.accept(s), `seq ${s}`).toBe(false);
  });
});
