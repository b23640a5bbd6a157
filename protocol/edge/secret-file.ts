import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/** Largest secret file accepted. */
export const MAX_SECRET_BYTES = 4096;

/**
 * Reads a secret from a file, refusing files that group or others can read
 * (a secret others can read is no secret). Trailing newlines are not part of
 * the secret. The same fd is checked and read, so the file cannot be swapped
 * between the check and the read.
 */
export function readSecretFile(path: string): { ok: true; secret: Buffer } | { ok: false; error: string } {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    return { ok: false, error: `cannot open secret file ${path}: ${(e as NodeJS.ErrnoException).code}` };
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return { ok: false, error: `secret file ${path} is not a regular file` };
    if ((st.mode & 0o077) !== 0) {
      return { ok: false, error: `secret file ${path} is readable by group or others (mode ${(st.mode & 0o777).toString(8)}); chmod 600 it` };
    }
    if (st.size > MAX_SECRET_BYTES) return { ok: false, error: `secret file ${path} is larger than ${MAX_SECRET_BYTES} bytes` };
    const buf = Buffer.alloc(st.size);
    let n = 0;
    while (n < st.size) {
      const r = readSync(fd, buf, n, st.size - n, n);
      if (r === 0) break;
      n += r;
    }
    let end = n;
    while (end > 0 && (buf[end - 1] === 0x0a || buf[end - 1] === 0x0d)) end--;
    if (end === 0) return { ok: false, error: `secret file ${path} is empty` };
    return { ok: true, secret: buf.subarray(0, end) };
  } finally {
    closeSync(fd);
  }
}
