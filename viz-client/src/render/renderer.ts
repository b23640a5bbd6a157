/**
 * The sigma renderer and what it is told: settings (one object, as sigma's
 * own), the edge programs, the reducers that fade everything but the hovered
 * or selected node's neighbourhood, and the refresh after a batch of diffs:
 * attribute changes are repainted element by element; only elements coming
 * or going make sigma reindex the graph.
 */
import type { ViewGraph } from '../graph/mirror.js';
import type { Attributes } from 'graphology-types';
import Sigma from 'sigma';
import { EdgeArrowProgram, EdgeLineProgram } from 'sigma/rendering';
import type { Settings } from 'sigma/settings';
import type { EdgeDisplayData, NodeDisplayData } from 'sigma/types';
import EdgeCurveProgram, { EdgeCurvedArrowProgram } from '@sigma/edge-curve';
import { premultiplied } from '../graph/encoding.js';
import type { Batch } from '../graph/mirror.js';
import { applyBatch } from './sigma-sync.js';

/** Edge program types by kind, curved or straight. */
export const EDGE_TYPES = Object.freeze({
  curved: { link: 'curve', hop: 'curveArrow' },
  straight: { link: 'line', hop: 'arrow' },
});

/** Renderer settings (sigma's, plus ours). */
export interface RendererSettings {
  /**
   * Above this many edges, only the edges worth seeing are drawn: those
   * carrying traffic now (the busiest `maxDrawnEdges`), traceroute paths, and
   * the hovered or selected node's. A hairball of idle links hides the map
   * and costs the most to draw.
   */
  lodEdges: number;
  maxDrawnEdges: number;
  /** Above this many edges, edges are drawn straight (curves cost fill rate; software rendering feels it first). */
  maxCurvedEdges: number;
  /** Above this many edges, edges are hidden while the camera moves. */
  hideEdgesOnMoveAbove: number;
  sigma: Partial<Settings>;
}

/** Defaults. */
export const DEFAULT_RENDERER_SETTINGS: Readonly<RendererSettings> = Object.freeze({
  lodEdges: 5000,
  maxDrawnEdges: 5000,
  maxCurvedEdges: 12_000,
  hideEdgesOnMoveAbove: 8_000,
  sigma: {
    defaultEdgeType: 'line',
    renderEdgeLabels: false,
    enableEdgeEvents: false,
    labelFont: 'system-ui, sans-serif',
    labelSize: 12,
    labelColor: { color: '#dfe7f2' },
    labelDensity: 0.6,
    labelGridCellSize: 120,
    labelRenderedSizeThreshold: 7,
    zIndex: false,
    minCameraRatio: 0.002,
    maxCameraRatio: 3,
    stagePadding: 20,
    itemSizesReference: 'screen',
    edgeProgramClasses: {
      line: EdgeLineProgram, arrow: EdgeArrowProgram, curve: EdgeCurveProgram, curveArrow: EdgeCurvedArrowProgram,
    },
  } as Partial<Settings>,
});

/** Whose neighbourhood is shown (hover wins over selection). */
interface Focus { node: string; neighbours: Set<string> }

const FADED_NODE = premultiplied(90, 100, 120, 0.35);

/** The renderer of the view graph. */
export class Renderer {
  readonly sigma: Sigma;
  private hovered: Focus | null = null;
  private selected: Focus | null = null;
  private curved = true;
  private readonly s: RendererSettings;

  constructor(readonly graph: ViewGraph, container: HTMLElement, s: Partial<RendererSettings> = {}) {
    this.s = { ...DEFAULT_RENDERER_SETTINGS, ...s, sigma: { ...DEFAULT_RENDERER_SETTINGS.sigma, ...s.sigma } };
    this.sigma = new Sigma(graph, container, {
      ...this.s.sigma,
      nodeReducer: (node, data) => this.nodeReducer(node, data),
      edgeReducer: (edge, data) => this.edgeReducer(edge, data),
    });
    this.sigma.on('enterNode', ({ node }) => this.setHovered(node));
    this.sigma.on('leaveNode', () => this.setHovered(null));
  }

  /** The edge type an edge of this kind gets now. */
  edgeType(kind: unknown): string {
    const t = this.curved ? EDGE_TYPES.curved : EDGE_TYPES.straight;
    return kind === 'hop' ? t.hop : t.link;
  }

  private focus(): Focus | null {
    return this.hovered ?? this.selected;
  }

  private nodeReducer(node: string, data: Attributes): Partial<NodeDisplayData> {
    const f = this.focus();
    if (node === this.selected?.node) return { ...data, highlighted: true, forceLabel: true, zIndex: 2 } as Partial<NodeDisplayData>;
    if (!f) return data as Partial<NodeDisplayData>;
    if (node === f.node || f.neighbours.has(node)) return { ...data, forceLabel: node === f.node || f.neighbours.size <= 30 } as Partial<NodeDisplayData>;
    return { ...data, color: FADED_NODE, label: null } as Partial<NodeDisplayData>;
  }

  private edgeReducer(edge: string, data: Attributes): Partial<EdgeDisplayData> {
    const f = this.focus();
    if (f) {
      const g = this.graph;
      if (g.source(edge) === f.node || g.target(edge) === f.node) return data as Partial<EdgeDisplayData>;
      return { ...data, hidden: true } as Partial<EdgeDisplayData>;
    }
    if (this.lodBps !== null && data.kind !== 'hop' && !((Number(data.bps) || 0) >= this.lodBps)) return { ...data, hidden: true } as Partial<EdgeDisplayData>;
    return data as Partial<EdgeDisplayData>;
  }

  /** Throughput an edge needs to be drawn in a big graph (null: all are drawn). */
  private lodBps: number | null = null;
  private lodAt = 0;

  /** Recomputes which edges a big graph draws (at most every 2 s); true if that changed. */
  private updateLod(force = false): boolean {
    const now = performance.now();
    if (!force && now - this.lodAt < 2000) return false;
    this.lodAt = now;
    let next: number | null = null;
    if (this.graph.size > this.s.lodEdges) {
      const bps: number[] = [];
      this.graph.forEachEdge((_e, a) => { if (a.kind !== 'hop') bps.push(Number(a.bps) || 0); });
      bps.sort((x, y) => y - x);
      // The busiest maxDrawnEdges, and never an idle one.
      next = Math.max(1, bps[Math.min(bps.length - 1, this.s.maxDrawnEdges - 1)] ?? 1);
    }
    // Edges follow the threshold one by one as their throughput changes; redrawing them all is for big moves only.
    const cur = this.lodBps;
    if (next === cur || (next !== null && cur !== null && next < cur * 2 && next > cur / 2)) return false;
    this.lodBps = next;
    return true;
  }

  /** How many edges are drawn now (hidden ones are not). */
  drawnEdges(): number {
    let n = 0;
    this.graph.forEachEdge((e) => { if (this.sigma.getEdgeDisplayData(e)?.hidden === false) n++; });
    return n;
  }

  private focusOf(node: string | null): Focus | null {
    if (node === null || !this.graph.hasNode(node)) return null;
    return { node, neighbours: new Set(this.graph.neighbors(node)) };
  }

  /** Highlights a node's neighbourhood while the pointer is over it. */
  setHovered(node: string | null): void {
    this.hovered = this.focusOf(node);
    this.sigma.refresh({ skipIndexation: true, schedule: true });
  }

  /** The node whose panel is open (null: none). */
  setSelected(node: string | null): void {
    this.selected = this.focusOf(node);
    this.sigma.refresh({ skipIndexation: true, schedule: true });
  }

  /** Chooses curved or straight edges for the graph's size (with hysteresis, so it does not flicker). */
  private chooseEdgeStyle(): void {
    const n = this.graph.size;
    const want = this.curved ? n <= this.s.maxCurvedEdges * 1.1 : n <= this.s.maxCurvedEdges * 0.9;
    const hide = n > this.s.hideEdgesOnMoveAbove;
    if (hide !== this.sigma.getSetting('hideEdgesOnMove')) this.sigma.setSetting('hideEdgesOnMove', hide);
    if (want === this.curved) return;
    this.curved = want;
    this.graph.forEachEdge((_e, a) => { a.type = this.edgeType(a.kind); });
    // Edges change programs: everything is reindexed (by the caller's refresh, or at the next frame).
    this.sigma.refresh({ schedule: true });
  }

  /**
   * Applies a batch of graph changes (`apply` mutates the graph and fills
   * the batch) and repaints what it changed: attribute changes element by
   * element; only elements coming or going, or moving, make sigma reindex.
   */
  apply(b: Batch, apply: () => void): void {
    const structural = applyBatch(this.sigma, b, apply);
    const lodChanged = this.updateLod(b.reset);
    if (structural) {
      for (const f of [this.hovered, this.selected]) {
        // A focused node's neighbourhood may have changed.
        if (f) f.neighbours = new Set(this.graph.hasNode(f.node) ? this.graph.neighbors(f.node) : []);
      }
      this.chooseEdgeStyle();
    }
    // Rendered now, in the frame that applied the batch: the frame's cost is then measurable.
    if (b.reset || (structural && (this.hovered || this.selected))) { this.sigma.refresh(); return; }
    if (lodChanged) { this.sigma.refresh({ skipIndexation: !structural && b.nodesMoved.size === 0 }); return; }
    const nodes = [...b.nodesUpdated], edges = [...b.edgesUpdated];
    if (!structural && nodes.length === 0 && edges.length === 0) return;
    const reindex = structural || b.nodesMoved.size > 0;
    this.sigma.refresh({ partialGraph: { nodes, edges }, skipIndexation: !reindex });
  }

  /** Releases the WebGL contexts and listeners. */
  kill(): void {
    this.sigma.kill();
  }
}
