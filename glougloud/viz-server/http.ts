/**
 * The viz server's one HTTP(S) listener: the built client on `/`, the viz
 * protocol on `/ws` (upgrade handled by the caller), `/metrics` in Prometheus
 * text format and `/healthz`. Only GET and HEAD; everything else is 405.
 */
import { createServer as createHttp, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttps } from 'node:https';
import type { VizMetrics } from './metrics.js';
import { serveStatic } from './static-files.js';

/** What the listener serves. */
export interface VizHttpOptions {
  /** PEM certificate and key: HTTPS (and wss) when given. */
  tls: { cert: Buffer; key: Buffer } | null;
  staticDir: string;
  metrics: VizMetrics;
  /** Health for /healthz: 200 when ready, 503 otherwise, with a few facts. */
  health: () => { ready: boolean; [k: string]: unknown };
}

function text(res: ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
  res.end(body);
}

/** Creates the HTTP or HTTPS server (not yet listening). */
export function createVizHttp(o: VizHttpOptions): Server {
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    if (req.method !== 'GET' && req.method !== 'HEAD') { res.setHeader('allow', 'GET, HEAD'); text(res, 405, 'method not allowed\n'); return; }
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz') {
      const h = o.health();
      text(res, h.ready ? 200 : 503, `${JSON.stringify({ status: h.ready ? 'ok' : 'starting', ...h })}\n`, 'application/json');
      return;
    }
    if (path === '/metrics') {
      o.metrics.text().then(
        (body) => text(res, 200, body, o.metrics.registry.contentType),
        () => text(res, 500, 'metrics unavailable\n'),
      );
      return;
    }
    if (path === '/ws') { text(res, 426, 'this is a WebSocket endpoint\n'); return; }
    if (!serveStatic(o.staticDir, req, res)) text(res, 404, 'not found\n');
  };
  const server = o.tls ? createHttps({ cert: o.tls.cert, key: o.tls.key }, handler) : createHttp(handler);
  // Slow-loris: headers must arrive promptly; idle keep-alive connections are closed.
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  server.keepAliveTimeout = 5_000;
  return server;
}
