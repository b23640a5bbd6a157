/**
 * What a PTR answer may put in a NAME event: lower case, no trailing dot,
 * plain host-name characters, RFC 1035 lengths; anything else is refused.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_HOSTNAME_CHARS, firstHostname, hostnameOf } from '../../../probe/resolve/ptr-name.js';

const SANE = /^[a-z0-9_-]{1,63}(\.[a-z0-9_-]{1,63})*$/;

describe('hostnameOf', () => {
  it('lower-cases and drops the trailing dot', () => {
    expect(hostnameOf('Rr.PMTPA.Wikimedia.ORG.')).toBe('rr.pmtpa.wikimedia.org');
    expect(hostnameOf('localhost')).toBe('localhost');
    expect(hostnameOf('_gateway.lan')).toBe('_gateway.lan');
    expect(hostnameOf('xn--bcher-kva.example')).toBe('xn--bcher-kva.example');
  });

  it('refuses what is not a plain host name', () => {
    for (const bad of ['', '.', '..', 'a..b', '.a', 'a b.example', 'a"b.example', 'a\\032b.example', 'a\nb', 'bücher.example',
      'a/b', 'x'.repeat(64), `${'a'.repeat(63)}.`.repeat(4), 'a.'.repeat(127) + 'ab', 42, null, undefined, {}]) {
      expect(hostnameOf(bad)).toBeNull();
    }
  });

  it('takes names up to 253 characters and no longer', () => {
    const longest = [63, 63, 63, 61].map((n) => 'a'.repeat(n)).join('.');
    expect(longest).toHaveLength(MAX_HOSTNAME_CHARS);
    expect(hostnameOf(longest)).toBe(longest);
    expect(hostnameOf(longest + '.')).toBe(longest);
    expect(hostnameOf(longest + 'a')).toBeNull();
  });

  it('property: any input gives null or a sane name of at most 253 characters, without throwing', () => {
    fc.assert(fc.property(fc.oneof(fc.string({ maxLength: 300 }), fc.string({ unit: 'binary', maxLength: 300 }),
      fc.array(fc.stringMatching(/^[A-Za-z0-9_-]{0,70}$/), { maxLength: 6 }).map((l) => l.join('.'))), (s) => {
      const h = hostnameOf(s);
      if (h !== null) {
        expect(h).toMatch(SANE);
        expect(h.length).toBeLessThanOrEqual(MAX_HOSTNAME_CHARS);
        expect(h).toBe(s.replace(/\.$/, '').toLowerCase());
      }
    }), { numRuns: 2000 });
  });
});

describe('firstHostname', () => {
  it('takes the first sane name of an answer, or none', () => {
    expect(firstHostname(['bad name', 'Good.Example.', 'second.example'])).toBe('good.example');
    expect(firstHostname(['bad name'])).toBeNull();
    expect(firstHostname([])).toBeNull();
  });

  it('looks at no more than the first 16 names', () => {
    expect(firstHostname([...Array<string>(16).fill('bad name'), 'late.example'])).toBeNull();
  });
});
