/**
 * The viz server process, started by glougloud's supervisor: read the TLS
 * certificate and bind the port (privileged if need be), drop privileges and
 * prove it, then connect Redis (subscriber first), load the live state and
 * serve clients until SIGTERM.
 */
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import type { GlougloudConfig } from '../config.js';
import { createLogger } from '../../protocol/edge/log.js';
import { dropPrivileges, isRoot, type Account } from '../../protocol/edge/privileges.js';
import { NET_GRAPH } from '../modules/1-net-graph.js';
import { Authenticator } from './auth.js';
import { CLOSE, VizClient } from './client.js';
import { createVizHttp } from './http.js';
import { VizHub } from './hub.js';
import { LoginLimiter } from './login-limiter.js';
import { VizMetrics } from './metrics.js';
import { PROBE_CHANNEL } from './probe-health.js';
import { RedisFeed } from './redis-feed.js';

/** What the supervisor sends the viz server when it starts it. */
export interface VizServerInit {
  config: GlougloudConfig;
  redisUrl: string;
  account: Account | null;
  verbose: number;
  /** Directory of the built client (index.html, assets). */
  staticDir: string;
}

async function main(init: VizServerInit): Promise<void> {
  const { config } = init;
  const viz = config.viz;
  const limits = viz.limits;
  const log = createLogger('glougloud-viz', init.verbose);

  // Privileged setup: the certificate, the key and the socket, nothing else.
  const tls = viz.tls.cert && viz.tls.key ? { cert: readFileSync(viz.tls.cert), key: readFileSync(viz.tls.key) } : null;
  const metrics = new VizMetrics();
  let hub: VizHub | null = null;
  let feed: RedisFeed | null = null;
  const server = createVizHttp({
    tls, staticDir: viz.staticDir ?? init.staticDir, metrics,
    health: () => ({ ready: hub?.ready ?? false, redis: feed?.ready ?? false, clients: hub?.clients.size ?? 0, views: hub?.viewCount ?? 0 }),
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(viz.port, viz.listen, () => { server.off('error', reject); resolve(); });
  });
  if (init.account && isRoot()) {
    const d = dropPrivileges(init.account);
    if (!d.ok) { log.fatal(d.error); process.exit(1); }
    log.info({ user: init.account.name }, 'privileges dropped');
  }

  const auth = new Authenticator(viz.passwordHash, viz.users, limits);
  if (auth.size === 0) log.warn('no viz password configured (viz.passwordHash or viz.users): nobody can log in; make one with glougloud --hash-password');
  const limiter = new LoginLimiter({ delayBaseMs: limits.loginDelayBaseMs, delayMaxMs: limits.loginDelayMaxMs, forgetAfterMs: limits.loginForgetMs, maxAddresses: 100_000 });
  const modules = [NET_GRAPH];
  feed = new RedisFeed({
    url: init.redisUrl, channels: [PROBE_CHANNEL, ...modules.flatMap((m) => m.channels)], log,
    onEvent: (key, event) => hub!.onEvent(key, event),
    onSubscribed: () => hub!.requestReload(),
  });
  hub = new VizHub(modules, feed, limits, metrics, auth, limiter, log);
  const h = hub;

  const wss = new WebSocketServer({ noServer: true, maxPayload: limits.maxPayloadBytes, perMessageDeflate: false, clientTracking: false });
  server.on('upgrade', (req, socket, head) => {
    socket.on('error', () => socket.destroy());
    if ((req.url ?? '').split('?')[0] !== '/ws') { socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n'); return; }
    if (h.clients.size >= limits.maxClients) {
      metrics.closes.inc({ reason: 'GG_VIZ_OVERLOADED' });
      socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const c = new VizClient(ws, req.socket.remoteAddress ?? '?', h);
      h.clients.add(c);
      ws.on('close', () => { c.cleanup(); h.clients.delete(c); });
      ws.on('error', (e) => log.debug({ err: e.message, addr: c.addr }, 'viz client error'));
    });
  });

  await feed.start();
  const ticker = setInterval(() => {
    h.tick(Date.now()).catch((e: Error) => log.error({ err: e.stack ?? e.message }, 'viz tick failed'));
  }, limits.tickMs);
  const pinger = setInterval(() => {
    for (const c of h.clients) {
      if (!c.alive) { c.ws.terminate(); continue; }
      c.alive = false;
      c.ws.ping();
    }
  }, limits.pingIntervalMs);
  const port = (server.address() as AddressInfo).port;
  log.info({ listen: `${tls ? 'https' : 'http'}://${viz.listen}:${port}`, static: viz.staticDir ?? init.staticDir }, 'viz server ready');
  process.send?.({ type: 'ready', port });

  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    clearInterval(ticker);
    clearInterval(pinger);
    for (const c of h.clients) c.close(CLOSE.goingAway, 'GG_VIZ_SHUTDOWN');
    server.close();
    server.closeAllConnections();
    feed?.close();
    log.info({ clients: h.clients.size }, 'viz server stopped');
    setTimeout(() => process.exit(0), 50).unref();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.on('disconnect', stop);
  // glougloud forwards SIGHUP to every child (probe secrets); nothing here reloads.
  process.on('SIGHUP', () => log.debug({}, 'SIGHUP ignored by the viz server'));
}

process.once('message', (init: VizServerInit) => {
  main(init).catch((e: Error) => {
    process.stderr.write(`glougloud-viz: ${e.stack ?? e.message}\n`);
    process.exit(1);
  });
});
