/**
 * Which destinations the probe traces itself (--trace), and when each of its
 * datagrams goes. Told of the addresses new connections reach, it keeps the
 * ones worth a traceroute (not loopback, link-local, multicast, unspecified
 * or reserved, not the probe's own addresses nor its server's), each at most
 * once per revisit period, queues them (bounded), starts them through a token
 * bucket with a few in flight at once, and paces one UDP datagram per TTL
 * from 1 up, to the classic traceroute ports (33434 + TTL − 1).
 *
 * The planner does not match answers: the probe's capture sees the datagrams
 * and the ICMP errors they cause, and the trace matcher turns those into a
 * TRACE. A TRACE for a destination being traced stops its higher TTLs
 * (answered()); the TRACE comes once the destination (or an unreachable) has
 * answered, so at most one round trip's worth of datagrams goes past it.
 *
 * Pure: no sockets, no timers; time (µs, monotonic) is passed in.
 */
import { formatIPv4, formatIPv6, parseIPv4, parseIPv6 } from '../../protocol/address.js';

/** Limits and pacing of the probe's own traceroutes; times in µs. */
export interface TracePlanOptions {
  /** Traceroutes started per second on average (token bucket holding max(1, rate) starts). */
  ratePerS: number;
  /** Highest TTL sent, 1..30 (the matcher takes packets up to TTL 30 as probes). */
  maxHops: number;
  /** Time between two datagrams of one traceroute. */
  paceUs: number;
  /** Traceroutes sending at once. */
  maxInFlight: number;
  /** Destinations waiting for their turn; more are dropped (and counted). */
  maxQueue: number;
  /** A destination is traced again only after this long. */
  revisitUs: number;
  /** Destinations remembered at most; the one queued longest ago is forgotten first. */
  maxRemembered: number;
  /** Destination port of TTL 1; TTL n goes to firstPort + n − 1. */
  firstPort: number;
}

/** Defaults for {@link TracePlanOptions}. */
export const DEFAULT_TRACE_PLAN_OPTIONS: Readonly<TracePlanOptions> = Object.freeze({
  ratePerS: 2,
  maxHops: 30,
  paceUs: 20_000,
  maxInFlight: 8,
  maxQueue: 256,
  // At 2 starts/s, 10 minutes make 1200 traces plus the queue: well under maxRemembered, so a
  // destination is only forgotten early under a much higher --trace-rate.
  revisitUs: 600_000_000,
  maxRemembered: 4096,
  firstPort: 33434,
});

/** Highest --trace-max-hops: the trace matcher's largest probe TTL. */
export const MAX_TRACE_HOPS = 30;

/** Fills unspecified options from the defaults and checks them; throws a RangeError naming the bad one. */
export function resolveTracePlanOptions(options?: Partial<TracePlanOptions>): TracePlanOptions {
  const o = { ...DEFAULT_TRACE_PLAN_OPTIONS, ...options };
  const check = (ok: boolean, what: string): void => {
    if (!ok) throw new RangeError(`trace plan option ${what}`);
  };
  check(Number.isFinite(o.ratePerS) && o.ratePerS > 0, 'ratePerS must be > 0');
  check(Number.isInteger(o.maxHops) && o.maxHops >= 1 && o.maxHops <= MAX_TRACE_HOPS, `maxHops must be an integer in 1..${MAX_TRACE_HOPS}`);
  check(o.paceUs > 0 && o.revisitUs >= 0, 'paceUs must be > 0 and revisitUs ≥ 0');
  check(Number.isInteger(o.maxInFlight) && o.maxInFlight >= 1, 'maxInFlight must be an integer ≥ 1');
  check(Number.isInteger(o.maxQueue) && o.maxQueue >= 1 && Number.isInteger(o.maxRemembered) && o.maxRemembered >= 1, 'maxQueue and maxRemembered must be integers ≥ 1');
  check(Number.isInteger(o.firstPort) && o.firstPort >= 1 && o.firstPort + o.maxHops - 1 <= 65535, 'firstPort must leave room for maxHops ports');
  return o;
}

/** What became of an offered address; stable codes, counted in the stats. */
export type OfferOutcome =
  | 'queued'
  | 'not_ip'
  | 'unspecified'
  | 'loopback'
  | 'link_local'
  | 'multicast'
  | 'reserved'
  | 'own'
  | 'recent'
  | 'queue_full';

/** One datagram to send now: to dst (canonical text) with this TTL, to this UDP port. */
export interface TraceSend {
  family: 4 | 6;
  dst: string;
  ttl: number;
  port: number;
}

/** Counters for logs and metrics. */
export interface TracePlanStats {
  /** Offers by outcome. */
  offers: Record<OfferOutcome, number>;
  started: number;
  datagrams: number;
  /** Traceroutes stopped before maxHops because the destination's TRACE came. */
  stoppedEarly: number;
  /** Remembered destinations forgotten before their revisit period was over. */
  forgottenEarly: number;
}

/** Address ranges never traced: [prefix, length, outcome]. */
const SKIP4: readonly [number, number, OfferOutcome][] = [
  [0x00000000, 8, 'unspecified'], // "this network"
  [0x7f000000, 8, 'loopback'],
  [0xa9fe0000, 16, 'link_local'],
  [0xe0000000, 4, 'multicast'],
  [0xf0000000, 4, 'reserved'], // with the limited broadcast 255.255.255.255
];
const SKIP6: readonly [string, number, OfferOutcome][] = [
  ['::', 128, 'unspecified'],
  ['::1', 128, 'loopback'],
  ['::ffff:0:0', 96, 'reserved'], // IPv4-mapped: not a destination of its own
  ['fe80::', 10, 'link_local'],
  ['ff00::', 8, 'multicast'],
];
const SKIP6_BYTES = SKIP6.map(([p, len, why]) => [parseIPv6(p) as Uint8Array, len, why] as const);

function inPrefix6(a: Uint8Array, p: Uint8Array, len: number): boolean {
  for (let bit = 0; bit < len; bit += 8) {
    const n = Math.min(8, len - bit);
    const mask = (0xff << (8 - n)) & 0xff;
    if ((a[bit >> 3] & mask) !== (p[bit >> 3] & mask)) return false;
  }
  return true;
}

/** An address's canonical text and family, and why it is never traced ('queued' when it may be). */
export function classifyAddress(addr: string): { family: 0 | 4 | 6; text: string; outcome: OfferOutcome } {
  const v4 = parseIPv4(addr);
  if (v4 >= 0) {
    for (const [p, len, why] of SKIP4) {
      if ((v4 >>> (32 - len)) === (p >>> (32 - len))) return { family: 4, text: formatIPv4(v4), outcome: why };
    }
    return { family: 4, text: formatIPv4(v4), outcome: 'queued' };
  }
  const v6 = parseIPv6(addr);
  if (v6 === null) return { family: 0, text: addr, outcome: 'not_ip' };
  const text = formatIPv6(v6);
  for (const [p, len, why] of SKIP6_BYTES) if (inPrefix6(v6, p, len)) return { family: 6, text, outcome: why };
  return { family: 6, text, outcome: 'queued' };
}

/** A traceroute sending its TTLs. */
interface ActiveTrace {
  family: 4 | 6;
  dst: string;
  nextTtl: number;
  nextAt: number;
}

/** Decides which destinations to trace and paces their datagrams. */
export class TracePlanner {
  readonly options: Readonly<TracePlanOptions>;
  readonly stats: TracePlanStats = {
    offers: { queued: 0, not_ip: 0, unspecified: 0, loopback: 0, link_local: 0, multicast: 0, reserved: 0, own: 0, recent: 0, queue_full: 0 },
    started: 0, datagrams: 0, stoppedEarly: 0, forgottenEarly: 0,
  };
  private own = new Set<string>();
  /** Destination → time queued, oldest first (insertion order). */
  private readonly remembered = new Map<string, number>();
  private readonly queue: { family: 4 | 6; dst: string }[] = [];
  /** Destinations in the queue, so one forgotten early is never queued twice. */
  private readonly queuedSet = new Set<string>();
  private readonly active = new Map<string, ActiveTrace>();
  private readonly capacity: number;
  private tokens: number;
  private clock = -Infinity;

  constructor(options?: Partial<TracePlanOptions>, own: Iterable<string> = []) {
    this.options = resolveTracePlanOptions(options);
    this.capacity = Math.max(1, this.options.ratePerS);
    this.tokens = this.capacity;
    this.setOwnAddresses(own);
  }

  /** Replaces the addresses never traced: the probe's own (interfaces, broadcasts) and its server's. */
  setOwnAddresses(addrs: Iterable<string>): void {
    const own = new Set<string>();
    for (const a of addrs) {
      const c = classifyAddress(a);
      if (c.family !== 0) own.add(c.text);
    }
    this.own = own;
  }

  /** Destinations waiting for their turn. */
  get queued(): number {
    return this.queue.length;
  }

  /** Traceroutes sending now. */
  get inFlight(): number {
    return this.active.size;
  }

  /** Destinations remembered (bounded by maxRemembered). */
  get rememberedCount(): number {
    return this.remembered.size;
  }

  /** An address a new connection reaches, seen at now: queued for a traceroute, or why not. */
  offer(addr: string, now: number): OfferOutcome {
    const outcome = this.decide(addr, now);
    this.stats.offers[outcome]++;
    return outcome;
  }

  /** A TRACE for dst came: its remaining TTLs are not sent. */
  answered(dst: string): void {
    const c = classifyAddress(dst);
    const t = this.active.get(c.text);
    if (t === undefined) return;
    this.active.delete(c.text);
    if (t.nextTtl <= this.options.maxHops) this.stats.stoppedEarly++;
  }

  /** The datagrams due at now, starting queued traceroutes as the rate and in-flight limit allow. */
  due(now: number): TraceSend[] {
    const o = this.options;
    this.refill(now);
    while (this.queue.length > 0 && this.active.size < o.maxInFlight && this.tokens >= 1) {
      const q = this.queue.shift() as { family: 4 | 6; dst: string };
      this.queuedSet.delete(q.dst);
      this.tokens -= 1;
      this.stats.started++;
      this.active.set(q.dst, { family: q.family, dst: q.dst, nextTtl: 1, nextAt: now });
    }
    const out: TraceSend[] = [];
    for (const t of this.active.values()) {
      // One datagram per call and trace: a late timer never bursts the TTLs out together.
      if (t.nextAt > now) continue;
      out.push({ family: t.family, dst: t.dst, ttl: t.nextTtl, port: o.firstPort + t.nextTtl - 1 });
      t.nextTtl++;
      t.nextAt = now + o.paceUs;
      if (t.nextTtl > o.maxHops) this.active.delete(t.dst);
    }
    this.stats.datagrams += out.length;
    return out;
  }

  /** When due() next has something to do (µs), or -1 when there is nothing to do until the next offer. */
  nextWake(): number {
    let next = Infinity;
    for (const t of this.active.values()) if (t.nextAt < next) next = t.nextAt;
    if (this.queue.length > 0 && this.active.size < this.options.maxInFlight) {
      const tokenAt = this.tokens >= 1 ? Math.max(0, this.clock) : this.clock + ((1 - this.tokens) / this.options.ratePerS) * 1e6;
      if (tokenAt < next) next = tokenAt;
    }
    return next === Infinity ? -1 : next;
  }

  private decide(addr: string, now: number): OfferOutcome {
    const c = classifyAddress(addr);
    if (c.outcome !== 'queued') return c.outcome;
    if (this.own.has(c.text)) return 'own';
    if (this.queuedSet.has(c.text) || this.active.has(c.text)) return 'recent';
    const seen = this.remembered.get(c.text);
    if (seen !== undefined) {
      if (now - seen < this.options.revisitUs) return 'recent';
      this.remembered.delete(c.text);
    }
    if (this.queue.length >= this.options.maxQueue) return 'queue_full';
    this.queue.push({ family: c.family as 4 | 6, dst: c.text });
    this.queuedSet.add(c.text);
    this.remembered.set(c.text, now);
    while (this.remembered.size > this.options.maxRemembered) {
      const [oldest, at] = this.remembered.entries().next().value as [string, number];
      this.remembered.delete(oldest);
      if (now - at < this.options.revisitUs) this.stats.forgottenEarly++;
    }
    return 'queued';
  }

  private refill(now: number): void {
    // The clock never runs backwards; the first call starts with a full bucket.
    if (now > this.clock) {
      if (this.clock !== -Infinity) this.tokens = Math.min(this.capacity, this.tokens + ((now - this.clock) * this.options.ratePerS) / 1e6);
      this.clock = now;
    }
  }
}
