/**
 * Ctrl-C at a terminal signals the whole foreground process group: glougloud,
 * its children and (were it in the group) its embedded Redis at once. Redis
 * must outlive the children's last writes and go last, without a "died"
 * alarm, a restart or a process left behind.
 */
import { expect, test } from 'vitest';
import { startGlougloud } from '../helpers/glougloud.js';
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
