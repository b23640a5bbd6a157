/**
 * Every limit and timing of connection tracking, with its default, in one place.
 * Settings pattern: interface + DEFAULT + validate (throws a precise message) + resolve.
 * All times are microseconds of capture time, so a file read gives the same
 * events as the live capture it was recorded from.
 */
import { randomBytes } from 'node:crypto';

/** Limits and timings of the connection tracker. */
export interface TrackOptions {
  /** Connections held at once (live plus recently closed); the longest idle is evicted beyond it. */
  maxConns: number;
  /** DATA aggregation period; boundaries are multiples of it in capture time. */
  dataIntervalUs: number;
  /** Idle timeout of a TCP connection that has only sent SYNs (scans, unanswered connects). */
  tcpOpeningTimeoutUs: number;
  /** Idle timeout of an established (or picked up mid-stream) TCP connection. */
  tcpEstablishedTimeoutUs: number;
  /** Idle timeout once a FIN was seen. */
  tcpClosingTimeoutUs: number;
  udpTimeoutUs: number;
  /** ICMP and ICMPv6. */
  icmpTimeoutUs: number;
  /** Any other IP protocol (one flow per host pair and protocol). */
  otherTimeoutUs: number;
  /**
   * How long a TCP connection ended by FIN or RST stays in the table so its
   * stragglers (final ACKs, retransmitted FINs, repeated RSTs) are not taken for
   * a new connection. A packet after that, or a bare SYN at any time, starts one.
   */
  closedLingerUs: number;
  /** Slots of the direct-mapped cache that gives later IP fragments the connection of their first fragment (power of two). */
  fragmentCacheSize: number;
  /** Seed of the key hash; random by default so crafted traffic cannot aim at collisions. Results never depend on it. */
  hashSeed: number;
}

/** The defaults (hashSeed 0 here means "pick a random seed"). */
export const DEFAULT_TRACK_OPTIONS: Readonly<TrackOptions> = Object.freeze({
  maxConns: 1_000_000,
  dataIntervalUs: 100_000,
  tcpOpeningTimeoutUs: 30_000_000,
  tcpEstablishedTimeoutUs: 300_000_000,
  tcpClosingTimeoutUs: 30_000_000,
  udpTimeoutUs: 60_000_000,
  icmpTimeoutUs: 30_000_000,
  otherTimeoutUs: 60_000_000,
  closedLingerUs: 4_000_000,
  fragmentCacheSize: 4096,
  hashSeed: 0,
});

const TIMES: (keyof TrackOptions)[] = [
  'tcpOpeningTimeoutUs', 'tcpEstablishedTimeoutUs', 'tcpClosingTimeoutUs',
  'udpTimeoutUs', 'icmpTimeoutUs', 'otherTimeoutUs', 'closedLingerUs',
];

/** Largest table: ids carry the slot number in their low bits, so leave the generation at least 8 bits. */
export const MAX_CONNS_LIMIT = 1 << 24;

/** Throws with a precise message if the options are unusable. */
export function validateTrackOptions(o: TrackOptions): void {
  const bad = (k: string, why: string, v: unknown): never => {
    throw new RangeError(`track option ${k} ${why}, got ${String(v)}`);
  };
  if (!Number.isSafeInteger(o.maxConns) || o.maxConns < 1 || o.maxConns > MAX_CONNS_LIMIT) {
    bad('maxConns', `must be an integer in 1..${MAX_CONNS_LIMIT}`, o.maxConns);
  }
  // DATA carries interval_us as u32.
  if (!Number.isSafeInteger(o.dataIntervalUs) || o.dataIntervalUs < 1000 || o.dataIntervalUs > 3_600_000_000) {
    bad('dataIntervalUs', 'must be an integer in 1000..3600000000', o.dataIntervalUs);
  }
  for (const k of TIMES) {
    const v = o[k];
    if (!Number.isSafeInteger(v) || v < 1) bad(k, 'must be a positive integer (µs)', v);
  }
  const f = o.fragmentCacheSize;
  if (!Number.isSafeInteger(f) || f < 1 || f > 1 << 20 || (f & (f - 1)) !== 0) {
    bad('fragmentCacheSize', 'must be a power of two in 1..1048576', f);
  }
  if (!Number.isInteger(o.hashSeed)) bad('hashSeed', 'must be an integer', o.hashSeed);
}

/** Defaults overlaid with the given options, validated; a zero hash seed becomes a random one. */
export function resolveTrackOptions(partial: Partial<TrackOptions> = {}): TrackOptions {
  const o = { ...DEFAULT_TRACK_OPTIONS, ...partial };
  validateTrackOptions(o);
  if (o.hashSeed === 0) o.hashSeed = randomBytes(4).readInt32LE(0) | 1;
  return o;
}
