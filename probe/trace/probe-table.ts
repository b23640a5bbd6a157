/**
 * Outgoing traceroute probes waiting for an answer, bounded in number and
 * age. Probes are filed under what an ICMP error quotes back (addresses,
 * protocol, ports or echo id/seq); IPv4 probes that share all of that (Paris
 * traceroute keeps the flow constant) are told apart by their IP id.
 */

/** One probe sent: where it went, with which TTL, when. */
export interface SentProbe {
  /** Bucket key: family, addresses, protocol, ports or echo id/seq. */
  readonly key: string;
  /** Path key: family and addresses. */
  readonly pathKey: string;
  /** IPv4 identification (-1 for IPv6). */
  readonly ipId: number;
  readonly ttl: number;
  /** Capture time sent, µs. */
  readonly ts: number;
  /** False once answered, expired or evicted. */
  alive: boolean;
}

/** Probes sharing one bucket key kept at most; the oldest goes first. */
const MAX_PER_KEY = 64;

/** Outstanding probes, oldest first, with lookup by quoted key. */
export class ProbeTable {
  private readonly buckets = new Map<string, SentProbe[]>();
  /** Every probe in sending order; answered ones stay until the head passes them. */
  private queue: SentProbe[] = [];
  private head = 0;
  /** Live probes. */
  size = 0;
  /** Probes dropped unanswered because the table was full or they were too old. */
  dropped = 0;

  constructor(
    private readonly maxProbes: number,
    private readonly maxAgeUs: number,
  ) {}

  /** Files a probe, making room by dropping the oldest ones. */
  add(p: SentProbe): void {
    let bucket = this.buckets.get(p.key);
    if (bucket === undefined) {
      bucket = [];
      this.buckets.set(p.key, bucket);
    } else if (bucket.length >= MAX_PER_KEY) {
      const old = bucket.shift() as SentProbe;
      old.alive = false;
      this.size--;
      this.dropped++;
    }
    bucket.push(p);
    this.queue.push(p);
    this.size++;
    while (this.size > this.maxProbes) this.dropHead();
    // Answered probes linger in the queue behind an older live one; keep that bounded too.
    if (this.queue.length - this.head > 2 * this.maxProbes + 64) this.compact();
  }

  /**
   * Removes and returns the probe filed under key with this IPv4 id (any id
   * when ipId is -1, the oldest first), or undefined.
   */
  take(key: string, ipId: number): SentProbe | undefined {
    const bucket = this.buckets.get(key);
    if (bucket === undefined) return undefined;
    const i = ipId < 0 ? 0 : bucket.findIndex((p) => p.ipId === ipId);
    if (i < 0) return undefined;
    const p = bucket[i];
    bucket.splice(i, 1);
    if (bucket.length === 0) this.buckets.delete(key);
    p.alive = false;
    this.size--;
    return p;
  }

  /** Drops probes sent more than maxAgeUs before now. */
  expire(now: number): void {
    while (this.head < this.queue.length) {
      const p = this.queue[this.head];
      if (p.alive && now - p.ts < this.maxAgeUs) break;
      this.dropHead();
    }
    if (this.head > 1024 && this.head * 2 > this.queue.length) this.compact();
  }

  /** Forgets every probe. */
  clear(): void {
    for (let i = this.head; i < this.queue.length; i++) this.queue[i].alive = false;
    this.buckets.clear();
    this.queue = [];
    this.head = 0;
    this.size = 0;
  }

  private dropHead(): void {
    const p = this.queue[this.head++];
    if (!p.alive) return;
    p.alive = false;
    this.size--;
    this.dropped++;
    const bucket = this.buckets.get(p.key);
    if (bucket === undefined) return;
    const i = bucket.indexOf(p);
    if (i >= 0) bucket.splice(i, 1);
    if (bucket.length === 0) this.buckets.delete(p.key);
  }

  private compact(): void {
    this.queue = this.queue.slice(this.head).filter((p) => p.alive);
    this.head = 0;
  }
}
