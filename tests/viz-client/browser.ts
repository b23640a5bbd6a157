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

/** Pixels of a PNG, decoded by the browser: width, height and RGBA bytes as an array. */
export async function decodePng(page: Page, png: Buffer): Promise<{ width: number; height: number; data: number[] }> {
  return page.evaluate(async (b64) => {
    const img = new Image();
    img.src = `data:image/png;base64,${b64}`;
    await img.decode();
    const c = document.createElement('canvas');
    c.width = img.width;
    c.height = img.height;
    const ctx = c.getContext('2d')!;
    ctx.drawImage(img, 0, 0);
    return { width: c.width, height: c.height, data: Array.from(ctx.getImageData(0, 0, c.width, c.height).data) };
  }, png.toString('base64'));
}

/** "#rrggbb" → [r, g, b]. */
export function rgb(hex: string): [number, number, number] {
  const n = Number.parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}
