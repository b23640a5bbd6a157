/**
 * Masks for public displays (?anonymize=1): addresses and DNS names become
 * pseudonyms, stable for the page's lifetime (the same host keeps the same
 * mask, so the picture still reads) but keyed by a per-page salt, so a mask
 * cannot be looked up in a table of hashed addresses. Countries, networks
 * (AS numbers) and sites stay visible. Pure.
 */

/** 32-bit FNV-1a. */
export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Turns addresses and names into pseudonyms. */
export class Masker {
  constructor(private readonly salt: string) {}

  private tag(kind: string, v: string): string {
    // Two rounds, so a 32-bit collision between two real values is unlikely to show.
    const a = fnv1a(`${this.salt}|${kind}|${v}`), b = fnv1a(`${v}|${a}|${this.salt}`);
    return ((a ^ (b << 7)) >>> 0).toString(16).padStart(8, '0').slice(0, 6);
  }

  /** An address (v4 or v6), or a prefix: the prefix length stays. */
  address(addr: string): string {
    const slash = addr.indexOf('/');
    if (slash >= 0) return `net-${this.tag('net', addr)}${addr.slice(slash)}`;
    return `${addr.includes(':') ? 'host6' : 'host'}-${this.tag('addr', addr)}`;
  }

  /** A DNS name. */
  name(name: string): string {
    return `name-${this.tag('name', name.toLowerCase())}`;
  }

  /** A node key or label of any kind: addresses and prefixes masked, countries, ASes and sites kept. */
  label(text: string): string {
    if (/^(country|site):/.test(text) || /^AS\d+$/.test(text) || /^[A-Z]{2}$/.test(text)) return text;
    if (/^[0-9a-f.:]+(\/\d+)?$/i.test(text) && (text.includes('.') || text.includes(':'))) return this.address(text);
    return this.name(text);
  }
}

/** A masker with a fresh random salt. */
export function randomMasker(): Masker {
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  return new Masker(Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(''));
}
