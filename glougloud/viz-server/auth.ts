/**
 * Who may log in and what each user may see. Users come from the
 * configuration: one shared password (`viz.passwordHash`, any user name or
 * none) and named users (`viz.users`), each limited to some modules and
 * probes. A check for an unknown user costs the same scrypt as a real one.
 * Checks run a few at a time; the rest queue, and beyond the queue: busy.
 */
import { randomBytes } from 'node:crypto';
import type { Access } from '../views/config.js';
import { DEFAULT_SCRYPT, parsePasswordHash, type PasswordHash, verifyPassword } from './password.js';

/** A configured user. */
export interface VizUserConfig { passwordHash: string; modules?: number[]; probes?: number[] }

/** Outcome of a login check. */
export type LoginResult =
  | { ok: true; user: string; access: Access }
  | { ok: false; code: 'GG_VIZ_AUTH_FAILED' | 'GG_VIZ_BUSY' };

interface User { name: string; hash: PasswordHash; access: Access }

/** Name under which the shared password logs in. */
export const SHARED_USER = 'viz';

/** The user table and the password checks. */
export class Authenticator {
  private readonly users = new Map<string, User>();
  private readonly shared: User | null;
  private readonly dummy: PasswordHash;
  private running = 0;
  private readonly queue: (() => void)[] = [];

  constructor(passwordHash: string | null, users: Record<string, VizUserConfig>, private readonly limits: { maxConcurrentAuth: number; maxQueuedAuth: number }) {
    const parse = (s: string, who: string): PasswordHash => {
      const p = parsePasswordHash(s);
      if (!p.ok) throw new Error(`${who}: ${p.error}`);
      return p.hash;
    };
    this.shared = passwordHash ? { name: SHARED_USER, hash: parse(passwordHash, 'viz.passwordHash'), access: { modules: null, probes: null } } : null;
    for (const [name, u] of Object.entries(users)) {
      this.users.set(name, { name, hash: parse(u.passwordHash, `viz.users.${name}`), access: { modules: u.modules ?? null, probes: u.probes ?? null } });
    }
    this.dummy = { ...DEFAULT_SCRYPT, salt: randomBytes(16), hash: randomBytes(32) };
  }

  /** Number of ways in (shared password and named users); 0: nobody can log in. */
  get size(): number {
    return this.users.size + (this.shared ? 1 : 0);
  }

  /** Checks a password for a user name (null: the shared password). */
  async check(user: string | null, password: string): Promise<LoginResult> {
    if (this.running >= this.limits.maxConcurrentAuth) {
      if (this.queue.length >= this.limits.maxQueuedAuth) return { ok: false, code: 'GG_VIZ_BUSY' };
      await new Promise<void>((r) => this.queue.push(r));
    }
    this.running++;
    try {
      const u = user !== null ? this.users.get(user) ?? (user === SHARED_USER ? this.shared : null) : this.shared;
      const ok = await verifyPassword(password, u ? u.hash : this.dummy).catch(() => false);
      return ok && u ? { ok: true, user: u.name, access: u.access } : { ok: false, code: 'GG_VIZ_AUTH_FAILED' };
    } finally {
      this.running--;
      this.queue.shift()?.();
    }
  }
}
