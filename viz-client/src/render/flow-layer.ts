/**
 * The flow animation: dots running along the edges that carried data in the
 * last tick, in the direction the bytes went, on a canvas just above the
 * edges. Only the busiest active edges are animated (a bounded amount of
 * drawing per frame whatever the graph's size), and nothing runs while no
 * edge is active. Dots follow the same curve as sigma's curved edges.
 */
import type Graph from 'graphology';
import type { Attributes } from 'graphology-types';
import type Sigma from 'sigma';

/** Options of the flow layer. */
export interface FlowOptions {
  /** How long an edge stays animated after its counters moved. */
  activeMs: number;
  /** Edges animated at once (the busiest). */
  maxEdges: number;
  /** Dot speed, in fractions of the edge per second. */
  speed: number;
  color: string;
  /**
   * Shortest time between two drawings. Every drawing makes the browser
   * compose the whole stack of canvases again: cheap on a GPU, a large part
   * of a frame where compositing is done in software.
   */
  minFrameMs: number;
}

/** Defaults. */
export const DEFAULT_FLOW: Readonly<FlowOptions> = Object.freeze({ activeMs: 1500, maxEdges: 200, speed: 0.45, color: 'rgba(190, 230, 255, 0.9)', minFrameMs: 0 });

/** Where WebGL and compositing run in software: 20 drawings a second at most, of fewer edges. */
export const SOFTWARE_FLOW: Readonly<Partial<FlowOptions>> = Object.freeze({ minFrameMs: 50, maxEdges: 100 });

interface Active { until: number; bps: number; forward: boolean; backward: boolean; phase: number }

/** Quadratic Bézier control point of a curved edge in viewport coordinates (as @sigma/edge-curve draws it). */
export function curveControl(sx: number, sy: number, tx: number, ty: number, curvature: number): { x: number; y: number } {
  const dx = tx - sx, dy = ty - sy;
  return { x: (sx + tx) / 2 + dy * curvature, y: (sy + ty) / 2 - dx * curvature };
}

/** The animated flows over a sigma renderer. */
export class FlowLayer {
  private readonly canvas: HTMLCanvasElement;
  private readonly ctx: CanvasRenderingContext2D;
  private readonly active = new Map<string, Active>();
  private readonly last = new Map<string, { ab: number; ba: number }>();
  private frame = 0;
  private drawnAt = -Infinity;
  private enabled = true;
  private readonly o: FlowOptions;

  /** `graph`: the view graph, whose edges carry the traffic counters. */
  constructor(private readonly sigma: Sigma, private readonly graph: Graph, o: Partial<FlowOptions> = {}) {
    this.o = { ...DEFAULT_FLOW, ...o };
    this.canvas = sigma.createCanvas('flows', { afterLayer: 'edges' } as never);
    this.canvas.style.pointerEvents = 'none';
    this.ctx = this.canvas.getContext('2d')!;
  }

  /** Edges whose counters moved: animated for a while. */
  touch(keys: Iterable<string>, now = performance.now()): void {
    const g = this.graph;
    for (const k of keys) {
      if (!g.hasEdge(k)) continue;
      const a = g.getEdgeAttributes(k);
      const ab = Number(a.bytes_ab) || 0, ba = Number(a.bytes_ba) || 0;
      const prev = this.last.get(k);
      this.last.set(k, { ab, ba });
      const hop = a.kind === 'hop';
      const forward = hop || !prev || ab > prev.ab, backward = !hop && prev !== undefined && ba > prev.ba;
      const cur = this.active.get(k);
      this.active.set(k, { until: now + this.o.activeMs, bps: Number(a.bps) || 0, forward: forward || !backward, backward, phase: cur?.phase ?? Math.random() });
    }
    this.kick();
  }

  /** Forgets edges that left. */
  forget(keys: Iterable<string>): void {
    for (const k of keys) { this.active.delete(k); this.last.delete(k); }
  }

  /** Forgets everything (a snapshot replaced the graph). */
  reset(): void {
    this.active.clear();
    this.last.clear();
  }

  /** Turns the animation on or off (paused views do not move). */
  setEnabled(on: boolean): void {
    this.enabled = on;
    if (!on) this.clear();
    else this.kick();
  }

  /** Edges animated now. */
  get size(): number {
    return this.active.size;
  }

  private kick(): void {
    if (this.enabled && !this.frame && this.active.size) this.frame = requestAnimationFrame((t) => this.draw(t));
  }

  private clear(): void {
    this.ctx.setTransform(1, 0, 0, 1, 0, 0);
    this.ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
  }

  private draw(now: number): void {
    this.frame = 0;
    if (!this.enabled) return;
    if (now - this.drawnAt < this.o.minFrameMs) { this.kick(); return; }
    this.drawnAt = now;
    const { width, height } = this.sigma.getDimensions();
    const dpr = window.devicePixelRatio || 1;
    if (this.canvas.width !== Math.round(width * dpr) || this.canvas.height !== Math.round(height * dpr)) {
      this.canvas.width = Math.round(width * dpr);
      this.canvas.height = Math.round(height * dpr);
      this.canvas.style.width = `${width}px`;
      this.canvas.style.height = `${height}px`;
    }
    this.clear();
    for (const [k, a] of this.active) if (a.until < now) this.active.delete(k);
    if (this.active.size === 0) return;
    let list = [...this.active];
    if (list.length > this.o.maxEdges) list = list.sort((x, y) => y[1].bps - x[1].bps).slice(0, this.o.maxEdges);
    const g = this.graph;
    const ctx = this.ctx;
    // Node positions once per frame (busy nodes end many animated edges), from the drawn graph's
    // positions: sigma's display data is not framed yet while a refresh waits for its render.
    const drawn = this.sigma.getGraph();
    const seen = new Map<string, { x: number; y: number } | null>();
    const at = (n: string): { x: number; y: number } | null => {
      let v = seen.get(n);
      if (v === undefined) {
        const a = drawn.hasNode(n) ? drawn.getNodeAttributes(n) : null;
        v = a ? this.sigma.graphToViewport({ x: a.x, y: a.y }) : null;
        seen.set(n, v);
      }
      return v;
    };
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.fillStyle = this.o.color;
    ctx.beginPath();
    for (const [k, a] of list) {
      if (!g.hasEdge(k)) continue;
      const vs = at(g.source(k)), vt = at(g.target(k));
      const ed = this.sigma.getEdgeDisplayData(k);
      if (!vs || !vt || !ed || ed.hidden) continue;
      const attrs: Attributes = g.getEdgeAttributes(k);
      const curved = ed.type.startsWith('curve');
      const c = curved ? curveControl(vs.x, vs.y, vt.x, vt.y, Number(attrs.curvature) || 0.25) : { x: (vs.x + vt.x) / 2, y: (vs.y + vt.y) / 2 };
      const r = Math.max(1.5, Math.min(3.5, ed.size * 0.9));
      const fade = Math.min(1, (a.until - now) / 400);
      for (const dir of [a.forward ? 1 : 0, a.backward ? -1 : 0]) {
        if (!dir) continue;
        for (let i = 0; i < 2; i++) {
          let u = (a.phase + i / 2 + (now / 1000) * this.o.speed) % 1;
          if (dir < 0) u = 1 - u;
          const w = 1 - u;
          const x = w * w * vs.x + 2 * w * u * c.x + u * u * vt.x, y = w * w * vs.y + 2 * w * u * c.y + u * u * vt.y;
          if (x < -5 || y < -5 || x > width + 5 || y > height + 5) continue;
          const rr = r * fade;
          ctx.moveTo(x + rr, y);
          ctx.arc(x, y, rr, 0, Math.PI * 2);
        }
      }
    }
    ctx.fill();
    this.kick();
  }

  /** Removes the canvas. */
  kill(): void {
    if (this.frame) cancelAnimationFrame(this.frame);
    this.frame = 0;
    this.sigma.killLayer('flows');
  }
}
