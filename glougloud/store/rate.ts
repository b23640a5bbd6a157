/**
 * Throughput over a sliding window, kept in memory per link: a ring of
 * fixed-width buckets of bytes. The ring lives on the link itself (a 40-byte
 * Uint32Array stays on the V8 heap next to it), because DATA touches it on
 * every event and each extra indirection is a cache miss.
 */

/** The rate fields an owner carries. */
export interface RateState {
  /** Bytes per bucket; null until the first bytes. */
  rateRing: Uint32Array | null;
  /** Absolute index (time / bucket width) of the newest bucket. */
  rateBucket: number;
}

/** Shape of the window: bucket width and count. */
export interface RateShape { bucketMs: number; buckets: number; windowS: number }

/** The shape of a window of `windowMs` split into `buckets`. */
export function rateShape(windowMs: number, buckets: number): RateShape {
  return { bucketMs: windowMs / buckets, buckets, windowS: windowMs / 1000 };
}

/** Zeroes the buckets that left the window ending at `now` and makes `now`'s bucket the newest. */
function advance(r: RateState, ring: Uint32Array, shape: RateShape, now: number): number {
  const b = Math.floor(now / shape.bucketMs);
  const n = shape.buckets;
  if (b > r.rateBucket) {
    // Time never runs backwards here: a late sample simply joins the newest bucket.
    if (b - r.rateBucket >= n) ring.fill(0);
    else for (let i = r.rateBucket + 1; i <= b; i++) ring[i % n] = 0;
    r.rateBucket = b;
  }
  return r.rateBucket % n;
}

/** Adds bytes seen at `now` (a bucket saturates at 2^32 − 1). */
export function rateAdd(r: RateState, shape: RateShape, bytes: number, now: number): void {
  let ring = r.rateRing;
  if (!ring) {
    ring = r.rateRing = new Uint32Array(shape.buckets);
    r.rateBucket = Math.floor(now / shape.bucketMs);
  }
  const i = advance(r, ring, shape, now);
  const v = ring[i] + bytes;
  ring[i] = v > 0xffffffff ? 0xffffffff : v;
}

/** Bits per second over the window ending at `now`, rounded (0 if nothing was ever added). */
export function rateBps(r: RateState, shape: RateShape, now: number): number {
  const ring = r.rateRing;
  if (!ring) return 0;
  advance(r, ring, shape, now);
  let sum = 0;
  for (let i = 0; i < ring.length; i++) sum += ring[i];
  return Math.round((sum * 8) / shape.windowS);
}
