/**
 * Ctrl-C at a terminal signals the whole foreground process group: glougloud,
 * its children and (were it in the group) its embedded Redis at once. Redis
 * must outlive the children's last writes and go last, without a "died"
 * alarm, a restart or a process left behind.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { ROOT, startGlougloud } from '../helpers/glougloud.js';
import { eventually } from '../helpers/probe-client.js';

function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch { return false; }
}

test('SIGINT to the process group stops glougloud cleanly, its embedded Redis last', async () => {
  const gg = await startGlougloud({ processGroup: true });
  try {
    const ready = gg.logs.map((l) => JSON.parse(l) as { msg?: string; pid?: number }).find((l) => l.msg === 'embedded redis ready');
    expect(ready?.pid).toBeGreaterThan(0);
    const redisPid = ready!.pid!;
    expect(alive(redisPid)).toBe(true);
    const exited = new Promise<number | null>((r) => gg.proc.once('exit', (code) => r(code)));
    process.kill(-gg.proc.pid!, 'SIGINT');
    expect(await exited).toBe(0);
    const msgs = gg.logs.map((l) => { try { return (JSON.parse(l) as { msg?: string }).msg ?? ''; } catch { return l; } });
    expect(msgs).toContain('stopped');
    expect(msgs.filter((m) => /redis died|redis restart|lost Redis|ECONNREFUSED/i.test(m))).toEqual([]);
    await eventually(() => !alive(redisPid), 'the embedded redis-server gone', 5000);
  } finally {
    await gg.stop();
  }
}, 90_000);

test('a glougloud started over IPC stops, Redis included, when the parent that started it dies', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gg-orphan-'));
  chmodSync(dir, 0o755);
  mkdirSync(join(dir, 'probes'), { mode: 0o700 });
  // A parent that starts glougloud, waits until both servers are ready, prints the pids and exits abruptly.
  const parent = `
    const { spawn } = require('node:child_process');
    const p = spawn(process.execPath, ${JSON.stringify([join(ROOT, 'dist/glougloud/main.js'), '-d', '-p', '0', '-P', '0', '--probes-dir', join(dir, 'probes'),
      '--state-dir', join(dir, 'state'), '--runtime-dir', join(dir, 'run'), ...(process.getuid?.() === 0 ? ['-u', 'nobody'] : [])])},
      { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], detached: true });
    let log = '', ready = 0;
    p.stderr.on('data', (d) => { log += d; });
    p.on('message', (m) => { if (m.type === 'ready' && ++ready === 2) { process.stdout.write(JSON.stringify({ pid: p.pid, log })); process.exit(0); } });`;
  try {
    const out = execFileSync(process.execPath, ['-e', parent], { encoding: 'utf8', timeout: 60_000 });
    const { pid, log } = JSON.parse(out) as { pid: number; log: string };
    const redisPid = Number(/"pid":(\d+)[^\n]*"msg":"embedded redis ready"/.exec(log)?.[1]);
    expect(redisPid).toBeGreaterThan(0);
    await eventually(() => !alive(pid) && !alive(redisPid), 'glougloud and its Redis gone after their parent', 20_000);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 90_000);
