/**
 * Entries ordered by when Redis will expire their key. Every table of the
 * store has one TTL, and an entry moves to the tail exactly when its EXPIRE is
 * (re)sent, so the list stays sorted by `expireAt`: sweeping expired entries
 * and evicting the earliest to expire both start at the head, in O(1) each.
 */

/** Base of every entry: intrusive list links (no allocation per move) and what is known of its key's expiry. */
export class Expiring {
  prev: Expiring | null = null;
  next: Expiring | null = null;
  listed = false;
  /** When Redis expires the key (ms), as far as we know; +Infinity before the first EXPIRE. */
  expireAt = Infinity;
  /** The next write must send EXPIRE whatever `expireAt` says (new key, or Redis may have lost it). */
  mustExpire = true;
}

/** A doubly linked list of entries in expiry order. */
export class ExpiryList<T extends Expiring> {
  private head: T | null = null;
  private tail: T | null = null;
  /** Entries listed. */
  size = 0;

  /** Appends (or moves) an entry to the tail. */
  pushTail(e: T): void {
    if (e.listed) this.remove(e);
    e.prev = this.tail;
    e.next = null;
    if (this.tail) this.tail.next = e;
    else this.head = e;
    this.tail = e;
    e.listed = true;
    this.size++;
  }

  /** Unlinks an entry (no-op if it is not listed). */
  remove(e: T): void {
    if (!e.listed) return;
    if (e.prev) e.prev.next = e.next;
    else this.head = e.next as T | null;
    if (e.next) e.next.prev = e.prev;
    else this.tail = e.prev as T | null;
    e.prev = e.next = null;
    e.listed = false;
    this.size--;
  }

  /** The entry whose key expires first. */
  first(): T | null {
    return this.head;
  }

  /** The entry after e. */
  after(e: T): T | null {
    return e.next as T | null;
  }

  /** Marks every entry as needing a fresh EXPIRE (after a reconnect or lost writes). */
  forgetExpiries(): void {
    for (let e: Expiring | null = this.head; e; e = e.next) e.mustExpire = true;
  }
}

/** The EXPIRE policy of one table: its TTL and when a refresh is due. */
export class TtlPolicy {
  /** The TTL as the EXPIRE argument. */
  readonly arg: string;
  /** The TTL in ms. */
  readonly ms: number;
  private readonly threshold: number;

  constructor(seconds: number, refreshFraction: number) {
    this.arg = String(seconds);
    this.ms = seconds * 1000;
    this.threshold = this.ms * refreshFraction;
  }

  /** True when a write at `now` must also send EXPIRE. */
  due(e: Expiring, now: number): boolean {
    return e.mustExpire || e.expireAt - now < this.threshold;
  }

  /** Records that EXPIRE was sent at `now`; the caller moves the entry to its list's tail. */
  sent(e: Expiring, now: number): void {
    e.expireAt = now + this.ms;
    e.mustExpire = false;
  }
}
