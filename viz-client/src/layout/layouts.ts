/**
 * Where nodes stand: on the world map (the geo layer, bound while the geo
 * view is shown) or where ForceAtlas2 puts them (in a web worker, while the
 * force view is shown). Switching is live and keeps each view's positions:
 * force positions are saved when leaving, and restored when coming back. In
 * the force view a node dragged somewhere stays pinned there.
 */
import type { Attributes } from 'graphology-types';
import { inferSettings } from 'graphology-layout-forceatlas2';
import FA2Layout from 'graphology-layout-forceatlas2/worker';
import type { Basemap } from '../geo/basemap.js';
import { bindGeoLayer, type GeoLayer } from '../geo/map-layer.js';
import { project } from '../geo/projection.js';
import type { Renderer } from '../render/renderer.js';
import type { Layout } from '../url-state.js';

/** What the layouts need from outside. */
export interface LayoutOptions {
  basemap: Basemap;
  detailed?: () => Promise<Basemap>;
  /** Called when a node was pinned or unpinned by the user. */
  onPin?: (node: string, pinned: boolean) => void;
}

/** The two layouts and the switch between them. */
export class Layouts {
  layout: Layout = 'geo';
  private geo: GeoLayer | null = null;
  private fa2: FA2Layout | null = null;
  private readonly forcePos = new Map<string, { x: number; y: number }>();
  private readonly pinned = new Set<string>();
  private dragged: string | null = null;

  constructor(private readonly r: Renderer, private readonly o: LayoutOptions) {
    this.bindDrag();
  }

  /** Writes a node's position for the current layout; true if it moved. */
  place(key: string, attrs: Attributes, added: boolean): boolean {
    const x = attrs.x, y = attrs.y;
    if (this.layout === 'geo' && this.geo) this.geo.place(key, attrs);
    else if (added) {
      const saved = this.forcePos.get(key);
      const p = saved ?? this.seed(attrs);
      attrs.x = p.x;
      attrs.y = p.y;
      if (this.pinned.has(key)) attrs.fixed = true;
    }
    return !added && (attrs.x !== x || attrs.y !== y);
  }

  /** Where a node new to the force view starts: near its place on the map. */
  private seed(attrs: Attributes): { x: number; y: number } {
    const p = typeof attrs.lat === 'number' && typeof attrs.lng === 'number' ? project(attrs.lat, attrs.lng) : { x: 0, y: 0 };
    return { x: p.x + (Math.random() - 0.5) * 4, y: p.y + (Math.random() - 0.5) * 4 };
  }

  /** A node left the graph. */
  release(key: string): void {
    this.geo?.release(key);
    this.forcePos.delete(key);
    this.pinned.delete(key);
  }

  /** The graph was emptied (a snapshot follows). */
  reset(): void {
    this.geo?.reset();
  }

  /** Shows a layout (first call binds it). */
  show(layout: Layout): void {
    const g = this.r.graph;
    if (layout === this.layout && (layout === 'geo' ? this.geo : this.fa2)) return;
    if (this.layout === 'force' && this.fa2) {
      this.fa2.kill();
      this.fa2 = null;
      g.forEachNode((k, a) => { this.forcePos.set(k, { x: a.x, y: a.y }); });
    }
    this.layout = layout;
    if (layout === 'geo') {
      this.geo = bindGeoLayer(this.r.sigma, { basemap: this.o.basemap, detailed: this.o.detailed });
    } else {
      this.geo?.clean();
      this.geo = null;
      g.updateEachNodeAttributes((k, a) => {
        const p = this.forcePos.get(k) ?? { x: a.x, y: a.y };
        a.x = p.x; a.y = p.y;
        if (this.pinned.has(k)) a.fixed = true;
        return a;
      }, { attributes: ['x', 'y'] });
      this.fa2 = new FA2Layout(g, { settings: { ...inferSettings(g.order), barnesHutOptimize: g.order > 1500, slowDown: 8, gravity: 0.5 } });
      this.fa2.start();
    }
    this.r.sigma.getCamera().animatedReset({ duration: 300 });
  }

  /** Whether a node is pinned. */
  isPinned(node: string): boolean {
    return this.pinned.has(node);
  }

  /** Unpins a node: the layout may move it again. */
  unpin(node: string): void {
    if (!this.pinned.delete(node)) return;
    if (this.r.graph.hasNode(node)) this.r.graph.removeNodeAttribute(node, 'fixed');
    this.o.onPin?.(node, false);
  }

  private bindDrag(): void {
    const sigma = this.r.sigma, g = this.r.graph;
    sigma.on('downNode', ({ node }) => {
      if (this.layout !== 'force') return;
      this.dragged = node;
      if (!sigma.getCustomBBox()) sigma.setCustomBBox(sigma.getBBox());
    });
    sigma.on('moveBody', ({ event }) => {
      if (!this.dragged || !g.hasNode(this.dragged)) return;
      const p = sigma.viewportToGraph(event);
      g.mergeNodeAttributes(this.dragged, { x: p.x, y: p.y, fixed: true });
      event.preventSigmaDefault();
      event.original.preventDefault();
      event.original.stopPropagation();
    });
    const up = (): void => {
      const node = this.dragged;
      if (!node) return;
      this.dragged = null;
      if (this.layout === 'force') sigma.setCustomBBox(null);
      if (g.hasNode(node) && g.getNodeAttribute(node, 'fixed') && !this.pinned.has(node)) {
        this.pinned.add(node);
        this.o.onPin?.(node, true);
      }
    };
    sigma.on('upNode', up);
    sigma.on('upStage', up);
  }

  /** Stops the worker and unbinds the map. */
  kill(): void {
    this.fa2?.kill();
    this.fa2 = null;
    this.geo?.clean();
    this.geo = null;
  }
}
