/**
 * The I/O edge of --resolve: node:dns lookups driven by the pure
 * ReverseResolver from a timer, answers turned into NAME events (rrtype 12).
 *
 * Lookups go to --resolve-server when given, else to the system's resolvers
 * (resolv.conf, as c-ares reads it). Rate limits and cache lifetimes run on a
 * monotonic clock: they protect the real resolver, whatever the capture's
 * timestamps say. A NAME event's own time is capture time, given by the
 * caller: the wall clock for a live capture, the newest capture time seen for
 * a file.
 */
import { Resolver } from 'node:dns';
import type { EventSink } from '../events/sink.js';
import type { AddressListener } from './resolving-sink.js';
import { ReverseResolver, type ReverseResolverCounters, type ReverseResolverOptions } from './reverse-resolver.js';

/** Settings of the reverse lookups. */
export interface DnsReverseOptions {
  /** Lookups per second, on average; bursts of up to one second's worth (at least one). */
  rate: number;
  /** The resolver to ask (an IP address), else the system's. */
  server?: { host: string; port: number };
  /** Time to wait for each try, in milliseconds. */
  timeoutMs: number;
  /** Tries per server before a lookup fails. */
  tries: number;
  /** How often queued lookups are started. */
  tickMs: number;
  /** The pure core's limits, over its defaults (rate and burst come from `rate`). */
  limits?: Partial<ReverseResolverOptions>;
}

/** Defaults of everything but the rate and the server. */
export const DEFAULT_DNS_REVERSE_OPTIONS = Object.freeze({ timeoutMs: 1000, tries: 2, tickMs: 100 });

/** At the end of a file, how long lookups still queued or in flight may take before the probe exits. */
export const END_OF_FILE_GRACE_MS = 2000;

/** DNS rrtype of PTR records. */
const PTR = 12;
/** How often drain() looks whether the last lookups are done. */
const DRAIN_POLL_MS = 20;

function monotonicMs(): number {
  return performance.now();
}

/** The address form setServers() takes: "1.2.3.4:53" or "[::1]:53". */
function serverText(s: { host: string; port: number }): string {
  return s.host.includes(':') ? `[${s.host}]:${s.port}` : `${s.host}:${s.port}`;
}

/** Reverse lookups of the addresses the probe sees, as NAME events into sink. */
export class DnsReverse implements AddressListener {
  /** The decisions and their counters. */
  readonly core: ReverseResolver;
  private readonly resolver: Resolver;
  private readonly tickMs: number;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private unflushed = false;

  /**
   * captureNowUs gives the capture time (µs) stamped on each NAME event.
   * Throws when server is not an IP address (the configuration checks that first).
   */
  constructor(o: Partial<DnsReverseOptions> & { rate: number }, private readonly sink: EventSink, private readonly captureNowUs: () => number) {
    const opts = { ...DEFAULT_DNS_REVERSE_OPTIONS, ...o };
    this.tickMs = opts.tickMs;
    this.resolver = new Resolver({ timeout: opts.timeoutMs, tries: opts.tries });
    if (opts.server) this.resolver.setServers([serverText(opts.server)]);
    this.core = new ReverseResolver((addr, name) => {
      this.sink.name(this.captureNowUs(), addr, name, PTR);
      this.unflushed = true;
    }, { ratePerS: opts.rate, burst: Math.max(1, opts.rate), ...opts.limits });
  }

  /** Counters of the lookups (see ReverseResolverCounters). */
  get counters(): Readonly<ReverseResolverCounters> {
    return this.core.counters;
  }

  seen(addr: string): void {
    this.core.seen(addr, monotonicMs());
  }

  known(addr: string, name: string): boolean {
    return this.core.known(addr, name, monotonicMs());
  }

  /** Starts the timer that starts lookups; it never keeps the process alive by itself. */
  start(): void {
    if (this.timer !== null || this.stopped) return;
    this.timer = setInterval(() => this.tick(), this.tickMs);
    this.timer.unref();
  }

  /** Starts the lookups that are due and hands on names gathered since the last tick. */
  tick(): void {
    if (this.stopped) return;
    for (const addr of this.core.due(monotonicMs())) this.lookup(addr);
    this.flushNames();
  }

  /**
   * Waits until every queued address has been looked up and answered, for at
   * most graceMs or until stopped() turns true (end of a file: a short capture
   * still gets its names).
   */
  async drain(graceMs: number, stopped: () => boolean = () => false): Promise<void> {
    const end = monotonicMs() + graceMs;
    for (;;) {
      const left = end - monotonicMs();
      if (left <= 0 || this.stopped || stopped()) break;
      this.tick();
      if (this.core.idle) break;
      await new Promise((r) => setTimeout(r, Math.min(DRAIN_POLL_MS, left)));
    }
    this.flushNames();
  }

  /** Stops the timer and cancels lookups in flight (their answers are dropped). */
  stop(): void {
    if (this.stopped) return;
    this.flushNames();
    this.stopped = true;
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.resolver.cancel();
  }

  /** One phrase for the end-of-run summary line. */
  summary(): string {
    const c = this.core.counters;
    return `, reverse DNS: ${c.lookedUp} lookups (${c.answered} named, ${c.failed} failed), ` +
      `${this.core.queued + this.core.outstanding} unfinished, ${c.skippedQueue} over the queue`;
  }

  private flushNames(): void {
    if (!this.unflushed) return;
    this.unflushed = false;
    this.sink.flush();
  }

  private lookup(addr: string): void {
    try {
      this.resolver.reverse(addr, (err, names) => {
        if (!this.stopped) this.core.answered(addr, err ? null : names, monotonicMs());
      });
    } catch {
      // node:dns refuses text it does not take for an IP address: no name, like NXDOMAIN.
      this.core.answered(addr, null, monotonicMs());
    }
  }
}
