/**
 * The sigma renderer and what it is told: settings (one object, as sigma's
 * own), the edge programs, the reducers that fade everything but the hovered
 * or selected node's neighbourhood, and the refresh after a batch of diffs:
 * attribute changes are repainted element by element; only elements coming
 * or going make sigma reindex the graph.
 */
import type { Attributes } from 'graphology-types';
import Sigma from 'sigma';
import type { Settings } from 'sigma/settings';
import type { EdgeDisplayData, NodeDisplayData } from 'sigma/types';
import { premultiplied } from '../graph/encoding.js';
import { Batch, type ViewGraph } from '../graph/mirror.js';
import { DisplayGraph } from './display-graph.js';
import { EDGE_TYPES, programClasses } from './programs.js';
import { applyBatch, reindexPending } from './sigma-sync.js';

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
  /** Above this many edges, edges are drawn straight (curves cost fill rate). */
  maxCurvedEdges: number;
  /** Above this many edges, edges are hidden while the camera moves. */
  hideEdgesOnMoveAbove: number;
  /** What changes where WebGL runs in software (SwiftShader, llvmpipe), where every pixel drawn costs. */
  software: Partial<Pick<RendererSettings, 'lodEdges' | 'maxDrawnEdges' | 'maxCurvedEdges'>>;
  sigma: Partial<Settings>;
}

/** Defaults. */
export const DEFAULT_RENDERER_SETTINGS: Readonly<RendererSettings> = Object.freeze({
  lodEdges: 5000,
  maxDrawnEdges: 5000,
  maxCurvedEdges: 12_000,
  hideEdgesOnMoveAbove: 8_000,
  software: Object.freeze({ lodEdges: 2500, maxDrawnEdges: 2500, maxCurvedEdges: 1500 }),
  sigma: {
    defaultEdgeType: 'rect',
    renderEdgeLabels: false,
    enableEdgeEvents: false,
    labelFont: 'system-ui, sans-serif',
    labelSize: 12,
    labelColor: { color: '#dfe7f2' },
    labelDensity: 0.6,
    labelGridCellSize: 120,
    labelRenderedSizeThreshold: 4,
    zIndex: false,
    minCameraRatio: 0.002,
    maxCameraRatio: 3,
    stagePadding: 20,
    itemSizesReference: 'screen',
  } as Partial<Settings>,
});

/** Whose neighbourhood is shown (hover wins over selection). */
interface Focus { node: string; neighbours: Set<string> }

const FADED_NODE = premultiplied(90, 100, 120, 0.35);

/** Whether WebGL here is software (SwiftShader, llvmpipe): fill rate is then the scarce thing. */
function softwareWebGL(): boolean {
  try {
    const gl = document.createElement('canvas').getContext('webgl');
    if (!gl) return true;
    const ext = gl.getExtension('WEBGL_debug_renderer_info');
    const name = String(ext ? gl.getParameter(ext.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER));
    gl.getExtension('WEBGL_lose_context')?.loseContext();
    return /swiftshader|llvmpipe|software|softpipe/i.test(name);
  } catch {
    return true;
  }
}

/** The renderer of a view graph: sigma drawing its display graph. */
export class Renderer {
  readonly sigma: Sigma;
  /** What sigma draws (shares attributes with the view graph). */
  readonly display: DisplayGraph;
  readonly graph: ViewGraph;
  /** Software WebGL: curves are kept for small pictures only. */
  readonly software = softwareWebGL();
  private hovered: Focus | null = null;
  private selected: Focus | null = null;
  private curved = true;
  private lodAt = 0;
  private readonly s: RendererSettings;

  constructor(readonly data: ViewGraph, private readonly container: HTMLElement, s: Partial<RendererSettings> = {}) {
    const base = { ...DEFAULT_RENDERER_SETTINGS, ...s, sigma: { ...DEFAULT_RENDERER_SETTINGS.sigma, ...s.sigma } };
    this.s = this.software ? { ...base, ...base.software } : base;
    this.display = new DisplayGraph(data, this.s);
    this.graph = this.display.graph;
    this.sigma = new Sigma(this.graph, container, {
      ...programClasses(this.software),
      ...this.s.sigma,
      nodeReducer: (node, d) => this.nodeReducer(node, d),
      edgeReducer: (edge, d) => this.edgeReducer(edge, d),
    });
    this.sigma.on('enterNode', ({ node }) => this.setHovered(node));
    this.sigma.on('leaveNode', () => this.setHovered(null));
  }

  /** The edge type an edge of this kind gets now. */
  edgeType(kind: unknown): string {
    const t = EDGE_TYPES[this.curved ? 'curved' : this.software ? 'hairline' : 'straight'];
    return kind === 'hop' ? t.hop : t.link;
  }

  private focus(): Focus | null {
    return this.hovered ?? this.selected;
  }

  private nodeReducer(node: string, data: Attributes): Partial<NodeDisplayData> {
    const f = this.focus();
    if (node === this.selected?.node) return { ...data, highlighted: true, forceLabel: true, zIndex: 2 } as Partial<NodeDisplayData>;
    if (!f) return data as Partial<NodeDisplayData>;
    if (node === f.node || f.neighbours.has(node)) return { ...data, forceLabel: node === f.node || f.neighbours.size <= 12 } as Partial<NodeDisplayData>;
    return { ...data, color: FADED_NODE, label: null } as Partial<NodeDisplayData>;
  }

  private edgeReducer(edge: string, data: Attributes): Partial<EdgeDisplayData> {
    const f = this.focus();
    if (!f) return data as Partial<EdgeDisplayData>;
    const g = this.graph;
    if (g.source(edge) === f.node || g.target(edge) === f.node) return data as Partial<EdgeDisplayData>;
    return { ...data, hidden: true } as Partial<EdgeDisplayData>;
  }

  /** How many edges are drawn now. */
  drawnEdges(): number {
    return this.graph.size;
  }

  private focusOf(node: string | null): Focus | null {
    if (node === null || !this.data.hasNode(node)) return null;
    return { node, neighbours: new Set(this.data.neighbors(node)) };
  }

  /** The focused nodes' edges are all drawn; everything is repainted through the reducers. */
  private refocus(): void {
    const db = new Batch();
    const structural = applyBatch(this.sigma, db, () => this.display.setFocus([this.hovered?.node ?? null, this.selected?.node ?? null], db));
    // The hover layers are composed only while there is something on them (style.css).
    this.container.classList.toggle('focus', this.focus() !== null);
    this.sigma.refresh({ skipIndexation: !structural, schedule: true });
  }

  /** Highlights a node's neighbourhood while the pointer is over it. */
  setHovered(node: string | null): void {
    this.hovered = this.focusOf(node);
    this.refocus();
  }

  /** The node whose panel is open (null: none). */
  setSelected(node: string | null): void {
    this.selected = this.focusOf(node);
    this.refocus();
  }

  /** A snapshot of `n` edges is coming: its edges get the right style as they are added. */
  expectEdges(n: number): void {
    this.curved = Math.min(n, n > this.s.lodEdges ? this.s.maxDrawnEdges : n) <= this.s.maxCurvedEdges;
  }

  /** Chooses curved or straight edges for the picture's size (with hysteresis, so it does not flicker); true if edges changed type. */
  private chooseEdgeStyle(): boolean {
    const n = this.graph.size;
    const want = this.curved ? n <= this.s.maxCurvedEdges * 1.1 : n <= this.s.maxCurvedEdges * 0.9;
    const hide = n > this.s.hideEdgesOnMoveAbove;
    if (hide !== this.sigma.getSetting('hideEdgesOnMove')) this.sigma.setSetting('hideEdgesOnMove', hide);
    if (want === this.curved) return false;
    this.curved = want;
    this.data.forEachEdge((_e, a) => { a.type = this.edgeType(a.kind); });
    this.display.restyleEdges();
    return true;
  }

  /**
   * Applies a batch of graph changes (`apply` mutates the view graph and
   * fills the batch), brings the display graph along, and repaints what
   * changed: attribute changes element by element; only elements coming or
   * going, or moving, make sigma reindex. Drawn now, in the frame that
   * applied the batch, so that the frame's cost can be measured.
   */
  apply(b: Batch, apply: () => void): void {
    apply();
    const db = new Batch();
    const now = performance.now();
    const lodDue = b.reset || now - this.lodAt > 2000;
    const structural = applyBatch(this.sigma, db, () => {
      this.display.sync(b, db);
      if (lodDue) {
        this.lodAt = now;
        if (!b.reset && this.display.updateThreshold()) this.display.reevaluate(db);
      }
    });
    if (structural) {
      for (const f of [this.hovered, this.selected]) {
        // A focused node's neighbourhood may have changed.
        if (f) f.neighbours = new Set(this.data.hasNode(f.node) ? this.data.neighbors(f.node) : []);
      }
      // Edges changing programs means a full reindex, as does a snapshot.
      if (this.chooseEdgeStyle() || db.reset || this.hovered || this.selected) { this.sigma.refresh(); return; }
    }
    const nodes = [...db.nodesUpdated], edges = [...db.edgesUpdated];
    if (!structural && nodes.length === 0 && edges.length === 0) return;
    const reindex = structural || db.nodesMoved.size > 0 || reindexPending(this.sigma);
    this.sigma.refresh({ partialGraph: { nodes, edges }, skipIndexation: !reindex });
  }

  /** Node colours, sizes or labels changed in the view graph (a new colouring): the drawing follows. */
  restyleNodes(): void {
    this.display.restyleNodes(!reindexPending(this.sigma));
  }

  /** Releases the WebGL contexts and listeners. */
  kill(): void {
    this.sigma.kill();
  }
}
