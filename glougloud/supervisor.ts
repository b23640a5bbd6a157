import { fork, type ChildProcess, type ForkOptions } from 'node:child_process';
import type { Logger } from '../protocol/edge/log.js';

/** Restart delay after the n-th consecutive failure: capped exponential backoff with jitter. */
export function restartDelay(failures: number, baseMs = 250, capMs = 30_000, jitter = Math.random()): number {
  const exp = Math.min(capMs, baseMs * 2 ** Math.max(0, failures - 1));
  return Math.round(exp * (0.5 + jitter / 2));
}

/** A child that ran at least this long is considered healthy again. */
const HEALTHY_AFTER_MS = 10_000;

/** What the supervisor needs to (re)start one child process. */
export interface ChildSpec {
  name: string;
  module: string;
  args?: string[];
  options?: ForkOptions;
  /** First IPC message sent once the child is up (its resolved configuration). */
  init: unknown;
  /** Called with every other IPC message from the child. */
  onMessage?: (msg: unknown) => void;
}

/**
 * Keeps child processes running: a child that dies is restarted with backoff
 * and the reason logged; stop() ends them all (SIGTERM, then SIGKILL).
 */
export class Supervisor {
  private readonly children = new Map<string, { spec: ChildSpec; proc: ChildProcess | null; failures: number; startedAt: number; timer: NodeJS.Timeout | null; planned: boolean }>();
  private stopping = false;

  constructor(private readonly log: Logger) {}

  /** Starts a child and keeps it running. */
  start(spec: ChildSpec): void {
    const entry = { spec, proc: null as ChildProcess | null, failures: 0, startedAt: 0, timer: null as NodeJS.Timeout | null, planned: false };
    this.children.set(spec.name, entry);
    this.launch(entry);
  }

  /** Restarts a child at once with a new init message (a configuration reload); not counted as a failure. */
  restart(name: string, init: unknown): void {
    const e = this.children.get(name);
    if (!e) return;
    e.spec = { ...e.spec, init };
    if (e.proc) { e.planned = true; e.proc.kill('SIGTERM'); }
    else if (e.timer) { clearTimeout(e.timer); this.launch(e); }
  }

  private launch(entry: { spec: ChildSpec; proc: ChildProcess | null; failures: number; startedAt: number; timer: NodeJS.Timeout | null; planned: boolean }): void {
    const { spec } = entry;
    entry.timer = null;
    const proc = fork(spec.module, spec.args ?? [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], ...spec.options });
    entry.proc = proc;
    entry.startedAt = Date.now();
    proc.send(spec.init as object);
    proc.on('message', (m) => spec.onMessage?.(m));
    proc.on('exit', (code, signal) => {
      entry.proc = null;
      if (this.stopping) return;
      if (entry.planned) {
        entry.planned = false;
        this.log.info({ child: spec.name }, `${spec.name} restarted with the new configuration`);
        this.launch(entry);
        return;
      }
      if (Date.now() - entry.startedAt > HEALTHY_AFTER_MS) entry.failures = 0;
      entry.failures++;
      const delay = restartDelay(entry.failures);
      this.log.error({ child: spec.name, code, signal, restartInMs: delay }, `${spec.name} exited (${signal ?? `code ${code}`}); restarting`);
      entry.timer = setTimeout(() => this.launch(entry), delay);
    });
    this.log.info({ child: spec.name, childPid: proc.pid }, `${spec.name} started`);
  }

  /** Sends a signal to every running child (e.g. SIGHUP to reload). */
  signal(sig: NodeJS.Signals): void {
    for (const e of this.children.values()) e.proc?.kill(sig);
  }

  /** Stops every child: SIGTERM, then SIGKILL after `graceMs`. Resolves when all have exited. */
  async stop(graceMs = 5000): Promise<void> {
    this.stopping = true;
    const waits: Promise<void>[] = [];
    for (const e of this.children.values()) {
      if (e.timer) clearTimeout(e.timer);
      const p = e.proc;
      if (!p || p.exitCode !== null || p.signalCode !== null) continue;
      waits.push(new Promise((resolve) => {
        const kill = setTimeout(() => p.kill('SIGKILL'), graceMs);
        p.once('exit', () => { clearTimeout(kill); resolve(); });
        p.kill('SIGTERM');
      }));
    }
    await Promise.all(waits);
  }
}
