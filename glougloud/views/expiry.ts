/**
 * When elements leave a view's activity window: at most one pending entry
 * per element in a min-heap of deadlines, so a tick pops exactly the
 * elements whose time ran out. Pure.
 */

/** Deadlines by element id. */
export class ExpiryQueue {
  private readonly heap: { at: number; id: string }[] = [];
  private readonly pending = new Map<string, number>();

  /** Number of elements waiting. */
  get size(): number {
    return this.pending.size;
  }

  /** Asks for `id` at `at` (an earlier deadline already pending is kept: it is re-examined then). */
  schedule(id: string, at: number): void {
    const cur = this.pending.get(id);
    if (cur !== undefined && cur <= at) return;
    this.pending.set(id, at);
    const h = this.heap;
    h.push({ at, id });
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (h[p].at <= h[i].at) break;
      [h[i], h[p]] = [h[p], h[i]];
      i = p;
    }
  }

  /** Ids whose deadline is ≤ now (each once); they are no longer pending. */
  popDue(now: number): string[] {
    const out: string[] = [];
    const h = this.heap;
    while (h.length && h[0].at <= now) {
      const top = h[0];
      const last = h.pop()!;
      if (h.length) {
        h[0] = last;
        let i = 0;
        for (;;) {
          const l = 2 * i + 1, r = l + 1;
          let m = i;
          if (l < h.length && h[l].at < h[m].at) m = l;
          if (r < h.length && h[r].at < h[m].at) m = r;
          if (m === i) break;
          [h[i], h[m]] = [h[m], h[i]];
          i = m;
        }
      }
      if (this.pending.get(top.id) === top.at) { this.pending.delete(top.id); out.push(top.id); }
    }
    return out;
  }
}
