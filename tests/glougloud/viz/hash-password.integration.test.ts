/**
 * `glougloud --hash-password`, for real: it reads the password on standard
 * input (never the command line), prints a salted scrypt hash that the viz
 * server's check accepts, and refuses an empty password.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { DEFAULT_SCRYPT, parsePasswordHash, verifyPassword } from '../../../glougloud/viz-server/password.js';
import { ROOT } from '../../helpers/glougloud.js';

function hashPassword(input: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(ROOT, 'dist/glougloud/main.js'), '--hash-password'], { input, encoding: 'utf8', timeout: 20_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('glougloud --hash-password', () => {
  test('prints a salted scrypt hash of the password read on standard input', async () => {
    const a = hashPassword('tr0ub4dor &3\n');
    expect(a.status).toBe(0);
    const line = a.stdout.trim();
    expect(line).toMatch(new RegExp(`^scrypt\\$${DEFAULT_SCRYPT.N}\\$${DEFAULT_SCRYPT.r}\\$${DEFAULT_SCRYPT.p}\\$[A-Za-z0-9+/=]+\\$[A-Za-z0-9+/=]+$`));
    const h = parsePasswordHash(line);
    if (!h.ok) throw new Error(h.error);
    // One trailing newline is not part of the password.
    expect(await verifyPassword('tr0ub4dor &3', h.hash)).toBe(true);
    expect(await verifyPassword('tr0ub4dor &3\n', h.hash)).toBe(false);
    // A fresh salt each time.
    expect(hashPassword('tr0ub4dor &3\n').stdout.trim()).not.toBe(line);
  }, 30_000);

  test('an empty password is refused', () => {
    const r = hashPassword('');
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
  }, 30_000);
});
