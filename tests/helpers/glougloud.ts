/**
 * A real glougloud for an integration suite: its own temp dirs and probe
 * secrets, UDP port chosen by the kernel, embedded Redis (or --redis URL).
 * As root it drops to `nobody`, so the privilege drop runs for real.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ROOT = join(import.meta.dirname, '..', '..');
const isRoot = process.getuid?.() === 0;
const NOBODY = 65534;

/** A running glougloud. */
export interface TestGlougloud {
  proc: ChildProcess;
  probesPort: number;
  /** TCP port of the viz server (HTTP, /ws). */
  vizPort: number;
  dir: string;
  probesDir: string;
  /** unix:///… of its Redis (embedded or the one given). */
  redisUrl: string;
  /** Every stderr line so far (JSON logs). */
  logs: string[];
  /** Writes a probe secret file (mode 600) and returns its path. */
  addProbe(id: number, secret: string, mode?: number): string;
  /** SIGTERM, wait for exit; returns the exit code. */
  stop(): Promise<number | null>;
}

/** Options: probes to create up front, extra command-line words, an external Redis. */
export interface TestGlougloudOptions {
  probes?: Record<number, string>; args?: string[]; redisUrl?: string; config?: object;
  /** In its own process group, as a terminal runs it (a test may then signal the whole group, like Ctrl-C). */
  processGroup?: boolean;
}

/** Starts glougloud and resolves once its probes server is ready. */
export async function startGlougloud(o: TestGlougloudOptions = {}): Promise<TestGlougloud> {
  const dir = mkdtempSync(join(tmpdir(), 'gg-test-'));
  chmodSync(dir, 0o755);
  const probesDir = join(dir, 'probes');
  mkdirSync(probesDir, { mode: 0o700 });
  const addProbe = (id: number, secret: string, mode = 0o600): string => {
    const f = join(probesDir, String(id));
    writeFileSync(f, secret, { mode });
    chmodSync(f, mode);
    if (isRoot) chownSync(f, NOBODY, NOBODY);
    return f;
  };
  for (const [id, s] of Object.entries(o.probes ?? {})) addProbe(Number(id), s);
  const args = [join(ROOT, 'dist/glougloud/main.js'), '-d', '-p', '0', '-P', '0', '-l', '127.0.0.1',
    '--probes-dir', probesDir, '--state-dir', join(dir, 'state'), '--runtime-dir', join(dir, 'run')];
  if (isRoot) args.push('-u', 'nobody');
  if (o.redisUrl) args.push('--redis', o.redisUrl);
  if (o.config) {
    const f = join(dir, 'glougloud.json');
    writeFileSync(f, JSON.stringify(o.config));
    args.push('-f', f);
  }
  args.push(...(o.args ?? []));
  const proc = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], detached: o.processGroup === true });
  const logs: string[] = [];
  let partial = '';
  proc.stderr!.on('data', (d: Buffer) => {
    const lines = (partial + d.toString()).split('\n');
    partial = lines.pop() ?? '';
    logs.push(...lines);
  });
  // Both children say they are ready (the probes server's UDP port, the viz server's TCP port).
  const { probesPort, vizPort } = await new Promise<{ probesPort: number; vizPort: number }>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`glougloud not ready in 60 s:\n${logs.join("\n")}`)), 60_000);
    let probes = 0, viz = 0;
    proc.on('message', (m: { type?: string; probesPort?: number; vizPort?: number }) => {
      if (m.type !== 'ready') return;
      if (m.probesPort) probes = m.probesPort;
      if (m.vizPort) viz = m.vizPort;
      if (probes && viz) { clearTimeout(t); resolve({ probesPort: probes, vizPort: viz }); }
    });
    proc.once('exit', (code) => { clearTimeout(t); reject(new Error(`glougloud exited ${code}:\n${logs.join('\n')}`)); });
  });
  return {
    proc, probesPort, vizPort, dir, probesDir, logs, addProbe,
    redisUrl: o.redisUrl ?? `unix://${join(dir, 'run', 'redis.sock')}`,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGTERM');
        await new Promise((r) => proc.once('exit', r));
      }
      rmSync(dir, { recursive: true, force: true });
      return proc.exitCode;
    },
  };
}
