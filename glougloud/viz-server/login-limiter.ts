/**
 * Failed logins, per client address: after each failure the address must
 * wait before its next attempt, and the wait doubles with each failure
 * (capped). A success or a long quiet spell forgets the address. The table
 * is bounded: beyond `maxAddresses` the oldest entries go. Pure (`now` in).
 */

/** Limits of the login limiter. */
export interface LoginLimits { delayBaseMs: number; delayMaxMs: number; forgetAfterMs: number; maxAddresses: number }

/** Defaults: 1 s after the first failure, doubling to 5 min; forgotten after an hour. */
export const DEFAULT_LOGIN_LIMITS: Readonly<LoginLimits> = Object.freeze({ delayBaseMs: 1000, delayMaxMs: 300_000, forgetAfterMs: 3_600_000, maxAddresses: 100_000 });

interface Entry { failures: number; nextAt: number; lastAt: number }

/** Per-address delays after failed logins. */
export class LoginLimiter {
  private readonly t = new Map<string, Entry>();

  constructor(private readonly l: LoginLimits = DEFAULT_LOGIN_LIMITS) {}

  private entry(addr: string, now: number): Entry | undefined {
    const e = this.t.get(addr);
    if (e && now - e.lastAt > this.l.forgetAfterMs) { this.t.delete(addr); return undefined; }
    return e;
  }

  /** 0 if the address may try now, else how long it must wait (ms). */
  waitMs(addr: string, now: number): number {
    const e = this.entry(addr, now);
    return e ? Math.max(0, e.nextAt - now) : 0;
  }

  /** Records a failure; returns how long the address must now wait. */
  fail(addr: string, now: number): number {
    let e = this.entry(addr, now);
    if (!e) {
      if (this.t.size >= this.l.maxAddresses) { const oldest = this.t.keys().next().value; if (oldest !== undefined) this.t.delete(oldest); }
      e = { failures: 0, nextAt: 0, lastAt: now };
    }
    this.t.delete(addr); // re-inserted last: the map stays ordered by last failure
    e.failures++;
    e.lastAt = now;
    const delay = Math.min(this.l.delayMaxMs, this.l.delayBaseMs * 2 ** Math.min(e.failures - 1, 30));
    e.nextAt = now + delay;
    this.t.set(addr, e);
    return delay;
  }

  /** A successful login: the address starts afresh. */
  succeed(addr: string): void {
    this.t.delete(addr);
  }

  /** Addresses tracked. */
  get size(): number {
    return this.t.size;
  }
}
