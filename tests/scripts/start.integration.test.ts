/**
 * `npm start` for real (its script, once set up): glougloud with its embedded
 * Redis and viz server, a simulated probe (and as root a live one), a fresh
 * password printed with the URL; the printed password logs in and the graph
 * fills; Ctrl-C (SIGINT to the whole process group, as a terminal sends it)
 * stops everything and leaves no process behind.
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { ROOT } from '../helpers/glougloud.js';
import { eventually } from '../helpers/probe-client.js';
import { TestVizClient } from '../glougloud/viz/viz-client.js';

/** The interface of the default route, as the demo picks it. */
function defaultInterface(): string | null {
  const line = readFileSync('/proc/net/route', 'utf8').split('\n').slice(1).find((l) => l.split('\t')[1] === '00000000');
  return line ? line.split('\t')[0] : null;
}

function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch { return false; }
}

/** Every process whose process group is `pgid` (from /proc), as pids. */
async function groupMembers(pgid: number): Promise<number[]> {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) === pgid) out.push(Number(d));
    } catch { /* gone meanwhile */ }
  }
  return out;
}

test('the demo prints a URL and a fresh password that logs in, shows simulated traffic, and Ctrl-C leaves nothing behind', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gg-demo-'));
  chmodSync(dir, 0o755);
  const demo = spawn(process.execPath, [join(ROOT, 'scripts/start.mjs')], {
    cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, GG_DEMO_DIR: join(dir, 'demo'), GG_PROBES_PORT: '0', GG_VIZ_PORT: '0' },
  });
  let out = '';
  let err = '';
  demo.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  demo.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
  const pgid = demo.pid!;
  let client: TestVizClient | null = null;
  try {
    const banner = await eventually(() => /open:\s+http:\/\/127\.0\.0\.1:(\d+)\/\s+password:\s+(\S+)/.exec(out), 'the demo banner', 60_000)
      .catch((e: Error) => { throw new Error(`${e.message}\nstdout: ${out}\nstderr: ${err.slice(-2000)}`); });
    const [, vizPort, password] = banner;
    expect(password).toMatch(/^[a-zA-Z0-9]{16}$/);
    expect(err).not.toContain(password);
    // As root, a live probe on the interface of the default route joins in (not root: simulated traffic only).
    const iface = defaultInterface();
    if (process.getuid?.() === 0 && iface) {
      expect(out).toContain(`probe 2: live capture on ${iface}`);
      await eventually(() => /"probe":2,[^\n]*"msg":"probe session established"/.test(err), 'the live probe\'s session', 30_000);
    } else expect(out).not.toContain('probe 2');
    client = new TestVizClient(Number(vizPort));
    await client.open();
    expect((await client.login(password)).type).toBe('auth-ok');
    await client.configure({});
    await eventually(() => client!.replica.state.nodes.size > 10, 'simulated hosts in the demo graph', 30_000);
    client.close();
    client = null;
    const redisPid = Number(/"pid":(\d+)[^\n]*"msg":"embedded redis ready"/.exec(err)?.[1]);
    expect(redisPid).toBeGreaterThan(0);
    expect((await groupMembers(pgid)).length).toBeGreaterThanOrEqual(4); // the script, glougloud, its two servers, the probe(s)
    const exited = new Promise<number | null>((r) => demo.once('exit', (code) => r(code)));
    process.kill(-pgid, 'SIGINT');
    expect(await exited).toBe(0);
    await eventually(async () => (await groupMembers(pgid)).length === 0 && !alive(redisPid), 'every demo process gone, Redis included', 20_000);
  } finally {
    client?.close();
    try { process.kill(-pgid, 'SIGKILL'); } catch { /* all gone */ }
    rmSync(dir, { recursive: true, force: true });
  }
}, 120_000);
