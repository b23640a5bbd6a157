/**
 * Probe health for clients (module 0, `gg:0:probe:<id>`, written every second
 * by the probes server): counters, site and session, plus events per second
 * and loss computed from two successive readings. Pure (`now` in).
 */
import { parseKey } from '../store/keys.js';
import type { Attrs } from '../views/types.js';

const INTS = ['session', 'established_at', 'last_seen', 'version', 'updated', 'datagrams', 'messages', 'bytes', 'lost',
  'reordered', 'replays', 'auth_failures', 'decode_errors', 'skipped'];

/** Pattern of the keys, and the keyspace channel to follow them. */
export const PROBE_PATTERN = 'gg:0:probe:*';
export const PROBE_CHANNEL = '__keyspace@*__:gg:0:probe:*';

/** Health of every probe with a status hash. */
export class ProbeHealth {
  private readonly probes = new Map<number, Attrs>();

  /** Updates one probe from its hash (empty: gone); true if the key was a probe key. */
  set(key: string, hash: Record<string, string>): boolean {
    const k = parseKey(key);
    if (k === null || k.kind !== 'probe') return false;
    if (Object.keys(hash).length === 0) { this.probes.delete(k.probe); return true; }
    const a: Attrs = { id: k.probe };
    for (const f of INTS) {
      const v = hash[f];
      if (v !== undefined && /^\d{1,16}$/.test(v)) a[f] = Number(v);
    }
    for (const f of ['site_name', 'mode']) if (typeof hash[f] === 'string' && hash[f].length <= 256) a[f] = hash[f];
    for (const f of ['site_lat', 'site_lng']) { const n = Number(hash[f]); if (hash[f] !== undefined && Number.isFinite(n)) a[f] = n; }
    const prev = this.probes.get(k.probe);
    const dt = (a.updated as number) - ((prev?.updated as number) ?? 0);
    if (prev && dt > 0 && dt < 60_000 && typeof a.messages === 'number' && typeof prev.messages === 'number') {
      a.events_per_s = Math.max(0, Math.round(((a.messages - prev.messages) * 1000) / dt));
    } else if (prev?.events_per_s !== undefined && dt === 0) a.events_per_s = prev.events_per_s;
    const got = (a.datagrams as number) ?? 0, lost = (a.lost as number) ?? 0;
    a.loss = got + lost > 0 ? Math.round((lost / (got + lost)) * 1e6) / 1e6 : 0;
    this.probes.set(k.probe, a);
    return true;
  }

  /** Forgets every probe (a reload starts from what Redis has). */
  clear(): void {
    this.probes.clear();
  }

  /** The probes a user may see (null: all), by id. */
  list(allowed: readonly number[] | null): Attrs[] {
    const out: Attrs[] = [];
    for (const [id, a] of [...this.probes].sort((x, y) => x[0] - y[0])) if (allowed === null || allowed.includes(id)) out.push(a);
    return out;
  }

  /** Totals for metrics: probes, events per second, datagrams lost. */
  totals(): { probes: number; eventsPerS: number; lost: number } {
    let eventsPerS = 0, lost = 0;
    for (const a of this.probes.values()) { eventsPerS += (a.events_per_s as number) ?? 0; lost += (a.lost as number) ?? 0; }
    return { probes: this.probes.size, eventsPerS, lost };
  }
}
