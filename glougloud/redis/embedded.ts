/**
 * The embedded Redis: a `redis-server` child with a generated config, a unix
 * socket only, started and waited for (PING), restarted with backoff when it
 * dies (saying why), stopped cleanly (SIGTERM, which also writes the last RDB
 * snapshot; SIGKILL after a timeout).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { chmodSync, chownSync, mkdirSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { DEFAULT_EMBEDDED_REDIS_CONFIG, type EmbeddedRedisConfig, type PubsubLimit, renderRedisConfig, socketPath } from './config.js';

/** Minimal logger (pino's shape). */
export interface RedisLog {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** Options: where, persistence, limits, who runs it, and the supervision timings. */
export interface EmbeddedRedisOptions {
  runtimeDir: string;
  stateDir: string;
  save?: string;
  appendonly?: boolean;
  maxmemory?: string | number | null;
  pubsubLimit?: PubsubLimit;
  extra?: string[];
  /** Run redis-server as this user/group (the daemon is root at that point). */
  uid?: number;
  gid?: number;
  /** The redis-server binary. */
  binary?: string;
  log?: RedisLog;
  /** How long a start may take before it counts as failed. */
  startTimeoutMs?: number;
  /** How long stop() waits after SIGTERM before SIGKILL (the final RDB save happens in between). */
  stopTimeoutMs?: number;
  /** Restart delays: min·2^attempt capped at max, with jitter; attempts reset after `stableMs` up. */
  restartMinMs?: number;
  restartMaxMs?: number;
  stableMs?: number;
}

/** Result of start(): the URL to connect to, or why it could not start. */
export type EmbeddedStart =
  | { ok: true; url: string; socket: string; pid: number }
  | { ok: false; code: 'GG_REDIS_BAD_CONFIG' | 'GG_REDIS_START_FAILED'; detail: string };

/** Why the server stopped unexpectedly: exit code or signal, and its last log lines. */
export interface EmbeddedExit { pid: number; code: number | null; signal: string | null; lastLines: string[] }

/** Events of the embedded Redis. */
export interface EmbeddedRedisEvents {
  ready: [{ pid: number; url: string; restarts: number }];
  exit: [EmbeddedExit];
  restarting: [{ delayMs: number; attempt: number }];
}

const SAVE = /^$|^\d+ \d+( \d+ \d+)*$/;
const SIZE = /^\d+(b|k|kb|m|mb|g|gb)?$/i;
const LOG_LINES = 20;

/** Sends PING on a unix socket; true on +PONG. */
export function pingSocket(path: string, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const c = connect(path);
    let done = false;
    const finish = (ok: boolean): void => { if (!done) { done = true; clearTimeout(t); c.destroy(); resolve(ok); } };
    const t = setTimeout(() => finish(false), timeoutMs);
    c.on('error', () => finish(false));
    c.on('connect', () => c.write('PING\r\n'));
    c.on('data', (d) => finish(d.toString('latin1').startsWith('+PONG')));
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Supervises one redis-server child. */
export class EmbeddedRedis extends EventEmitter<EmbeddedRedisEvents> {
  private child: ChildProcess | null = null;
  private lastLines: string[] = [];
  private stopping = false;
  /** Set once a start succeeded: from then on a death means a restart. */
  private supervising = false;
  private attempt = 0;
  private restarts = 0;
  private startedAt = 0;
  private timer: NodeJS.Timeout | null = null;
  private readonly config: EmbeddedRedisConfig;
  /** The socket path. */
  readonly socket: string;

  constructor(private readonly o: EmbeddedRedisOptions) {
    super();
    this.config = {
      runtimeDir: o.runtimeDir, stateDir: o.stateDir,
      save: o.save ?? DEFAULT_EMBEDDED_REDIS_CONFIG.save,
      appendonly: o.appendonly ?? DEFAULT_EMBEDDED_REDIS_CONFIG.appendonly,
      maxmemory: o.maxmemory ?? DEFAULT_EMBEDDED_REDIS_CONFIG.maxmemory,
      pubsubLimit: o.pubsubLimit ?? DEFAULT_EMBEDDED_REDIS_CONFIG.pubsubLimit,
      extra: o.extra ?? [],
    };
    this.socket = socketPath(o.runtimeDir);
  }

  /** pid of the running server, or null. */
  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  /** unix:// URL of the socket. */
  get url(): string {
    return `unix://${this.socket}`;
  }

  private check(): string | null {
    const c = this.config;
    if (!SAVE.test(c.save)) return `save must be pairs of "SECONDS CHANGES" or "", got ${JSON.stringify(c.save)}`;
    if (c.maxmemory !== null && !SIZE.test(String(c.maxmemory))) return `maxmemory must be a size like 512mb, got ${JSON.stringify(c.maxmemory)}`;
    const p = c.pubsubLimit;
    if (!SIZE.test(p.hard) || !SIZE.test(p.soft) || !Number.isInteger(p.seconds) || p.seconds < 0) return 'pubsubLimit must be { hard: size, soft: size, seconds: integer ≥ 0 }';
    if (c.extra.some((l) => l.includes('\n'))) return 'extra directives must be single lines';
    return null;
  }

  /** Writes the config and starts the server; resolves once it answers PING (or failed to). */
  async start(): Promise<EmbeddedStart> {
    const bad = this.check();
    if (bad) return { ok: false, code: 'GG_REDIS_BAD_CONFIG', detail: bad };
    this.stopping = false;
    const r = await this.spawnOnce();
    if (!r.ok) return r;
    this.supervising = true;
    return { ok: true, url: this.url, socket: this.socket, pid: r.pid };
  }

  private writeConfig(): string {
    const { runtimeDir, stateDir } = this.config;
    mkdirSync(runtimeDir, { recursive: true, mode: 0o700 });
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    const path = join(runtimeDir, 'redis.conf');
    writeFileSync(path, renderRedisConfig(this.config), { mode: 0o600 });
    chmodSync(path, 0o600);
    if (this.o.uid !== undefined) chownSync(path, this.o.uid, this.o.gid ?? -1);
    return path;
  }

  private async spawnOnce(): Promise<{ ok: true; pid: number } | { ok: false; code: 'GG_REDIS_START_FAILED'; detail: string }> {
    let conf: string;
    try { conf = this.writeConfig(); } catch (e) {
      return { ok: false, code: 'GG_REDIS_START_FAILED', detail: `cannot write the Redis config: ${(e as Error).message}` };
    }
    this.lastLines = [];
    // Its own process group: a Ctrl-C at the terminal must not stop Redis before the
    // probes server has written its last batch; glougloud stops it last, itself.
    const child = spawn(this.o.binary ?? 'redis-server', [conf], {
      stdio: ['ignore', 'pipe', 'pipe'], uid: this.o.uid, gid: this.o.gid, detached: true,
    });
    this.child = child;
    // Out of the group, it would outlive a glougloud that exits without stop() (a fatal error).
    const orphanGuard = (): void => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM'); };
    process.once('exit', orphanGuard);
    child.once('exit', () => process.removeListener('exit', orphanGuard));
    const keep = (d: Buffer): void => {
      for (const line of d.toString().split('\n')) if (line.trim()) this.lastLines.push(line.trim());
      if (this.lastLines.length > LOG_LINES) this.lastLines.splice(0, this.lastLines.length - LOG_LINES);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    let spawnError: Error | null = null;
    child.once('error', (e) => { spawnError = e; });
    child.once('exit', (code, signal) => this.onExit(child, code, signal));
    const deadline = Date.now() + (this.o.startTimeoutMs ?? 10_000);
    for (;;) {
      if (spawnError || child.exitCode !== null || child.signalCode !== null || this.child !== child) {
        const why = spawnError ? (spawnError as Error).message : `exited (${child.exitCode ?? child.signalCode})`;
        return { ok: false, code: 'GG_REDIS_START_FAILED', detail: `redis-server ${why}: ${this.lastLines.slice(-5).join(' | ')}` };
      }
      if (await pingSocket(this.socket)) break;
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        return { ok: false, code: 'GG_REDIS_START_FAILED', detail: `redis-server did not answer PING within ${this.o.startTimeoutMs ?? 10_000} ms: ${this.lastLines.slice(-5).join(' | ')}` };
      }
      await sleep(25);
    }
    this.startedAt = Date.now();
    this.o.log?.info({ pid: child.pid, socket: this.socket, restarts: this.restarts }, 'embedded redis ready');
    this.emit('ready', { pid: child.pid as number, url: this.url, restarts: this.restarts });
    return { ok: true, pid: child.pid as number };
  }

  private onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.child === child) this.child = null;
    if (this.stopping || !this.supervising) return;
    const exit: EmbeddedExit = { pid: child.pid as number, code, signal, lastLines: [...this.lastLines] };
    this.o.log?.error({ ...exit }, 'embedded redis died');
    this.emit('exit', exit);
    this.scheduleRestart();
  }

  private scheduleRestart(): void {
    if (this.stopping || this.timer) return;
    if (this.startedAt && Date.now() - this.startedAt > (this.o.stableMs ?? 30_000)) this.attempt = 0;
    const min = this.o.restartMinMs ?? 200, max = this.o.restartMaxMs ?? 10_000;
    const base = Math.min(max, min * 2 ** this.attempt);
    const delayMs = Math.round(base / 2 + (Math.random() * base) / 2);
    this.attempt++;
    this.emit('restarting', { delayMs, attempt: this.attempt });
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.stopping) return;
      this.restarts++;
      void this.spawnOnce().then((r) => {
        if (!r.ok) {
          this.o.log?.error({ code: r.code, detail: r.detail }, 'embedded redis restart failed');
          // A child that exited already scheduled the next try; one that hung was killed: try again.
          this.scheduleRestart();
        }
      });
    }, delayMs);
  }

  /** Stops the server (SIGTERM, then SIGKILL after stopTimeoutMs) and any pending restart. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.supervising = false;
    if (this.timer) { clearTimeout(this.timer); this.timer = null; }
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), this.o.stopTimeoutMs ?? 10_000);
    await exited;
    clearTimeout(t);
    this.child = null;
  }
}
