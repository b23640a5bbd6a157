import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { ErrorCode } from '../../../protocol/errors.js';
import { openDatagram, sealDatagram } from '../../../protocol/session/seal.js';

// Expected datagrams computed with pyca/cryptography's ChaCha20Poly1305, not with this code.
const key = Buffer.from([...Array(32).keys()].map((i) => 0x40 + i));
const seq = 0x1fffff * 2 ** 32 + 5; // high word at its maximum: checks the nonce's u64 layout
const header = { version: 1, flags: 0, session_id: 0x01020304, seq };
const payload = Buffer.from('0005000c0000002a0000000000000001', 'hex');
const expected = {
  encrypt: '4747010301020304001fffff0000000531cb4484b30fbabf20f846bbbeb5ad590b88f0933661c7e03911ac6fbca10411',
  integrity: '4747010101020304001fffff000000050005000c0000002a000000000000000170df324a578209bb598815aff17c8054',
} as const;

describe('sealDatagram / openDatagram', () => {
  for (const mode of ['encrypt', 'integrity'] as const) {
    test(`${mode}: known answer and round trip`, () => {
      const d = sealDatagram(header, payload, key, mode);
      expect(d.toString('hex')).toBe(expected[mode]);
      expect(header.flags).toBe(0);
      const r = openDatagram(d, key);
      expect(r.ok).toBe(true);
      if (!r.ok) return;
      expect(r.payload.equals(payload)).toBe(true);
      expect(r.header).toEqual({ ...header, flags: mode === 'encrypt' ? 3 : 1 });
    });

    test(`${mode}: every single bit flip fails with GG_ERR_AUTH_FAILED or a header code`, () => {
      const d = sealDatagram(header, payload, key, mode);
      for (let bit = 0; bit < d.length * 8; bit++) {
        const t = Buffer.from(d);
        t[bit >> 3] ^= 1 << (bit & 7);
        const r = openDatagram(t, key);
        expect(r.ok).toBe(false);
        if (r.ok) return;
        // Magic, version and flag damage is caught by the header decoder; so is a seq pushed past 2^53.
        const byte = bit >> 3;
        const allowed: string[] = [ErrorCode.AUTH_FAILED];
        if (byte < 4) allowed.push(ErrorCode.BAD_MAGIC, ErrorCode.BAD_VERSION, ErrorCode.BAD_FLAGS);
        if (byte >= 8 && byte < 12) allowed.push(ErrorCode.FIELD_RANGE);
        expect(allowed).toContain(r.code);
      }
    });
  }

  test('wrong key, truncation and unsealed datagrams are GG_ERR_AUTH_FAILED', () => {
    const d = sealDatagram(header, payload, key, 'encrypt');
    const other = Buffer.from(key);
    other[0] ^= 0x80;
    expect(openDatagram(d, other)).toMatchObject({ ok: false, code: ErrorCode.AUTH_FAILED });
    expect(openDatagram(d.subarray(0, d.length - 1), key)).toMatchObject({ ok: false, code: ErrorCode.AUTH_FAILED });
    expect(openDatagram(d.subarray(0, 16 + 15), key)).toMatchObject({ ok: false, code: ErrorCode.AUTH_FAILED });
    expect(openDatagram(d.subarray(0, 16), key)).toMatchObject({ ok: false, code: ErrorCode.AUTH_FAILED });
    expect(openDatagram(d.subarray(0, 15), key)).toMatchObject({ ok: false, code: ErrorCode.TRUNCATED });
    const plain = Buffer.from(d);
    plain[3] = 0;
    expect(openDatagram(plain, key)).toMatchObject({ ok: false, code: ErrorCode.AUTH_FAILED });
  });

  test('switching the mode flags of a sealed datagram does not authenticate', () => {
    const enc = sealDatagram(header, payload, key, 'encrypt');
    enc[3] = 1;
    expect(openDatagram(enc, key)).toMatchObject({ ok: false, code: ErrorCode.AUTH_FAILED });
    const integ = sealDatagram(header, payload, key, 'integrity');
    integ[3] = 3;
    expect(openDatagram(integ, key)).toMatchObject({ ok: false, code: ErrorCode.AUTH_FAILED });
  });

  test('empty payloads seal to header + tag', () => {
    for (const mode of ['encrypt', 'integrity'] as const) {
      const d = sealDatagram({ ...header, seq: 1 }, Buffer.alloc(0), key, mode);
      expect(d.length).toBe(32);
      const r = openDatagram(d, key);
      expect(r.ok && r.payload.length).toBe(0);
    }
  });

  test('property: round trip for any payload, seq and mode; a Uint8Array input works too', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 300, size: 'max' }),
        fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
        fc.constantFrom('encrypt' as const, 'integrity' as const),
        (p, s, mode) => {
          const d = sealDatagram({ version: 1, flags: 0, session_id: 7, seq: s }, p, key, mode);
          const r = openDatagram(new Uint8Array(d), key);
          return r.ok && r.header.seq === s && Buffer.compare(r.payload, Buffer.from(p)) === 0;
        },
      ),
      { numRuns: 300 },
    );
  });

  test('property: random bytes never throw and never open', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200, size: 'max' }), (b) => {
        const r = openDatagram(b, key);
        return !r.ok;
      }),
      { numRuns: 500 },
    );
  });
});
