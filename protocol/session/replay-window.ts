/** Default number of sequence numbers remembered behind the highest one seen (wire spec: 1024). */
export const DEFAULT_REPLAY_WINDOW = 1024;

/** Largest sequence number the wire allows (seq < 2^53). */
const MAX_SEQ = Number.MAX_SAFE_INTEGER;

/**
 * Sliding anti-replay window over authenticated sequence numbers (RFC 4303 §3.4.3 style).
 * A seq is acceptable when it is ≥ 1, has not been accepted before, and is within
 * `size` of the highest seq accepted so far. Bit `seq % size` of the bitmap stands
 * for the one seq of that residue inside the window, so no shifting is needed.
 * Call accept() only after the datagram authenticated, or a forger could burn seqs.
 */
export class ReplayWindow {
  /** Highest seq accepted so far; 0 before the first. */
  private top = 0;
  private readonly bits: Uint32Array;

  constructor(readonly size: number = DEFAULT_REPLAY_WINDOW) {
    if (!Number.isInteger(size) || size < 32 || size % 32 !== 0) {
      throw new RangeError(`replay window size must be a positive multiple of 32, got ${size}`);
    }
    this.bits = new Uint32Array(size / 32);
  }

  /** Highest seq accepted so far (0 if none). */
  get highest(): number {
    return this.top;
  }

  /** Whether `seq` would be accepted now; records nothing. */
  check(seq: number): boolean {
    if (!Number.isInteger(seq) || seq < 1 || seq > MAX_SEQ) return false;
    if (seq > this.top) return true;
    if (seq <= this.top - this.size) return false;
    const i = seq % this.size;
    return (this.bits[i >>> 5]! & (1 << (i & 31))) === 0;
  }

  /** Records `seq` if acceptable; returns false for a replay or a seq too old for the window. */
  accept(seq: number): boolean {
    if (!this.check(seq)) return false;
    if (seq > this.top) this.advance(seq);
    const i = seq % this.size;
    this.bits[i >>> 5]! |= 1 << (i & 31);
    return true;
  }

  /** Forgets everything (a new session starts at seq 1 again). */
  reset(): void {
    this.top = 0;
    this.bits.fill(0);
  }

  /** Moves the top to `seq`, clearing the slots of the seqs that newly enter the window. */
  private advance(seq: number): void {
    const gap = seq - this.top;
    if (gap >= this.size) {
      this.bits.fill(0);
    } else {
      for (let s = this.top + 1; s <= seq; s++) {
        const i = s % this.size;
        // A whole word entering the window at once is cleared in one store.
        if ((i & 31) === 0 && s + 31 <= seq) {
          this.bits[i >>> 5] = 0;
          s += 31;
        } else {
          this.bits[i >>> 5]! &= ~(1 << (i & 31));
        }
      }
    }
    this.top = seq;
  }
}
