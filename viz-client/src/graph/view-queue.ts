/**
 * What stands between the socket and the graph: the view's messages wait
 * here and are applied together, one batch per animation frame, so that a
 * burst of diffs costs one repaint. A snapshot supersedes whatever waits.
 * While the page is paused they keep waiting, up to a bound past which they
 * are dropped and the view must be reloaded on resume (memory stays bounded
 * however long a wallboard stays paused). And a frame budget: when drawing
 * a batch took longer than a frame, the next batch waits, so that the page
 * keeps answering. Pure: no DOM, no timers; times are given.
 */
import type { ServerMessage } from '../protocol/messages.js';

/** A message that changes the view. */
export type ViewMessage = Extract<ServerMessage, { type: 'snapshot' | 'diff' }>;

/** Operations that may wait while paused, by default (a few seconds of a very busy view). */
export const MAX_PAUSED_OPS = 300_000;

/** Operations a message carries. */
export function messageOps(m: ViewMessage): number {
  if (m.type === 'snapshot') return m.graph.nodes.length + m.graph.edges.length;
  return m.nodes.add.length + m.nodes.update.length + m.nodes.remove.length + m.edges.add.length + m.edges.update.length + m.edges.remove.length;
}

/** The messages waiting for the next frame. */
export class ViewQueue {
  private waiting: ViewMessage[] = [];
  private ops = 0;
  /** What waited was dropped (paused too long): the view must be reloaded before anything else applies. */
  reloadNeeded = false;

  constructor(private readonly maxPausedOps = MAX_PAUSED_OPS) {}

  /** Queues a message (`paused`: the page is not applying anything for now). */
  push(m: ViewMessage, paused: boolean): void {
    if (m.type === 'snapshot') {
      this.waiting = [m];
      this.ops = messageOps(m);
      this.reloadNeeded = false;
      return;
    }
    // Diffs after a drop would not apply to anything: they wait for the reload's snapshot.
    if (this.reloadNeeded) return;
    this.waiting.push(m);
    this.ops += messageOps(m);
    if (paused && this.ops > this.maxPausedOps) {
      this.waiting = [];
      this.ops = 0;
      this.reloadNeeded = true;
    }
  }

  /** Everything waiting, in order, as one batch; the queue is left empty. */
  take(): ViewMessage[] {
    const out = this.waiting;
    this.waiting = [];
    this.ops = 0;
    return out;
  }

  /** Messages waiting. */
  get length(): number {
    return this.waiting.length;
  }

  /** Operations waiting. */
  get pendingOps(): number {
    return this.ops;
  }
}

/**
 * The render budget: a batch is applied and drawn in one frame; when that
 * frame cost more than a frame (a big graph, software rendering), the next
 * batch waits twice the excess, so that drawing takes at most about a third
 * of the time. On a real GPU this is every frame.
 */
export class FrameBudget {
  private cost: number;
  private nextAt = 0;

  /** `frameMs`: what a frame costs when nothing is drawn; `maxWaitMs`: the longest a batch is held back. */
  constructor(private readonly frameMs = 16, private readonly maxWaitMs = 2000) {
    this.cost = frameMs;
  }

  /** Whether a batch may be applied in the frame starting at `now`. */
  ready(now: number): boolean {
    return now >= this.nextAt;
  }

  /** The frame that applied a batch started at `start`; the next one started at `next`. */
  measured(start: number, next: number): void {
    this.cost = this.cost * 0.6 + (next - start) * 0.4;
    this.nextAt = next + Math.min(this.maxWaitMs, Math.max(0, 2 * (this.cost - (this.frameMs + 4))));
  }

  /** The smoothed cost of a frame that applies a batch (ms). */
  get frameCost(): number {
    return this.cost;
  }
}
