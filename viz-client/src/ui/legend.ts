/**
 * The legend: what node colours mean under the current colouring (the most
 * common categories in the view, with counts), what sizes and edges mean.
 * Recounted at most once a second.
 */
import type { ViewGraph } from '../graph/mirror.js';
import { categoryColor, EDGE_CSS_COLORS, nodeCategory, ROLE_STYLE, type Role } from '../graph/encoding.js';
import type { ColorMode } from '../url-state.js';
import { byId, fill, h } from './dom.js';

/** Categories of a graph's nodes under a colouring, most common first. */
export function legendEntries(g: ViewGraph, mode: ColorMode, max = 10): { category: string; color: string; count: number }[] {
  const counts = new Map<string, number>();
  g.forEachNode((_k, a) => { const c = nodeCategory(a, mode); counts.set(c, (counts.get(c) ?? 0) + 1); });
  return [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, max)
    .map(([category, count]) => ({ category, color: categoryColor(mode, category), count }));
}

const TITLES: Record<ColorMode, string> = { country: 'Country', probe: 'Probe', role: 'Role' };

/** The legend box. */
export class LegendView {
  private readonly root = byId('legend');
  private last = 0;

  constructor(private readonly g: ViewGraph, private readonly probeName: (id: number) => string | undefined) {}

  /** Redraws (throttled unless forced). */
  render(mode: ColorMode, force = false): void {
    const now = performance.now();
    if (!force && now - this.last < 1000) return;
    this.last = now;
    const name = (c: string): string => {
      if (c === '') return mode === 'country' ? 'unknown / private' : 'none';
      if (mode === 'role') return ROLE_STYLE[c as Role]?.name ?? c;
      if (mode === 'probe') return `#${c}${this.probeName(Number(c)) ? ` ${this.probeName(Number(c))}` : ''}`;
      return c;
    };
    const entries = legendEntries(this.g, mode);
    fill(this.root,
      h('h3', {}, `Colour: ${TITLES[mode]}`),
      ...entries.map((e) => h('div', { 'data-category': e.category }, h('i', { style: `background:${e.color}` }), `${name(e.category)} (${e.count})`)),
      h('h3', { style: 'margin-top:6px' }, 'Size: traffic · width: throughput'),
      h('div', { class: 'edge' }, h('i', { style: `background:${EDGE_CSS_COLORS.live}` }), 'link carrying data'),
      h('div', { class: 'edge' }, h('i', { style: `background:${EDGE_CSS_COLORS.idle}` }), 'idle link'),
      h('div', { class: 'edge' }, h('i', { style: `background:${EDGE_CSS_COLORS.hop}` }), 'traceroute path'),
    );
  }
}
