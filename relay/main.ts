#!/usr/bin/env node
import { createSocket } from 'node:dgram';
import { chmodSync, chownSync, mkdirSync } from 'node:fs';
import { COMMON_OPTIONS, formatHelp, parseArgs, type OptionSpec } from '../protocol/edge/cli.js';
import { createLogger } from '../protocol/edge/log.js';
import { ProbeSecretsDir } from '../protocol/edge/probe-secrets.js';
import { dropPrivileges, firstAccount, isRoot, lookupAccount, type Account } from '../protocol/edge/privileges.js';
import { readSecretFile } from '../protocol/edge/secret-file.js';
import { Uplink } from '../protocol/edge/uplink.js';
import type { ForwardCredit } from '../protocol/forward.js';
import { ServerSessions } from '../protocol/session/server-sessions.js';
import { resolveRelayConfig, type RelayConfig } from './config.js';
import { Forwarder } from './forwarder.js';
import { RelayServer } from './relay-server.js';

/** ggrelay's command line. */
const OPTIONS: OptionSpec[] = [
  ...COMMON_OPTIONS,
  { key: 'listen', short: '-l', value: 'ADDR', doc: 'Address to accept probes (and relays) on (default 127.0.0.1).' },
  { key: 'port', short: '-p', value: 'PORT', doc: 'UDP port to accept them on (default 4430; 0: any free port).' },
  { key: 'upstream', short: '-s', value: 'HOST[:PORT]', doc: 'glougloud or the next relay to forward to (port 4430 by default).' },
  { key: 'id', long: '--id', value: 'N', doc: 'This relay\'s probe id upstream.' },
  { key: 'secretFile', long: '--secret-file', value: 'FILE', doc: 'File holding this relay\'s secret upstream (mode 600).' },
  { key: 'probesDir', long: '--probes-dir', value: 'DIR', doc: 'Directory of downstream probe secrets, one file per probe id (as glougloud\'s).' },
  { key: 'user', short: '-u', value: 'USER', doc: 'User to run as once the socket is open, when started as root (default _ggrelay, else nobody).' },
  { key: 'siteLat', long: '--site-lat', value: 'DEG', doc: 'Latitude of the relay\'s site.' },
  { key: 'siteLng', long: '--site-lng', value: 'DEG', doc: 'Longitude of the relay\'s site.' },
  { key: 'siteName', long: '--site-name', value: 'NAME', doc: 'Name of the relay\'s site.' },
  { key: 'integrity', long: '--integrity-only', doc: 'Authenticate the upstream session but do not encrypt it (debugging only).' },
];

const SYNOPSIS = 'ggrelay [-dnv] [-f FILE] [-l ADDR] [-p PORT] -s UPSTREAM[:PORT] --id N --secret-file FILE [--probes-dir DIR] [-u USER]';
const ABOUT = 'The glouglou relay: accepts probes\' sessions where they cannot reach glougloud, and forwards their events upstream, to glougloud or to another relay, in one session of its own.';

function fail(msg: string, code = 2): number {
  process.stderr.write(`ggrelay: ${msg}\n`);
  return code;
}

/** The account to run as: the configured one, or nobody when the default _ggrelay does not exist. */
function account(config: RelayConfig, explicit: boolean): { ok: true; account: Account } | { ok: false; error: string } {
  return explicit ? lookupAccount(config.user) : firstAccount([config.user, 'nobody']);
}

async function main(): Promise<number> {
  const parsed = parseArgs(process.argv.slice(2), OPTIONS);
  if (!parsed.ok) return fail(parsed.error);
  const v = parsed.args.values;
  if (v.help) { process.stdout.write(formatHelp(SYNOPSIS, ABOUT, OPTIONS)); return 0; }
  if (parsed.args.positional.length) return fail(`unexpected argument ${parsed.args.positional[0]}`);

  const root = isRoot();
  const str = (k: string): string | undefined => (typeof v[k] === 'string' ? (v[k] as string) : undefined);
  const resolved = resolveRelayConfig(root, str('config'), {
    listen: str('listen'), port: str('port'), upstream: str('upstream'), id: str('id'), secretFile: str('secretFile'),
    probesDir: str('probesDir'), user: str('user'), siteLat: str('siteLat'), siteLng: str('siteLng'), siteName: str('siteName'),
    integrity: v.integrity === true,
  });
  if (!resolved.ok) return fail(resolved.error);
  const config = resolved.config;
  let acc: Account | null = null;
  if (root) {
    const a = account(config, str('user') !== undefined);
    if (!a.ok) return fail(`${a.error} (create it, or pass -u USER)`);
    acc = a.account;
  }
  // Privileged setup: the secret (readable by root only), the secrets directory, the socket; nothing else.
  const secret = readSecretFile(config.secretFile);
  if (!secret.ok) return fail(secret.error);
  if (v.check) { process.stdout.write('configuration OK\n'); return 0; }

  const log = createLogger('ggrelay', (v.verbose as number) ?? 0, { relay: config.id });
  mkdirSync(config.probesDir, { recursive: true, mode: 0o700 });
  if (acc) chownSync(config.probesDir, acc.uid, acc.gid);
  chmodSync(config.probesDir, 0o700);
  const socket = createSocket({ type: config.listen.includes(':') ? 'udp6' : 'udp4', recvBufferSize: config.recvBufferBytes });
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(config.port, config.listen, () => { socket.off('error', reject); resolve(); });
    });
  } catch (e) {
    return fail(`cannot listen on ${config.listen}:${config.port}: ${(e as NodeJS.ErrnoException).code}`, 1);
  }
  if (acc) {
    const d = dropPrivileges(acc);
    if (!d.ok) return fail(d.error, 1);
    log.info({ user: acc.name }, 'privileges dropped');
  }

  const secrets = new ProbeSecretsDir(config.probesDir);
  const loadSecrets = (): void => {
    const r = secrets.load();
    if (!r.ok) { log.error(r.error); return; }
    for (const f of r.result.refused) log.error({ file: f.file }, `probe secret refused: ${f.error}`);
    log.info({ probes: r.result.loaded, dir: config.probesDir }, 'probe secrets loaded');
  };
  loadSecrets();

  let forwarder: Forwarder | null = null;
  const uplink = new Uplink<ForwardCredit[]>({
    host: config.upstream.host, port: config.upstream.port, probeId: config.id, secret: secret.secret, site: config.site,
    mode: config.integrity ? 'integrity' : 'encrypt', maxDatagram: config.maxDatagram, maxQueued: config.upstreamBuffer, log,
    onDrop: (credits, messages) => forwarder?.dropped(credits, messages),
  });
  forwarder = new Forwarder(
    { relayId: config.id, maxDatagram: config.maxDatagram, heartbeatMs: config.heartbeatMs, statsMs: config.statsMs, maxOrigins: 4 * config.maxSessions },
    (payload, messages, credits) => uplink.sendPayload(payload, messages, credits), Date.now(),
  );
  const sessions = new ServerSessions({
    // A relay never takes its own id from downstream: that would be a loop of one.
    secretFor: (id) => (id === config.id ? undefined : secrets.secretFor(id)),
    passThrough: true,
    sessionTimeoutMs: config.sessionTimeoutMs,
    maxSessions: config.maxSessions,
    maxPendingHandshakes: config.maxPendingHandshakes,
    handshakeRatePerSource: { perSecond: config.handshakeRate, burst: config.handshakeRate * 2 },
  });
  const server = new RelayServer(socket, sessions, forwarder, uplink, log, config.flushMs);
  socket.on('message', (msg, rinfo) => server.onDatagram(msg, rinfo, Date.now()));
  socket.on('error', (e) => log.error(`downstream socket: ${e.message}`));
  const started = await uplink.start();
  if (!started.ok) { log.fatal(started.error); return 1; }
  const ticker = setInterval(() => server.tick(Date.now()), config.tickMs);
  const report = (): Record<string, unknown> => ({ downstream: server.counters, forwarder: forwarder?.counters, upstream: uplink.counters, queued: uplink.queued, sessions: sessions.size });
  const reporter = setInterval(() => log.info(report(), 'relay counters'), 60_000);
  const port = socket.address().port;
  log.info({ listen: `${config.listen}:${port}`, upstream: `${config.upstream.host}:${config.upstream.port}` }, 'relay ready');
  process.send?.({ type: 'ready', port });

  process.on('SIGHUP', () => { log.info('SIGHUP: reloading probe secrets'); loadSecrets(); });
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
    process.once('disconnect', resolve);
  });
  log.info('stopping');
  clearInterval(ticker);
  clearInterval(reporter);
  server.shutdown();
  await uplink.close();
  socket.close();
  log.info(report(), 'relay stopped');
  return 0;
}

main().then((code) => process.exit(code), (e: Error) => {
  process.stderr.write(`ggrelay: ${e.stack ?? e.message}\n`);
  process.exit(1);
});
