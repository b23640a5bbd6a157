#!/usr/bin/env node
// `npm start`: the live demo. Starts glougloud (embedded Redis, probes server,
// viz server with the built client), creates a demo probe secret and a fresh
// viz password, feeds glougloud with a simulated probe (and, as root, a live
// probe on the default interface), and prints where to point a browser.
// Ctrl-C stops everything and leaves no process behind.
//
// The password's scrypt hash goes into a mode-600 configuration file in the
// demo directory; the password itself is only printed, never put on a
// command line (where `ps` would show it).
import { spawn, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// GG_DEMO_DIR: where the demo keeps its secrets, configuration and Redis (tests use a temporary one).
const demo = process.env.GG_DEMO_DIR ?? join(root, '.demo');
const probesDir = join(demo, 'probes');
mkdirSync(probesDir, { recursive: true, mode: 0o700 });

function secretFor(id) {
  const file = join(probesDir, String(id));
  if (!existsSync(file)) writeFileSync(file, randomBytes(32).toString('base64') + '\n', { mode: 0o600 });
  return file;
}

function defaultInterface() {
  try {
    const route = readFileSync('/proc/net/route', 'utf8').split('\n').slice(1).find((l) => l.split('\t')[1] === '00000000');
    return route ? route.split('\t')[0] : null;
  } catch { return null; }
}

/** A fresh viz password and the configuration file holding its hash (mode 600). */
async function vizConfig() {
  const { hashPassword } = await import(pathToFileURL(join(root, 'dist/glougloud/viz-server/password.js')).href);
  // Unambiguous characters only: the password is read off a terminal and typed.
  const alphabet = 'abcdefghjkmnpqrstuvwxyzACDEFGHJKLMNPQRTUVWXY346789';
  const password = Array.from(randomBytes(16), (b) => alphabet[b % alphabet.length]).join('');
  const file = join(demo, 'glougloud.json');
  writeFileSync(file, `${JSON.stringify({ viz: { passwordHash: await hashPassword(password) } }, null, 2)}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return { password, file };
}

const children = [];
function start(name, args, opts = {}) {
  const p = spawn(process.execPath, args, { stdio: ['ignore', opts.stdout ?? 'inherit', 'inherit'], ...opts });
  p.on('exit', (code, sig) => { if (!stopping) console.error(`demo: ${name} exited (${sig ?? code})`); });
  children.push(p);
  return p;
}

let stopping = false;
async function stopAll() {
  if (stopping) return;
  stopping = true;
  console.error('\ndemo: stopping');
  // Probes first, so glougloud receives their goodbyes.
  for (const p of children.slice(1).reverse()) p.kill('SIGTERM');
  await Promise.all(children.slice(1).map((p) => (p.exitCode === null && p.signalCode === null ? new Promise((r) => p.once('exit', r)) : null)));
  children[0]?.kill('SIGTERM');
  if (children[0] && children[0].exitCode === null && children[0].signalCode === null) await new Promise((r) => children[0].once('exit', r));
  process.exit(0);
}
process.on('SIGINT', stopAll);
process.on('SIGTERM', stopAll);
process.on('SIGHUP', stopAll);

const isRoot = process.getuid?.() === 0;
const port = Number(process.env.GG_PROBES_PORT ?? 4430);
const vizPort = Number(process.env.GG_VIZ_PORT ?? 4431);
const vizListen = process.env.GG_VIZ_LISTEN ?? '127.0.0.1';
const simSecret = secretFor(1);
const liveSecret = secretFor(2);
const viz = await vizConfig();
const user = isRoot ? (() => { try { execFileSync('getent', ['passwd', '_glougloud']); return '_glougloud'; } catch { return 'nobody'; } })() : undefined;
if (isRoot && user) execFileSync('chown', ['-R', `${user}:`, demo]);
const gg = start('glougloud', [join(root, 'dist/glougloud/main.js'), '-d', '-f', viz.file, '-p', String(port), '-L', vizListen, '-P', String(vizPort),
  '--probes-dir', probesDir, '--state-dir', join(demo, 'state'), '--runtime-dir', join(demo, 'run'), ...(user ? ['-u', user] : [])],
  { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });

// Both children say when they are ready: the probes server (UDP port) and the viz server (TCP port).
const ready = { probes: 0, viz: 0 };
let started = false;
gg.on('message', (m) => {
  if (m?.type !== 'ready') return;
  if (m.probesPort) ready.probes = m.probesPort;
  if (m.vizPort) ready.viz = m.vizPort;
  if (started || !ready.probes || !ready.viz || stopping) return;
  started = true;
  start('ggprobe --simulate', [join(root, 'dist/probe/main.js'), '--simulate', '--rate', '2000', '-s', `127.0.0.1:${ready.probes}`, '--id', '1',
    '--secret-file', simSecret, '--site-name', 'Demo site', '--site-lat', '48.8566', '--site-lng', '2.3522']);
  const iface = isRoot ? defaultInterface() : null;
  if (iface) {
    start(`ggprobe -i ${iface}`, [join(root, 'dist/probe/main.js'), '-i', iface, '-s', `127.0.0.1:${ready.probes}`, '--id', '2',
      '--secret-file', liveSecret, '--site-name', 'This machine', '--site-lat', '48.8566', '--site-lng', '2.3522']);
  }
  const host = vizListen === '0.0.0.0' || vizListen === '::' ? '127.0.0.1' : vizListen.includes(':') ? `[${vizListen}]` : vizListen;
  console.log(`
glouglou demo running.
  open:          http://${host}:${ready.viz}/
  password:      ${viz.password}   (new at every start; its hash is in ${viz.file})
  probes server: udp 127.0.0.1:${ready.probes} (probe 1: simulated traffic${iface ? `; probe 2: live capture on ${iface}` : ''})
  connect another probe: ./scripts/ggprobe -i IFACE -s 127.0.0.1:${ready.probes} --id 1 --secret-file ${simSecret}
  live state: redis-cli -s ${join(demo, 'run', 'redis.sock')} --scan --pattern 'gg:1:*'
  embed in a wallboard: http://${host}:${ready.viz}/?embed=1   (add &anonymize=1 for public screens)
Ctrl-C stops everything.`);
});
gg.on('exit', () => { if (!stopping) stopAll(); });
