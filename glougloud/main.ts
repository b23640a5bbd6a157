#!/usr/bin/env node
import { chownSync, mkdirSync, chmodSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { COMMON_OPTIONS, formatHelp, parseArgs, type OptionSpec } from '../protocol/edge/cli.js';
import { createLogger } from '../protocol/edge/log.js';
import { isRoot, lookupAccount, type Account } from '../protocol/edge/privileges.js';
import { resolveConfig } from './config.js';
import type { ProbesServerInit } from './probes-server/main.js';
import { prepareExternalRedis } from './redis/external.js';
import { EmbeddedRedis } from './redis/embedded.js';
import { Supervisor } from './supervisor.js';
import type { VizServerInit } from './viz-server/main.js';
import { hashPassword } from './viz-server/password.js';
import { readPassword } from './viz-server/read-password.js';

/** glougloud's command line. */
const OPTIONS: OptionSpec[] = [
  ...COMMON_OPTIONS,
  { key: 'probesListen', short: '-l', value: 'ADDR', doc: 'Address the probes server listens on (default 127.0.0.1).' },
  { key: 'probesPort', short: '-p', value: 'PORT', doc: 'UDP port of the probes server (default 4430).' },
  { key: 'vizListen', short: '-L', value: 'ADDR', doc: 'Address of the viz server (default 127.0.0.1).' },
  { key: 'vizPort', short: '-P', value: 'PORT', doc: 'TCP port of the viz server (default 4431).' },
  { key: 'redis', long: '--redis', value: 'URL', doc: 'Use this Redis (redis://host:port or unix:///path) instead of the embedded one.' },
  { key: 'user', short: '-u', value: 'USER', doc: 'Unprivileged user for the children when started as root (default _glougloud).' },
  { key: 'probesDir', long: '--probes-dir', value: 'DIR', doc: 'Directory of probe secrets, one file per probe id.' },
  { key: 'relays', long: '--relays', value: 'IDS', doc: 'Probe ids allowed to relay other probes\' messages, comma-separated (default none); replaces probes.relays.' },
  { key: 'stateDir', long: '--state-dir', value: 'DIR', doc: 'State directory (Redis snapshots).' },
  { key: 'runtimeDir', long: '--runtime-dir', value: 'DIR', doc: 'Runtime directory (Redis socket).' },
  { key: 'hashPassword', long: '--hash-password', doc: 'Read a viz password from standard input, print its hash for viz.passwordHash or viz.users, and exit.' },
];

const SYNOPSIS = 'glougloud [-dnv] [-f FILE] [-l ADDR] [-p PORT] [-L ADDR] [-P PORT] [--redis URL] [-u USER] [--relays IDS] | glougloud --hash-password';
const ABOUT = 'The glouglou processing daemon: authenticates probes, keeps the live state in Redis, and serves the live graph to viz clients.';

/** A directory that must exist with exactly this mode and owner. */
function ensureDir(path: string, mode: number, owner: Account | null): void {
  mkdirSync(path, { recursive: true, mode });
  chmodSync(path, mode);
  if (owner) chownSync(path, owner.uid, owner.gid);
}

async function main(): Promise<number> {
  const parsed = parseArgs(process.argv.slice(2), OPTIONS);
  if (!parsed.ok) { process.stderr.write(`glougloud: ${parsed.error}\n`); return 2; }
  const v = parsed.args.values;
  if (v.help) { process.stdout.write(formatHelp(SYNOPSIS, ABOUT, OPTIONS)); return 0; }
  if (parsed.args.positional.length) { process.stderr.write(`glougloud: unexpected argument ${parsed.args.positional[0]}\n`); return 2; }
  if (v.hashPassword) {
    const p = await readPassword();
    if (!p.ok) { process.stderr.write(`glougloud: ${p.error}\n`); return 2; }
    process.stdout.write(`${await hashPassword(p.password)}\n`);
    return 0;
  }

  const root = isRoot();
  const overrides = {
    probesListen: v.probesListen as string, probesPort: v.probesPort as string,
    vizListen: v.vizListen as string, vizPort: v.vizPort as string,
    redis: v.redis as string, user: v.user as string, probesDir: v.probesDir as string,
    stateDir: v.stateDir as string, runtimeDir: v.runtimeDir as string, relays: v.relays as string | undefined,
  };
  const resolved = resolveConfig(root, v.config as string | undefined, overrides);
  if (!resolved.ok) { process.stderr.write(`glougloud: ${resolved.error}\n`); return 2; }
  const config = resolved.config;
  let account: Account | null = null;
  if (root) {
    const a = lookupAccount(config.user);
    if (!a.ok) { process.stderr.write(`glougloud: ${a.error} (run scripts/install-service.sh, or pass -u USER)\n`); return 2; }
    account = a.account;
  }
  if (v.check) { process.stdout.write('configuration OK\n'); return 0; }

  const verbose = (v.verbose as number) ?? 0;
  const log = createLogger('glougloud', verbose);

  // Privileged setup: directories with safe modes, owned by the unprivileged user.
  ensureDir(config.runtimeDir, 0o700, account);
  ensureDir(config.stateDir, 0o700, account);
  ensureDir(config.probes.dir, 0o700, account);

  let redisUrl: string;
  let embedded: EmbeddedRedis | null = null;
  if (config.redis.url) {
    const ext = await prepareExternalRedis(config.redis.url);
    if (!ext.ok) { log.fatal({ code: ext.code }, ext.detail); return 1; }
    redisUrl = config.redis.url;
  } else {
    embedded = new EmbeddedRedis({
      runtimeDir: config.runtimeDir, stateDir: config.stateDir, save: config.redis.save,
      uid: account?.uid, gid: account?.gid, log,
    });
    const started = await embedded.start();
    if (!started.ok) { log.fatal({ code: started.code }, started.detail); return 1; }
    redisUrl = started.url;
  }

  const here = dirname(fileURLToPath(import.meta.url));
  const supervisor = new Supervisor(log);
  const probesInit: ProbesServerInit = { config, redisUrl, account, verbose };
  supervisor.start({
    name: 'probes-server', module: join(here, 'probes-server', 'main.js'), init: probesInit,
    onMessage: (m) => {
      const msg = m as { type?: string; port?: number };
      if (msg.type === 'ready') process.send?.({ type: 'ready', probesPort: msg.port });
    },
  });
  const vizInit: VizServerInit = { config, redisUrl, account, verbose, staticDir: join(here, '..', 'viz-client') };
  supervisor.start({
    name: 'viz-server', module: join(here, 'viz-server', 'main.js'), init: vizInit,
    onMessage: (m) => {
      const msg = m as { type?: string; port?: number };
      if (msg.type === 'ready') process.send?.({ type: 'ready', vizPort: msg.port });
    },
  });

  // SIGHUP: probe secrets are re-read by the probes server; a changed configuration file
  // (probes.relays included, unless --relays overrides it) restarts the children with it
  // (probes and relays re-handshake by themselves). Directories,
  // the user and the embedded Redis keep what they were started with.
  let current = JSON.stringify(config);
  process.on('SIGHUP', () => {
    const again = resolveConfig(root, v.config as string | undefined, overrides);
    if (!again.ok) { log.error(`SIGHUP: configuration not reloaded: ${again.error}`); supervisor.signal('SIGHUP'); return; }
    const next = JSON.stringify(again.config);
    if (next === current) { log.info('SIGHUP: reloading probe secrets'); supervisor.signal('SIGHUP'); return; }
    current = next;
    log.info('SIGHUP: configuration changed; restarting the probes and viz servers with it');
    supervisor.restart('probes-server', { ...probesInit, config: again.config });
    supervisor.restart('viz-server', { ...vizInit, config: again.config });
  });
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
    // Started by a parent over IPC (a test, the demo): when that parent is gone, so are we.
    if (process.send) process.once('disconnect', resolve);
  });
  log.info('stopping');
  await supervisor.stop();
  if (embedded) await embedded.stop();
  log.info('stopped');
  return 0;
}

main().then((code) => process.exit(code), (e: Error) => {
  process.stderr.write(`glougloud: ${e.stack ?? e.message}\n`);
  process.exit(1);
});
