import { describe, expect, test } from 'vitest';
import { authMac, authResMac, deriveKeys, macEqual } from '../../../protocol/session/crypto.js';

// Expected values computed with Python's hmac/hashlib and pyca/cryptography's HKDF,
// not with this code.
const secret = Buffer.from([...Array(32).keys()]);
const helloBody = Buffer.alloc(39, 0xa1);
const helloResBody = Buffer.alloc(38, 0xb2);
const authWithoutMac = Buffer.alloc(20, 0xc3);
const mac = Buffer.alloc(32, 0xd4);

describe('handshake crypto', () => {
  test('authMac is HMAC-SHA256 over the labelled transcript', () => {
    expect(authMac(secret, helloBody, helloResBody, authWithoutMac).toString('hex'))
      .toBe('97b5d241f9d7e82e90b203ae0923f2d19133d54d4b1a0db94600e55fcbc65a67');
  });

  test('authResMac covers the full AUTH body and the status byte', () => {
    const full = Buffer.concat([authWithoutMac, mac]);
    expect(authResMac(secret, helloBody, helloResBody, full, 1).toString('hex'))
      .toBe('647cc42a5cf70a2b60f6dbbc7a0f4918eae27a2db3d753abd59f19a492e15478');
    expect(authResMac(secret, helloBody, helloResBody, full, 2).toString('hex'))
      .not.toBe('647cc42a5cf70a2b60f6dbbc7a0f4918eae27a2db3d753abd59f19a492e15478');
  });

  test('deriveKeys is HKDF-SHA256 with nonces as salt and id/version in info', () => {
    const k = deriveKeys(secret, Buffer.alloc(32, 0x11), Buffer.alloc(32, 0x22), 0xdeadbeef, 1);
    expect(k.p2s.toString('hex')).toBe('a36124dad08b21da4f2e551f84cd6667b6fe0b17e7dd3966be140b18c36cde8d');
    expect(k.s2p.toString('hex')).toBe('160e04469685ecc9d27bf088bc7a3ceae89b9c86f7fa054be54f078be57b6f21');
    const other = deriveKeys(secret, Buffer.alloc(32, 0x11), Buffer.alloc(32, 0x22), 0xdeadbeef, 2);
    expect(other.p2s.equals(k.p2s)).toBe(false);
  });

  test('macEqual: equal, different, different lengths', () => {
    expect(macEqual(mac, Buffer.from(mac))).toBe(true);
    const flipped = Buffer.from(mac);
    flipped[31] ^= 1;
    expect(macEqual(mac, flipped)).toBe(false);
    expect(macEqual(mac, mac.subarray(0, 31))).toBe(false);
    expect(macEqual(Buffer.alloc(0), Buffer.alloc(0))).toBe(true);
  });
});
