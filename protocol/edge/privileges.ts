import { execFileSync } from 'node:child_process';

/** A resolved unprivileged account. */
export interface Account { name: string; uid: number; gid: number }

/** Looks an account up in the system user database. */
export function lookupAccount(name: string): { ok: true; account: Account } | { ok: false; error: string } {
  try {
    const line = execFileSync('getent', ['passwd', name], { encoding: 'utf8' }).trim();
    const f = line.split(':');
    return { ok: true, account: { name, uid: Number(f[2]), gid: Number(f[3]) } };
  } catch {
    return { ok: false, error: `no such user: ${name}` };
  }
}

/** The first of the given accounts that exists (e.g. _ggprobe, else nobody). */
export function firstAccount(names: readonly string[]): { ok: true; account: Account } | { ok: false; error: string } {
  for (const n of names) {
    const r = lookupAccount(n);
    if (r.ok) return r;
  }
  return { ok: false, error: `none of these users exists: ${names.join(', ')}` };
}

/** True when running as root. */
export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/**
 * Drops root for good: supplementary groups, then gid, then uid (in that
 * order, or the later calls are no longer allowed), then proves it by trying
 * to get root back. Returns an error value instead of continuing as root.
 */
export function dropPrivileges(acc: Account): { ok: true } | { ok: false; error: string } {
  try {
    process.setgroups!([acc.gid]);
    process.setgid!(acc.gid);
    process.setuid!(acc.uid);
  } catch (e) {
    return { ok: false, error: `cannot drop privileges to ${acc.name}: ${(e as Error).message}` };
  }
  if (process.getuid!() !== acc.uid || process.geteuid!() !== acc.uid || process.getgid!() !== acc.gid || process.getegid!() !== acc.gid) {
    return { ok: false, error: 'privilege drop did not take' };
  }
  try {
    process.setuid!(0);
    return { ok: false, error: 'could regain root after dropping privileges' };
  } catch {
    return { ok: true };
  }
}
