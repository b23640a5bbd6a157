/**
 * Every limit of the network store, with its default, in one place.
 * Settings pattern: interface + DEFAULT + validate (throws a precise message) + resolve.
 */

/** Limits and timings of the module-1 store. */
export interface NetStoreOptions {
  /** Idle connection lifetime in Redis, seconds. */
  connTtlS: number;
  /** Idle node lifetime, seconds. */
  nodeTtlS: number;
  /** Idle link lifetime, seconds. */
  linkTtlS: number;
  /** Lifetime of a path after its last TRACE, seconds. */
  pathTtlS: number;
  /**
   * A key's EXPIRE is sent again only when its remaining TTL has dropped below
   * this fraction of the TTL (one EXPIRE per (1 − f)·TTL of activity instead of
   * one per flush). An idle key then disappears between f·TTL and TTL after its
   * last write.
   */
  ttlRefreshFraction: number;
  /** Connections tracked in memory, all probes together; the earliest to expire is evicted beyond it. */
  maxConns: number;
  /** Connections tracked for one probe; new ones beyond it are refused and counted (maxConns still applies). */
  maxConnsPerProbe: number;
  /** Nodes tracked in memory; the earliest to expire is evicted beyond it. */
  maxNodes: number;
  /** Links tracked in memory; the earliest to expire is evicted beyond it. */
  maxLinks: number;
  /** Paths tracked in memory; the earliest to expire is evicted beyond it. */
  maxPaths: number;
  /** Distinct DNS names kept per node (most recent first). */
  maxNamesPerNode: number;
  /** Length of the sliding window of a link's throughput, ms. */
  rateWindowMs: number;
  /** Buckets of that window (its resolution). */
  rateBuckets: number;
  /** A link's `bps` is rewritten only when it moved by more than this fraction (or reached 0). */
  rateMinChange: number;
}

/** The defaults. */
export const DEFAULT_NET_STORE_OPTIONS: Readonly<NetStoreOptions> = Object.freeze({
  connTtlS: 120,
  nodeTtlS: 300,
  linkTtlS: 300,
  pathTtlS: 600,
  ttlRefreshFraction: 0.5,
  maxConns: 500_000,
  maxConnsPerProbe: 250_000,
  maxNodes: 500_000,
  maxLinks: 500_000,
  maxPaths: 100_000,
  maxNamesPerNode: 4,
  rateWindowMs: 10_000,
  rateBuckets: 10,
  rateMinChange: 0.1,
});

const POSITIVE_INTS: (keyof NetStoreOptions)[] = [
  'connTtlS', 'nodeTtlS', 'linkTtlS', 'pathTtlS', 'maxConns', 'maxConnsPerProbe',
  'maxNodes', 'maxLinks', 'maxPaths', 'maxNamesPerNode', 'rateWindowMs', 'rateBuckets',
];

/** Throws with a precise message if the options are unusable. */
export function validateNetStoreOptions(o: NetStoreOptions): void {
  for (const k of POSITIVE_INTS) {
    const v = o[k];
    if (!Number.isSafeInteger(v) || v <= 0) throw new Error(`net store option ${k} must be a positive integer, got ${String(v)}`);
  }
  if (!(o.ttlRefreshFraction > 0 && o.ttlRefreshFraction < 1)) {
    throw new Error(`net store option ttlRefreshFraction must be in (0, 1), got ${o.ttlRefreshFraction}`);
  }
  if (!(o.rateMinChange >= 0 && o.rateMinChange < 1)) {
    throw new Error(`net store option rateMinChange must be in [0, 1), got ${o.rateMinChange}`);
  }
  if (o.rateWindowMs % o.rateBuckets !== 0) {
    throw new Error(`net store option rateWindowMs (${o.rateWindowMs}) must be a multiple of rateBuckets (${o.rateBuckets})`);
  }
  // A link or node must outlive the connections that reference it, or a link's
  // live count would be written to a key Redis has already expired.
  const minIdle = (ttl: number) => ttl * o.ttlRefreshFraction;
  if (minIdle(o.linkTtlS) < o.connTtlS || minIdle(o.nodeTtlS) < o.connTtlS) {
    throw new Error(
      `net store options: linkTtlS and nodeTtlS times ttlRefreshFraction (${minIdle(o.linkTtlS)}, ${minIdle(o.nodeTtlS)}) must be at least connTtlS (${o.connTtlS})`,
    );
  }
}

/** Defaults overlaid with the given options, validated. */
export function resolveNetStoreOptions(partial: Partial<NetStoreOptions> = {}): NetStoreOptions {
  const o = { ...DEFAULT_NET_STORE_OPTIONS, ...partial };
  validateNetStoreOptions(o);
  return o;
}
