/**
 * Decides which addresses get a reverse (PTR) lookup, and when. Pure: no
 * sockets, no timers, no clock; the caller passes the time in milliseconds of
 * a monotonic clock and does the lookups (probe/resolve/dns-reverse.ts).
 *
 *   seen(addr)      an address appeared (NEWCONN src or dst)
 *     cached?       → nothing (a cache hit; answers and failures both count)
 *     queued or in flight? → nothing: never two lookups of one address at once
 *     not nameable? → skipped (worth-resolving.ts)
 *     queue full?   → skipped; a later sighting may get in
 *     else          → queued
 *   due(now)        queued addresses to look up now: at most maxInFlight at
 *                   once, and no more than the token bucket allows (burst,
 *                   then ratePerS on average)
 *   answered(addr)  the lookup's names (null: none, an error or a timeout);
 *                   the first sane name goes to onName and into the cache
 *
 * A PTR answer seen on the wire (known()) names an address for the cache
 * too. When the capture sees the probe's own lookup, its answer arrives both
 * ways; whichever comes second within repeatMs is not reported again.
 *
 * Every structure is bounded: the queue (maxQueue), lookups in flight
 * (maxInFlight) and the cache (cacheEntries, least recently used dropped). A
 * lookup unanswered after inFlightTimeoutMs is given up, so a lost callback
 * cannot hold a slot forever.
 */
import { firstHostname } from './ptr-name.js';
import { whyNotResolved } from './worth-resolving.js';

/** Limits of the reverse resolver. */
export interface ReverseResolverOptions {
  /** Lookups started per second, on average. */
  ratePerS: number;
  /** Lookups that may start at once after a quiet spell (the token bucket's size). */
  burst: number;
  /** Addresses waiting for a lookup; more are skipped (and counted). */
  maxQueue: number;
  /** Lookups outstanding at once. */
  maxInFlight: number;
  /** Addresses whose outcome is remembered (names and failures alike). */
  cacheEntries: number;
  /** How long a name is remembered. */
  positiveTtlMs: number;
  /** How long a failure (no name, error, timeout) is remembered. */
  negativeTtlMs: number;
  /** A lookup still unanswered after this long counts as failed; its answer, if it comes, is ignored. */
  inFlightTimeoutMs: number;
  /** The same address and name, from a lookup and from the wire, within this long is reported once. */
  repeatMs: number;
}

/** The defaults: 20 lookups/s (burst 20), 4096 queued, 16 in flight, 65 536 remembered for 1 h (failures 5 min). */
export const DEFAULT_REVERSE_RESOLVER_OPTIONS: Readonly<ReverseResolverOptions> = Object.freeze({
  ratePerS: 20,
  burst: 20,
  maxQueue: 4096,
  maxInFlight: 16,
  cacheEntries: 65_536,
  positiveTtlMs: 3_600_000,
  negativeTtlMs: 300_000,
  inFlightTimeoutMs: 30_000,
  repeatMs: 60_000,
});

/** What the resolver did, for the summary and stats. */
export interface ReverseResolverCounters {
  /** Addresses it was told of (every seen() call). */
  requested: number;
  /** Of those, answered from the cache. */
  cacheHits: number;
  /** Of those, already queued or in flight. */
  pending: number;
  /** Of those, not worth a lookup (multicast, link-local, ...). */
  skippedAddress: number;
  /** Of those, dropped because the queue was full. */
  skippedQueue: number;
  /** Lookups started. */
  lookedUp: number;
  /** Lookups that gave a name. */
  answered: number;
  /** Lookups that gave none: no name, an error, a timeout, or no sane host name. */
  failed: number;
  /** Of the failed, those whose answer held names but none sane. */
  invalid: number;
  /** Of the failed, those given up after inFlightTimeoutMs. */
  timedOut: number;
  /** Answers for addresses not in flight (given up, or never asked): ignored. */
  late: number;
  /** Names learnt from PTR answers seen on the wire (passive DNS): the address needs no lookup of its own. */
  passive: number;
  /** Pairs reported once instead of twice: a lookup's answer also seen on the wire, in either order. */
  repeats: number;
}

interface CacheEntry {
  name: string | null;
  expiresMs: number;
  /** When the name was last reported (by a lookup or from the wire); -Infinity for none. */
  reportedMs: number;
}

/** Rate-limited, cached reverse lookups of the addresses the probe sees; emits names through onName. */
export class ReverseResolver {
  readonly counters: ReverseResolverCounters = {
    requested: 0, cacheHits: 0, pending: 0, skippedAddress: 0, skippedQueue: 0,
    lookedUp: 0, answered: 0, failed: 0, invalid: 0, timedOut: 0, late: 0, passive: 0, repeats: 0,
  };
  private readonly o: ReverseResolverOptions;
  /** Outcomes by address, least recently used first. */
  private readonly cache = new Map<string, CacheEntry>();
  /** Addresses waiting, oldest first. */
  private readonly queue = new Set<string>();
  /** Addresses being looked up → when the lookup started. */
  private readonly inFlight = new Map<string, number>();
  /** Names the wire gave to addresses while their lookup was in flight. */
  private readonly wireNames = new Map<string, string>();
  private tokens: number;
  private refilledAt = Number.NaN;

  constructor(private readonly onName: (addr: string, name: string) => void, options: Partial<ReverseResolverOptions> = {}) {
    const o = { ...DEFAULT_REVERSE_RESOLVER_OPTIONS, ...options };
    if (!(o.ratePerS > 0) || !(o.burst >= 1) || !(o.maxQueue >= 1) || !(o.maxInFlight >= 1) || !(o.cacheEntries >= 1) ||
        !(o.positiveTtlMs >= 0) || !(o.negativeTtlMs >= 0) || !(o.inFlightTimeoutMs > 0) || !(o.repeatMs >= 0)) {
      throw new RangeError('ratePerS and inFlightTimeoutMs must be > 0, burst, maxQueue, maxInFlight and cacheEntries ≥ 1, TTLs and repeatMs ≥ 0');
    }
    this.o = o;
    this.tokens = o.burst;
  }

  /** Addresses waiting for a lookup. */
  get queued(): number {
    return this.queue.size;
  }

  /** Lookups outstanding. */
  get outstanding(): number {
    return this.inFlight.size;
  }

  /** Outcomes remembered. */
  get cached(): number {
    return this.cache.size;
  }

  /** Nothing queued and nothing in flight. */
  get idle(): boolean {
    return this.queue.size === 0 && this.inFlight.size === 0;
  }

  /** An address appeared at nowMs: queue it for a lookup unless that is known, pending or pointless. */
  seen(addr: string, nowMs: number): void {
    const c = this.counters;
    c.requested++;
    const hit = this.cache.get(addr);
    if (hit !== undefined) {
      this.cache.delete(addr);
      if (hit.expiresMs > nowMs) {
        c.cacheHits++;
        this.cache.set(addr, hit);
        return;
      }
    }
    if (this.queue.has(addr) || this.inFlight.has(addr)) {
      c.pending++;
      return;
    }
    if (whyNotResolved(addr) !== null) {
      c.skippedAddress++;
      return;
    }
    if (this.queue.size >= this.o.maxQueue) {
      c.skippedQueue++;
      return;
    }
    this.queue.add(addr);
  }

  /**
   * A PTR answer on the wire named addr (lower case, as the DNS parser gives
   * it): no need to ask. True when a lookup reported that same pair less than
   * repeatMs ago, so the caller drops the event instead of reporting it twice.
   */
  known(addr: string, name: string, nowMs: number): boolean {
    if (this.inFlight.has(addr)) {
      this.wireNames.set(addr, name);
      return false;
    }
    const hit = this.cache.get(addr);
    const repeat = hit !== undefined && hit.name === name && nowMs >= hit.reportedMs && nowMs - hit.reportedMs < this.o.repeatMs;
    this.queue.delete(addr);
    this.counters.passive++;
    if (repeat) this.counters.repeats++;
    this.remember(addr, name, nowMs + this.o.positiveTtlMs, repeat ? hit.reportedMs : nowMs);
    return repeat;
  }

  /** The addresses to look up now, oldest first; each is in flight until answered() (or the timeout). */
  due(nowMs: number): string[] {
    this.expire(nowMs);
    this.refill(nowMs);
    const out: string[] = [];
    while (this.queue.size > 0 && this.inFlight.size < this.o.maxInFlight && this.tokens >= 1) {
      const addr = this.queue.values().next().value as string;
      this.queue.delete(addr);
      this.tokens -= 1;
      this.inFlight.set(addr, nowMs);
      this.counters.lookedUp++;
      out.push(addr);
    }
    return out;
  }

  /** The outcome of addr's lookup: its PTR names, or null for none (NXDOMAIN, an error, a timeout). */
  answered(addr: string, names: readonly unknown[] | null, nowMs: number): void {
    const c = this.counters;
    if (!this.inFlight.delete(addr)) {
      c.late++;
      return;
    }
    const wire = this.wireNames.get(addr);
    this.wireNames.delete(addr);
    const name = names === null ? null : firstHostname(names);
    if (name === null) {
      c.failed++;
      if (names !== null && names.length > 0) c.invalid++;
      // The wire named it meanwhile: keep that rather than a failure.
      if (wire !== undefined) this.remember(addr, wire, nowMs + this.o.positiveTtlMs, nowMs);
      else this.remember(addr, null, nowMs + this.o.negativeTtlMs, -Infinity);
      return;
    }
    c.answered++;
    this.remember(addr, name, nowMs + this.o.positiveTtlMs, nowMs);
    // The capture saw this very answer first and it was reported then.
    if (name === wire) c.repeats++;
    else this.onName(addr, name);
  }

  /** Gives up lookups in flight for longer than inFlightTimeoutMs. */
  private expire(nowMs: number): void {
    for (const [addr, started] of this.inFlight) {
      if (nowMs - started < this.o.inFlightTimeoutMs) continue;
      this.inFlight.delete(addr);
      this.wireNames.delete(addr);
      this.counters.failed++;
      this.counters.timedOut++;
      this.remember(addr, null, nowMs + this.o.negativeTtlMs, -Infinity);
    }
  }

  /** Token bucket: ratePerS tokens a second, at most burst; a clock that steps back adds none. */
  private refill(nowMs: number): void {
    if (Number.isNaN(this.refilledAt)) this.refilledAt = nowMs;
    if (!(nowMs > this.refilledAt)) return;
    this.tokens = Math.min(this.o.burst, this.tokens + ((nowMs - this.refilledAt) * this.o.ratePerS) / 1000);
    this.refilledAt = nowMs;
  }

  private remember(addr: string, name: string | null, expiresMs: number, reportedMs: number): void {
    this.cache.delete(addr);
    this.cache.set(addr, { name, expiresMs, reportedMs });
    if (this.cache.size > this.o.cacheEntries) this.cache.delete(this.cache.keys().next().value as string);
  }
}
