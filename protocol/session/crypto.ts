import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';

/** Size of every MAC and key in the handshake. */
export const MAC_SIZE = 32;
/** Size of each direction's ChaCha20-Poly1305 key. */
export const KEY_SIZE = 32;

const AUTH_LABEL = Buffer.from('glouglou-auth-v1', 'ascii');
const AUTH_RES_LABEL = Buffer.from('glouglou-auth-res-v1', 'ascii');
const KEYS_LABEL = Buffer.from('glouglou-keys-v1', 'ascii');

/** The two directional session keys. */
export interface SessionKeys {
  /** probe → server */
  p2s: Buffer;
  /** server → probe */
  s2p: Buffer;
}

/** mac of AUTH: HMAC-SHA256(secret, "glouglou-auth-v1" || HELLO body || HELLO_RES body || AUTH body without its mac). */
export function authMac(secret: Uint8Array, helloBody: Uint8Array, helloResBody: Uint8Array, authBodyWithoutMac: Uint8Array): Buffer {
  return createHmac('sha256', secret)
    .update(AUTH_LABEL).update(helloBody).update(helloResBody).update(authBodyWithoutMac)
    .digest();
}

/** mac of AUTH_RES: HMAC-SHA256(secret, "glouglou-auth-res-v1" || HELLO body || HELLO_RES body || full AUTH body || status byte). */
export function authResMac(secret: Uint8Array, helloBody: Uint8Array, helloResBody: Uint8Array, authBody: Uint8Array, status: number): Buffer {
  return createHmac('sha256', secret)
    .update(AUTH_RES_LABEL).update(helloBody).update(helloResBody).update(authBody)
    .update(Uint8Array.of(status & 0xff))
    .digest();
}

/** Session keys: HKDF-SHA256(secret, salt = nonce_p || nonce_s, info = "glouglou-keys-v1" || session_id u32 || version u8), 64 bytes split in two. */
export function deriveKeys(secret: Uint8Array, nonceP: Uint8Array, nonceS: Uint8Array, sessionId: number, version: number): SessionKeys {
  const salt = Buffer.concat([nonceP, nonceS]);
  const info = Buffer.alloc(KEYS_LABEL.length + 5);
  KEYS_LABEL.copy(info, 0);
  info.writeUInt32BE(sessionId >>> 0, KEYS_LABEL.length);
  info.writeUInt8(version & 0xff, KEYS_LABEL.length + 4);
  const okm = Buffer.from(hkdfSync('sha256', secret, salt, info, 2 * KEY_SIZE));
  return { p2s: okm.subarray(0, KEY_SIZE), s2p: okm.subarray(KEY_SIZE) };
}

/** Compares two MACs in constant time; different lengths are simply unequal. */
export function macEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
