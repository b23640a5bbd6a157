/**
 * The viz server's HTTP side (glougloud/viz-server/http.ts, metrics.ts), on a
 * real listener: /healthz follows readiness, /metrics has every family the
 * viz server promises in Prometheus text format, /ws wants an upgrade, and
 * only GET and HEAD are served.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createVizHttp } from '../../../glougloud/viz-server/http.js';
import { VizMetrics } from '../../../glougloud/viz-server/metrics.js';

/** Families the issue lists (probes, events/s, loss, clients, diff ops and bytes sent, ticks, slow clients) and the rest. */
const METRIC_FAMILIES = [
  'gg_viz_probes', 'gg_viz_probe_events_per_second', 'gg_viz_probe_lost_datagrams', 'gg_viz_clients', 'gg_viz_diff_ops_total',
  'gg_viz_sent_messages_total', 'gg_viz_sent_bytes_total', 'gg_viz_ticks_total', 'gg_viz_tick_seconds', 'gg_viz_slow_clients',
  'gg_viz_slow_resets_total', 'gg_viz_slow_closes_total', 'gg_viz_views', 'gg_viz_notifications_total', 'gg_viz_dirty_keys_total',
  'gg_viz_resyncs_total', 'gg_viz_logins_total', 'gg_viz_client_errors_total', 'gg_viz_closes_total', 'gg_viz_client_buffered_bytes_max',
  'process_cpu_seconds_total', 'process_resident_memory_bytes',
];

let server: Server;
let base: string;
let ready = false;
const metrics = new VizMetrics();
const dir = mkdtempSync(join(tmpdir(), 'gg-viz-http-'));

beforeAll(async () => {
  server = createVizHttp({ tls: null, staticDir: dir, metrics, health: () => ({ ready, clients: 3 }) });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
  rmSync(dir, { recursive: true, force: true });
});

describe('viz HTTP', () => {
  test('/healthz: 503 until ready, then 200, with the facts given', async () => {
    const a = await fetch(`${base}/healthz`);
    expect(a.status).toBe(503);
    expect(await a.json()).toEqual({ status: 'starting', ready: false, clients: 3 });
    ready = true;
    const b = await fetch(`${base}/healthz?x=1`);
    expect(b.status).toBe(200);
    expect(b.headers.get('content-type')).toBe('application/json');
    expect(await b.json()).toMatchObject({ status: 'ok', ready: true });
  });

  test('/metrics: every promised family, with HELP and TYPE, in Prometheus text format', async () => {
    metrics.sent('diff', 100, 2);
    metrics.slowClients.set(1);
    const r = await fetch(`${base}/metrics`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await r.text();
    for (const name of METRIC_FAMILIES) {
      expect(text, name).toMatch(new RegExp(`^# HELP ${name} `, 'm'));
      expect(text, name).toMatch(new RegExp(`^# TYPE ${name} (counter|gauge|histogram)$`, 'm'));
    }
    expect(text).toMatch(/^gg_viz_sent_bytes_total\{type="diff"\} 200$/m);
    expect(text).toMatch(/^gg_viz_sent_messages_total\{type="diff"\} 2$/m);
    expect(text).toMatch(/^gg_viz_slow_clients 1$/m);
  });

  test('/ws without an upgrade: 426; other methods: 405; the placeholder when the client is not built', async () => {
    expect((await fetch(`${base}/ws`)).status).toBe(426);
    const post = await fetch(`${base}/healthz`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    const root = await fetch(`${base}/`);
    expect(root.status).toBe(200);
    expect(await root.text()).toContain('not built');
    expect((await fetch(`${base}/app.js`)).status).toBe(404);
  });
});
