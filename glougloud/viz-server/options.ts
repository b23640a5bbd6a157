/**
 * Every limit the viz server enforces, with its default, in one place. The
 * configuration file may override them (`viz.limits`).
 */

/** Limits of the viz server. */
export interface VizLimits {
  /** Notifications are coalesced and the dirty keys read once per tick. */
  tickMs: number;
  /**
   * An element already shown is re-read at most this often: its counters then
   * change once per interval instead of at every ingest write. New elements and
   * removals still go out at the next tick. 0: every tick.
   */
  refreshMs: number;
  /** Connected WebSocket clients; beyond it upgrades get 503. */
  maxClients: number;
  /** Largest client message (the WebSocket layer closes with 1009 beyond it). */
  maxPayloadBytes: number;
  /** A client whose socket holds more than this is behind: its changes are merged, not sent. */
  highWaterBytes: number;
  /** A client behind catches up (one merged diff, or a snapshot) once its socket holds less than this. */
  lowWaterBytes: number;
  /** Merged changes kept for a client behind; beyond it the client will get a fresh snapshot instead. */
  maxPendingOps: number;
  /** A client behind for longer than this is closed (4408). */
  maxLagMs: number;
  /** Fresh snapshots a slow client may need within a minute before it is closed (4408). */
  maxResetsPerMinute: number;
  /** Distinct views (configurations) at once; each costs memory in proportion to the graph. */
  maxViews: number;
  /** Bad messages a client may send before it is closed (4400). */
  maxStrikes: number;
  /** Time allowed between connecting and logging in (4401 after). */
  authTimeoutMs: number;
  /** Failed or refused logins on one connection before it is closed (4401). */
  maxAuthAttempts: number;
  /** Password checks running at once, and waiting; beyond: GG_VIZ_BUSY. */
  maxConcurrentAuth: number;
  maxQueuedAuth: number;
  /** Messages per second a client may send (burst: twice); a config costs 5. */
  messageRate: number;
  /** WebSocket ping period; a client that did not answer the previous ping is dropped. */
  pingIntervalMs: number;
  /** Failed logins per address: first delay, cap, and when an address is forgotten. */
  loginDelayBaseMs: number;
  loginDelayMaxMs: number;
  loginForgetMs: number;
}

/** The defaults. */
export const DEFAULT_VIZ_LIMITS: Readonly<VizLimits> = Object.freeze({
  tickMs: 100,
  refreshMs: 1000,
  maxClients: 10_000,
  maxPayloadBytes: 64 * 1024,
  highWaterBytes: 1024 * 1024,
  lowWaterBytes: 256 * 1024,
  maxPendingOps: 50_000,
  maxLagMs: 30_000,
  maxResetsPerMinute: 5,
  maxViews: 64,
  maxStrikes: 5,
  authTimeoutMs: 10_000,
  maxAuthAttempts: 5,
  maxConcurrentAuth: 4,
  maxQueuedAuth: 256,
  messageRate: 20,
  pingIntervalMs: 30_000,
  loginDelayBaseMs: 1000,
  loginDelayMaxMs: 300_000,
  loginForgetMs: 3_600_000,
});

/** Checks limits; the first bad one is named. */
export function validateVizLimits(l: VizLimits): { ok: true } | { ok: false; error: string } {
  for (const [k, v] of Object.entries(l)) {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) return { ok: false, error: `viz.limits.${k}: must be a number ≥ 0` };
  }
  if (l.tickMs < 10 || l.tickMs > 10_000) return { ok: false, error: 'viz.limits.tickMs: must be 10-10000' };
  if (!(l.refreshMs >= 0 && l.refreshMs <= 60_000)) return { ok: false, error: 'viz.limits.refreshMs: must be 0-60000' };
  if (l.lowWaterBytes > l.highWaterBytes) return { ok: false, error: 'viz.limits.lowWaterBytes: must be ≤ highWaterBytes' };
  if (l.maxPayloadBytes < 1024) return { ok: false, error: 'viz.limits.maxPayloadBytes: must be ≥ 1024' };
  if (l.maxConcurrentAuth < 1) return { ok: false, error: 'viz.limits.maxConcurrentAuth: must be ≥ 1' };
  return { ok: true };
}
