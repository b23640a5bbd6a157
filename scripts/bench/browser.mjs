// `npm run bench -- browser [--nodes N] [--edges N] [--rate OPS] [--seconds S] [--layout geo|force] [--profile 1|2] [--client DIR]`:
// the viz client in headless Chromium (Debian's, driven by playwright-core)
// with a large live graph. A small viz server in this process serves the
// built client (glougloud's own static-file code) and speaks the viz
// protocol with glougloud's own message encoders: it accepts the login,
// sends a snapshot of N nodes and E edges placed around the world (a third
// of the nodes private, at three sites), then diffs every 100 ms as the
// real server does, RATE element changes per second in all (traffic
// updates mostly, and nodes and edges coming and going). Reports the time
// from login to the first full render, the frame times while the diffs are
// applied (intervals between animation frames), the client's own apply and
// render times, and the page's JS heap. `--profile 1` prints where the page
// spent its time while the diffs were applied, `--profile 2` from the login to
// the first render; either saves the profile in .bench/browser.cpuprofile.
// `--client DIR` serves another build of the client (to compare two builds
// on the same machine, one run after the other).
import { createServer } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { WebSocketServer } from 'ws';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const imp = (p) => import(pathToFileURL(join(root, p)).href);

/** Chromium flags that work on a machine without network (playwright adds --headless and a fresh profile directory). */
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync', '--enable-precise-memory-info'];

function opts(args) {
  const o = { nodes: 10_000, edges: 30_000, rate: 1000, seconds: 10, layout: 'geo', warmup: 3, profile: 0, client: join(root, 'dist/viz-client') };
  for (let i = 0; i < args.length; i++) {
    const k = args[i].replace(/^--/, '');
    if (!(k in o)) throw new Error(`unknown option ${args[i]}`);
    o[k] = k === 'layout' || k === 'client' ? args[++i] : Number(args[++i]);
  }
  return o;
}

/** A deterministic pseudo-random generator (mulberry32). */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const COUNTRIES = 'US DE FR GB NL JP CN IN BR CA AU RU SE SG KR IT ES PL ZA AR MX CL TR UA IE CH BE AT NO DK FI ID TH VN PH MY NZ EG NG KE'.split(' ');
const SITES = [{ name: 'Paris', lat: 48.8566, lng: 2.3522 }, { name: 'Montreal', lat: 45.5, lng: -73.57 }, { name: 'Singapore', lat: 1.29, lng: 103.85 }];

/** The synthetic world: nodes and links as the viz server would send them. */
export class SyntheticGraph {
  constructor(nNodes, nEdges, seed = 7) {
    this.r = rng(seed);
    this.cities = Array.from({ length: 400 }, () => ({ lat: -45 + this.r() * 110, lng: -130 + this.r() * 280, country: COUNTRIES[Math.floor(this.r() * COUNTRIES.length)] }));
    this.nodes = new Map();
    this.edges = new Map();
    this.privates = [];
    this.publics = [];
    this.next = 0;
    this.now = Date.now();
    for (let i = 0; i < nNodes; i++) this.addNode();
    while (this.edges.size < nEdges) this.addEdge();
  }

  addNode() {
    const i = this.next++;
    const priv = this.r() < 0.33;
    const key = priv ? `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}` : `${11 + (i % 200)}.${(i >> 8) & 255}.${i & 255}.${1 + (i % 250)}`;
    const bytes = Math.floor(10 ** (2 + this.r() * 7));
    const a = { addr: key, first: this.now - 60_000, last: this.now, bytes_in: bytes, bytes_out: Math.floor(bytes / 3), pkts_in: Math.floor(bytes / 900), pkts_out: Math.floor(bytes / 2000), probes: { 1: this.now } };
    if (priv) {
      const s = SITES[i % SITES.length];
      Object.assign(a, { scope: 'private', lat: s.lat, lng: s.lng, site: s.name });
      this.privates.push(key);
    } else {
      const c = this.cities[Math.floor(this.r() * this.cities.length)];
      Object.assign(a, { scope: 'public', lat: Math.round(c.lat * 1e6) / 1e6, lng: Math.round(c.lng * 1e6) / 1e6, country: c.country, asn: 1000 + (i % 3000), as_org: `Net ${i % 3000}` });
      if (this.r() < 0.6) { const name = `host${i}.example${i % 97}.net`; a.name = name; a.names = [{ name, rrtype: 1 }]; a.rrtype = 1; }
      this.publics.push(key);
    }
    this.nodes.set(key, a);
    return { key, attributes: a };
  }

  pick(list) {
    return list[Math.floor(this.r() * list.length)];
  }

  addEdge() {
    for (;;) {
      const a = this.r() < 0.8 ? this.pick(this.privates) : this.pick(this.publics), b = this.pick(this.publics);
      if (!a || !b || a === b || !this.nodes.has(a) || !this.nodes.has(b)) continue;
      const hop = this.r() < 0.04;
      const [s, t] = hop || a < b ? [a, b] : [b, a];
      const key = hop ? `${s}>${t}` : `${s}|${t}`;
      if (this.edges.has(key)) continue;
      const bytes = Math.floor(10 ** (2 + this.r() * 6));
      const attributes = hop ? { kind: 'hop', paths: 1, last: this.now }
        : { kind: 'link', bytes_ab: bytes, bytes_ba: Math.floor(bytes / 4), pkts_ab: 10, pkts_ba: 5, bytes: bytes + Math.floor(bytes / 4), bps: this.r() < 0.3 ? Math.floor(10 ** (3 + this.r() * 4)) : 0, conns: 1, live: 1, last: this.now, first: this.now };
      const e = { key, source: s, target: t, undirected: !hop, attributes };
      this.edges.set(key, e);
      return e;
    }
  }

  /** One tick's diff with about `ops` changes. */
  diff(ops) {
    this.now += 100;
    const d = { nodes: { add: [], update: [], remove: [] }, edges: { add: [], update: [], remove: [] } };
    const edgeKeys = [...this.edges.keys()];
    const nodeKeys = [...this.nodes.keys()];
    // Nodes leaving take their edges with them; as many come back, with new edges.
    const churnNodes = Math.max(1, Math.round(ops * 0.02));
    const gone = new Set();
    for (let i = 0; i < churnNodes; i++) {
      const k = this.pick(nodeKeys);
      if (gone.has(k)) continue;
      gone.add(k);
      for (const [ek, e] of this.edges) if (e.source === k || e.target === k) { this.edges.delete(ek); d.edges.remove.push(ek); }
    }
    for (const k of gone) {
      this.nodes.delete(k);
      d.nodes.remove.push(k);
      this.privates = this.privates.filter((x) => x !== k);
      this.publics = this.publics.filter((x) => x !== k);
    }
    for (let i = 0; i < gone.size; i++) d.nodes.add.push(this.addNode());
    const removeEdges = Math.round(ops * 0.05);
    for (let i = 0; i < removeEdges; i++) {
      const k = this.pick(edgeKeys);
      if (!this.edges.has(k)) continue;
      this.edges.delete(k);
      d.edges.remove.push(k);
    }
    const target = edgeKeys.length;
    while (this.edges.size < target) d.edges.add.push(this.addEdge());
    const used = d.nodes.add.length + d.nodes.remove.length + d.edges.add.length + d.edges.remove.length;
    const updates = Math.max(0, ops - used);
    const seen = new Set();
    for (let i = 0; i < updates; i++) {
      if (i % 3 === 0) {
        const k = this.pick(nodeKeys);
        const n = this.nodes.get(k);
        if (!n || seen.has(k) || d.nodes.add.some((x) => x.key === k)) continue;
        seen.add(k);
        n.bytes_in += Math.floor(this.r() * 1e5); n.last = this.now;
        d.nodes.update.push({ key: k, attributes: { bytes_in: n.bytes_in, last: n.last } });
      } else {
        const k = this.pick(edgeKeys);
        const e = this.edges.get(k);
        if (!e || seen.has(k) || e.attributes.kind !== 'link' || d.edges.add.includes(e)) continue;
        seen.add(k);
        const a = e.attributes;
        a.bytes_ab += Math.floor(this.r() * 1e5); a.bytes = a.bytes_ab + a.bytes_ba; a.bps = Math.floor(10 ** (3 + this.r() * 4)); a.last = this.now;
        d.edges.update.push({ key: k, attributes: { bytes_ab: a.bytes_ab, bytes: a.bytes, bps: a.bps, last: a.last } });
      }
    }
    return d;
  }

  serialized() {
    return { attributes: {}, options: { type: 'mixed', multi: true, allowSelfLoops: true },
      nodes: [...this.nodes].map(([key, attributes]) => ({ key, attributes })), edges: [...this.edges.values()] };
  }
}

/** The functions where the page spent most of its own time (a CPU profile from the DevTools protocol). */
function printProfile(p) {
  const self = new Map();
  const dt = new Map();
  for (let i = 0; i < p.samples.length; i++) dt.set(p.samples[i], (dt.get(p.samples[i]) ?? 0) + (p.timeDeltas[i] ?? 0));
  for (const n of p.nodes) {
    const f = n.callFrame;
    const k = `${f.functionName || '(anonymous)'} ${f.url.split('/').pop()}:${f.lineNumber}`;
    self.set(k, (self.get(k) ?? 0) + (dt.get(n.id) ?? 0));
  }
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  console.log('  CPU profile, self time:');
  for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 20)) console.log(`    ${(v / 1000).toFixed(0).padStart(7)} ms ${((100 * v) / total).toFixed(1).padStart(5)} %  ${k}`);
}

function stats(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p) => (s.length ? s[Math.min(s.length - 1, Math.floor(p * s.length))] : NaN);
  // Long frames weigh by how long they last: the share of wall time spent in frames over 33 ms.
  const total = s.reduce((a, b) => a + b, 0);
  const slow = s.filter((x) => x > 33.4).reduce((a, b) => a + b, 0);
  return { n: s.length, median: q(0.5), p95: q(0.95), max: s[s.length - 1] ?? NaN, slowTimeShare: total ? slow / total : 0 };
}

/** Serves the client and the viz protocol for one synthetic graph; returns the URL. */
export async function benchServer(o) {
  const { serveStatic } = await imp('dist/glougloud/viz-server/static-files.js');
  const msgs = await imp('dist/glougloud/views/messages.js');
  const staticDir = o.client ?? join(root, 'dist/viz-client');
  const server = createServer((req, res) => { if (!serveStatic(staticDir, req, res)) { res.writeHead(404); res.end(); } });
  const wss = new WebSocketServer({ server, path: '/ws', perMessageDeflate: false });
  const timers = new Set();
  const t0 = performance.now();
  const g = new SyntheticGraph(o.nodes, o.edges);
  const genMs = performance.now() - t0;
  let sent = 0;
  wss.on('connection', (ws) => {
    ws.send(msgs.helloMessage('bench'));
    let seq = 0;
    ws.on('message', (data) => {
      const m = JSON.parse(String(data));
      if (m.type === 'auth') {
        if (m.password !== 'bench') { ws.send(msgs.errorMessage('GG_VIZ_AUTH_FAILED', 'wrong user or password', 1000)); return; }
        ws.send(msgs.authOkMessage('viz', null, null));
        ws.send(msgs.probesMessage([{ id: 1, site_name: 'Paris', events_per_s: o.rate, datagrams: 1000, lost: 0 }]));
      } else if (m.type === 'config') {
        const { type, ...raw } = m;
        ws.send(msgs.snapshotMessage(seq, { ...raw }, 'config', g.serialized()));
        const t = setInterval(() => {
          const d = g.diff(Math.round(o.rate / 10));
          sent += d.nodes.add.length + d.nodes.update.length + d.nodes.remove.length + d.edges.add.length + d.edges.update.length + d.edges.remove.length;
          ws.send(msgs.diffMessage(seq, seq + 1, d));
          seq++;
        }, 100);
        timers.add(t);
        ws.on('close', () => { clearInterval(t); timers.delete(t); });
      } else if (m.type === 'ping') ws.send(msgs.pongMessage(m.id ?? null, Date.now()));
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${server.address().port}/?layout=${o.layout}`, genMs, sentOps: () => sent,
    close: () => { for (const t of timers) clearInterval(t); for (const c of wss.clients) c.terminate(); wss.close(); server.close(); },
  };
}

/** The machine's floor, measured in the same run: frame times of an empty page, and of one bare WebGL canvas of the page's size cleared every frame. */
async function reference(browser, viewport) {
  const page = await browser.newPage({ viewport });
  await page.goto('about:blank');
  const frames = (webgl) => page.evaluate(({ webgl, w, h }) => new Promise((resolve) => {
    let gl = null;
    if (webgl) {
      const c = document.createElement('canvas');
      c.width = w; c.height = h;
      c.style.cssText = `position:absolute;left:0;top:0;width:${w}px;height:${h}px`;
      document.body.append(c);
      gl = c.getContext('webgl');
      gl.clearColor(0.04, 0.07, 0.12, 1);
    }
    const d = [];
    let last = performance.now();
    const end = last + 3000;
    const loop = (t) => {
      d.push(t - last);
      last = t;
      if (gl) gl.clear(gl.COLOR_BUFFER_BIT);
      if (t < end) requestAnimationFrame(loop);
      else { d.sort((a, b) => a - b); resolve({ median: +d[d.length >> 1].toFixed(1), p95: +d[Math.floor(d.length * 0.95)].toFixed(1) }); }
    };
    requestAnimationFrame(loop);
  }), { webgl, w: viewport.width, h: viewport.height });
  const empty = await frames(false), webgl = await frames(true);
  await page.close();
  return { emptyPage: empty, bareWebGLCanvas: webgl };
}

export async function run(args) {
  const o = opts(args);
  const { chromium } = await import('playwright-core');
  const srv = await benchServer(o);
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
  try {
    const viewport = { width: 1600, height: 900 };
    const ref = await reference(browser, viewport);
    const page = await browser.newPage({ viewport });
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(srv.url);
    await page.fill('#login-form input[name=password]', 'bench');
    // --profile 2: the CPU profile covers the login and the first render instead of the live diffs.
    const cdp = await page.context().newCDPSession(page);
    const profiling = async (phase) => {
      if (o.profile !== phase) return;
      await cdp.send('Profiler.enable');
      await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
      await cdp.send('Profiler.start');
    };
    const profiled = async (phase) => {
      if (o.profile !== phase) return;
      const { profile } = await cdp.send('Profiler.stop');
      printProfile(profile);
      // For DevTools (Performance panel, "Load profile") or an inclusive-time analysis.
      mkdirSync(join(root, '.bench'), { recursive: true });
      writeFileSync(join(root, '.bench', 'browser.cpuprofile'), JSON.stringify(profile));
    };
    await profiling(2);
    await page.click('#login-submit');
    try {
      await page.waitForFunction((n) => { const g = window.glouglou; return g && g.perf.firstRenderAt > 0 && g.state().nodes >= n; }, o.nodes, { timeout: 60_000, polling: 50 });
    } catch (e) {
      throw new Error(`no full render in 60 s: ${JSON.stringify(await page.evaluate(() => ({ ...window.glouglou?.state(), perf: window.glouglou?.perf && { ...window.glouglou.perf, applyMs: window.glouglou.perf.applyMs.slice(-5), renderMs: window.glouglou.perf.renderMs.slice(-5) } })))}; ${errors.join('; ')}`);
    }
    const first = await page.evaluate(() => {
      const p = window.glouglou.perf;
      return { loginToRender: p.firstRenderAt - p.loginAt, received: p.snapshotReceivedAt - p.loginAt, applied: p.firstAppliedAt - p.firstSnapshotAt, drawn: p.firstRenderAt - p.firstAppliedAt, ...window.glouglou.state() };
    });
    await profiled(2);
    await page.waitForTimeout(o.warmup * 1000);
    await profiling(1);
    const opsBefore = srv.sentOps();
    const frames = await page.evaluate((seconds) => new Promise((resolve) => {
      const g = window.glouglou;
      const a0 = g.perf.applyMs.length, r0 = g.perf.renderMs.length;
      const deltas = [];
      let last = performance.now();
      const end = last + seconds * 1000;
      const loop = (t) => {
        deltas.push(t - last);
        last = t;
        if (t < end) requestAnimationFrame(loop);
        else resolve({ deltas, apply: g.perf.applyMs.slice(a0), render: g.perf.renderMs.slice(r0), state: g.state() });
      };
      requestAnimationFrame((t) => { last = t; requestAnimationFrame(loop); });
    }), o.seconds);
    const opsSent = srv.sentOps() - opsBefore;
    await profiled(1);
    await cdp.send('HeapProfiler.collectGarbage');
    await cdp.send('Performance.enable');
    const metrics = Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value]));
    const f = stats(frames.deltas), ap = stats(frames.apply), rd = stats(frames.render);
    const result = {
      date: new Date().toISOString(), nodes: first.nodes, edges: first.edges, layout: o.layout, rateOpsPerS: o.rate, measuredOpsPerS: Math.round(opsSent / o.seconds),
      loginToFirstRenderMs: Math.round(first.loginToRender),
      firstRender: { snapshotReceivedMs: Math.round(first.received), graphBuiltMs: Math.round(first.applied), drawnMs: Math.round(first.drawn) },
      frameMs: { median: +f.median.toFixed(1), p95: +f.p95.toFixed(1), max: +f.max.toFixed(1), frames: f.n, fps: +(f.n / o.seconds).toFixed(1), timeInSlowFrames: +(f.slowTimeShare * 100).toFixed(0) },
      applyMs: { median: +ap.median.toFixed(2), p95: +ap.p95.toFixed(2), batches: ap.n },
      renderMs: { median: +rd.median.toFixed(2), p95: +rd.p95.toFixed(2), renders: rd.n },
      jsHeapUsedMB: +(metrics.JSHeapUsedSize / 2 ** 20).toFixed(1), jsHeapTotalMB: +(metrics.JSHeapTotalSize / 2 ** 20).toFixed(1),
      finalState: { nodes: frames.state.nodes, edges: frames.state.edges, seq: frames.state.seq },
      syntheticGraphMs: Math.round(srv.genMs), viewport, reference: ref, loadAverage: loadavg().map((x) => +x.toFixed(1)), pageErrors: errors,
    };
    console.log(`viz client in headless Chromium (software WebGL), ${viewport.width}x${viewport.height}, ${result.nodes} nodes, ${result.edges} edges, ${o.layout} view, ${result.measuredOpsPerS} changes/s; load average ${result.loadAverage.join(' ')}`);
    console.log(`  reference, same run          empty page ${ref.emptyPage.median} ms/frame (p95 ${ref.emptyPage.p95}); one bare WebGL canvas redrawn every frame ${ref.bareWebGLCanvas.median} ms/frame (p95 ${ref.bareWebGLCanvas.p95})`);
    console.log(`  login → first full render   ${result.loginToFirstRenderMs} ms   (target < 2000): snapshot received after ${result.firstRender.snapshotReceivedMs} ms, graph built in ${result.firstRender.graphBuiltMs} ms, drawn in ${result.firstRender.drawnMs} ms`);
    console.log(`  frame time                  median ${result.frameMs.median} ms, p95 ${result.frameMs.p95} ms, max ${result.frameMs.max} ms, ${result.frameMs.fps} frames/s, ${result.frameMs.timeInSlowFrames} % of the time in frames over 33 ms   (target < 33)`);
    console.log(`  diff batch apply            median ${result.applyMs.median} ms, p95 ${result.applyMs.p95} ms (${result.applyMs.batches} batches)`);
    console.log(`  sigma render                median ${result.renderMs.median} ms, p95 ${result.renderMs.p95} ms (${result.renderMs.renders} renders)`);
    console.log(`  JS heap                     ${result.jsHeapUsedMB} MB used of ${result.jsHeapTotalMB} MB`);
    if (errors.length) console.log(`  page errors: ${errors.join('; ')}`);
    mkdirSync(join(root, '.bench'), { recursive: true });
    writeFileSync(join(root, '.bench', 'browser.json'), `${JSON.stringify(result, null, 2)}\n`);
    return result;
  } finally {
    await browser.close();
    srv.close();
  }
}
