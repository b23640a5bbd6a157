/**
 * The page: the connection, the mirrored graph, the renderer and its
 * layers, and the controls, wired together. Messages wait in a ViewQueue and
 * are applied in one batch per animation frame (within the frame budget).
 */
import type { Attributes } from 'graphology-types';
import type { Topology } from 'topojson-specification';
import countries110m from 'world-atlas/countries-110m.json';
import { type Masker, randomMasker } from './anonymize.js';
import { buildBasemap } from './geo/basemap.js';
import { categoryColor, edgeColor, edgeSize, nodeCategory, nodeLabel, nodeSize } from './graph/encoding.js';
import { Batch, createViewGraph, GraphMirror, type MirrorResult } from './graph/mirror.js';
import { FrameBudget, ViewQueue } from './graph/view-queue.js';
import { Layouts } from './layout/layouts.js';
import { type ConnState, DEFAULT_CONNECTION_OPTIONS, livenessOptions, VizConnection } from './protocol/connection.js';
import type { Attrs, ServerMessage, ViewConfig } from './protocol/messages.js';
import { FlowLayer, SOFTWARE_FLOW } from './render/flow-layer.js';
import { Renderer } from './render/renderer.js';
import { byId } from './ui/dom.js';
import { configDelta } from './ui/filter-config.js';
import { FiltersView } from './ui/filters.js';
import { LegendView } from './ui/legend.js';
import { LoginView } from './ui/login.js';
import { PanelView } from './ui/panel.js';
import { SearchView } from './ui/search.js';
import { probeTotals, StatusView } from './ui/status.js';
import { type ColorMode, formatUrlState, type Layout, type PageState } from './url-state.js';

/** Edge curvature by kind: hops bend more, so a path and a link between the same hosts stay apart. */
const CURVATURE: Record<string, number> = { link: 0.18, hop: 0.32 };

/** Timings the benchmark and the tests read. */
export interface PagePerf { loginAt: number; snapshotReceivedAt: number; firstSnapshotAt: number; firstAppliedAt: number; firstRenderAt: number; applyMs: number[]; renderMs: number[]; snapshots: number; batches: number; diffs: number }

/** The running page. */
export class App {
  readonly graph = createViewGraph();
  readonly renderer: Renderer;
  readonly layouts: Layouts;
  readonly mirror: GraphMirror;
  readonly conn: VizConnection;
  readonly perf: PagePerf = { loginAt: 0, snapshotReceivedAt: 0, firstSnapshotAt: 0, firstAppliedAt: 0, firstRenderAt: 0, applyMs: [], renderMs: [], snapshots: 0, batches: 0, diffs: 0 };
  private readonly flows: FlowLayer;
  private readonly status = new StatusView();
  private readonly login: LoginView;
  private readonly panel: PanelView;
  private readonly filters: FiltersView;
  private readonly legend: LegendView;
  private readonly masker: Masker | null;
  private readonly queue = new ViewQueue();
  private readonly budget = new FrameBudget();
  private frame = 0;
  private paused = false;
  private probes: Attrs[] = [];
  private connState: ConnState = 'connecting';
  /** A login the server put off (busy, rate limited) and the connection will retry: the form stays up to say why and how long. */
  private loginDelayed = false;
  private opsThisSecond = 0;
  private updatesPerS = 0;
  private renderStart = 0;
  private awaitingFirstRender = false;

  constructor(private state: PageState, wsUrl: string) {
    document.body.classList.toggle('embed', state.embed);
    this.masker = state.anonymize ? randomMasker() : null;
    this.renderer = new Renderer(this.graph, byId('graph'));
    const sigma = this.renderer.sigma;
    this.layouts = new Layouts(this.renderer, {
      basemap: buildBasemap(countries110m as unknown as Topology),
      detailed: () => import('world-atlas/countries-50m.json').then((m) => buildBasemap(m.default as unknown as Topology)),
      onPin: () => this.panel.render(true),
    });
    this.flows = new FlowLayer(sigma, this.graph, this.renderer.software ? SOFTWARE_FLOW : {});
    this.mirror = new GraphMirror(this.graph, {
      node: (key, a, added) => this.decorateNode(key, a, added),
      edge: (_key, a) => { a.size = edgeSize(a); a.color = edgeColor(a); a.type = this.renderer.edgeType(a.kind); a.curvature = CURVATURE[String(a.kind)] ?? 0.2; },
      nodeRemoved: (key) => this.layouts.release(key),
      cleared: () => { this.layouts.reset(); this.flows.reset(); },
    });
    this.layouts.show(state.layout);
    this.panel = new PanelView(this.graph, {
      select: (n) => this.select(n), unpin: (n) => this.layouts.unpin(n), isPinned: (n) => this.layouts.isPinned(n),
      masker: () => this.masker, probeNames: () => new Map(this.probes.map((p) => [Number(p.id), String(p.site_name ?? '')])),
    });
    new SearchView(this.graph, () => this.masker, (n) => { this.select(n); this.flyTo(n); });
    this.filters = new FiltersView((c) => this.configure(c));
    this.filters.set(state.config);
    this.legend = new LegendView(this.graph, (id) => this.probes.find((p) => Number(p.id) === id)?.site_name as string | undefined);
    this.login = new LoginView((password, user) => { this.perf.loginAt = performance.now(); this.conn.login(password, user); });
    this.bindControls();
    sigma.on('clickNode', ({ node }) => this.select(node));
    sigma.on('clickStage', () => this.select(null));
    sigma.on('beforeRender', () => { this.renderStart = performance.now(); });
    sigma.on('afterRender', () => this.afterRender());
    this.conn = new VizConnection(wsUrl, configDelta(state.config), {
      state: (s, detail) => this.onState(s, detail),
      message: (m) => this.onMessage(m),
      loginFailed: (code, _detail, retry) => {
        this.login.failed(code, retry);
        this.loginDelayed = this.connState === 'authenticating';
        this.login.show(this.connState === 'login' || this.loginDelayed);
      },
    }, { ...DEFAULT_CONNECTION_OPTIONS, ...(state.ping !== undefined ? livenessOptions(state.ping) : {}) });
    setInterval(() => this.tickCounters(), 1000);
    this.legend.render(state.color, true);
  }

  /** Connects. */
  start(): void {
    this.conn.start();
  }

  private decorateNode(key: string, a: Attributes, added: boolean): boolean {
    a.size = nodeSize(a);
    a.color = categoryColor(this.state.color, nodeCategory(a, this.state.color));
    a.label = nodeLabel(key, a, this.masker);
    return this.layouts.place(key, a, added);
  }

  private onState(s: ConnState, detail: string): void {
    this.connState = s;
    this.status.connection(this.paused && s === 'live' ? 'paused' : s, detail);
    if (s !== 'authenticating') this.loginDelayed = false;
    this.login.show(s === 'login' || this.loginDelayed);
    if (s === 'authenticating') this.login.pending();
  }

  private onMessage(m: ServerMessage): void {
    switch (m.type) {
      case 'snapshot':
        if (this.perf.snapshotReceivedAt === 0) this.perf.snapshotReceivedAt = performance.now();
        this.queue.push(m, this.paused);
        this.viewConfig(m.config);
        this.schedule();
        return;
      case 'diff':
        this.perf.diffs++;
        if (m.config) this.viewConfig(m.config);
        this.queue.push(m, this.paused);
        this.schedule();
        return;
      case 'probes': {
        this.probes = m.probes;
        this.filters.setProbes(m.probes.map((p) => ({ id: Number(p.id), name: String(p.site_name ?? '') })));
        return;
      }
      case 'notice':
        this.status.notice(m.level, m.text, m.code);
        return;
      case 'error':
        if (['GG_VIZ_BAD_CONFIG', 'GG_VIZ_FORBIDDEN', 'GG_VIZ_UNKNOWN_MODULE', 'GG_VIZ_TOO_MANY_VIEWS'].includes(m.code)) this.filters.refused(m.code, m.detail);
        this.status.notice('warn', m.detail || m.code, m.code);
        return;
      default:
    }
  }

  private viewConfig(c: Partial<ViewConfig>): void {
    this.state = { ...this.state, config: { ...this.state.config, ...c } as ViewConfig };
    this.filters.set(this.state.config);
    this.filters.applied();
    this.saveUrl();
  }

  private configure(c: ViewConfig): void {
    this.state = { ...this.state, config: c };
    this.conn.configure(configDelta(c));
    this.saveUrl();
  }

  private saveUrl(): void {
    const search = formatUrlState(this.state);
    if (search !== location.search) history.replaceState(null, '', `${location.pathname}${search}${location.hash}`);
  }

  private schedule(): void {
    if (!this.frame && !this.paused) this.frame = requestAnimationFrame((t) => this.applyQueued(t));
  }

  /** Applies every queued message as one batch. */
  private applyQueued(now: number): void {
    this.frame = 0;
    if (this.paused || this.queue.length === 0) return;
    if (!this.budget.ready(now)) { this.schedule(); return; }
    const t0 = performance.now();
    requestAnimationFrame((next) => this.budget.measured(now, next));
    const batch = new Batch();
    const queue = this.queue.take();
    if (queue[0].type === 'snapshot') this.renderer.expectEdges(queue[0].graph.edges.length);
    this.perf.batches++;
    const out: { r: MirrorResult } = { r: { ok: true } };
    this.renderer.apply(batch, () => {
      for (const m of queue) {
        out.r = m.type === 'snapshot' ? this.mirror.snapshot(m.seq, m.graph, batch) : this.mirror.diff(m.prev, m.seq, m, batch);
        if (!out.r.ok) break;
        if (m.type === 'snapshot') this.perf.snapshots++;
        if (m.type === 'snapshot' && this.perf.firstSnapshotAt === 0) { this.perf.firstSnapshotAt = t0; this.perf.firstAppliedAt = performance.now(); this.awaitingFirstRender = true; }
      }
    });
    if (batch.reset) this.flows.reset();
    this.flows.forget(batch.edgesRemoved);
    this.flows.touch(batch.edgesActive);
    this.opsThisSecond += batch.ops;
    this.panel.render(batch.nodesRemoved.has(this.panel.node ?? ''));
    this.legend.render(this.state.color, batch.reset);
    byId('empty').hidden = this.graph.order > 0 || this.connState !== 'live';
    pushBounded(this.perf.applyMs, performance.now() - t0);
    const r = out.r;
    if (!r.ok) {
      this.status.notice('warn', `view out of step (${r.code}): reloading`, r.code);
      this.conn.resync();
    }
  }

  private afterRender(): void {
    pushBounded(this.perf.renderMs, performance.now() - this.renderStart);
    if (this.awaitingFirstRender) {
      this.awaitingFirstRender = false;
      this.perf.firstRenderAt = performance.now();
    }
  }

  private tickCounters(): void {
    this.updatesPerS = this.opsThisSecond;
    this.opsThisSecond = 0;
    const t = probeTotals(this.probes);
    this.status.counters({ nodes: this.graph.order, edges: this.graph.size, eventsPerS: t.eventsPerS, loss: t.loss, updatesPerS: this.updatesPerS });
  }

  /** Opens a node's panel and highlights its neighbourhood (null: closes). */
  select(node: string | null): void {
    this.panel.open(node);
    this.renderer.setSelected(this.panel.node);
  }

  private flyTo(node: string): void {
    const sigma = this.renderer.sigma, drawn = this.renderer.graph;
    if (!drawn.hasNode(node)) return;
    // From the node's graph position: its display data is not framed yet when a refresh (the selection's) is pending.
    const a = drawn.getNodeAttributes(node);
    const to = sigma.viewportToFramedGraph(sigma.graphToViewport({ x: a.x, y: a.y }));
    const cam = sigma.getCamera();
    cam.animate({ x: to.x, y: to.y, ratio: Math.min(cam.ratio, 0.2) }, { duration: 500 });
  }

  /** Pauses or resumes applying the live changes. */
  setPaused(on: boolean): void {
    this.paused = on;
    this.flows.setEnabled(!on);
    const b = byId('pause');
    b.setAttribute('aria-pressed', String(on));
    b.textContent = on ? 'Resume' : 'Pause';
    this.status.connection(on && this.connState === 'live' ? 'paused' : this.connState);
    if (!on && this.queue.reloadNeeded) this.conn.resync();
    if (!on) this.schedule();
  }

  /** Switches the layout live. */
  setLayout(l: Layout): void {
    this.state = { ...this.state, layout: l };
    this.layouts.show(l);
    for (const b of document.querySelectorAll<HTMLButtonElement>('#layout-switch button')) b.classList.toggle('on', b.dataset.layout === l);
    this.saveUrl();
  }

  /** Switches what node colours mean. */
  setColor(c: ColorMode): void {
    this.state = { ...this.state, color: c };
    this.graph.forEachNode((_k, a) => { a.color = categoryColor(c, nodeCategory(a, c)); });
    this.renderer.restyleNodes();
    (byId('color-mode') as HTMLSelectElement).value = c;
    this.legend.render(c, true);
    this.saveUrl();
  }

  private bindControls(): void {
    for (const b of document.querySelectorAll<HTMLButtonElement>('#layout-switch button')) {
      b.classList.toggle('on', b.dataset.layout === this.state.layout);
      b.addEventListener('click', () => this.setLayout(b.dataset.layout as Layout));
    }
    const color = byId<HTMLSelectElement>('color-mode');
    color.value = this.state.color;
    color.addEventListener('change', () => this.setColor(color.value as ColorMode));
    byId('pause').addEventListener('click', () => this.setPaused(!this.paused));
  }

  /** What tests and the benchmark read. */
  snapshotState(): Record<string, unknown> {
    return {
      seq: this.mirror.seq, nodes: this.graph.order, edges: this.graph.size, layout: this.state.layout, color: this.state.color,
      connection: this.connState, paused: this.paused, config: this.state.config, queued: this.queue.length, panel: this.panel.node,
      embed: this.state.embed, anonymize: this.state.anonymize,
    };
  }
}

function pushBounded(a: number[], v: number, max = 5000): void {
  a.push(v);
  if (a.length > max) a.splice(0, a.length - max);
}
