// The session constructions of spec/protocol.md (§7) with raw node:crypto,
// checked against the RFC 5869 and RFC 8439 test vectors before use.
import { createHmac, hkdfSync, createCipheriv, createDecipheriv } from 'node:crypto';
import assert from 'node:assert/strict';

const b = (hex) => Buffer.from(hex, 'hex');
const ascii = (s) => Buffer.from(s, 'ascii');

/** mac of AUTH: HMAC-SHA256(secret, "glouglou-auth-v1" || HELLO body || HELLO_RES body || AUTH body minus its mac). */
export function authMac(secretHex, helloBodyHex, helloResBodyHex, authBodyWithoutMacHex) {
  return createHmac('sha256', b(secretHex))
    .update(ascii('glouglou-auth-v1'))
    .update(b(helloBodyHex)).update(b(helloResBodyHex)).update(b(authBodyWithoutMacHex))
    .digest('hex');
}

/** mac of AUTH_RES ok: HMAC-SHA256(secret, "glouglou-auth-res-v1" || HELLO body || HELLO_RES body || AUTH body || status). */
export function authResMac(secretHex, helloBodyHex, helloResBodyHex, authBodyHex, statusByte) {
  return createHmac('sha256', b(secretHex))
    .update(ascii('glouglou-auth-res-v1'))
    .update(b(helloBodyHex)).update(b(helloResBodyHex)).update(b(authBodyHex)).update(Buffer.from([statusByte]))
    .digest('hex');
}

/** Session keys: HKDF-SHA256(secret, nonce_p || nonce_s, "glouglou-keys-v1" || session_id u32 || version u8, 64). */
export function sessionKeys(secretHex, nonceP, nonceS, sessionId, version) {
  const info = Buffer.concat([ascii('glouglou-keys-v1'), Buffer.alloc(5)]);
  info.writeUInt32BE(sessionId, 16);
  info.writeUInt8(version, 20);
  const okm = Buffer.from(hkdfSync('sha256', b(secretHex), b(nonceP + nonceS), info, 64));
  return { p2s: okm.subarray(0, 32).toString('hex'), s2p: okm.subarray(32).toString('hex') };
}

/** 12-byte nonce: four zero bytes then seq as u64. */
function nonceFor(seq) {
  const n = Buffer.alloc(12);
  n.writeBigUInt64BE(BigInt(seq), 4);
  return n;
}

/** Seals header||payload; returns the whole datagram as hex. */
export function seal(keyHex, mode, headerHex, payloadHex) {
  const header = b(headerHex);
  const payload = b(payloadHex);
  const seq = header.readBigUInt64BE(8);
  const c = createCipheriv('chacha20-poly1305', b(keyHex), nonceFor(seq), { authTagLength: 16 });
  if (mode === 'encrypt') {
    c.setAAD(header, { plaintextLength: payload.length });
    const ct = Buffer.concat([c.update(payload), c.final()]);
    return Buffer.concat([header, ct, c.getAuthTag()]).toString('hex');
  }
  c.setAAD(Buffer.concat([header, payload]), { plaintextLength: 0 });
  c.final();
  return Buffer.concat([header, payload, c.getAuthTag()]).toString('hex');
}

/** Opens a sealed datagram for a session of `mode`; returns the payload hex or 'GG_ERR_AUTH_FAILED'. */
export function open(keyHex, mode, datagramHex) {
  const d = b(datagramHex);
  const want = mode === 'encrypt' ? 0x03 : 0x01;
  if (d.length < 32 || d[3] !== want) return 'GG_ERR_AUTH_FAILED';
  const header = d.subarray(0, 16);
  const body = d.subarray(16, d.length - 16);
  const tag = d.subarray(d.length - 16);
  const dc = createDecipheriv('chacha20-poly1305', b(keyHex), nonceFor(header.readBigUInt64BE(8)), { authTagLength: 16 });
  dc.setAuthTag(tag);
  try {
    if (mode === 'encrypt') {
      dc.setAAD(header, { plaintextLength: body.length });
      return Buffer.concat([dc.update(body), dc.final()]).toString('hex');
    }
    dc.setAAD(Buffer.concat([header, body]), { plaintextLength: 0 });
    dc.final();
    return body.toString('hex');
  } catch {
    return 'GG_ERR_AUTH_FAILED';
  }
}

// RFC 5869 A.1: the HKDF call is used as the RFC means it.
assert.equal(
  Buffer.from(hkdfSync('sha256', b('0b'.repeat(22)), b('000102030405060708090a0b0c'), b('f0f1f2f3f4f5f6f7f8f9'), 42)).toString('hex'),
  '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865',
);
// RFC 8439 2.8.2: AEAD with AAD, as used by `seal`.
{
  const c = createCipheriv('chacha20-poly1305', b('808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f'), b('070000004041424344454647'), { authTagLength: 16 });
  const pt = ascii("Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.");
  c.setAAD(b('50515253c0c1c2c3c4c5c6c7'), { plaintextLength: pt.length });
  const ct = Buffer.concat([c.update(pt), c.final()]).toString('hex');
  assert.ok(ct.startsWith('d31a8d34648e60db7b86afbc53ef7ec2'));
  assert.equal(c.getAuthTag().toString('hex'), '1ae10b594f09e26a7e902ecbd0600691');
}
// RFC 4231 test case 1: HMAC-SHA256.
assert.equal(
  createHmac('sha256', b('0b'.repeat(20))).update(ascii('Hi There')).digest('hex'),
  'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7',
);
