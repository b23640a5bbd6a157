/**
 * DNS message parsing from hand-written hex: compression, pointer loops and
 * out-of-range pointers, label and name bounds, truncation, bad counts, bad
 * rdata, TCP framing, and a mutation fuzz over the same messages.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DnsErrorCode, parseDnsMessage, parseDnsTcp, type DnsResult } from '../../../probe/dns/dns-parser.js';

/** Bytes from hex, ignoring spaces and newlines. */
function h(...parts: string[]): Uint8Array {
  return Uint8Array.from(Buffer.from(parts.join('').replace(/\s+/g, ''), 'hex'));
}

function parse(b: Uint8Array): DnsResult {
  return parseDnsMessage(b, 0, b.length);
}

function codeOf(r: DnsResult): string {
  return r.ok ? 'ok' : r.code;
}

// Query WWW.Example.COM A; answers: www.example.com CNAME a.cdn.net (owner compressed to the
// question at 12), a.cdn.net A 1.2.3.4 (owner compressed to the CNAME's rdata at 45 = 0x2d).
const CNAME_CHAIN = h(
  '1234 8180 0001 0002 0000 0000',
  '03 575757 07 4578616d706c65 03 434f4d 00', // 12..28
  '0001 0001', // 29
  'c00c 0005 0001 0000012c 000b', // 33
  '01 61 03 63646e 03 6e6574 00', // 45..55
  'c02d 0001 0001 0000003c 0004 01020304', // 56..71
);

// Query www.example.com A; CNAME rdata "cdv" + pointer to "example.com" at 16; the A owner points
// at that rdata (45), which itself ends with a pointer: two pointers in one name.
const POINTER_TO_POINTER = h(
  '1234 8180 0001 0002 0000 0000',
  '03 777777 07 6578616d706c65 03 636f6d 00', // 12, "example" at 16
  '0001 0001',
  'c00c 0005 0001 0000012c 0006', // 33
  '03 636476 c010', // 45..50
  'c02d 0001 0001 0000003c 0004 05060708', // 51
);

// Query v6.test AAAA; answers: AAAA 2001:db8::1, MX (skipped), A of class CH (skipped),
// AAAA with the mDNS cache-flush bit in its class (kept).
const AAAA_MIXED = h(
  '0001 8180 0001 0004 0000 0000',
  '02 7636 04 74657374 00', // 12..20
  '001c 0001',
  'c00c 001c 0001 00000e10 0010 20010db8000000000000000000000001',
  'c00c 000f 0001 00000e10 0004 000a c00c',
  'c00c 0001 0003 00000e10 0004 01020304',
  'c00c 001c 8001 00000078 0010 fe800000000000000217f2fffed7cf65',
);

describe('parseDnsMessage', () => {
  it('reads the header, the question and a compressed CNAME chain, in lower case', () => {
    const r = parse(CNAME_CHAIN);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.message).toMatchObject({ id: 0x1234, response: true, opcode: 0, rcode: 0, truncated: false, answerCount: 2 });
    expect(r.message.questions).toEqual([{ name: 'www.example.com', type: 1, cls: 1 }]);
    expect(r.message.answers).toEqual([
      { name: 'www.example.com', type: 5, ttl: 300, data: 'a.cdn.net' },
      { name: 'a.cdn.net', type: 1, ttl: 60, data: '1.2.3.4' },
    ]);
  });

  it('follows a pointer to a name that itself ends in a pointer', () => {
    const r = parse(POINTER_TO_POINTER);
    expect(r.ok && r.message.answers).toEqual([
      { name: 'www.example.com', type: 5, ttl: 300, data: 'cdv.example.com' },
      { name: 'cdv.example.com', type: 1, ttl: 60, data: '5.6.7.8' },
    ]);
  });

  it('keeps AAAA in RFC 5952 form, skips other types and classes, accepts the mDNS cache-flush bit', () => {
    const r = parse(AAAA_MIXED);
    expect(r.ok && r.message.answers).toEqual([
      { name: 'v6.test', type: 28, ttl: 3600, data: '2001:db8::1' },
      { name: 'v6.test', type: 28, ttl: 120, data: 'fe80::217:f2ff:fed7:cf65' },
    ]);
    expect(r.ok && r.message.answerCount).toBe(4);
  });

  it('parses a message in the middle of a larger buffer, pointers relative to its start', () => {
    const b = new Uint8Array(30 + CNAME_CHAIN.length + 7).fill(0xc0);
    b.set(CNAME_CHAIN, 30);
    const r = parseDnsMessage(b, 30, 30 + CNAME_CHAIN.length);
    expect(r.ok && r.message.answers.map((a) => a.data)).toEqual(['a.cdn.net', '1.2.3.4']);
  });

  it('writes dots, spaces and backslashes inside labels as \\DDD escapes, and the root as ""', () => {
    const r = parse(h('0000 8180 0002 0000 0000 0000', '03 612e62 03 782079 02 5c41 00 0001 0001', '00 0002 0001'));
    expect(r.ok && r.message.questions.map((q) => q.name)).toEqual(['a\\046b.x\\032y.\\092a', '']);
  });

  describe('compression pointers', () => {
    const q = (name: string): Uint8Array => h('0000 0100 0001 0000 0000 0000', name, '0001 0001');
    it('rejects a pointer to itself', () => expect(codeOf(parse(q('c00c')))).toBe(DnsErrorCode.POINTER_LOOP));
    it('rejects a pointer back into the label run it ends (a loop)', () => {
      expect(codeOf(parse(q('01 61 01 62 c00e')))).toBe(DnsErrorCode.POINTER_LOOP);
    });
    it('rejects a forward pointer, which could close a loop', () => {
      expect(codeOf(parse(q('01 61 c010 01 62 c00c')))).toBe(DnsErrorCode.POINTER_LOOP);
    });
    it('rejects pointers past the end or into the header', () => {
      expect(codeOf(parse(q('01 61 c0ff')))).toBe(DnsErrorCode.BAD_POINTER);
      expect(codeOf(parse(q('01 61 c005')))).toBe(DnsErrorCode.BAD_POINTER);
      expect(codeOf(parse(q('01 61 ffff')))).toBe(DnsErrorCode.BAD_POINTER);
    });
    it('rejects a pointer cut after its first byte', () => {
      expect(codeOf(parse(h('0000 0100 0001 0000 0000 0000 01 61 c0')))).toBe(DnsErrorCode.TRUNCATED);
    });

    // A skipped record (type 99) whose rdata is a root byte at 23 and then `n` pointers, each to the
    // one before; an A record's owner points at the last: a chain of n + 1 pointers.
    function chain(n: number): Uint8Array {
      const ptrs: string[] = ['c017'];
      for (let k = 1; k < n; k++) ptrs.push((0xc000 | (24 + 2 * (k - 1))).toString(16));
      const rdLen = (1 + 2 * n).toString(16).padStart(4, '0');
      const last = (0xc000 | (24 + 2 * (n - 1))).toString(16);
      return h('0000 8400 0000 0002 0000 0000', '00 0063 0001 00000000', rdLen, '00', ...ptrs, last, '0001 0001 00000078 0004 0a000001');
    }
    it('follows a long backward chain up to the pointer limit, and no further', () => {
      const r = parse(chain(20));
      expect(r.ok && r.message.answers).toEqual([{ name: '', type: 1, ttl: 120, data: '10.0.0.1' }]);
      expect(codeOf(parse(chain(40)))).toBe(DnsErrorCode.POINTER_LOOP);
    });
  });

  describe('labels and names', () => {
    const label = (n: number, c = '61'): string => n.toString(16).padStart(2, '0') + c.repeat(n);
    it('rejects the reserved label types 01 and 10', () => {
      expect(codeOf(parse(h('0000 0100 0001 0000 0000 0000 41 00 0001 0001')))).toBe(DnsErrorCode.BAD_LABEL);
      expect(codeOf(parse(h('0000 0100 0001 0000 0000 0000 80 00 0001 0001')))).toBe(DnsErrorCode.BAD_LABEL);
    });
    it('accepts a 255-byte name and rejects 256 bytes, also when reached through a pointer', () => {
      const ok = h('0000 0100 0001 0000 0000 0000', label(63), label(63), label(63), label(61), '00 0001 0001');
      expect(codeOf(parse(ok))).toBe('ok');
      const long = h('0000 0100 0001 0000 0000 0000', label(50), label(50), label(50), label(50), label(50), '00 0001 0001');
      expect(codeOf(parse(long))).toBe(DnsErrorCode.NAME_TOO_LONG);
      // First question: three 63-byte labels (193 bytes); the second adds one label and points at the first.
      const viaPointer = (n: number): Uint8Array =>
        h('0000 0100 0002 0000 0000 0000', label(63), label(63), label(63), '00 0001 0001', label(n, '62'), 'c00c 0001 0001');
      expect(codeOf(parse(viaPointer(61)))).toBe('ok');
      expect(codeOf(parse(viaPointer(62)))).toBe(DnsErrorCode.NAME_TOO_LONG);
    });
  });

  describe('truncation and counts', () => {
    it('fails on every cut of a good message, as truncated or as a pointer past the new end', () => {
      for (let n = 0; n < CNAME_CHAIN.length; n++) {
        const r = parseDnsMessage(CNAME_CHAIN, 0, n);
        expect([DnsErrorCode.TRUNCATED, DnsErrorCode.BAD_POINTER]).toContain(codeOf(r));
      }
      expect(codeOf(parseDnsMessage(CNAME_CHAIN, 0, 11))).toBe(DnsErrorCode.TRUNCATED);
      expect(codeOf(parseDnsMessage(CNAME_CHAIN, 0, 70))).toBe(DnsErrorCode.TRUNCATED);
    });
    it('fails when the header declares more answers than there are', () => {
      const b = CNAME_CHAIN.slice();
      b[7] = 3;
      expect(codeOf(parse(b))).toBe(DnsErrorCode.TRUNCATED);
    });
    it('rejects counts above the limits before reading anything', () => {
      const b = CNAME_CHAIN.slice();
      b[5] = 9;
      expect(codeOf(parse(b))).toBe(DnsErrorCode.TOO_MANY_RECORDS);
      const c = CNAME_CHAIN.slice();
      c[6] = 0xff;
      c[7] = 0xff;
      expect(codeOf(parse(c))).toBe(DnsErrorCode.TOO_MANY_RECORDS);
      expect(codeOf(parseDnsMessage(CNAME_CHAIN, 0, CNAME_CHAIN.length, { maxQuestions: 8, maxAnswers: 1, maxPointers: 32 }))).toBe(DnsErrorCode.TOO_MANY_RECORDS);
    });
    it('reads no answers when the header declares none, whatever follows', () => {
      const b = CNAME_CHAIN.slice();
      b[7] = 0;
      const r = parse(b);
      expect(r.ok && r.message.answers).toEqual([]);
    });
    it('returns an error rather than throwing for offsets outside the buffer', () => {
      expect(codeOf(parseDnsMessage(CNAME_CHAIN, 10, 5))).toBe(DnsErrorCode.TRUNCATED);
      expect(codeOf(parseDnsMessage(CNAME_CHAIN, 0, 1000))).toBe(DnsErrorCode.TRUNCATED);
      expect(codeOf(parseDnsMessage(CNAME_CHAIN, -4, 20))).toBe(DnsErrorCode.TRUNCATED);
    });
  });

  describe('record data', () => {
    const withAnswer = (rr: string, tail = ''): Uint8Array => h('0000 8180 0001 0001 0000 0000', '01 78 00 0001 0001', rr, tail);
    it('rejects A and AAAA of the wrong size', () => {
      expect(codeOf(parse(withAnswer('c00c 0001 0001 00000000 0005 0102030405')))).toBe(DnsErrorCode.BAD_RDATA);
      expect(codeOf(parse(withAnswer('c00c 001c 0001 00000000 0004 01020304')))).toBe(DnsErrorCode.BAD_RDATA);
    });
    it('rejects a CNAME whose name runs past its rdata', () => {
      expect(codeOf(parse(withAnswer('c00c 0005 0001 00000000 0002 0161', '00')))).toBe(DnsErrorCode.BAD_RDATA);
    });
    it('rejects rdata running past the message', () => {
      expect(codeOf(parse(withAnswer('c00c 0001 0001 00000000 0004 010203')))).toBe(DnsErrorCode.TRUNCATED);
    });
    it('reads PTR targets, compressed or not', () => {
      const r = parse(withAnswer('c00c 000c 0001 00000000 0004 0179 c00c'));
      expect(r.ok && r.message.answers).toEqual([{ name: 'x', type: 12, ttl: 0, data: 'y.x' }]);
    });
  });
});

describe('parseDnsTcp', () => {
  const prefix = (n: number): string => n.toString(16).padStart(4, '0');
  const hex = Buffer.from(CNAME_CHAIN).toString('hex');
  it('parses a message whole in one segment after its length prefix', () => {
    const r = parseDnsTcp(h(prefix(CNAME_CHAIN.length), hex), 0, CNAME_CHAIN.length + 2);
    expect(r.ok && r.message.answers.map((a) => a.data)).toEqual(['a.cdn.net', '1.2.3.4']);
  });
  it('reports a message that continues in a later segment as partial', () => {
    const b = h(prefix(CNAME_CHAIN.length + 1), hex);
    expect(codeOf(parseDnsTcp(b, 0, b.length))).toBe(DnsErrorCode.TCP_PARTIAL);
  });
  it('rejects prefixes shorter than a header and segments shorter than a prefix', () => {
    const b = h(prefix(11), hex);
    expect(codeOf(parseDnsTcp(b, 0, b.length))).toBe(DnsErrorCode.TCP_LENGTH);
    expect(codeOf(parseDnsTcp(h('00'), 0, 1))).toBe(DnsErrorCode.TCP_LENGTH);
  });
  it('parses the first of two pipelined messages and ignores the second', () => {
    const second = Buffer.from(POINTER_TO_POINTER).toString('hex');
    const b = h(prefix(CNAME_CHAIN.length), hex, prefix(POINTER_TO_POINTER.length), second);
    const r = parseDnsTcp(b, 0, b.length);
    expect(r.ok && r.message.answers.map((a) => a.data)).toEqual(['a.cdn.net', '1.2.3.4']);
  });
});

describe('fuzz', () => {
  const CODES = new Set<string>(Object.values(DnsErrorCode));
  const SEEDS = [CNAME_CHAIN, POINTER_TO_POINTER, AAAA_MIXED, h('0000 8180 0001 0001 0000 0000 01 78 00 0001 0001 c00c 000c 0001 00000000 0004 0179 c00c')];

  /** Applies byte edits: set, flip a bit, insert, delete, or write a compression pointer. */
  function mutate(seed: Uint8Array, ops: [number, number, number][], cut: number | null): Uint8Array {
    const b = Array.from(seed);
    for (const [kind, at, v] of ops) {
      const i = b.length === 0 ? 0 : at % b.length;
      if (kind === 0) b[i] = v;
      else if (kind === 1) b[i] ^= 1 << (v & 7);
      else if (kind === 2) b.splice(i, 0, v);
      else if (kind === 3) b.splice(i, 1);
      else b.splice(i, 2, 0xc0 | (v & 0x3f), (at >> 8) & 0xff);
    }
    return Uint8Array.from(cut === null ? b : b.slice(0, cut % (b.length + 1)));
  }

  function checkResult(r: DnsResult): void {
    if (!r.ok) {
      if (!CODES.has(r.code)) throw new Error(`unknown code ${r.code}`);
      return;
    }
    if (r.message.answers.length > r.message.answerCount) throw new Error('more answers than declared');
    for (const a of r.message.answers) {
      if (![1, 5, 12, 28].includes(a.type) || a.name.length > 4 * 255 || a.data.length === 0 && a.type !== 5 && a.type !== 12) {
        throw new Error(`bad answer ${JSON.stringify(a)}`);
      }
    }
  }

  /** Parses a message both ways (UDP, and TCP with its prefix, sometimes one byte short); returns the time taken in ms. */
  function parseBoth(b: Uint8Array, shortByOne: boolean): number {
    const t0 = performance.now();
    checkResult(parseDnsMessage(b, 0, b.length));
    const framed = new Uint8Array(b.length + 2);
    framed[0] = b.length >> 8;
    framed[1] = b.length & 255;
    framed.set(b, 2);
    checkResult(parseDnsTcp(framed, 0, framed.length - (shortByOne ? 1 : 0)));
    return performance.now() - t0;
  }

  it('never throws and stays fast on 200,000 mutated messages (UDP and TCP framing)', () => {
    // Wall time of one call also measures GC pauses and a busy machine: slow inputs are timed again.
    const slow: Uint8Array[] = [];
    const started = performance.now();
    fc.assert(
      fc.property(
        fc.nat(SEEDS.length - 1),
        fc.array(fc.tuple(fc.nat(4), fc.nat(65535), fc.nat(255)), { minLength: 1, maxLength: 8 }),
        fc.oneof({ arbitrary: fc.constant(null), weight: 3 }, { arbitrary: fc.nat(), weight: 1 }),
        (seed, ops, cut) => {
          const b = mutate(SEEDS[seed], ops, cut);
          if (parseBoth(b, (ops[0][2] & 1) === 1) > 10 && slow.length < 100) slow.push(b);
        },
      ),
      { numRuns: 200_000 },
    );
    for (const b of slow) expect(Math.min(...[0, 1, 2, 3, 4].map(() => parseBoth(b, false)))).toBeLessThan(5);
    expect(performance.now() - started).toBeLessThan(90_000);
  }, 180_000);

  it('never throws on random bytes behind a plausible header', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 600 }), fc.nat(3), fc.nat(40), (body, qd, an) => {
        const b = new Uint8Array(12 + body.length);
        b.set([0, 0, 0x81, 0x80, 0, qd, 0, an, 0, 0, 0, 0]);
        b.set(body, 12);
        checkResult(parseDnsMessage(b, 0, b.length));
      }),
      { numRuns: 20_000 },
    );
  });
});
