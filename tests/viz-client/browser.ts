/**
 * A real browser for the viz client's end-to-end tests: Debian's Chromium
 * driven by playwright-core (no browser download), headless, with the flags
 * that work on a machine without network, and helpers that read what the
 * page shows and decode screenshots in the browser itself.
 */
import { existsSync } from 'node:fs';
import { type Browser, chromium, type Page } from 'playwright-core';

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

