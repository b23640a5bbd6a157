/**
 * A real browser for the viz client's end-to-end tests: Debian's Chromium
 * driven by playwright-core (no browser download), headless, with the flags
 * that work on a machine without network, and helpers that read what the
 * page holds and draws, compare it with the view the server defines, and
 * decode screenshots in the browser itself.
 */
import { existsSync } from 'node:fs';
import { type Browser, chromium, type Page } from 'playwright-core';
import { referenceState } from '../../glougloud/views/reference.js';
import type { GraphState } from '../../glougloud/views/types.js';
import type { TestGlougloud } from '../helpers/glougloud.js';
import { eventually } from '../helpers/probe-client.js';
import { fullConfig, readSource } from '../glougloud/viz/harness.js';

/** Where Debian installs Chromium (scripts/setup.sh installs the package). */
export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

/** Flags for a machine without network: no background requests, no sandbox (root, containers). */
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'];

/** Starts headless Chromium (playwright gives it a fresh profile directory). */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} missing: install Debian's chromium (scripts/setup.sh does, as root)`);
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: 60_000 });
}

/** The page's state (window.glouglou.state()). */
export interface PageState {
  seq: number; nodes: number; edges: number; layout: string; color: string; connection: string; paused: boolean;
  config: Record<string, unknown>; queued: number; panel: string | null; embed: boolean; anonymize: boolean;
}

/** Reads the page's state. */
export function pageState(page: Page): Promise<PageState> {
  return page.evaluate(() => (window as unknown as { glouglou: { state(): PageState } }).glouglou.state());
}

/** The keys of the page's graph, sorted. */
export function pageKeys(page: Page): Promise<{ nodes: string[]; edges: string[] }> {
  return page.evaluate(() => {
    const g = (window as unknown as { glouglou: { graph: { nodes(): string[]; edges(): string[] } } }).glouglou.graph;
    return { nodes: g.nodes().sort(), edges: g.edges().sort() };
  });
}

/** The view the server defines for a configuration, from what Redis holds now (glougloud's reference implementation). */
export async function serverView(gg: TestGlougloud, raw: object): Promise<GraphState> {
  return referenceState(fullConfig(raw), await readSource(gg.redisUrl), Date.now());
}

/** Waits until the page holds exactly the server's view for a configuration (same node and edge keys). */
export async function pageEqualsServer(p: Page, gg: TestGlougloud, raw: object, what: string, timeoutMs = 45_000): Promise<GraphState> {
  let last = '';
  try {
    return await eventually(async () => {
      const want = await serverView(gg, raw);
      const got = await pageKeys(p);
      const same = JSON.stringify(got) === JSON.stringify({ nodes: [...want.nodes.keys()].sort(), edges: [...want.edges.keys()].sort() });
      last = `page ${got.nodes.length} nodes/${got.edges.length} edges, server ${want.nodes.size}/${want.edges.size}`;
      return same ? want : null;
    }, what, timeoutMs);
  } catch (e) {
    throw new Error(`${(e as Error).message}: ${last}`);
  }
}

/** Waits until the page is live (logged in, its view loaded). */
export async function live(p: Page): Promise<void> {
  await p.waitForFunction(() => (window as unknown as { glouglou: { state(): { connection: string } } }).glouglou.state().connection === 'live', null, { timeout: 30_000 });
}

/**
 * A drawn node far from the others, where a click reaches the graph and not
 * the chrome over it, to click or drag without ambiguity. The layout may be
 * moving nodes (or the camera still settling) under load: look again for a while.
 */
export async function lonelyNode(p: Page): Promise<{ key: string; x: number; y: number; size: number }> {
  const box = (await p.locator('#graph').boundingBox())!;
  let seen = '';
  const n = await eventually(async () => {
    const found = await p.evaluate(({ bx, by, w, h }) => {
      const gl = (window as unknown as { glouglou: { graph: { nodes(): string[] }; nodeViewport(k: string): { x: number; y: number; size: number } | null } }).glouglou;
      const graphEl = document.getElementById('graph')!;
      const pts = gl.graph.nodes().map((key) => ({ key, ...gl.nodeViewport(key)! })).filter((q) => Number.isFinite(q.x) && Number.isFinite(q.y));
      let best: { key: string; x: number; y: number; size: number } | null = null, bestD = -1;
      for (const q of pts) {
        if (q.x < 20 || q.x > w - 20 || q.y < 20 || q.y > h - 20) continue;
        const hit = document.elementFromPoint(bx + q.x, by + q.y);
        if (!hit || !graphEl.contains(hit)) continue;
        let d = Infinity;
        for (const o of pts) if (o !== q) d = Math.min(d, Math.hypot(o.x - q.x, o.y - q.y));
        if (d > bestD) { bestD = d; best = q; }
      }
      return { best, total: gl.graph.nodes().length, finite: pts.length, sample: pts.slice(0, 6).map((q) => `${q.key}@${Math.round(q.x)},${Math.round(q.y)}`) };
    }, { bx: box.x, by: box.y, w: box.width, h: box.height });
    seen = `${found.total} nodes, ${found.finite} with finite positions; ${found.sample.join(' ')}`;
    return found.best;
  }, 'a node drawn where a click reaches the graph', 20_000).catch((e: Error) => { throw new Error(`${e.message} (${seen})`); });
  return { ...n, x: box.x + n.x, y: box.y + n.y };
}

/** The page's debugging handle (main.ts), as the tests use it. */
export type Gl = {
  glouglou: {
    graph: { hasNode(k: string): boolean; getNodeAttributes(k: string): Record<string, unknown> };
    sigma: {
      getGraph(): { getNodeAttributes(k: string): Record<string, number> };
      getNodeDisplayData(k: string): { color: string; x: number; y: number; type: string } | undefined;
      getEdgeDisplayData(k: string): { color: string; hidden: boolean; type: string } | undefined;
      getCamera(): { setState(s: object): void; getState(): { x: number; y: number; ratio: number } };
      graphToViewport(p: { x: number; y: number }): { x: number; y: number };
    };
    app: { conn: unknown };
    perf: { snapshots: number };
    nodeViewport(k: string): { x: number; y: number; size: number } | null;
  };
};

/** Where a node is drawn, in page coordinates. */
export async function nodeAt(p: Page, key: string): Promise<{ x: number; y: number }> {
  const box = (await p.locator('#graph').boundingBox())!;
  const v = await eventually(() => p.evaluate((k) => (window as unknown as Gl).glouglou.nodeViewport(k), key), `${key} drawn`, 10_000);
  return { x: box.x + v.x, y: box.y + v.y };
}

/** How sigma draws a node (after the reducers). */
export const nodeDisplay = (p: Page, key: string) => p.evaluate((k) => (window as unknown as Gl).glouglou.sigma.getNodeDisplayData(k)!, key);
/** How sigma draws an edge (after the reducers). */
export const edgeDisplay = (p: Page, key: string) => p.evaluate((k) => (window as unknown as Gl).glouglou.sigma.getEdgeDisplayData(k), key);

/** Logs in through the form. */
export async function login(page: Page, password: string): Promise<void> {
  await page.locator('#login').waitFor({ state: 'visible', timeout: 30_000 });
  await page.locator('#login-submit:not([disabled])').waitFor({ timeout: 30_000 });
  await page.fill('#login-form input[name=password]', password);
  await page.click('#login-submit');
}

/** What a screenshot shows, measured by the browser that decodes it. */
export interface PngCheck {
  width: number;
  height: number;
  /** Share of the sampled area within `tolerance` of each named colour. */
  share: Record<string, number>;
  /** For each point, the distance from its pixel to the point's colour. */
  distances: number[];
}

/**
 * Decodes a PNG in the page and measures it there (only numbers come back):
 * the share of pixels near each colour of `colors` inside `area`, and how far
 * the pixel at each point is from the point's colour.
 */
export async function checkPng(page: Page, png: Buffer, o: { area: { x: number; y: number; width: number; height: number }; colors: Record<string, string>; tolerance: number; points: { x: number; y: number; color: string }[] }): Promise<PngCheck> {
  return page.evaluate(async ({ b64, o }) => {
    const img = new Image();
    img.src = `data:image/png;base64,${b64}`;
    await img.decode();
    const c = document.createElement('canvas');
    c.width = img.width;
    c.height = img.height;
    const ctx = c.getContext('2d')!;
    ctx.drawImage(img, 0, 0);
    const d = ctx.getImageData(0, 0, c.width, c.height).data;
    const hex = (h: string): number[] => { const n = Number.parseInt(h.slice(1), 16); return [(n >> 16) & 255, (n >> 8) & 255, n & 255]; };
    const at = (x: number, y: number): number[] => { const i = (Math.round(y) * c.width + Math.round(x)) * 4; return [d[i], d[i + 1], d[i + 2]]; };
    const dist = (a: number[], b: number[]): number => Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
    const names = Object.keys(o.colors), refs = names.map((n) => hex(o.colors[n]));
    const counts = names.map(() => 0);
    let n = 0;
    for (let y = o.area.y; y < o.area.y + o.area.height; y += 3) {
      for (let x = o.area.x; x < o.area.x + o.area.width; x += 3) {
        n++;
        const p = at(x, y);
        refs.forEach((r, i) => { if (dist(p, r) <= o.tolerance) counts[i]++; });
      }
    }
    return {
      width: c.width, height: c.height,
      share: Object.fromEntries(names.map((k, i) => [k, counts[i] / Math.max(1, n)])),
      distances: o.points.map((p) => dist(at(p.x, p.y), hex(p.color))),
    };
  }, { b64: png.toString('base64'), o });
}

