import { createCipheriv, createDecipheriv } from 'node:crypto';
import { decodeHeader, Flags, HEADER_SIZE, TAG_SIZE, writeHeader, type DatagramHeader } from '../datagram.js';
import { ErrorCode, fail, type Result } from '../errors.js';
import type { SealMode } from './codes.js';

/**
 * Sealing of session datagrams with ChaCha20-Poly1305 (wire spec §Sealing):
 * nonce = 0x00000000 || seq u64; encrypt mode authenticates the header and
 * encrypts the payload; integrity mode authenticates header and payload and
 * leaves the payload in clear. Runs once per datagram: one output allocation,
 * a shared nonce buffer, and payloads returned as views where possible.
 */

const CIPHER = 'chacha20-poly1305';
const AEAD = { authTagLength: TAG_SIZE } as const;

// Node copies the IV into the cipher context, so one buffer serves every call.
const nonce = Buffer.alloc(12);

function nonceFor(seq: number): Buffer {
  // First 4 bytes stay zero; seq < 2^53, and >>> 0 takes it modulo 2^32 exactly.
  nonce.writeUInt32BE(Math.floor(seq / 0x100000000), 4);
  nonce.writeUInt32BE(seq >>> 0, 8);
  return nonce;
}

/** Header flags of a sealed datagram in the given mode. */
export function sealFlags(mode: SealMode): number {
  return mode === 'encrypt' ? Flags.SEALED | Flags.ENCRYPTED : Flags.SEALED;
}

/**
 * Builds header || (ciphertext or payload) || tag. The header's flags are set
 * from `mode` (the caller's header object is not modified). `key` is the
 * 32-byte key of the sending direction. Throws only on programmer errors
 * (bad key length, seq out of range).
 */
export function sealDatagram(header: DatagramHeader, payload: Uint8Array, key: Uint8Array, mode: SealMode): Buffer {
  const len = payload.length;
  const out = Buffer.allocUnsafe(HEADER_SIZE + len + TAG_SIZE);
  writeHeader(out, header, 0);
  out[3] = sealFlags(mode);
  const cipher = createCipheriv(CIPHER, key, nonceFor(header.seq), AEAD);
  if (mode === 'encrypt') {
    cipher.setAAD(out.subarray(0, HEADER_SIZE), { plaintextLength: len });
    const ct = cipher.update(payload);
    ct.copy(out, HEADER_SIZE);
    cipher.final();
  } else {
    out.set(payload, HEADER_SIZE);
    cipher.setAAD(out.subarray(0, HEADER_SIZE + len), { plaintextLength: 0 });
    cipher.final();
  }
  cipher.getAuthTag().copy(out, HEADER_SIZE + len);
  return out;
}

/**
 * Opens a sealed datagram whose header was already decoded (servers look the
 * session up by header first). Fails with GG_ERR_AUTH_FAILED when the datagram
 * is not sealed, is sealed in another mode than the session's `mode` (when
 * given: a session never accepts a downgrade, nor an upgrade), is too short for
 * the tag, or does not authenticate. Never throws on input bytes. An
 * integrity-mode payload is a view into `datagram`.
 */
export function openSealed(datagram: Uint8Array, header: DatagramHeader, key: Uint8Array, mode?: SealMode): Result<{ header: DatagramHeader; payload: Buffer }> {
  if ((header.flags & Flags.SEALED) === 0) return fail(ErrorCode.AUTH_FAILED, 'datagram is not sealed', 3);
  if (mode !== undefined && header.flags !== sealFlags(mode)) return fail(ErrorCode.AUTH_FAILED, `datagram is not sealed in ${mode} mode`, 3);
  const end = datagram.length - TAG_SIZE;
  if (end < HEADER_SIZE) return fail(ErrorCode.AUTH_FAILED, 'sealed datagram shorter than its tag', HEADER_SIZE);
  const buf = Buffer.isBuffer(datagram) ? datagram : Buffer.from(datagram.buffer, datagram.byteOffset, datagram.length);
  const decipher = createDecipheriv(CIPHER, key, nonceFor(header.seq), AEAD);
  decipher.setAuthTag(buf.subarray(end));
  let payload: Buffer;
  if (header.flags & Flags.ENCRYPTED) {
    decipher.setAAD(buf.subarray(0, HEADER_SIZE), { plaintextLength: end - HEADER_SIZE });
    payload = decipher.update(buf.subarray(HEADER_SIZE, end));
  } else {
    decipher.setAAD(buf.subarray(0, end), { plaintextLength: 0 });
    payload = buf.subarray(HEADER_SIZE, end);
  }
  try {
    decipher.final();
  } catch {
    return fail(ErrorCode.AUTH_FAILED, 'tag does not authenticate', end);
  }
  return { ok: true, header, payload };
}

/** Decodes the header and opens the datagram: header errors keep their codes, sealing errors are GG_ERR_AUTH_FAILED. */
export function openDatagram(datagram: Uint8Array, key: Uint8Array, mode?: SealMode): Result<{ header: DatagramHeader; payload: Buffer }> {
  const h = decodeHeader(datagram);
  if (!h.ok) return h;
  return openSealed(datagram, h.header, key, mode);
}
