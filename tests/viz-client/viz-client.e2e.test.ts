/**
 * The viz client for real: a real glougloud (embedded Redis, viz server
 * serving dist/viz-client) fed by a real ggprobe replaying a shared capture
 * and by a simulating one, and the built page in Debian's headless Chromium.
 * What the page holds is compared with the view computed from scratch from
 * what Redis holds (glougloud's reference implementation), so the page is
 * checked against the server's definition, not against itself.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { GraphState } from '../../glougloud/views/types.js';
import { ROOT, type TestGlougloud } from '../helpers/glougloud.js';
import { eventually } from '../helpers/probe-client.js';
import { project } from '../../viz-client/src/geo/projection.js';
import { DEFAULT_SPREAD } from '../../viz-client/src/geo/spread.js';
import { PASSWORD, startSimProbe, startVizGlougloud, stopChild } from '../glougloud/viz/harness.js';
import { checkPng, launchChromium, live, login, lonelyNode, pageEqualsServer as equalsServer, pageState } from './browser.js';

const CAPTURE = '../shared/pcaps/http_espn.pcapng';
const OUT = join(ROOT, 'test-output', 'viz-client');
const VIEWPORT = { width: 1280, height: 800 };

let gg: TestGlougloud;
let browser: Browser;
let page: Page;
const children: ChildProcess[] = [];

/** Replays the shared capture into glougloud as probe 2, at capture speed (its 2 s leave time for the session to come up), and waits for the end. */
async function replay(): Promise<void> {
  const p = spawn(process.execPath, [join(ROOT, 'dist/probe/main.js'), '-r', CAPTURE, '--realtime', '1', '-s', `127.0.0.1:${gg.probesPort}`, '--id', '2',
    '--secret-file', join(gg.probesDir, '2'), '--site-name', 'Replay', '--site-lat', '50.85', '--site-lng', '4.35'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  p.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
  const code = await new Promise<number | null>((r) => p.once('exit', r));
  if (code !== 0) throw new Error(`replay failed (${code}): ${err.slice(-800)}`);
}

/** Waits until the page holds exactly the server's view for a configuration. */
function pageEqualsServer(p: Page, raw: object, what: string): Promise<GraphState> {
  return equalsServer(p, gg, raw, what);
}

async function openPage(query = ''): Promise<Page> {
  const p = await browser.newPage({ viewport: VIEWPORT });
  p.on('pageerror', (e) => { throw new Error(`page error: ${e.message}`); });
  await p.goto(`http://127.0.0.1:${gg.vizPort}/${query}`);
  return p;
}

beforeAll(async () => {
  mkdirSync(OUT, { recursive: true });
  gg = await startVizGlougloud({ probes: { 1: 'sim-secret-1', 2: 'replay-secret-2' } });
  await replay();
  browser = await launchChromium();
}, 90_000);

afterAll(async () => {
  for (const c of children) await stopChild(c);
  await browser?.close();
  await gg?.stop();
});

/** Sites of the two probes (the replay's and the simulator's). */
const SITES = [{ lat: 50.85, lng: 4.35 }, { lat: 48.85, lng: 2.35 }];

/**
 * What the simulated traffic looks like drawn: private addresses around
 * their probe's site, each at its own spot; curved links; DNS names as
 * labels; dots running along the busy links; the counters moving.
 */
async function drawnAsEncoded(p: Page): Promise<void> {
  type Drawn = { key: string; scope?: string; lat?: number; lng?: number; names?: { name: string }[]; x: number; y: number; label: string | null };
  const nodes = await p.evaluate(() => {
    const gl = (window as unknown as { glouglou: { graph: { mapNodes<T>(f: (k: string, a: Record<string, unknown>) => T): T[] }; sigma: { getGraph(): { getNodeAttributes(k: string): { x: number; y: number } }; getNodeDisplayData(k: string): { label: string | null } } } }).glouglou;
    return gl.graph.mapNodes((key, a) => ({ key, scope: a.scope, lat: a.lat, lng: a.lng, names: a.names, ...gl.sigma.getGraph().getNodeAttributes(key), label: gl.sigma.getNodeDisplayData(key).label }));
  }) as Drawn[];
  const privates = nodes.filter((n) => n.scope === 'private');
  expect(privates.length).toBeGreaterThan(3);
  for (const site of SITES) {
    const here = privates.filter((n) => n.lat === site.lat && n.lng === site.lng);
    const c = project(site.lat, site.lng);
    // Spread on a spiral around the site: within its radius, no two at the same spot.
    const radius = DEFAULT_SPREAD.step * Math.sqrt(here.length) + 1e-9;
    for (const n of here) expect(Math.hypot(n.x - c.x, n.y - c.y), n.key).toBeLessThanOrEqual(radius);
    expect(new Set(here.map((n) => `${n.x},${n.y}`)).size).toBe(here.length);
  }
  expect(privates.every((n) => SITES.some((s) => s.lat === n.lat && s.lng === n.lng))).toBe(true);
  const named = nodes.filter((n) => Array.isArray(n.names) && n.names.length > 0);
  expect(named.length).toBeGreaterThan(0);
  for (const n of named) expect(n.label).toBe(n.names![0].name);
  const types = await p.evaluate(() => {
    const s = (window as unknown as { glouglou: { sigma: { getGraph(): { mapEdges<T>(f: (k: string) => T): T[] }; getEdgeDisplayData(k: string): { type: string } } } }).glouglou.sigma;
    return [...new Set(s.getGraph().mapEdges((k) => s.getEdgeDisplayData(k).type))];
  });
  expect(types).toContain('curve');
  // The flow animation draws dots on its own canvas.
  await expect.poll(() => p.evaluate(() => {
    const c = document.querySelector<HTMLCanvasElement>('#graph canvas.sigma-flows')!;
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let drawn = 0;
    for (let i = 3; i < d.length; i += 4) if (d[i] > 0) drawn++;
    return drawn;
  }), { timeout: 10_000 }).toBeGreaterThan(20);
  await expect.poll(async () => Number((await p.locator('#count-events').textContent())!.replace(/,/g, '')), { timeout: 10_000 }).toBeGreaterThan(0);
}

describe('viz client in a browser', () => {
  test('a wrong password is refused; the right one logs in; the page holds exactly the server\'s view', async () => {
    page = await openPage();
    await login(page, 'not the password');
    await expect.poll(() => page.locator('#login-error').getAttribute('data-code'), { timeout: 20_000 }).toBe('GG_VIZ_AUTH_FAILED');
    expect(await page.locator('#login').isVisible()).toBe(true);
    expect((await pageState(page)).connection).toBe('login');
    expect(await page.locator('#login-error').textContent()).toMatch(/Wrong password/);
    // The server makes this address wait after a failure: the form says so and waits too.
    await login(page, PASSWORD);
    await live(page);
    expect(await page.locator('#login').isVisible()).toBe(false);
    const want = await pageEqualsServer(page, {}, 'page graph equal to the server view of the replayed capture');
    expect(want.nodes.size).toBeGreaterThan(5);
    expect(want.edges.size).toBeGreaterThan(5);
    await expect.poll(async () => [await page.locator('#count-nodes').textContent(), await page.locator('#count-edges').textContent()], { timeout: 10_000 })
      .toEqual([want.nodes.size.toLocaleString('en-US'), want.edges.size.toLocaleString('en-US')]);
    expect(await page.locator('#conn').getAttribute('data-state')).toBe('live');
  }, 120_000);

  test('clicking a node opens its panel with its address', async () => {
    const n = await lonelyNode(page);
    await page.mouse.click(n.x, n.y);
    await page.locator('#panel').waitFor({ state: 'visible', timeout: 10_000 });
    expect(await page.locator('#panel').getAttribute('data-node')).toBe(n.key);
    const facts = await page.locator('#panel-facts').textContent();
    expect(facts).toContain(n.key);
    expect((await pageState(page)).panel).toBe(n.key);
    await page.click('#panel-close');
    await page.locator('#panel').waitFor({ state: 'hidden' });
  }, 60_000);

  test('a filter change changes the view as the server computed it, and the URL carries it', async () => {
    await page.click('#filters-toggle');
    await page.selectOption('#filter-form select[name=grouping]', 'country');
    const want = await pageEqualsServer(page, { grouping: 'country' }, 'page graph equal to the server view grouped by country');
    expect([...want.nodes.keys()].some((k) => k.startsWith('country:'))).toBe(true);
    expect(new URL(page.url()).searchParams.get('grouping')).toBe('country');
    expect((await pageState(page)).config.grouping).toBe('country');
    // A field the server would refuse is refused at once, by field and code.
    await page.fill('#filter-form input[name=ports]', '80, 99999');
    await expect.poll(() => page.locator('#filter-error').getAttribute('data-code'), { timeout: 10_000 }).toBe('GG_VC_BAD_PORT');
    await page.fill('#filter-form input[name=ports]', '');
    await page.click('#filter-reset');
    await pageEqualsServer(page, {}, 'page graph back to the ungrouped server view');
    expect(new URL(page.url()).searchParams.get('grouping')).toBeNull();
    await page.click('#filters-toggle');
  }, 120_000);

  test('geo and force views switch live, keep their positions, and a dragged node stays pinned', async () => {
    // Positions live in the drawn graph (the layouts move its nodes).
    type G = { glouglou: { sigma: { getGraph(): { getNodeAttributes(k: string): { x: number; y: number; lat?: number; lng?: number; fixed?: boolean } } }; app: { setLayout(l: string): void } } };
    const geo = await lonelyNode(page);
    const geoPos = await page.evaluate((k) => (window as unknown as G).glouglou.sigma.getGraph().getNodeAttributes(k), geo.key);
    const mapCanvases = (): Promise<number> => page.locator('#graph canvas.sigma-geoMap').count();
    expect(await mapCanvases()).toBe(1);
    await page.click('#layout-switch button[data-layout=force]');
    expect((await pageState(page)).layout).toBe('force');
    // The map layer is unbound (clean()): its canvas is gone.
    expect(await mapCanvases()).toBe(0);
    expect(new URL(page.url()).searchParams.get('layout')).toBe('force');
    // ForceAtlas2 runs in its worker and moves nodes away from their map positions.
    await expect.poll(async () => {
      const a = await page.evaluate((k) => (window as unknown as G).glouglou.sigma.getGraph().getNodeAttributes(k), geo.key);
      return Math.hypot(a.x - geoPos.x, a.y - geoPos.y) > 1e-3;
    }, { timeout: 20_000 }).toBe(true);
    // Drag a node: it stays pinned where it is dropped. The layout keeps moving nodes, so a grab may miss: try again.
    const isFixed = (k: string): Promise<boolean> => page.evaluate((key) => (window as unknown as G).glouglou.sigma.getGraph().getNodeAttributes(key).fixed === true, k);
    let n = await lonelyNode(page);
    for (let attempt = 0; attempt < 5 && !(await isFixed(n.key)); attempt++) {
      n = await lonelyNode(page);
      await page.mouse.move(n.x, n.y);
      await page.mouse.down();
      for (let i = 1; i <= 8; i++) await page.mouse.move(n.x + i * 8, n.y + i * 5);
      await page.mouse.up();
      await page.waitForTimeout(300);
    }
    expect(await isFixed(n.key)).toBe(true);
    // Back and forth: the map puts nodes where they are; the force view gets its positions back.
    const kept = await page.evaluate(({ k }) => {
      const gl = (window as unknown as G).glouglou;
      const drawn = gl.sigma.getGraph();
      const force = { ...drawn.getNodeAttributes(k) };
      gl.app.setLayout('geo');
      const map = { ...drawn.getNodeAttributes(k) };
      gl.app.setLayout('force');
      const again = { ...drawn.getNodeAttributes(k) };
      return { force, map, again };
    }, { k: n.key });
    expect([kept.again.x, kept.again.y]).toEqual([kept.force.x, kept.force.y]);
    expect(kept.again.fixed).toBe(true);
    await page.click('#layout-switch button[data-layout=geo]');
    expect((await pageState(page)).layout).toBe('geo');
    expect(await mapCanvases()).toBe(1);
    const back = await page.evaluate((k) => (window as unknown as G).glouglou.sigma.getGraph().getNodeAttributes(k), geo.key);
    expect([back.x, back.y]).toEqual([geoPos.x, geoPos.y]);
  }, 120_000);

  test('embed mode hides the chrome but not the connection state; anonymize masks addresses and names; the URL sets the view', async () => {
    const p = await openPage('?embed=1&anonymize=1&color=role&layout=force&minBytes=2k');
    await login(p, PASSWORD);
    await live(p);
    await eventually(async () => (await pageState(p)).nodes > 5, 'nodes in the embedded page', 30_000);
    const s = await pageState(p);
    expect(s).toMatchObject({ embed: true, anonymize: true, color: 'role', layout: 'force' });
    expect(s.config.minBytes).toBe(2000);
    await pageEqualsServer(p, { minBytes: 2000 }, 'the embedded page holds the view its URL asked for');
    expect(await p.locator('#conn').isVisible()).toBe(true);
    for (const sel of ['#search', '#filters-toggle', '#legend', '#counters', '#layout-switch']) expect(await p.locator(sel).isVisible(), sel).toBe(false);
    const graphBox = (await p.locator('#graph').boundingBox())!;
    expect(graphBox.y).toBe(0);
    expect(graphBox.height).toBe(VIEWPORT.height);
    // No label shows an address or a DNS name.
    const leaks = await p.evaluate(() => {
      const g = (window as unknown as { glouglou: { graph: { forEachNode(f: (k: string, a: Record<string, unknown>) => void): void } } }).glouglou.graph;
      const out: string[] = [];
      g.forEachNode((k, a) => {
        const names = Array.isArray(a.names) ? (a.names as { name: string }[]).map((n) => n.name) : [];
        const label = String(a.label);
        if (label.includes(k) || names.some((n) => label.includes(n)) || (typeof a.name === 'string' && label.includes(a.name))) out.push(label);
      });
      return out;
    });
    expect(leaks).toEqual([]);
    await p.close();
  }, 90_000);

  test('with a simulated probe: the map and the nodes are drawn (screenshot saved and checked)', async () => {
    children.push(startSimProbe(gg, 1, 1500, 3));
    const p = await openPage();
    await login(p, PASSWORD);
    await live(p);
    await eventually(async () => (await pageState(p)).nodes > 40, 'simulated traffic in the page', 45_000);
    await p.waitForTimeout(2500);
    const png = await p.screenshot();
    const file = join(OUT, 'demo.png');
    writeFileSync(file, png);
    if (process.env.GG_UPDATE_SCREENSHOT) writeFileSync(join(ROOT, 'viz-client', 'screenshot.png'), png);
    expect(statSync(file).size).toBeGreaterThan(20_000);
    // Where the biggest nodes are and how they are coloured, read from the renderer.
    const box = (await p.locator('#graph').boundingBox())!;
    const nodes = await p.evaluate(() => {
      const gl = (window as unknown as { glouglou: { graph: { nodes(): string[] }; sigma: { getNodeDisplayData(k: string): { color: string; size: number } }; nodeViewport(k: string): { x: number; y: number; size: number } | null } }).glouglou;
      return gl.graph.nodes().map((k) => ({ k, v: gl.nodeViewport(k), color: gl.sigma.getNodeDisplayData(k).color }))
        .filter((n) => n.v && n.v.size >= 3 && /^#[0-9a-f]{6}$/.test(n.color)).sort((a, b) => b.v!.size - a.v!.size).slice(0, 12);
    });
    const c = await checkPng(p, png, {
      area: box, colors: { land: '#1b2636', ocean: '#0b1320' }, tolerance: 8,
      points: nodes.map((n) => ({ x: box.x + n.v!.x, y: box.y + n.v!.y, color: n.color })),
    });
    expect([c.width, c.height]).toEqual([VIEWPORT.width, VIEWPORT.height]);
    // The map: land and ocean cover much of the picture.
    expect(c.share.land).toBeGreaterThan(0.05);
    expect(c.share.ocean).toBeGreaterThan(0.1);
    // The nodes: at the centre of the biggest ones, their own colour.
    expect(nodes.length).toBeGreaterThan(5);
    expect(c.distances.filter((x) => x < 60).length / nodes.length).toBeGreaterThan(0.6);
    await drawnAsEncoded(p);
    await p.close();
  }, 120_000);
});
