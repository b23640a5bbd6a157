/**
 * The page's connection and labels against a real glougloud fed by a
 * simulating ggprobe, in Debian's headless Chromium: the login form says
 * when the server is too busy to check a password (and logs in by itself
 * once it can); labels are thinned on a crowded map, keep the biggest nodes
 * and show DNS names; a viz server that stops answering (SIGSTOP) is noticed
 * by the page's pings, and the page comes back live with a fresh snapshot
 * once it answers again.
 */
import type { ChildProcess } from 'node:child_process';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { hashPassword } from '../../glougloud/viz-server/password.js';
import { LOGIN_MESSAGES } from '../../viz-client/src/ui/login.js';
import type { TestGlougloud } from '../helpers/glougloud.js';
import { eventually } from '../helpers/probe-client.js';
import { PASSWORD, startSimProbe, startVizGlougloud, stopChild } from '../glougloud/viz/harness.js';
import { TestVizClient } from '../glougloud/viz/viz-client.js';
import { launchChromium, live, login, pageEqualsServer, pageState } from './browser.js';

const VIEWPORT = { width: 1280, height: 800 };
/** A user whose password check takes over a second (scrypt N = 2^15, p = 16), to keep the only check slot busy. */
const SLOW = { user: 'wallboard', password: 'slow to check', cost: { N: 32_768, r: 8, p: 16 } };
/** Seconds between the page's pings (URL parameter `ping`): dead after 3.3 s of silence, noticed within 6 s. */
const PING_S = 2;

let gg: TestGlougloud;
let browser: Browser;
let sim: ChildProcess | null = null;
const pages: Page[] = [];

async function openPage(query = ''): Promise<Page> {
  const p = await browser.newPage({ viewport: VIEWPORT });
  pages.push(p);
  p.on('pageerror', (e) => { throw new Error(`page error: ${e.message}`); });
  await p.goto(`http://127.0.0.1:${gg.vizPort}/${query}`);
  return p;
}

/** The pid of glougloud's viz-server child, from the supervisor's log line. */
function vizServerPid(): number {
  const pids = gg.logs.flatMap((l) => {
    try { const j = JSON.parse(l) as { child?: string; childPid?: number }; return j.child === 'viz-server' && j.childPid ? [j.childPid] : []; } catch { return []; }
  });
  if (pids.length === 0) throw new Error(`no viz-server pid in the logs:\n${gg.logs.slice(-20).join('\n')}`);
  return pids[pids.length - 1];
}

beforeAll(async () => {
  // One password check at a time and none waiting: a second login while one is checked is refused as busy.
  const slowHash = await hashPassword(SLOW.password, SLOW.cost);
  gg = await startVizGlougloud({ limits: { maxConcurrentAuth: 1, maxQueuedAuth: 0 }, viz: { users: { [SLOW.user]: { passwordHash: slowHash } } } });
  sim = startSimProbe(gg, 1, 1500, 7);
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  if (sim) await stopChild(sim);
  for (const p of pages) await p.close().catch(() => undefined);
  await browser?.close();
  await gg?.stop();
});

describe('viz client connection', () => {
  test('a login while the server checks another is refused as busy, said so by code, and retried by itself', async () => {
    const page = await openPage();
    await page.locator('#login-submit:not([disabled])').waitFor({ timeout: 30_000 });
    // Another client's slow login takes the only check slot.
    const other = new TestVizClient(gg.vizPort);
    await other.open();
    await other.next((m) => m.type === 'hello', 'hello');
    const slow = other.login(SLOW.password, SLOW.user);
    // Make sure the slow check holds the slot before the page logs in: a third client is told busy first.
    await eventually(async () => {
      const probe = new TestVizClient(gg.vizPort);
      try {
        await probe.open();
        await probe.next((m) => m.type === 'hello', 'hello');
        const answer = await probe.login(PASSWORD);
        return answer.type === 'error' && answer.code === 'GG_VIZ_BUSY';
      } finally { probe.close(); }
    }, 'the only check slot held by the slow login', 10_000);
    await login(page, PASSWORD);
    await expect.poll(() => page.locator('#login-error').getAttribute('data-code'), { timeout: 10_000 }).toBe('GG_VIZ_BUSY');
    expect(await page.locator('#login-error').textContent()).toContain(LOGIN_MESSAGES.GG_VIZ_BUSY);
    expect(await page.locator('#login-error').isVisible()).toBe(true);
    // Busy is not a refusal: the page keeps the password and tries again when the server said to.
    expect((await slow).type).toBe('auth-ok');
    await live(page);
    expect(await page.locator('#login').isVisible()).toBe(false);
    other.close();
  }, 40_000);

  test('labels: thinned on a crowded map, the biggest node labelled, DNS names rather than addresses', async () => {
    const page = pages[0];
    await eventually(async () => (await pageState(page)).nodes > 40, 'simulated traffic in the page', 30_000);
    // Labels are chosen at sigma's indexation: reindex and read in the same task, so sizes and positions are those drawn.
    const seen = await page.evaluate(() => {
      type Data = { label: string | null; size: number; x: number; y: number; hidden?: boolean };
      const gl = (window as unknown as { glouglou: {
        graph: { getNodeAttributes(k: string): Record<string, unknown> };
        sigma: { refresh(): void; getGraph(): { nodes(): string[] }; getNodeDisplayedLabels(): Set<string>; getNodeDisplayData(k: string): Data | undefined; scaleSize(s: number): number; framedGraphToViewport(p: { x: number; y: number }): { x: number; y: number }; getCamera(): { ratio: number }; getDimensions(): { width: number; height: number }; getSetting(k: string): number };
      } }).glouglou;
      const s = gl.sigma;
      s.refresh();
      const { width, height } = s.getDimensions();
      const shown = s.getNodeDisplayedLabels();
      const nodes = s.getGraph().nodes().flatMap((k) => {
        const d = s.getNodeDisplayData(k);
        if (!d || d.hidden) return [];
        const v = s.framedGraphToViewport(d);
        const onScreen = v.x >= 0 && v.x <= width && v.y >= 0 && v.y <= height;
        const a = gl.graph.getNodeAttributes(k);
        const names = Array.isArray(a.names) ? (a.names as { name: string }[]).map((n) => n.name) : [];
        return [{ k, size: s.scaleSize(d.size), onScreen, label: d.label, shown: shown.has(k), names, name: typeof a.name === 'string' ? a.name : null, addr: typeof a.addr === 'string' ? a.addr : k }];
      });
      const settings = { labelDensity: s.getSetting('labelDensity'), labelGridCellSize: s.getSetting('labelGridCellSize'), labelRenderedSizeThreshold: s.getSetting('labelRenderedSizeThreshold') };
      return { nodes, shown: shown.size, ratio: s.getCamera().ratio, width, height, settings };
    });
    const st = seen.settings;
    const drawn = seen.nodes.filter((n) => n.onScreen);
    expect(drawn.length).toBeGreaterThan(40);
    // Thinned: fewer labels than nodes, at most as many per grid cell as the density allows at this zoom.
    expect(seen.shown).toBeGreaterThan(0);
    expect(seen.shown).toBeLessThan(drawn.length);
    const cells = Math.ceil(seen.width / st.labelGridCellSize) * Math.ceil(seen.height / st.labelGridCellSize);
    expect(seen.shown).toBeLessThanOrEqual(cells * Math.ceil(st.labelDensity / seen.ratio ** 2));
    // Too small to read: no label.
    for (const n of seen.nodes.filter((x) => x.shown)) expect(n.size, n.k).toBeGreaterThanOrEqual(st.labelRenderedSizeThreshold);
    // The biggest node on screen is labelled, and the labelled ones are the big ones.
    const bySize = [...drawn].sort((a, b) => b.size - a.size);
    expect(bySize[0].shown, bySize[0].k).toBe(true);
    const mean = (xs: { size: number }[]): number => xs.reduce((t, x) => t + x.size, 0) / xs.length;
    expect(mean(drawn.filter((n) => n.shown))).toBeGreaterThan(mean(drawn));
    // What a label says: the DNS name when there is one, else the address.
    for (const n of seen.nodes) expect(n.label, n.k).toBe(n.names[0] ?? n.name ?? n.addr);
    const named = seen.nodes.find((n) => n.names.length > 0 && n.names[0] !== n.addr);
    expect(named, 'a node named by DNS').toBeDefined();
    // Selected, a named node's label is drawn whatever the density: its name.
    const drawnLabel = await page.evaluate((k) => {
      const gl = (window as unknown as { glouglou: { app: { select(k: string | null): void }; sigma: { refresh(): void; getNodeDisplayedLabels(): Set<string>; getNodeDisplayData(k: string): { label: string | null } } } }).glouglou;
      gl.app.select(k);
      gl.sigma.refresh();
      const r = { shown: gl.sigma.getNodeDisplayedLabels().has(k), label: gl.sigma.getNodeDisplayData(k).label };
      gl.app.select(null);
      return r;
    }, named!.k);
    expect(drawnLabel).toEqual({ shown: true, label: named!.names[0] });
  }, 40_000);

  test('a server that stops answering pings is replaced; the page comes back live with a fresh snapshot', async () => {
    const page = await openPage(`?ping=${PING_S}`);
    expect(new URL(page.url()).searchParams.get('ping')).toBe(String(PING_S));
    await login(page, PASSWORD);
    await live(page);
    await eventually(async () => (await pageState(page)).nodes > 0, 'nodes in the page', 20_000);
    const snapshots = (): Promise<number> => page.evaluate(() => (window as unknown as { glouglou: { perf: { snapshots: number } } }).glouglou.perf.snapshots);
    const before = await snapshots();
    const pid = vizServerPid();
    const stoppedAt = Date.now();
    process.kill(pid, 'SIGSTOP');
    try {
      // The traffic goes on into Redis meanwhile; the page only hears silence.
      await page.waitForFunction(() => (window as unknown as { glouglou: { state(): { connection: string } } }).glouglou.state().connection === 'reconnecting', null, { timeout: 10_000 });
      const noticedMs = Date.now() - stoppedAt;
      expect(noticedMs).toBeGreaterThan(PING_S * 1000);
      expect(await page.locator('#conn').getAttribute('data-state')).toBe('reconnecting');
      // Still nothing from the server: it stays reconnecting, and no snapshot arrives.
      await page.waitForTimeout(1000);
      expect((await pageState(page)).connection).toBe('reconnecting');
      expect(await snapshots()).toBe(before);
      if (sim) { await stopChild(sim); sim = null; }
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    await live(page);
    expect(await snapshots()).toBeGreaterThan(before);
    expect(await page.locator('#conn').getAttribute('data-state')).toBe('live');
    // The fresh snapshot holds what the server defines now, including what happened while it was stopped.
    await pageEqualsServer(page, gg, {}, 'page graph equal to the server view after the reconnection', 20_000);
  }, 40_000);
});
