/**
 * The search box: nodes whose address, label or DNS names contain what was
 * typed (on public displays, only the masked labels are searched). Arrow
 * keys move, Enter picks; picking opens the node's panel and flies there.
 */
import type { ViewGraph } from '../graph/mirror.js';
import type { Attributes } from 'graphology-types';
import type { Masker } from '../anonymize.js';
import { nodeLabel } from '../graph/encoding.js';
import { byId, fill, h } from './dom.js';

/** Nodes matching a query, best first: exact, then prefix, then substring; busiest first within each. */
export function searchNodes(g: ViewGraph, query: string, mask: Masker | null, limit = 12): { key: string; label: string }[] {
  const q = query.trim().toLowerCase();
  if (q.length === 0) return [];
  const hits: { key: string; label: string; rank: number; bytes: number }[] = [];
  g.forEachNode((key, a: Attributes) => {
    const label = nodeLabel(key, a, mask);
    const texts = mask ? [label] : [key, label, ...(Array.isArray(a.names) ? (a.names as { name: string }[]).map((n) => n.name) : [])];
    let rank = 3;
    for (const t of texts) {
      const s = String(t).toLowerCase();
      if (s === q) rank = Math.min(rank, 0);
      else if (s.startsWith(q)) rank = Math.min(rank, 1);
      else if (s.includes(q)) rank = Math.min(rank, 2);
    }
    if (rank < 3) hits.push({ key, label, rank, bytes: (Number(a.bytes_in) || 0) + (Number(a.bytes_out) || 0) });
  });
  hits.sort((x, y) => x.rank - y.rank || y.bytes - x.bytes || (x.key < y.key ? -1 : 1));
  return hits.slice(0, limit).map(({ key, label }) => ({ key, label }));
}

/** The search box and its result list. */
export class SearchView {
  private readonly input = byId<HTMLInputElement>('search');
  private readonly list = byId<HTMLUListElement>('search-results');
  private results: { key: string; label: string }[] = [];
  private active = 0;

  constructor(private readonly g: ViewGraph, private readonly masker: () => Masker | null, private readonly pick: (node: string) => void) {
    this.input.addEventListener('input', () => this.update());
    this.input.addEventListener('focus', () => this.update());
    this.input.addEventListener('blur', () => setTimeout(() => { this.list.hidden = true; }, 150));
    this.input.addEventListener('keydown', (ev) => {
      if (ev.key === 'ArrowDown' || ev.key === 'ArrowUp') {
        ev.preventDefault();
        if (this.results.length) this.active = (this.active + (ev.key === 'ArrowDown' ? 1 : this.results.length - 1)) % this.results.length;
        this.draw();
      } else if (ev.key === 'Enter') {
        ev.preventDefault();
        this.update();
        const r = this.results[this.active];
        if (r) this.choose(r.key);
      } else if (ev.key === 'Escape') {
        this.input.value = '';
        this.list.hidden = true;
      }
    });
  }

  private update(): void {
    this.results = searchNodes(this.g, this.input.value, this.masker());
    this.active = 0;
    this.draw();
  }

  private draw(): void {
    this.list.hidden = this.results.length === 0;
    fill(this.list, ...this.results.map((r, i) => {
      const li = h('li', { class: i === this.active ? 'on' : '', 'data-node': this.masker() ? '' : r.key }, r.label);
      li.addEventListener('mousedown', (ev) => { ev.preventDefault(); this.choose(r.key); });
      return li;
    }));
  }

  private choose(key: string): void {
    this.list.hidden = true;
    this.input.blur();
    this.pick(key);
  }
}
