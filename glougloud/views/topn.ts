/**
 * The `limit` best candidates by score (ties: smaller key first), kept up to
 * date as scores change: two heaps, the weakest of the kept and the best of
 * the rest, with stale entries skipped lazily and compacted when they pile
 * up. Each change costs O(log n); settle() reports who entered and who left.
 * The kept set depends only on the candidates and their scores. Pure.
 */

interface Entry { score: number; key: string; ver: number }

/** a ranks before b. */
function better(a: Entry, b: Entry): boolean {
  return a.score > b.score || (a.score === b.score && a.key < b.key);
}

class Heap {
  readonly items: Entry[] = [];
  /** `before(a, b)`: a belongs nearer the root. */
  constructor(private readonly before: (a: Entry, b: Entry) => boolean) {}
  get size(): number { return this.items.length; }
  peek(): Entry | undefined { return this.items[0]; }
  push(e: Entry): void {
    const h = this.items;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.before(h[i], h[p])) break;
      [h[i], h[p]] = [h[p], h[i]];
      i = p;
    }
  }
  pop(): Entry | undefined {
    const h = this.items;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1, r = l + 1;
        let m = i;
        if (l < h.length && this.before(h[l], h[m])) m = l;
        if (r < h.length && this.before(h[r], h[m])) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m], h[i]];
        i = m;
      }
    }
    return top;
  }
  rebuild(keep: Entry[]): void {
    this.items.length = 0;
    for (const e of keep) this.push(e);
  }
}

/** The best `limit` keys by score. */
export class TopN {
  private readonly scores = new Map<string, number>();
  private readonly vers = new Map<string, number>();
  private readonly kept = new Set<string>();
  private readonly weakestKept = new Heap((a, b) => better(b, a));
  private readonly bestRest = new Heap(better);
  /** Membership before the first change since the last settle(). */
  private readonly was = new Map<string, boolean>();
  private ver = 0;

  constructor(readonly limit: number) {}

  /** True if the key is kept. */
  has(key: string): boolean {
    return this.kept.has(key);
  }

  /** Number of keys kept. */
  get size(): number {
    return this.kept.size;
  }

  /** The kept keys. */
  keys(): IterableIterator<string> {
    return this.kept.keys();
  }

  private note(key: string): void {
    if (!this.was.has(key)) this.was.set(key, this.kept.has(key));
  }

  /** Sets a key's score; null: no longer a candidate. */
  set(key: string, score: number | null): void {
    const old = this.scores.get(key);
    if (score === null) {
      if (old === undefined) return;
      this.note(key);
      this.scores.delete(key);
      this.vers.delete(key);
      this.kept.delete(key);
      return;
    }
    if (old === score) return;
    this.note(key);
    this.scores.set(key, score);
    const ver = ++this.ver;
    this.vers.set(key, ver);
    (this.kept.has(key) ? this.weakestKept : this.bestRest).push({ score, key, ver });
  }

  private valid(e: Entry, inKept: boolean): boolean {
    return this.vers.get(e.key) === e.ver && this.kept.has(e.key) === inKept;
  }

  private top(h: Heap, inKept: boolean): Entry | undefined {
    let e = h.peek();
    while (e && !this.valid(e, inKept)) { h.pop(); e = h.peek(); }
    return e;
  }

  private move(e: Entry, toKept: boolean): void {
    this.note(e.key);
    const ver = ++this.ver;
    this.vers.set(e.key, ver);
    if (toKept) { this.kept.add(e.key); this.weakestKept.push({ score: e.score, key: e.key, ver }); }
    else { this.kept.delete(e.key); this.bestRest.push({ score: e.score, key: e.key, ver }); }
  }

  /** Restores the invariant (kept = the best `limit`); returns the keys that entered and left since the last call. */
  settle(): { entered: string[]; left: string[] } {
    for (;;) {
      const w = this.top(this.weakestKept, true);
      const b = this.top(this.bestRest, false);
      if (this.kept.size > this.limit && w) { this.weakestKept.pop(); this.move(w, false); continue; }
      if (this.kept.size < this.limit && b) { this.bestRest.pop(); this.move(b, true); continue; }
      if (w && b && better(b, w)) {
        this.weakestKept.pop(); this.bestRest.pop();
        this.move(w, false); this.move(b, true);
        continue;
      }
      break;
    }
    this.compact();
    const entered: string[] = [], left: string[] = [];
    for (const [key, before] of this.was) {
      const now = this.kept.has(key);
      if (now && !before) entered.push(key);
      else if (!now && before) left.push(key);
    }
    this.was.clear();
    return { entered, left };
  }

  private compact(): void {
    const live = this.scores.size;
    if (this.weakestKept.size + this.bestRest.size <= 2 * live + 1024) return;
    const k: Entry[] = [], r: Entry[] = [];
    for (const [key, score] of this.scores) {
      const ver = ++this.ver;
      this.vers.set(key, ver);
      (this.kept.has(key) ? k : r).push({ score, key, ver });
    }
    this.weakestKept.rebuild(k);
    this.bestRest.rebuild(r);
  }
}
