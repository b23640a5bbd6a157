import { createSocket } from 'node:dgram';
import type { GlougloudConfig } from '../config.js';
import { createLogger } from '../../protocol/edge/log.js';
import { dropPrivileges, isRoot, type Account } from '../../protocol/edge/privileges.js';
import { ServerSessions } from '../../protocol/session/server-sessions.js';
import { openGeoLocator } from '../geo/locator.js';
import { NetStore } from '../modules/1-net.js';
import { indexModules } from '../modules/index.js';
import { connectWriter } from '../redis/writer.js';
import { restoreNetStore } from './restore.js';
import { ProbeSecretsDir as ProbeSecrets } from '../../protocol/edge/probe-secrets.js';
import { RelayAllowlist } from './relay-allowlist.js';
import { ProbesServer } from './server.js';

/** What the supervisor sends the probes server when it starts it. */
export interface ProbesServerInit {
  config: GlougloudConfig;
  redisUrl: string;
  account: Account | null;
  verbose: number;
}

/**
 * The probes server process: bind the UDP port (privileged if need be), drop
 * privileges and prove it, then load secrets, connect Redis and serve.
 */
async function main(init: ProbesServerInit): Promise<void> {
  const { config } = init;
  const log = createLogger('glougloud-probes', init.verbose);

  // Privileged setup: the socket, nothing else.
  const socket = createSocket({ type: config.probes.listen.includes(':') ? 'udp6' : 'udp4', recvBufferSize: config.probes.recvBufferBytes });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(config.probes.port, config.probes.listen, () => { socket.off('error', reject); resolve(); });
  });
  if (init.account && isRoot()) {
    const d = dropPrivileges(init.account);
    if (!d.ok) { log.fatal(d.error); process.exit(1); }
    log.info({ user: init.account.name }, 'privileges dropped');
  }

  const secrets = new ProbeSecrets(config.probes.dir);
  const loadSecrets = (): void => {
    const r = secrets.load();
    if (!r.ok) { log.error(r.error); return; }
    for (const f of r.result.refused) log.error({ file: f.file }, `probe secret refused: ${f.error}`);
    log.info({ probes: r.result.loaded, dir: config.probes.dir }, 'probe secrets loaded');
  };
  loadSecrets();

  const locator = await openGeoLocator().catch((e: Error) => { log.error(`geo databases unavailable: ${e.message}`); return undefined; });
  const net = new NetStore({ connTtlS: config.ttl.conn, nodeTtlS: config.ttl.node, linkTtlS: config.ttl.link, pathTtlS: config.ttl.path }, locator);
  const modules = indexModules([{ id: 1, apply: (p, m, now) => net.apply(p, m, now), flush: (now) => net.flush(now) }]);

  const restored = await restoreNetStore(init.redisUrl, net, Date.now());
  if (restored.ok) log.info({ entries: restored.restored }, 'live state restored from Redis');
  else log.error(restored.error);
  const writer = await connectWriter({
    url: init.redisUrl, maxPending: config.redis.maxPendingFlushes, log,
    onReconnect: () => net.forgetExpiries(),
    // Dropped writes may have carried EXPIREs: make the next write of every element send its TTL again.
    onDrop: (flushes, commands) => { net.forgetExpiries(); log.warn({ flushes, commands }, 'Redis writes dropped'); },
  });

  const sessions = new ServerSessions({
    secretFor: (id) => secrets.secretFor(id),
    sessionTimeoutMs: config.probes.sessionTimeoutMs,
    maxSessions: config.probes.maxSessions,
    maxPendingHandshakes: config.probes.maxPendingHandshakes,
    handshakeRatePerSource: { perSecond: config.probes.handshakeRate, burst: config.probes.handshakeRate * 2 },
  });
  const relays = new RelayAllowlist(config.probes.relays);
  const server = new ProbesServer(socket, sessions, modules, writer, log, relays, (id) => config.sites[String(id)]);
  socket.on('message', (msg, rinfo) => server.onDatagram(msg, rinfo, Date.now()));
  socket.on('error', (e) => log.error(`probes socket: ${e.message}`));
  const ticker = setInterval(() => server.tick(Date.now()), config.tickMs);
  log.info({ listen: `${config.probes.listen}:${socket.address().port}`, relays: config.probes.relays }, 'probes server ready');
  process.send?.({ type: 'ready', port: socket.address().port });

  process.on('SIGHUP', loadSecrets);
  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    clearInterval(ticker);
    // Goodbyes go out on the socket, so it closes after them.
    socket.removeAllListeners('message');
    server.shutdown(Date.now());
    socket.close();
    await writer.close();
    log.info({ counters: server.counters, store: net.stats }, 'probes server stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
  process.on('disconnect', () => void stop());
}

process.once('message', (init: ProbesServerInit) => {
  main(init).catch((e: Error) => {
    process.stderr.write(`glougloud-probes: ${e.stack ?? e.message}\n`);
    process.exit(1);
  });
});
