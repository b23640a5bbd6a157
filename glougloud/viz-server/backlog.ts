/**
 * What one client is owed, and when. While its socket holds less than the
 * high-water mark, each change of its view goes out as it comes. Above it,
 * the client is behind: its changes are merged (latest state per element),
 * and once the socket drains below the low-water mark it gets them as one
 * `catch-up` diff. Too much merged, or a break in the numbering, and only a
 * fresh snapshot will do; behind for too long, or reset too often, and the
 * client is closed. Pure: the socket's buffered amount and the time come in,
 * decisions come out; the client does the sending.
 */
import { PendingDiff } from '../views/diff.js';
import type { GraphDiff } from '../views/types.js';
import type { VizLimits } from './options.js';

/** The limits a backlog enforces (see options.ts). */
export type BacklogLimits = Pick<VizLimits, 'highWaterBytes' | 'lowWaterBytes' | 'maxPendingOps' | 'maxLagMs' | 'maxResetsPerMinute'>;

/** What a tick owes a client. */
export type CatchUp =
  /** Not behind, or still behind: nothing to send. */
  | { do: 'none' }
  /** Caught up: send this merged diff (it may be empty when only numbers moved). */
  | { do: 'diff'; prev: number; seq: number; diff: GraphDiff }
  /** Caught up, but only a whole view numbered `seq` will do. */
  | { do: 'snapshot'; seq: number }
  /** Hopeless: close the connection. */
  | { do: 'close' };

const MINUTE = 60_000;

/** One client's position in its view and what waits for it. */
export class Backlog {
  /** Sequence number of the state the client holds (the last one it was sent). */
  seq = 0;
  private behind = false;
  private since = 0;
  /** While behind: the state the client holds once `pending` is applied. */
  private target = 0;
  private readonly pending = new PendingDiff();
  private snapshotDue = false;
  private readonly resets: number[] = [];

  /** `onReset` is told each time the merged changes are dropped for a snapshot. */
  constructor(private readonly limits: BacklogLimits, private readonly onReset: () => void = () => undefined) {}

  /** True while the client is behind. */
  get lagging(): boolean {
    return this.behind;
  }

  /** The state the client will hold once what waits for it is sent. */
  get head(): number {
    return this.behind ? this.target : this.seq;
  }

  /** Elements with merged changes waiting. */
  get pendingOps(): number {
    return this.pending.size;
  }

  /** The client was sent a whole view numbered `seq`. */
  snapshotSent(seq: number): void {
    this.seq = seq;
  }

  /**
   * A change from state `prev` to `seq`. True: send it now (the client's
   * number is now `seq`). False: it was merged into what waits.
   */
  offer(prev: number, seq: number, d: GraphDiff, buffered: number, now: number): boolean {
    if (!this.behind && prev === this.seq && buffered <= this.limits.highWaterBytes) {
      this.seq = seq;
      return true;
    }
    if (!this.behind) {
      this.behind = true;
      this.since = now;
      this.target = this.seq;
    }
    // A break in the numbering cannot be healed by a diff.
    if (prev !== this.target) this.dropForSnapshot(now);
    if (!this.snapshotDue) {
      this.pending.merge(d);
      if (this.pending.size > this.limits.maxPendingOps) this.dropForSnapshot(now);
    }
    this.target = seq;
    return false;
  }

  private dropForSnapshot(now: number): void {
    if (this.snapshotDue) return;
    this.snapshotDue = true;
    this.pending.clear();
    this.resets.push(now);
    this.onReset();
  }

  /** Once per tick; `view` is the number of the view's current state. */
  service(view: number, buffered: number, now: number): CatchUp {
    if (!this.behind) return { do: 'none' };
    while (this.resets.length && this.resets[0] <= now - MINUTE) this.resets.shift();
    if (now - this.since > this.limits.maxLagMs || this.resets.length > this.limits.maxResetsPerMinute) return { do: 'close' };
    if (buffered > this.limits.lowWaterBytes) return { do: 'none' };
    if (this.target !== view) this.dropForSnapshot(now);
    this.behind = false;
    const prev = this.seq;
    this.seq = view;
    if (this.snapshotDue) {
      this.snapshotDue = false;
      return { do: 'snapshot', seq: view };
    }
    return { do: 'diff', prev, seq: view, diff: this.pending.take() };
  }
}
