/**
 * The probe ids glougloud lets relay (`probes.relays`): only their sessions
 * may send FORWARD and RELAY_STATS, and every relay on an envelope's path
 * must be one of them. A probe secret alone proves who a probe is, not that
 * it may speak for others. A refusal means a misconfiguration an operator
 * must see, so it is meant for a warning, but one a minute per id at most,
 * never one per datagram. Pure: no I/O, no timers.
 */

/** How often a refusal of the same id is logged again. */
export const NOT_A_RELAY_WARN_EVERY_MS = 60_000;

/** Ids whose last warning is remembered; beyond, the memory starts over (a flood of ids costs a few more lines, not memory). */
const MAX_WARNED = 10_000;

/** Which probe ids may relay, and when each refused id was last reported. */
export class RelayAllowlist {
  private readonly ids: ReadonlySet<number>;
  private readonly warned = new Map<number, number>();

  constructor(ids: readonly number[], private readonly warnEveryMs = NOT_A_RELAY_WARN_EVERY_MS) {
    this.ids = new Set(ids);
  }

  /** Whether `id` is a listed relay. */
  has(id: number): boolean {
    return this.ids.has(id);
  }

  /** The first of `path` (relay ids, first to last) that is not listed, or undefined when all are. */
  unlisted(path: readonly number[]): number | undefined {
    for (let i = 0; i < path.length; i++) if (!this.ids.has(path[i])) return path[i];
    return undefined;
  }

  /** How many refused ids' last warnings are remembered (bounded). */
  get remembered(): number {
    return this.warned.size;
  }

  /** True when a refusal of `id` at `now` is to be logged: its first, then one per `warnEveryMs`. */
  warnDue(id: number, now: number): boolean {
    const last = this.warned.get(id);
    if (last !== undefined && now - last < this.warnEveryMs) return false;
    if (last === undefined && this.warned.size >= MAX_WARNED) this.warned.clear();
    this.warned.set(id, now);
    return true;
  }
}
