/**
 * Turns decoded packets into connection events: NEWCONN on a connection's
 * first packet, DATA per connection at every DATA interval boundary it had
 * traffic in, DELCONN when it ends (TCP FIN exchange or RST, idle timeout,
 * eviction from a full table, end of capture).
 *
 * Time is capture time only, so a file gives the same events as the live
 * capture it was recorded from. It never runs backwards: an older timestamp
 * counts as the newest one seen. Boundaries are multiples of the DATA interval;
 * when a packet (or advance()) crosses one, connections whose deadline passed
 * by then end first (in deadline order, DELCONN ts = the deadline), then every
 * connection with traffic in the window gets its DATA, then the boundary moves.
 * A packet for a connection whose deadline passed inside the current window
 * ends that connection (ts = its deadline) and starts a new one.
 *
 * TCP states and when FIN or RST end a connection: tcp-lifecycle.ts. A TCP
 * connection so ended lingers (closedLingerUs): its stragglers are counted in
 * stats.lateAfterClose, not reported; a bare SYN, or any packet after the
 * linger, starts a new connection (port reuse).
 */
import type { PacketInfo } from '../decode/packet-info.js';
import type { DelconnReasonName, EventSink } from '../events/sink.js';
import {
  CLASS_COUNT, Cls, ConnectionTable, F_LAST_SEEN, F_STRIDE, F_FIRST_SEEN, M_FIN_FWD, M_FIN_REV, M_IN_STACK,
  M_LAST_FIN_FWD, M_SRC_IS_A, STRIDE, State, W_DATA_OFFSET, W_FWD_PKTS, W_ID, W_MISC, W_REV_PKTS, W_SHOWN_PORTS,
  classOf, stateOf, withState,
} from './connection-table.js';
import { ConnView } from './conn-view.js';
import { FlowKey, KeyKind, flowKeyOf } from './flow-key.js';
import { FragmentCache } from './fragment-cache.js';
import { resolveTrackOptions, type TrackOptions } from './options.js';
import { isBareSyn, TcpAction, tcpStep } from './tcp-lifecycle.js';

const U32_MAX = 0xffffffff;

/** Timeout class of a non-TCP connection, by IP protocol. */
const ACTIVE_CLASS = new Uint8Array(256).fill(Cls.OTHER);
ACTIVE_CLASS[17] = ACTIVE_CLASS[136] = Cls.UDP;
ACTIVE_CLASS[1] = ACTIVE_CLASS[58] = Cls.ICMP;

/** Counters for metrics; packets the tracker could not attribute never make events. */
export class TrackStats {
  packets = 0;
  /** No key (not IP, or the headers the key needs were not captured). */
  untracked = 0;
  /** Later fragments counted with their first fragment's connection, and those that found none. */
  fragments = 0;
  fragmentsUnmatched = 0;
  /** Stragglers of connections already ended by FIN or RST. */
  lateAfterClose = 0;
  newconns = 0;
  /** DELCONN counts by reason. */
  fin = 0;
  rst = 0;
  timeout = 0;
  evicted = 0;
  end = 0;
  /** DATA sent early because a u32 counter was about to overflow. */
  earlyData = 0;
}

/** The connection tracker: feed it packets in capture order, then finish(). */
export class ConnectionTracker {
  readonly stats = new TrackStats();
  readonly options: Readonly<TrackOptions>;
  private readonly table: ConnectionTable;
  private readonly U: Uint32Array;
  private readonly F: Float64Array;
  private readonly key = new FlowKey();
  private readonly view: ConnView;
  private readonly frags: FragmentCache;
  private readonly timeouts: Float64Array;
  private readonly interval: number;
  private readonly linger: number;
  private readonly seed: number;
  /** Slots with traffic in the current window (each at most once: M_IN_STACK). */
  private readonly stack: Int32Array;
  private stackLen = 0;
  private now = 0;
  private started = false;
  private nextBoundary = 0;

  constructor(private readonly sink: EventSink, options: Partial<TrackOptions> = {}) {
    const o = resolveTrackOptions(options);
    this.options = o;
    this.table = new ConnectionTable(o.maxConns);
    this.U = this.table.U;
    this.F = this.table.F;
    this.view = new ConnView(this.table);
    this.frags = new FragmentCache(o.fragmentCacheSize);
    this.timeouts = new Float64Array(CLASS_COUNT);
    this.timeouts[Cls.TCP_OPENING] = o.tcpOpeningTimeoutUs;
    this.timeouts[Cls.TCP_ESTABLISHED] = o.tcpEstablishedTimeoutUs;
    this.timeouts[Cls.TCP_CLOSING] = o.tcpClosingTimeoutUs;
    this.timeouts[Cls.UDP] = o.udpTimeoutUs;
    this.timeouts[Cls.ICMP] = o.icmpTimeoutUs;
    this.timeouts[Cls.OTHER] = o.otherTimeoutUs;
    this.timeouts[Cls.CLOSED] = o.closedLingerUs;
    this.interval = o.dataIntervalUs;
    this.linger = o.closedLingerUs;
    this.seed = o.hashSeed;
    this.stack = new Int32Array(o.maxConns);
  }

  /** Connections live now (not counting closed ones lingering). */
  get liveCount(): number {
    return this.table.size - this.table.counts[Cls.CLOSED];
  }

  /** Accounts one decoded packet captured at tsUs. */
  packet(p: PacketInfo, tsUs: number): void {
    this.stats.packets++;
    const now = this.clock(tsUs);
    const k = this.key;
    const kind = flowKeyOf(k, p, this.seed);
    if (kind !== KeyKind.OK) {
      if (kind === KeyKind.LATER_FRAGMENT) this.laterFragment(p, now);
      else this.stats.untracked++;
      return;
    }
    const flags = k.proto === 6 ? p.tcpFlags : 0;
    const t = this.table;
    let slot = t.find(k);
    if (slot < 0) {
      slot = this.allocate(now);
      t.insert(slot, k);
      this.begin(slot, flags, now);
    } else {
      const misc = this.U[slot * STRIDE + W_MISC];
      const state = stateOf(misc);
      const last = this.F[slot * F_STRIDE + F_LAST_SEEN];
      if (state === State.CLOSED) {
        if (now - last < this.linger && !isBareSyn(flags)) {
          this.stats.lateAfterClose++;
          return;
        }
        t.unlink(slot);
        this.begin(slot, flags, now);
      } else if (now >= last + this.timeouts[classOf(misc)]) {
        this.report(slot, last + this.timeouts[classOf(misc)], state === State.TCP_FIN_BOTH ? 'fin' : 'timeout');
        t.unlink(slot);
        this.begin(slot, flags, now);
      }
    }
    const fwd = ((this.U[slot * STRIDE + W_MISC] & M_SRC_IS_A) !== 0) !== k.swapped;
    this.count(slot, fwd, p.frameLen, now);
    if (flags !== 0) this.tcp(slot, flags, fwd, now);
    if (p.moreFragments) this.frags.remember(p, slot, this.U[slot * STRIDE + W_ID], fwd);
  }

  /** Moves capture time forward without a packet (live capture, idle link), running any boundary crossed. */
  advance(tsUs: number): void {
    if (this.started) this.clock(tsUs);
  }

  /**
   * End of capture or shutdown at tsUs (default: the last time seen): ends what
   * timed out, flushes all pending DATA, then DELCONN `end` for every live
   * connection. The tracker is empty afterwards and may be fed again.
   */
  finish(tsUs = this.now): void {
    if (!this.started) {
      this.sink.flush();
      return;
    }
    const now = this.clock(tsUs);
    this.expire(now);
    this.flushData(now);
    // Slot order, not list order: one sequential pass over the records instead of a random walk.
    const t = this.table;
    for (let s = 0, n = t.highWater; s < n; s++) {
      const state = stateOf(this.U[s * STRIDE + W_MISC]);
      if (state !== State.FREE && state !== State.CLOSED) this.report(s, now, 'end');
    }
    t.clear();
    this.frags.clear();
    this.started = false;
    this.sink.flush();
  }

  /** Clamps time to never run backwards, starts the first window, crosses boundaries; returns the time to use. */
  private clock(tsUs: number): number {
    if (tsUs > this.now) this.now = tsUs;
    const now = this.now;
    if (!this.started) {
      this.started = true;
      this.nextBoundary = Math.floor(now / this.interval) * this.interval + this.interval;
    } else if (now >= this.nextBoundary) {
      this.cross(now);
    }
    return now;
  }

  private cross(now: number): void {
    const b = this.nextBoundary;
    this.expire(b);
    this.flushData(b);
    const last = Math.floor(now / this.interval) * this.interval;
    this.nextBoundary = last + this.interval;
    if (last > b) this.expire(last);
  }

  /** Ends, oldest deadline first, every connection whose deadline is at or before t. */
  private expire(t: number): void {
    const table = this.table;
    const F = this.F;
    for (;;) {
      let best = -1;
      let bestCls = 0;
      let deadline = Infinity;
      for (let c = 0; c < CLASS_COUNT; c++) {
        const s = table.tail[c];
        if (s < 0) continue;
        const d = F[s * F_STRIDE + F_LAST_SEEN] + this.timeouts[c];
        if (d < deadline) { deadline = d; best = s; bestCls = c; }
      }
      if (best < 0 || deadline > t) return;
      if (bestCls !== Cls.CLOSED) {
        this.report(best, deadline, stateOf(this.U[best * STRIDE + W_MISC]) === State.TCP_FIN_BOTH ? 'fin' : 'timeout');
      }
      table.release(best);
    }
  }

  /** DATA at ts for every connection with traffic in the window, then a new window. */
  private flushData(ts: number): void {
    const U = this.U;
    const stack = this.stack;
    for (let i = 0; i < this.stackLen; i++) {
      const s = stack[i];
      const b = s * STRIDE;
      U[b + W_MISC] &= ~M_IN_STACK;
      if ((U[b + W_FWD_PKTS] | U[b + W_REV_PKTS]) !== 0) this.emitData(s, ts);
      U[b + W_DATA_OFFSET] = 0;
    }
    this.stackLen = 0;
  }

  /** Sends a connection's pending counters as DATA ending at ts and zeroes them. */
  private emitData(slot: number, ts: number): void {
    const U = this.U;
    const b = slot * STRIDE;
    const start = this.nextBoundary - this.interval + U[b + W_DATA_OFFSET];
    const iv = ts > start ? Math.min(ts - start, U32_MAX) : 0;
    this.view.slot = slot;
    this.sink.data(this.view, ts, iv, U[b + W_FWD_PKTS], U[b + W_FWD_PKTS + 1], U[b + W_REV_PKTS], U[b + W_REV_PKTS + 1]);
    U[b + W_FWD_PKTS] = 0;
    U[b + W_FWD_PKTS + 1] = 0;
    U[b + W_REV_PKTS] = 0;
    U[b + W_REV_PKTS + 1] = 0;
  }

  /** Pending DATA, then DELCONN. The slot's list and index entries are the caller's to change. */
  private report(slot: number, ts: number, reason: DelconnReasonName): void {
    const b = slot * STRIDE;
    if ((this.U[b + W_FWD_PKTS] | this.U[b + W_REV_PKTS]) !== 0) this.emitData(slot, ts);
    this.view.slot = slot;
    this.sink.delconn(this.view, ts, reason);
    this.stats[reason]++;
  }

  /** A free slot, ending the oldest closed or else the longest idle connection when the table is full. */
  private allocate(now: number): number {
    const t = this.table;
    let s = t.allocate();
    if (s >= 0) return s;
    let victim = t.tail[Cls.CLOSED];
    if (victim < 0) {
      let oldest = Infinity;
      for (let c = 0; c < CLASS_COUNT; c++) {
        const v = t.tail[c];
        if (v >= 0 && this.F[v * F_STRIDE + F_LAST_SEEN] < oldest) { oldest = this.F[v * F_STRIDE + F_LAST_SEEN]; victim = v; }
      }
      this.report(victim, now, 'evicted');
    }
    t.release(victim);
    s = t.allocate();
    return s;
  }

  /** Starts a new connection in a keyed slot that is on no list: id, times, state, NEWCONN. */
  private begin(slot: number, flags: number, now: number): void {
    const t = this.table;
    const k = this.key;
    const U = this.U;
    const b = slot * STRIDE;
    t.newId(slot);
    U[b + W_MISC] = (U[b + W_MISC] & ~(M_SRC_IS_A | M_FIN_FWD | M_FIN_REV | M_LAST_FIN_FWD)) | (k.swapped ? 0 : M_SRC_IS_A);
    U[b + W_SHOWN_PORTS] = k.shownPorts;
    U[b + W_DATA_OFFSET] = 0;
    const f = slot * F_STRIDE;
    this.F[f + F_FIRST_SEEN] = now;
    this.F[f + F_LAST_SEEN] = now;
    if (k.proto !== 6) t.link(slot, State.ACTIVE, ACTIVE_CLASS[k.proto]);
    else if (isBareSyn(flags)) t.link(slot, State.TCP_OPENING, Cls.TCP_OPENING);
    else t.link(slot, State.TCP_ESTABLISHED, Cls.TCP_ESTABLISHED);
    this.view.slot = slot;
    this.sink.newconn(this.view, now);
    this.stats.newconns++;
  }

  /** Adds one packet of frameLen bytes to a connection's pending counters and marks it active now. */
  private count(slot: number, fwd: boolean, frameLen: number, now: number): void {
    const U = this.U;
    const b = slot * STRIDE;
    const o = b + (fwd ? W_FWD_PKTS : W_REV_PKTS);
    // A hostile record may claim any length: clamp so one packet fits a u32 counter.
    const len = frameLen >= 0 && frameLen <= U32_MAX ? frameLen : frameLen > U32_MAX ? U32_MAX : 0;
    if (U[o] === U32_MAX || U[o + 1] + len > U32_MAX) {
      this.emitData(slot, now);
      U[b + W_DATA_OFFSET] = now - (this.nextBoundary - this.interval);
      this.stats.earlyData++;
    }
    U[o]++;
    U[o + 1] += len;
    const misc = U[b + W_MISC];
    if ((misc & M_IN_STACK) === 0) {
      U[b + W_MISC] = misc | M_IN_STACK;
      this.stack[this.stackLen++] = slot;
    }
    this.F[slot * F_STRIDE + F_LAST_SEEN] = now;
    this.table.touch(slot);
  }

  /** TCP flags after counting: see tcp-lifecycle.ts. */
  private tcp(slot: number, flags: number, fwd: boolean, now: number): void {
    const r = tcpStep(this.U[slot * STRIDE + W_MISC], flags, fwd);
    const action = r >>> 16;
    if (action === TcpAction.KEEP) return;
    if (action === TcpAction.MOVE) this.relink(slot, r & 0xffff);
    else this.close(slot, now, action === TcpAction.FIN ? 'fin' : 'rst');
  }

  /** Stores a misc word with a new state and class, and moves the slot to the head of that class's list. */
  private relink(slot: number, misc: number): void {
    this.table.unlink(slot);
    this.U[slot * STRIDE + W_MISC] = misc;
    this.table.link(slot, stateOf(misc), classOf(misc));
  }

  /** FIN exchange done or RST: DELCONN now, then linger so stragglers are recognised. */
  private close(slot: number, now: number, reason: DelconnReasonName): void {
    this.report(slot, now, reason);
    this.relink(slot, withState(this.U[slot * STRIDE + W_MISC], State.CLOSED, Cls.CLOSED));
  }

  /** A non-first fragment: counted with the connection of its datagram's first fragment, if still live. */
  private laterFragment(p: PacketInfo, now: number): void {
    const slot = this.frags.lookup(p);
    if (slot >= 0) {
      const misc = this.U[slot * STRIDE + W_MISC];
      const state = stateOf(misc);
      if (this.U[slot * STRIDE + W_ID] === this.frags.foundId && state !== State.FREE && state !== State.CLOSED
        && now < this.F[slot * F_STRIDE + F_LAST_SEEN] + this.timeouts[classOf(misc)]) {
        this.count(slot, this.frags.foundFwd, p.frameLen, now);
        this.stats.fragments++;
        return;
      }
    }
    this.stats.fragmentsUnmatched++;
  }
}
