/**
 * The bounded connection table: fixed-size records in one ArrayBuffer, an
 * open-addressing index (linear probing, backward-shift deletion, no
 * tombstones), one LRU list per timeout class and a FIFO ring of free slots.
 * Nothing here allocates after construction except the address texts, made
 * once per connection when a sink first asks for them.
 *
 * What happens to connections (events, timeouts, eviction) is the tracker's
 * business; this file only stores, finds and orders them.
 */
import { formatIPv4 } from '../../protocol/address.js';
import { formatIPv6Words } from '../decode/address-text.js';
import type { FlowKey } from './flow-key.js';

// One record is STRIDE u32 words (the same bytes are also seen as int32 and float64), in two
// 64-byte halves. The first holds what every packet reads: the key, the state, the LRU links
// and the last-seen time; the second the counters and what only events read.
//  0..3 address A   4..7 address B   8 ports   9 meta   10 misc   11 prev   12 next   14-15 last seen (f64)
// 16 fwd pkts  17 fwd bytes  18 rev pkts  19 rev bytes  20 hash  21 id  22 shown ports
// 23 data offset (µs into the DATA window where the pending interval began)  24 generation  26-27 first seen (f64)

/** u32 words per record. */
export const STRIDE = 32;
/** Word offsets of the fields within a record (layout above). */
export const W_PORTS = 8;
export const W_META = 9;
export const W_MISC = 10;
export const W_PREV = 11;
export const W_NEXT = 12;
export const W_FWD_PKTS = 16;
export const W_FWD_BYTES = 17;
export const W_REV_PKTS = 18;
export const W_REV_BYTES = 19;
export const W_HASH = 20;
export const W_ID = 21;
export const W_SHOWN_PORTS = 22;
export const W_DATA_OFFSET = 23;
export const W_GEN = 24;
/** float64 per record, and the float64 offsets of the two times. */
export const F_STRIDE = STRIDE / 2;
export const F_LAST_SEEN = 7;
export const F_FIRST_SEEN = 13;

// Bits of the misc word.
/** Key bit: the addresses are IPv6. */
export const M_V6 = 1;
const M_CLASS_SHIFT = 1;
const M_STATE_SHIFT = 4;
/** The connection's src (first sender) is address A. */
export const M_SRC_IS_A = 1 << 7;
/** The slot is on the tracker's list of connections with traffic in the current DATA window. */
export const M_IN_STACK = 1 << 8;
/** TCP: a FIN was seen src → dst, dst → src; which direction sent the second one. */
export const M_FIN_FWD = 1 << 9;
export const M_FIN_REV = 1 << 10;
export const M_LAST_FIN_FWD = 1 << 11;

/** Lifecycle states (misc bits 4..6). */
export const State = { FREE: 0, TCP_OPENING: 1, TCP_ESTABLISHED: 2, TCP_CLOSING: 3, TCP_FIN_BOTH: 4, ACTIVE: 5, CLOSED: 6 } as const;

/** Timeout classes, one LRU list each (misc bits 1..3). */
export const Cls = { TCP_OPENING: 0, TCP_ESTABLISHED: 1, TCP_CLOSING: 2, UDP: 3, ICMP: 4, OTHER: 5, CLOSED: 6 } as const;
/** Number of timeout classes (and LRU lists). */
export const CLASS_COUNT = 7;

/** The state of a misc word. */
export function stateOf(misc: number): number {
  return (misc >>> M_STATE_SHIFT) & 7;
}

/** The class of a misc word. */
export function classOf(misc: number): number {
  return (misc >>> M_CLASS_SHIFT) & 7;
}

/** A misc word with state and class replaced. */
export function withState(misc: number, state: number, cls: number): number {
  return ((misc & ~(0x3f << M_CLASS_SHIFT)) | (state << M_STATE_SHIFT) | (cls << M_CLASS_SHIFT)) >>> 0;
}

/** Fixed-capacity storage of connection records, keyed by FlowKey. */
export class ConnectionTable {
  readonly capacity: number;
  /** The records, as u32, int32 and float64 views of the same memory. */
  readonly U: Uint32Array;
  readonly I: Int32Array;
  readonly F: Float64Array;
  /** Most and least recently active slot of each class, -1 when empty. */
  readonly head = new Int32Array(CLASS_COUNT).fill(-1);
  readonly tail = new Int32Array(CLASS_COUNT).fill(-1);
  /** Slots on each class list. */
  readonly counts = new Int32Array(CLASS_COUNT);
  /** Slots in use (live or lingering after close). */
  size = 0;
  /** One past the highest slot handed out since construction or clear(): slots above it were never used. */
  highWater = 0;
  /** Pairs [slot + 1 (0 = empty), hash]; a power of two of pairs, at most half full. */
  private readonly index: Int32Array;
  private readonly mask: number;
  private readonly free: Int32Array;
  private freeHead = 0;
  private freeCount: number;
  private readonly textA: (string | undefined)[];
  private readonly textB: (string | undefined)[];
  private readonly slotSpan: number;
  private readonly genLimit: number;
  private readonly words = new Uint32Array(4);

  constructor(capacity: number) {
    this.capacity = capacity;
    const buf = new ArrayBuffer(capacity * STRIDE * 4);
    this.U = new Uint32Array(buf);
    this.I = new Int32Array(buf);
    this.F = new Float64Array(buf);
    let pairs = 16;
    while (pairs < capacity * 2) pairs *= 2;
    this.index = new Int32Array(pairs * 2);
    this.mask = pairs - 1;
    this.free = new Int32Array(capacity);
    for (let i = 0; i < capacity; i++) this.free[i] = i;
    this.freeCount = capacity;
    this.textA = new Array<string | undefined>(capacity).fill(undefined);
    this.textB = new Array<string | undefined>(capacity).fill(undefined);
    // Ids are generation · slotSpan + slot + 1 (mod 2^32): distinct slots give distinct ids, and a
    // FIFO free ring makes a slot come back only after the others, so an id repeats rarely.
    let span = 1;
    while (span < capacity) span *= 2;
    this.slotSpan = span;
    this.genLimit = 0x100000000 / span;
  }

  /** The slot holding key k, or -1. */
  find(k: FlowKey): number {
    const idx = this.index;
    const I = this.I;
    const w = k.w;
    const h = k.hash;
    const mask = this.mask;
    for (let pos = h & mask; ; pos = (pos + 1) & mask) {
      const e = idx[pos * 2];
      if (e === 0) return -1;
      if (idx[pos * 2 + 1] !== h) continue;
      const b = (e - 1) * STRIDE;
      if (I[b + W_PORTS] === k.ports && I[b + W_META] === k.meta && I[b] === w[0] && I[b + 4] === w[4]
        && I[b + 1] === w[1] && I[b + 2] === w[2] && I[b + 3] === w[3]
        && I[b + 5] === w[5] && I[b + 6] === w[6] && I[b + 7] === w[7]
        && (I[b + W_MISC] & M_V6) === k.v6) return e - 1;
    }
  }

  /** Takes the oldest free slot, or returns -1 when the table is full. */
  allocate(): number {
    if (this.freeCount === 0) return -1;
    const s = this.free[this.freeHead];
    if (++this.freeHead === this.capacity) this.freeHead = 0;
    this.freeCount--;
    this.size++;
    if (s >= this.highWater) this.highWater = s + 1;
    return s;
  }

  /** Forgets every connection at once (counters must already be zero); generations, hence ids, carry on. */
  clear(): void {
    const U = this.U;
    for (let s = 0; s < this.highWater; s++) U[s * STRIDE + W_MISC] = 0;
    this.index.fill(0);
    for (let i = 0; i < this.capacity; i++) this.free[i] = i;
    this.freeHead = 0;
    this.freeCount = this.capacity;
    this.head.fill(-1);
    this.tail.fill(-1);
    this.counts.fill(0);
    this.size = 0;
    this.highWater = 0;
  }

  /** Writes key k into an allocated slot and indexes it; the slot keeps only its generation and stack bit. */
  insert(slot: number, k: FlowKey): void {
    const I = this.I;
    const b = slot * STRIDE;
    const w = k.w;
    for (let i = 0; i < 8; i++) I[b + i] = w[i];
    I[b + W_PORTS] = k.ports;
    I[b + W_META] = k.meta;
    I[b + W_HASH] = k.hash;
    I[b + W_MISC] = (I[b + W_MISC] & M_IN_STACK) | k.v6;
    this.textA[slot] = undefined;
    this.textB[slot] = undefined;
    const idx = this.index;
    let pos = k.hash & this.mask;
    while (idx[pos * 2] !== 0) pos = (pos + 1) & this.mask;
    idx[pos * 2] = slot + 1;
    idx[pos * 2 + 1] = k.hash;
  }

  /** Unindexes and unlinks a slot and returns it to the free ring (counters must already be zero). */
  release(slot: number): void {
    const b = slot * STRIDE;
    this.unlink(slot);
    this.unindex(slot, this.I[b + W_HASH]);
    this.U[b + W_MISC] &= M_IN_STACK;
    let tailPos = this.freeHead + this.freeCount;
    if (tailPos >= this.capacity) tailPos -= this.capacity;
    this.free[tailPos] = slot;
    this.freeCount++;
    this.size--;
  }

  private unindex(slot: number, hash: number): void {
    const idx = this.index;
    const mask = this.mask;
    let i = hash & mask;
    while (idx[i * 2] !== slot + 1) {
      if (idx[i * 2] === 0) return; // not indexed
      i = (i + 1) & mask;
    }
    // Backward shift: pull later entries of the probe run into the hole unless that would put them before their home.
    for (let j = i; ;) {
      j = (j + 1) & mask;
      const e = idx[j * 2];
      if (e === 0) break;
      const home = idx[j * 2 + 1] & mask;
      const stays = i <= j ? i < home && home <= j : i < home || home <= j;
      if (stays) continue;
      idx[i * 2] = e;
      idx[i * 2 + 1] = idx[j * 2 + 1];
      i = j;
    }
    idx[i * 2] = 0;
  }

  /** Sets state and class and puts the slot at the head of its class list (it must not be on a list). */
  link(slot: number, state: number, cls: number): void {
    const I = this.I;
    const b = slot * STRIDE;
    I[b + W_MISC] = withState(I[b + W_MISC], state, cls);
    const h = this.head[cls];
    I[b + W_PREV] = -1;
    I[b + W_NEXT] = h;
    if (h >= 0) I[h * STRIDE + W_PREV] = slot;
    else this.tail[cls] = slot;
    this.head[cls] = slot;
    this.counts[cls]++;
  }

  /** Takes a slot off its class list (state FREE means it is on none). */
  unlink(slot: number): void {
    const I = this.I;
    const b = slot * STRIDE;
    const misc = I[b + W_MISC];
    if (stateOf(misc) === State.FREE) return;
    const cls = classOf(misc);
    const p = I[b + W_PREV];
    const n = I[b + W_NEXT];
    if (p >= 0) I[p * STRIDE + W_NEXT] = n;
    else this.head[cls] = n;
    if (n >= 0) I[n * STRIDE + W_PREV] = p;
    else this.tail[cls] = p;
    I[b + W_MISC] = withState(misc, State.FREE, 0);
    this.counts[cls]--;
  }

  /** Moves a slot to the head of its class list (the slot saw a packet). */
  touch(slot: number): void {
    const I = this.I;
    const b = slot * STRIDE;
    const cls = classOf(I[b + W_MISC]);
    const h = this.head[cls];
    if (h === slot) return;
    const p = I[b + W_PREV];
    const n = I[b + W_NEXT];
    I[p * STRIDE + W_NEXT] = n;
    if (n >= 0) I[n * STRIDE + W_PREV] = p;
    else this.tail[cls] = p;
    I[b + W_PREV] = -1;
    I[b + W_NEXT] = h;
    I[h * STRIDE + W_PREV] = slot;
    this.head[cls] = slot;
  }

  /** Gives the slot a fresh connection id and returns it. */
  newId(slot: number): number {
    const b = slot * STRIDE;
    const gen = this.U[b + W_GEN];
    this.U[b + W_GEN] = gen + 1 === this.genLimit ? 0 : gen + 1;
    const id = (gen * this.slotSpan + slot + 1) % 0x100000000;
    this.U[b + W_ID] = id;
    return id;
  }

  /** Text of address A or B of a slot, formatted on first use and kept until the slot gets another key. */
  addressText(slot: number, b: boolean): string {
    const cache = b ? this.textB : this.textA;
    const t = cache[slot];
    if (t !== undefined) return t;
    const U = this.U;
    const o = slot * STRIDE + (b ? 4 : 0);
    let s: string;
    if ((U[slot * STRIDE + W_MISC] & M_V6) === 0) s = formatIPv4(U[o]);
    else {
      const w = this.words;
      w[0] = U[o]; w[1] = U[o + 1]; w[2] = U[o + 2]; w[3] = U[o + 3];
      s = formatIPv6Words(w);
    }
    cache[slot] = s;
    return s;
  }
}
