#!/usr/bin/env node
// `npm start`: the live demo. Starts glougloud (embedded Redis, probes server,
// viz server when built), creates a demo probe secret, feeds it with a
// simulated probe (and, as root, a live probe on the default interface), and
// prints how to connect. Ctrl-C stops everything and leaves no process behind.
import { spawn, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync, existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const demo = join(root, '.demo');
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
  await Promise.all(children.slice(1).map((p) => (p.exitCode === null ? new Promise((r) => p.once('exit', r)) : null)));
  children[0]?.kill('SIGTERM');
  if (children[0] && children[0].exitCode === null) await new Promise((r) => children[0].once('exit', r));
  process.exit(0);
}
process.on('SIGINT', stopAll);
process.on('SIGTERM', stopAll);

const isRoot = process.getuid?.() === 0;
const port = Number(process.env.GG_PROBES_PORT ?? 4430);
const vizPort = Number(process.env.GG_VIZ_PORT ?? 4431);
const simSecret = secretFor(1);
const liveSecret = secretFor(2);
const user = isRoot ? (() => { try { execFileSync('getent', ['passwd', '_glougloud']); return '_glougloud'; } catch { return 'nobody'; } })() : undefined;
const gg = start('glougloud', [join(root, 'dist/glougloud/main.js'), '-d', '-p', String(port), '-P', String(vizPort),
  '--probes-dir', probesDir, '--state-dir', join(demo, 'state'), '--runtime-dir', join(demo, 'run'), ...(user ? ['-u', user] : [])],
  { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
if (isRoot && user) execFileSync('chown', ['-R', `${user}:`, demo]);

gg.on('message', (m) => {
  if (m?.type !== 'ready') return;
  start('ggprobe --simulate', [join(root, 'dist/probe/main.js'), '--simulate', '--rate', '2000', '-s', `127.0.0.1:${port}`, '--id', '1',
    '--secret-file', simSecret, '--site-name', 'Demo site', '--site-lat', '48.8566', '--site-lng', '2.3522']);
  const iface = isRoot ? defaultInterface() : null;
  if (iface) {
    start(`ggprobe -i ${iface}`, [join(root, 'dist/probe/main.js'), '-i', iface, '-s', `127.0.0.1:${port}`, '--id', '2',
      '--secret-file', liveSecret, '--site-name', 'This machine', '--site-lat', '48.8566', '--site-lng', '2.3522']);
  }
  console.log(`
glouglou demo running.
  probes server: udp 127.0.0.1:${port} (probe 1: simulated traffic${iface ? `; probe 2: live capture on ${iface}` : ''})
  connect another probe: ./scripts/ggprobe -i IFACE -s 127.0.0.1:${port} --id 1 --secret-file ${simSecret}
  live state: redis-cli -s ${join(demo, 'run', 'redis.sock')} --scan --pattern 'gg:1:*'
Ctrl-C stops everything.`);
});
gg.on('exit', () => { if (!stopping) stopAll(); });
