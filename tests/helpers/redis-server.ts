/**
 * A real redis-server for a test suite: its own temp dir, a unix socket, no
 * TCP port, no persistence unless asked. `stop()` kills it and waits for it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A running test Redis. */
export interface TestRedis {
  /** unix:///path URL for node-redis. */
  url: string;
  /** The socket path. */
  socket: string;
  /** The temp dir (socket, data); reuse it to start a server on the same socket. */
  dir: string;
  pid: number;
  child: ChildProcess;
  /** Kills the server (SIGKILL unless `graceful`) and waits for it, then removes the dir unless `keepDir`. */
  stop(opts?: { graceful?: boolean; keepDir?: boolean }): Promise<void>;
}

/** Options: extra config directives ("name value" lines), an existing dir to reuse. */
export interface TestRedisOptions { config?: string[]; dir?: string }

/** Sends PING on the socket; true on +PONG. */
export function ping(socket: string, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const c = connect(socket);
    const done = (ok: boolean) => { c.destroy(); resolve(ok); };
    const t = setTimeout(() => done(false), timeoutMs);
    c.on('error', () => { clearTimeout(t); done(false); });
    c.on('connect', () => c.write('PING\r\n'));
    c.on('data', (d) => { clearTimeout(t); done(d.toString().startsWith('+PONG')); });
  });
}

/** Starts redis-server and resolves once it answers PING. */
export async function startRedis(opts: TestRedisOptions = {}): Promise<TestRedis> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'gg-redis-'));
  const socket = join(dir, 'redis.sock');
  const args = [
    '--port', '0', '--unixsocket', socket, '--unixsocketperm', '700', '--dir', dir,
    '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--loglevel', 'warning',
  ];
  for (const line of opts.config ?? []) {
    const [name, ...rest] = line.split(' ');
    args.push(`--${name}`, ...rest);
  }
  const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => { output += d.toString(); });
  child.stderr?.on('data', (d: Buffer) => { output += d.toString(); });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`redis-server exited: ${output}`);
    if (await ping(socket)) break;
    if (Date.now() > deadline) { child.kill('SIGKILL'); throw new Error(`redis-server did not answer: ${output}`); }
    await new Promise((r) => setTimeout(r, 20));
  }
  return {
    url: `unix://${socket}`,
    socket,
    dir,
    pid: child.pid as number,
    child,
    async stop(o = {}) {
      if (child.exitCode === null && child.signalCode === null) child.kill(o.graceful ? 'SIGTERM' : 'SIGKILL');
      await exited;
      if (!o.keepDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
