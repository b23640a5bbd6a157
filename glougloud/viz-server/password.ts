/**
 * Viz passwords: stored as salted scrypt hashes in the configuration
 * (`scrypt$N$r$p$salt$hash`, base64), compared in constant time. The cost
 * parameters travel in the hash, bounded so that a configuration cannot make
 * a login cost unbounded memory or time.
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

/** Cost of new hashes: N = 2^14, r = 8, p = 1 (about 16 MiB and a few tens of ms). */
export const DEFAULT_SCRYPT = Object.freeze({ N: 16_384, r: 8, p: 1 });

const KEY_BYTES = 32;
const SALT_BYTES = 16;
const MAX_N = 1 << 20;

/** A parsed password hash. */
export interface PasswordHash { N: number; r: number; p: number; salt: Buffer; hash: Buffer }

/** Parses a stored hash; an error value says what is wrong with it. */
export function parsePasswordHash(s: unknown): { ok: true; hash: PasswordHash } | { ok: false; error: string } {
  if (typeof s !== 'string') return { ok: false, error: 'expected a string "scrypt$N$r$p$salt$hash"' };
  const f = s.split('$');
  if (f.length !== 6 || f[0] !== 'scrypt') return { ok: false, error: 'expected "scrypt$N$r$p$salt$hash" (make one with glougloud --hash-password)' };
  const [N, r, p] = [Number(f[1]), Number(f[2]), Number(f[3])];
  if (!Number.isInteger(N) || N < 1024 || N > MAX_N || (N & (N - 1)) !== 0) return { ok: false, error: 'N must be a power of two in [1024, 2^20]' };
  if (!Number.isInteger(r) || r < 1 || r > 32 || !Number.isInteger(p) || p < 1 || p > 16) return { ok: false, error: 'r must be 1-32 and p 1-16' };
  const salt = Buffer.from(f[4], 'base64'), hash = Buffer.from(f[5], 'base64');
  if (salt.length < 8 || hash.length < 16 || hash.length > 64) return { ok: false, error: 'salt or hash too short' };
  return { ok: true, hash: { N, r, p, salt, hash } };
}

function derive(password: string, h: { N: number; r: number; p: number; salt: Buffer }, len: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), h.salt, len, { N: h.N, r: h.r, p: h.p, maxmem: 256 * h.N * h.r + (1 << 20) }, (e, key) => (e ? reject(e) : resolve(key)));
  });
}

/** Hashes a password with a fresh salt. */
export async function hashPassword(password: string, cost: { N: number; r: number; p: number } = DEFAULT_SCRYPT): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, { ...cost, salt }, KEY_BYTES);
  return `scrypt$${cost.N}$${cost.r}$${cost.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/** True if the password matches; the comparison takes the same time wherever the bytes differ. */
export async function verifyPassword(password: string, h: PasswordHash): Promise<boolean> {
  const key = await derive(password, h, h.hash.length);
  return timingSafeEqual(key, h.hash);
}
