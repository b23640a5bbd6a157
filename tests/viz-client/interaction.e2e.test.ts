/**
 * The viz client's interaction and live behaviour, for real: a real
 * glougloud whose Redis holds a small lab network written the way the
 * probes server writes it (hosts with names, locations and ASes, a link, a
 * traceroute path), the built page in Debian's headless Chromium. A login
 * delayed by the server, hop chains on the map, hover, search, the panel,
 * the legend, pause and resume, a dropped connection, a server notice, and
 * the map following the camera: each checked against what the server holds
 * or what the page draws.
 */
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { EDGE_COLORS, formatBps, ROLE_STYLE } from '../../viz-client/src/graph/encoding.js';
import { project } from '../../viz-client/src/geo/projection.js';
import type { TestGlougloud } from '../helpers/glougloud.js';
import { eventually } from '../helpers/probe-client.js';
import { PASSWORD, startVizGlougloud } from '../glougloud/viz/harness.js';
import { edgeDisplay, type Gl, launchChromium, live, login, nodeAt, nodeDisplay as display, pageEqualsServer, pageKeys, pageState, serverView } from './browser.js';

const VIEWPORT = { width: 1280, height: 800 };
/** The lab network: documentation-free benchmarking space (198.18.0.0/15), the only thing this glougloud holds. */
const LAB = { include: ['198.18.0.0/15'] };
const LAB_URL = '?include=198.18.0.0/15';
/** After a failed login the server makes the address wait this long (the default is 1 s: too short to act within). */
const LOGIN_DELAY_MS = 4000;

const GW = '198.18.0.1', NY = '198.18.0.2', ROUTER = '198.18.0.5', TOKYO = '198.18.0.9', NEW = '198.18.0.7';
const LINK = `${GW}|${NY}`, HOP1 = `${GW}>${ROUTER}`, HOP2 = `${ROUTER}>${TOKYO}`;
const LINK_BPS = 2_500_000;

let gg: TestGlougloud;
let browser: Browser;
let page: Page;
let redis: ReturnType<typeof createClient>;

/** Writes the lab network into Redis, as the probes server stores hosts, links and traceroute paths. */
async function writeLab(): Promise<void> {
  const t = String(Date.now());
  const host = (lat: number, lng: number, extra: Record<string, string>) => ({ first: t, last: t, bytes_in: '4000000', bytes_out: '900000', pkts_in: '3000', pkts_out: '2000', 'p:1': t, scope: 'public', lat: String(lat), lng: String(lng), ...extra });
  await redis.hSet(`gg:1:n:${GW}`, host(48.85, 2.35, { country: 'FR', city: 'Paris', asn: '64500', as_org: 'Lab One', names: JSON.stringify([{ name: 'gateway.lab.example', rrtype: 1 }]) }));
  await redis.hSet(`gg:1:n:${NY}`, host(40.71, -74.0, { country: 'US', asn: '64501', as_org: 'Lab Two' }));
  await redis.hSet(`gg:1:n:${TOKYO}`, host(35.68, 139.69, { country: 'JP', asn: '64502', as_org: 'Lab Three', names: JSON.stringify([{ name: 'far.lab.example', rrtype: 1 }]) }));
  // A router seen only by traceroute: located, but no traffic of its own.
  await redis.hSet(`gg:1:n:${ROUTER}`, { hop: t, lat: '25.2', lng: '55.3', country: 'AE', scope: 'public' });
  await redis.hSet(`gg:1:l:${LINK}`, { first: t, last: t, bytes_ab: '3000000', bytes_ba: '700000', bps: String(LINK_BPS), conns: '2', live: '1' });
  const hops = [{ ttl: 1, addr: GW, rtt_us: 900 }, { ttl: 2, addr: null, rtt_us: null }, { ttl: 3, addr: ROUTER, rtt_us: 60_000 }, { ttl: 4, addr: TOKYO, rtt_us: 210_000 }];
  await redis.hSet(`gg:1:p:1:${TOKYO}`, { probe: '1', dst: TOKYO, ts: t, seen: t, hops: JSON.stringify(hops) });
}

async function openPage(query = LAB_URL): Promise<Page> {
  const p = await browser.newPage({ viewport: VIEWPORT });
  p.on('pageerror', (e) => { throw new Error(`page error: ${e.message}`); });
  await p.goto(`http://127.0.0.1:${gg.vizPort}/${query}`);
  return p;
}

beforeAll(async () => {
  gg = await startVizGlougloud({ limits: { loginDelayBaseMs: LOGIN_DELAY_MS } });
  redis = createClient({ url: gg.redisUrl });
  redis.on('error', () => undefined);
  await redis.connect();
  await writeLab();
  browser = await launchChromium();
}, 90_000);

afterAll(async () => {
  redis?.destroy();
  await browser?.close();
  await gg?.stop();
});

describe('viz client interaction', () => {
  test('a login the server delays says so, counts down, and goes through by itself when allowed', async () => {
    page = await openPage();
    const other = await openPage();
    await other.locator('#login').waitFor({ state: 'visible', timeout: 30_000 });
    await other.fill('#login-form input[name=password]', PASSWORD);
    await login(page, 'wrong');
    await expect.poll(() => page.locator('#login-error').getAttribute('data-code'), { timeout: 20_000 }).toBe('GG_VIZ_AUTH_FAILED');
    // The same address again, with the right password, while it must wait.
    await other.click('#login-submit');
    await expect.poll(() => other.locator('#login-error').getAttribute('data-code'), { timeout: 10_000 }).toBe('GG_VIZ_RATE_LIMITED');
    expect(await other.locator('#login-error').textContent()).toMatch(/Too many failed logins.*Try again in \d+ s/);
    expect(await other.locator('#login-submit').isDisabled()).toBe(true);
    // No click: the page tries again when the server said it may.
    await live(other);
    expect(await other.locator('#login').isVisible()).toBe(false);
    await other.close();
    // Back to the first page (a page in the background gets no animation frames, so sigma does not draw).
    await page.bringToFront();
    // The first page waited out its own delay, and logs in.
    await login(page, PASSWORD);
    await live(page);
    await pageEqualsServer(page, gg, LAB, 'the lab view');
  }, 90_000);

  test('a traceroute path is a chain of directed hops across the map, drawn as paths and listed as such', async () => {
    const keys = await pageKeys(page);
    expect(keys.nodes).toEqual([GW, NY, ROUTER, TOKYO].sort());
    expect(keys.edges).toEqual([LINK, HOP1, HOP2].sort());
    for (const e of [HOP1, HOP2]) {
      const d = (await edgeDisplay(page, e))!;
      expect(d.type).toBe('curveArrow');
      expect(d.color).toBe(EDGE_COLORS.hop);
    }
    expect((await edgeDisplay(page, LINK))!.type).toBe('curve');
    // Each host where it is on the map.
    for (const [k, lat, lng] of [[GW, 48.85, 2.35], [ROUTER, 25.2, 55.3], [TOKYO, 35.68, 139.69]] as const) {
      const pos = await page.evaluate((key) => (window as unknown as Gl).glouglou.sigma.getGraph().getNodeAttributes(key), k);
      const want = project(lat, lng);
      expect([pos.x, pos.y].map((v) => Math.round(v * 1000))).toEqual([want.x, want.y].map((v) => Math.round(v * 1000)));
    }
    expect(await page.locator('#legend .edge', { hasText: 'traceroute path' }).count()).toBe(1);
    // The router's panel: the path in and the path out.
    await page.evaluate((k) => ((window as unknown as Gl).glouglou.app as unknown as { select(n: string): void }).select(k), ROUTER);
    await page.locator('#panel').waitFor({ state: 'visible' });
    const rows = await page.locator('#panel-body table tr').allTextContents();
    // Each row: the direction, the other end by name, "path".
    expect(rows.map((r) => r.replace(/\s+/g, ' ').trim())).toEqual(['← gateway.lab.examplepath', '→ far.lab.examplepath']);
    await page.click('#panel-close');
  }, 60_000);

  test('hovering a node highlights its neighbours and fades the rest; leaving restores them', async () => {
    const before = { ny: (await display(page, NY)).color, gw: (await display(page, GW)).color, tokyo: (await display(page, TOKYO)).color };
    const r = await nodeAt(page, ROUTER);
    await page.mouse.move(r.x, r.y);
    await expect.poll(async () => (await display(page, NY)).color, { timeout: 10_000 }).not.toBe(before.ny);
    expect((await display(page, GW)).color).toBe(before.gw);
    expect((await display(page, TOKYO)).color).toBe(before.tokyo);
    expect((await edgeDisplay(page, LINK))!.hidden).toBe(true);
    expect((await edgeDisplay(page, HOP1))!.hidden).toBe(false);
    expect(await page.locator('#graph').getAttribute('class')).toContain('focus');
    await page.mouse.move(5, VIEWPORT.height - 5);
    await expect.poll(async () => (await display(page, NY)).color, { timeout: 10_000 }).toBe(before.ny);
    expect((await edgeDisplay(page, LINK))!.hidden).toBe(false);
    expect(await page.locator('#graph').getAttribute('class')).not.toContain('focus');
    // A hover makes sigma reindex at its next frame; a batch of diffs drawn before that frame must still draw.
    const errors = await page.evaluate(async ({ router, link, bps }) => {
      const app = (window as unknown as Gl).glouglou.app as unknown as { mirror: { seq: number }; onMessage(m: object): void; renderer: { setHovered(n: string | null): void } };
      const errs: string[] = [];
      const onError = (e: ErrorEvent): void => { errs.push(e.message); };
      window.addEventListener('error', onError);
      const seq = app.mirror.seq;
      // The page's own path for a server diff (same numbering: it changes nothing the server will contradict).
      app.onMessage({ type: 'diff', prev: seq, seq, nodes: { add: [], update: [], remove: [] }, edges: { add: [], update: [{ key: link, attributes: { bps } }], remove: [] } });
      app.renderer.setHovered(router);
      for (let i = 0; i < 3; i++) await new Promise((r) => requestAnimationFrame(r));
      app.renderer.setHovered(null);
      await new Promise((r) => requestAnimationFrame(r));
      window.removeEventListener('error', onError);
      return errs;
    }, { router: ROUTER, link: LINK, bps: LINK_BPS });
    expect(errors).toEqual([]);
  }, 60_000);

  test('search by name or address opens the node\'s panel: addresses, names, location, AS, probes, connections, throughput', async () => {
    const camera = () => page.evaluate(() => (window as unknown as Gl).glouglou.sigma.getCamera().getState());
    const start = await camera();
    await page.fill('#search', 'gateway.lab');
    await page.locator(`#search-results li[data-node="${GW}"]`).waitFor({ timeout: 10_000 });
    await page.press('#search', 'Enter');
    await expect.poll(async () => (await pageState(page)).panel, { timeout: 10_000 }).toBe(GW);
    const facts = (await page.locator('#panel-facts').textContent())!;
    for (const want of [GW, 'gateway.lab.example (A)', 'Paris, FR', '48.850, 2.350', 'AS64500 Lab One', '#1']) expect(facts).toContain(want);
    expect(await page.locator('#panel-body h3').textContent()).toBe('Connections (2)');
    expect(await page.locator('#panel-bps').textContent()).toBe(formatBps(LINK_BPS));
    // The camera flew there: zoomed in, the node in the middle of the picture.
    const box = (await page.locator('#graph').boundingBox())!;
    const offCentre = async (k: string): Promise<number> => { const p = await nodeAt(page, k); return Math.hypot(p.x - box.x - box.width / 2, p.y - box.y - box.height / 2); };
    await expect.poll(() => offCentre(GW), { timeout: 5_000 }).toBeLessThan(2);
    expect((await camera()).ratio).toBeLessThan(start.ratio);
    await page.fill('#search', TOKYO);
    await page.locator(`#search-results li[data-node="${TOKYO}"]`).waitFor({ timeout: 10_000 });
    await page.press('#search', 'Enter');
    await expect.poll(async () => (await pageState(page)).panel, { timeout: 10_000 }).toBe(TOKYO);
    await expect.poll(() => offCentre(TOKYO), { timeout: 5_000 }).toBeLessThan(2);
    await page.click('#panel-close');
    // Back to the whole world once the flight is over (a camera still flying would undo it).
    await page.waitForFunction(() => !(window as unknown as { glouglou: { sigma: { getCamera(): { isAnimated(): boolean } } } }).glouglou.sigma.getCamera().isAnimated());
    await page.evaluate(() => (window as unknown as Gl).glouglou.sigma.getCamera().setState({ x: 0.5, y: 0.5, ratio: 1, angle: 0 }));
  }, 60_000);

  test('colour by role, probe or country, with a legend that counts what is drawn', async () => {
    await page.selectOption('#color-mode', 'role');
    expect(new URL(page.url()).searchParams.get('color')).toBe('role');
    expect(await page.locator('#legend h3').first().textContent()).toBe('Colour: Role');
    expect((await display(page, ROUTER)).color).toBe(ROLE_STYLE.router.color);
    expect((await display(page, GW)).color).toBe(ROLE_STYLE.public.color);
    const legend = await page.locator('#legend [data-category]').evaluateAll((els) => els.map((e) => [e.getAttribute('data-category'), e.textContent]));
    expect(legend).toEqual([['public', `${ROLE_STYLE.public.name} (3)`], ['router', `${ROLE_STYLE.router.name} (1)`]]);
    await page.selectOption('#color-mode', 'country');
    expect(await page.locator('#legend [data-category]').count()).toBe(4);
    expect(new URL(page.url()).searchParams.get('color')).toBeNull();
  }, 30_000);

  test('paused, the picture holds while changes wait; resumed, it catches up with the server', async () => {
    await page.click('#pause');
    expect(await pageState(page)).toMatchObject({ paused: true });
    expect(await page.locator('#conn').getAttribute('data-state')).toBe('paused');
    expect(await page.locator('#pause').textContent()).toBe('Resume');
    const t = String(Date.now());
    await redis.hSet(`gg:1:n:${NEW}`, { first: t, last: t, bytes_in: '1000', bytes_out: '1000', 'p:1': t, scope: 'public', lat: '-23.55', lng: '-46.63', country: 'BR' });
    await redis.hSet(`gg:1:l:${GW}|${NEW}`, { first: t, last: t, bytes_ab: '1000', bytes_ba: '1000', bps: '8000', conns: '1', live: '1' });
    await eventually(async () => (await serverView(gg, LAB)).nodes.has(NEW), 'the new host in the server view', 10_000);
    await expect.poll(async () => (await pageState(page)).queued, { timeout: 10_000 }).toBeGreaterThan(0);
    await page.waitForTimeout(500);
    expect(await page.evaluate((k) => (window as unknown as Gl).glouglou.graph.hasNode(k), NEW)).toBe(false);
    await page.click('#pause');
    await pageEqualsServer(page, gg, LAB, 'the view caught up after resume', 15_000);
    expect(await page.evaluate((k) => (window as unknown as Gl).glouglou.graph.hasNode(k), NEW)).toBe(true);
    expect(await page.locator('#conn').getAttribute('data-state')).toBe('live');
  }, 60_000);

  test('a dropped connection comes back by itself, logged in, with a fresh snapshot', async () => {
    const snapshots = await page.evaluate(() => (window as unknown as Gl).glouglou.perf.snapshots);
    await page.evaluate(() => {
      const el = document.getElementById('conn')!;
      const seen: string[] = [];
      (window as unknown as { seenStates: string[] }).seenStates = seen;
      new MutationObserver(() => seen.push(el.dataset.state ?? '')).observe(el, { attributes: true, attributeFilter: ['data-state'] });
      // What a network cut looks like to the page: its socket closes.
      ((window as unknown as Gl).glouglou.app.conn as { ws: WebSocket }).ws.close(4000, 'cut');
    });
    // Meanwhile the network changes: the fresh snapshot must have it, no diff will.
    await redis.del([`gg:1:l:${GW}|${NEW}`, `gg:1:n:${NEW}`]);
    await expect.poll(() => page.evaluate(() => (window as unknown as Gl).glouglou.perf.snapshots), { timeout: 20_000 }).toBe(snapshots + 1);
    await live(page);
    const seen = await page.evaluate(() => (window as unknown as { seenStates: string[] }).seenStates);
    expect(seen[0]).toBe('reconnecting');
    expect(seen).not.toContain('login');
    expect(seen.at(-1)).toBe('live');
    expect(await page.locator('#login').isVisible()).toBe(false);
    await pageEqualsServer(page, gg, LAB, 'the view after the reconnection', 15_000);
    expect(await page.evaluate((k) => (window as unknown as Gl).glouglou.graph.hasNode(k), NEW)).toBe(false);
  }, 60_000);

  test('a server notice is shown, with its code', async () => {
    // The server's subscriber is cut: it reloads from Redis and tells every client.
    await redis.sendCommand(['CLIENT', 'KILL', 'TYPE', 'pubsub']);
    await page.locator('#notices [data-code="GG_VIZ_RESYNC"]').waitFor({ timeout: 15_000 });
    expect(await page.locator('#notices [data-code="GG_VIZ_RESYNC"]').first().textContent()).toMatch(/reloaded/);
  }, 30_000);

  test('the map pans and zooms with the graph', async () => {
    const LAND = '#1b2636', OCEAN = '#0b1320';
    const paris = project(48.85, 2.35), biscay = project(46, -8), atlantic = project(35, -40);
    /** The basemap's colour at graph points, read from its canvas, and where the Paris node is drawn. */
    const sample = () => page.evaluate(({ pts, gw }) => {
      const gl = (window as unknown as Gl).glouglou;
      const c = document.querySelector<HTMLCanvasElement>('#graph canvas.sigma-geoMap')!;
      const ctx = c.getContext('2d')!;
      const dpr = c.width / c.clientWidth;
      const colours = pts.map((p) => {
        const v = gl.sigma.graphToViewport(p);
        const d = ctx.getImageData(Math.round(v.x * dpr), Math.round(v.y * dpr), 1, 1).data;
        return `#${[d[0], d[1], d[2]].map((x) => x.toString(16).padStart(2, '0')).join('')}`;
      });
      return { colours, node: gl.nodeViewport(gw)! };
    }, { pts: [paris, biscay, atlantic], gw: GW });
    const frames = () => page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    await page.bringToFront();
    await frames();
    const world = await sample();
    expect(world.colours).toEqual([LAND, OCEAN, OCEAN]);
    // Zoom in ten times on Paris, from where the node is drawn.
    await page.evaluate((k) => {
      const s = (window as unknown as Gl).glouglou.sigma;
      const d = s.getNodeDisplayData(k)!;
      s.getCamera().setState({ x: d.x, y: d.y, ratio: 0.1 });
    }, GW);
    await frames();
    const zoomed = await sample();
    expect(zoomed.colours.slice(0, 2)).toEqual([LAND, OCEAN]);
    // The node moved on screen (to the centre), and the map under it is still France.
    expect(Math.hypot(zoomed.node.x - world.node.x, zoomed.node.y - world.node.y)).toBeGreaterThan(20);
    const box = (await page.locator('#graph').boundingBox())!;
    expect(Math.abs(zoomed.node.x - box.width / 2)).toBeLessThan(2);
    await page.evaluate(() => (window as unknown as Gl).glouglou.sigma.getCamera().setState({ x: 0.5, y: 0.5, ratio: 1, angle: 0 }));
    await frames();
    expect((await sample()).colours).toEqual(world.colours);
    await page.screenshot({ path: join(import.meta.dirname, '..', '..', 'test-output', 'viz-client', 'lab.png') });
  }, 30_000);
});
