/**
 * Real parts for the viz integration suites: glougloud with a viz password
 * (cheap scrypt cost, so tests log in fast), a real ggprobe simulating
 * traffic, and the view a client must hold computed from what Redis holds.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createClient } from 'redis';
import { NET_GRAPH } from '../../../glougloud/modules/1-net-graph.js';
import { validateViewConfig, type ViewConfig } from '../../../glougloud/views/config.js';
import { referenceState } from '../../../glougloud/views/reference.js';
import { SourceGraph } from '../../../glougloud/views/source.js';
import type { SourceRecord } from '../../../glougloud/views/source-types.js';
import { serializeState, type GraphState } from '../../../glougloud/views/types.js';
import { hashPassword } from '../../../glougloud/viz-server/password.js';
import { ROOT, startGlougloud, type TestGlougloud } from '../../helpers/glougloud.js';
import { eventually } from '../../helpers/probe-client.js';
import type { TestVizClient } from './viz-client.js';

export const PASSWORD = 'correct horse battery staple';
/** Test hashes use N = 1024: the format and the check are the real ones, only cheaper. */
export const CHEAP = { N: 1024, r: 8, p: 1 };

/** Starts glougloud with a viz password, optional named users, limits, viz settings and extra command-line words. */
export async function startVizGlougloud(o: { probes?: Record<number, string>; users?: Record<string, { password: string; modules?: number[]; probes?: number[] }>; limits?: object; viz?: object; args?: string[] } = {}): Promise<TestGlougloud> {
  const users: Record<string, object> = {};
  for (const [name, u] of Object.entries(o.users ?? {})) {
    const { password, ...rights } = u;
    users[name] = { passwordHash: await hashPassword(password, CHEAP), ...rights };
  }
  const viz = { passwordHash: await hashPassword(PASSWORD, CHEAP), users, limits: { tickMs: 100, ...o.limits }, ...o.viz };
  return startGlougloud({ probes: o.probes ?? { 1: 'sim-secret-1' }, config: { viz }, args: o.args });
}

/** A real ggprobe simulating traffic towards glougloud (its secret file is the one glougloud was started with). */
export function startSimProbe(gg: TestGlougloud, id: number, rate: number, seed = 1): ChildProcess {
  const file = join(gg.probesDir, String(id));
  const p = spawn(process.execPath, [join(ROOT, 'dist/probe/main.js'), '--simulate', '--rate', String(rate), '--seed', String(seed),
    '-s', `127.0.0.1:${gg.probesPort}`, '--id', String(id), '--secret-file', file, '--site-name', 'Sim', '--site-lat', '48.85', '--site-lng', '2.35'],
  { stdio: ['ignore', 'ignore', 'pipe'] });
  p.stderr?.on('data', () => undefined);
  return p;
}

/** Stops a child and waits for it. */
export async function stopChild(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return;
  const done = new Promise((r) => p.once('exit', r));
  p.kill('SIGTERM');
  await done;
}

/** Mirrors everything module 1 has in Redis right now. */
export async function readSource(redisUrl: string): Promise<SourceGraph> {
  const c = createClient({ url: redisUrl });
  c.on('error', () => undefined);
  await c.connect();
  try {
    const records: SourceRecord[] = [];
    for (const pattern of NET_GRAPH.patterns) {
      for await (const page of c.scanIterator({ MATCH: pattern, COUNT: 1000 })) {
        for (const key of page) {
          const r = NET_GRAPH.record(String(key), (await c.hGetAll(String(key))) as Record<string, string>);
          if (r) records.push(r);
        }
      }
    }
    const s = new SourceGraph();
    s.apply(records);
    return s;
  } finally {
    c.destroy();
  }
}

/** A raw config as the server validates it for an unrestricted user. */
export function fullConfig(raw: object): ViewConfig {
  const r = validateViewConfig(raw, { modules: null, probes: null });
  if (!r.ok) throw new Error(r.detail);
  return r.config;
}

/** JSON with object keys sorted (attribute order carries no meaning). */
export function stable(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => (x && typeof x === 'object' && !Array.isArray(x)
    ? Object.fromEntries(Object.entries(x as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : x));
}

/** Canonical form of a state for comparison. */
export function canon(s: GraphState): string {
  return stable(serializeState(s));
}

/** The first element that differs between two states, for failure messages. */
export function firstDifference(a: GraphState, b: GraphState): string {
  for (const [k, v] of b.nodes) { const x = a.nodes.get(k); if (stable(x) !== stable(v)) return `node ${k}: ${JSON.stringify(x)} vs ${JSON.stringify(v)}`; }
  for (const k of a.nodes.keys()) if (!b.nodes.has(k)) return `extra node ${k}`;
  for (const [k, v] of b.edges) { const x = a.edges.get(k); if (stable(x) !== stable(v)) return `edge ${k}: ${JSON.stringify(x)} vs ${JSON.stringify(v)}`; }
  for (const k of a.edges.keys()) if (!b.edges.has(k)) return `extra edge ${k}`;
  return 'same';
}

/** Waits until the client's replica equals the view computed from Redis (Redis must go quiet meanwhile). */
export async function converges(gg: TestGlougloud, c: TestVizClient, raw: object, timeoutMs = 25_000): Promise<GraphState> {
  const config = fullConfig(raw);
  let last = '';
  try {
    return await eventually(async () => {
      const want = referenceState(config, await readSource(gg.redisUrl), Date.now());
      const a = canon(c.replica.state), b = canon(want);
      last = a === b ? '' : `replica ${c.replica.state.nodes.size} nodes/${c.replica.state.edges.size} edges, Redis view ${want.nodes.size}/${want.edges.size}; ${firstDifference(c.replica.state, want)}`;
      return a === b ? want : null;
    }, 'replica equal to the view of Redis', timeoutMs);
  } catch (e) {
    throw new Error(`${(e as Error).message}: ${last}`);
  }
}
