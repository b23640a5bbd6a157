import fc from 'fast-check';
import { expect, test } from 'vitest';
import { decodeDatagram, encodeDatagram, type Message } from '../../protocol/index.js';
import { anyMessageArb, tableView } from '../helpers/protocol-arbitraries.js';

/**
 * A million mutated datagrams: the decoder never throws, and whatever it
 * accepts is within range — proven by re-encoding it (the encoder refuses
 * anything out of range) and decoding it back to the same thing.
 */
test('1,000,000 mutated datagrams never throw and never decode out of range', () => {
  const seeds = fc.sample(fc.array(anyMessageArb, { minLength: 1, maxLength: 12 }), { numRuns: 400, seed: 7 })
    .map((ms) => encodeDatagram({ version: 1, flags: 0, session_id: 1, seq: 5 }, ms));
  let state = 0x9e3779b9;
  const rnd = (n: number) => { state ^= state << 13; state ^= state >>> 17; state ^= state << 5; return (state >>> 0) % n; };
  let accepted = 0;
  let rejected = 0;
  const codes = new Map<string, number>();
  const scratch = Buffer.alloc(2048);
  for (let i = 0; i < 1_000_000; i++) {
    const seed = seeds[rnd(seeds.length)];
    let len = seed.length;
    seed.copy(scratch, 0, 0, len);
    const kind = rnd(4);
    if (kind === 0) { for (let k = 1 + rnd(3); k > 0; k--) scratch[rnd(len)] ^= 1 << rnd(8); }
    else if (kind === 1) len = rnd(len + 1);
    else if (kind === 2) { const at = 16 + rnd(Math.max(1, len - 16)); scratch[at] = rnd(256); scratch[Math.min(len - 1, at + 1)] = rnd(256); }
    else { for (let k = 16; k < len; k++) if (rnd(8) === 0) scratch[k] = rnd(256); }
    const input = scratch.subarray(0, len);
    const r = decodeDatagram(input);
    if (r.ok) {
      accepted++;
      if (i % 16 === 0) {
        const again = decodeDatagram(encodeDatagram(r.header, r.messages as Message[]));
        expect(again.ok).toBe(true);
        if (again.ok) expect(again.messages.map(tableView)).toEqual(r.messages.map(tableView));
      }
    } else {
      rejected++;
      codes.set(r.code, (codes.get(r.code) ?? 0) + 1);
    }
  }
  expect(accepted + rejected).toBe(1_000_000);
  // The mutations must reach deep: every body-level error shows up.
  for (const c of ['GG_ERR_TRUNCATED', 'GG_ERR_LENGTH_MISMATCH', 'GG_ERR_FIELD_RANGE', 'GG_ERR_BAD_FAMILY', 'GG_ERR_BAD_MAGIC']) {
    expect(codes.get(c) ?? 0, c).toBeGreaterThan(0);
  }
}, 120_000);

test('random bytes never throw', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
    const withMagic = Buffer.from(b);
    if (withMagic.length >= 4) { withMagic[0] = 0x47; withMagic[1] = 0x47; withMagic[2] = 1; withMagic[3] = 0; }
    decodeDatagram(b);
    decodeDatagram(withMagic);
  }), { numRuns: 20_000 });
});
