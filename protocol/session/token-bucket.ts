/** Token-bucket parameters: sustained rate and burst size. */
export interface RateLimit {
  /** Tokens added per second. */
  perSecond: number;
  /** Bucket capacity: how many events may arrive at once. */
  burst: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * One token bucket per key (e.g. a source host), bounded in memory: when
 * `maxKeys` is reached the least recently used bucket is forgotten (a
 * forgotten bucket comes back full, which only loosens the limit for that key).
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly limit: RateLimit, private readonly maxKeys = 65_536) {
    if (!(limit.perSecond > 0) || !(limit.burst >= 1)) {
      throw new RangeError('rate limit needs perSecond > 0 and burst >= 1');
    }
  }

  /** Number of keys currently tracked. */
  get size(): number {
    return this.buckets.size;
  }

  /** Takes one token for `key` at time `now` (ms); false when the key is over its rate. */
  take(key: string, now: number): boolean {
    let b = this.buckets.get(key);
    if (b === undefined) {
      if (this.buckets.size >= this.maxKeys) {
        const oldest = this.buckets.keys().next().value;
        if (oldest !== undefined) this.buckets.delete(oldest);
      }
      b = { tokens: this.limit.burst, at: now };
    } else {
      // Re-inserting keeps Map order = least recently used first.
      this.buckets.delete(key);
      const elapsed = Math.max(0, now - b.at);
      b.tokens = Math.min(this.limit.burst, b.tokens + (elapsed * this.limit.perSecond) / 1000);
      b.at = now;
    }
    this.buckets.set(key, b);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  /** Forgets buckets that have refilled completely: they behave exactly like new ones. */
  sweep(now: number): void {
    const fullAfterMs = (this.limit.burst * 1000) / this.limit.perSecond;
    for (const [key, b] of this.buckets) {
      if (now - b.at >= fullAfterMs) this.buckets.delete(key);
    }
  }
}
