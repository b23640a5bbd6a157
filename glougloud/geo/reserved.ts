/**
 * Classification of special-purpose IPv4/IPv6 ranges (IANA special-purpose
 * registries, RFC 6890 and successors). Addresses in these ranges have no
 * meaningful public geolocation: the store places them at the site of the
 * probe that saw them.
 */
import { parseIPv4, parseIPv6 } from '../../protocol/address.js';

/** What kind of address this is; everything but `public` is placed at the probe's site. */
export type AddressClass =
  | 'public'
  | 'private'
  | 'loopback'
  | 'link-local'
  | 'cgnat'
  | 'ula'
  | 'multicast'
  | 'broadcast'
  | 'unspecified'
  | 'documentation'
  | 'benchmarking'
  | 'reserved'
  | 'invalid';

type V4Range = readonly [string, number, AddressClass];
type V6Range = readonly [string, number, AddressClass];

// Order does not matter: ranges within one family do not overlap except where
// the more specific one is listed (the longest prefix wins).
const V4: readonly V4Range[] = [
  ['0.0.0.0', 8, 'unspecified'], // "this network"
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'cgnat'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'reserved'], // IETF protocol assignments
  ['192.0.2.0', 24, 'documentation'],
  ['192.31.196.0', 24, 'reserved'], // AS112-v4
  ['192.52.193.0', 24, 'reserved'], // AMT
  ['192.88.99.0', 24, 'reserved'], // deprecated 6to4 relay anycast
  ['192.168.0.0', 16, 'private'],
  ['192.175.48.0', 24, 'reserved'], // direct delegation AS112
  ['198.18.0.0', 15, 'benchmarking'],
  ['198.51.100.0', 24, 'documentation'],
  ['203.0.113.0', 24, 'documentation'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved'],
  ['255.255.255.255', 32, 'broadcast'],
];

const V6: readonly V6Range[] = [
  ['::', 128, 'unspecified'],
  ['::1', 128, 'loopback'],
  ['64:ff9b:1::', 48, 'private'], // local-use NAT64
  ['100::', 64, 'reserved'], // discard-only
  ['2001::', 23, 'reserved'], // IETF protocol assignments (Teredo, ORCHID, ...)
  ['2001:db8::', 32, 'documentation'],
  ['3fff::', 20, 'documentation'],
  ['5f00::', 16, 'reserved'], // SRv6 SIDs
  ['fc00::', 7, 'ula'],
  ['fe80::', 10, 'link-local'],
  ['fec0::', 10, 'private'], // deprecated site-local
  ['ff00::', 8, 'multicast'],
];

interface V4Entry { net: number; mask: number; bits: number; cls: AddressClass }
interface V6Entry { net: Uint8Array; bits: number; cls: AddressClass }

const V4_TABLE: V4Entry[] = V4.map(([a, bits, cls]) => {
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return { net: (parseIPv4(a) & mask) >>> 0, mask, bits, cls };
}).sort((x, y) => y.bits - x.bits);

const V6_TABLE: V6Entry[] = V6.map(([a, bits, cls]) => ({ net: parseIPv6(a) as Uint8Array, bits, cls }))
  .sort((x, y) => y.bits - x.bits);

/** Classifies a 32-bit IPv4 address (as an unsigned integer). */
export function classifyIPv4(n: number): AddressClass {
  for (const e of V4_TABLE) if (((n & e.mask) >>> 0) === e.net) return e.cls;
  return 'public';
}

function v6Matches(b: Uint8Array, e: V6Entry): boolean {
  const full = e.bits >> 3;
  for (let i = 0; i < full; i++) if (b[i] !== e.net[i]) return false;
  const rest = e.bits & 7;
  if (rest === 0) return true;
  const m = (0xff << (8 - rest)) & 0xff;
  return (b[full] & m) === (e.net[full] & m);
}

/** The IPv4 address embedded in an IPv4-mapped (::ffff:0:0/96) or NAT64 well-known (64:ff9b::/96) IPv6 address, else -1. */
export function embeddedIPv4(b: Uint8Array): number {
  let mapped = true;
  for (let i = 0; i < 10; i++) if (b[i] !== 0) { mapped = false; break; }
  if (mapped && b[10] === 0xff && b[11] === 0xff) return ((b[12] << 24) | (b[13] << 16) | (b[14] << 8) | b[15]) >>> 0;
  if (b[0] === 0 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b) {
    for (let i = 4; i < 12; i++) if (b[i] !== 0) return -1;
    return ((b[12] << 24) | (b[13] << 16) | (b[14] << 8) | b[15]) >>> 0;
  }
  return -1;
}

/** Classifies 16 IPv6 address bytes; mapped/translated IPv4 addresses take the class of the IPv4 address. */
export function classifyIPv6(b: Uint8Array): AddressClass {
  const v4 = embeddedIPv4(b);
  if (v4 >= 0) return classifyIPv4(v4);
  for (const e of V6_TABLE) if (v6Matches(b, e)) return e.cls;
  return 'public';
}

/** Classifies an address in text form; `invalid` if it is neither IPv4 nor IPv6. */
export function classifyAddress(addr: string): AddressClass {
  const v4 = parseIPv4(addr);
  if (v4 >= 0) return classifyIPv4(v4);
  const v6 = parseIPv6(addr);
  return v6 === null ? 'invalid' : classifyIPv6(v6);
}

/** True when the address has no public location (anything not `public`). */
export function isReservedAddress(addr: string): boolean {
  return classifyAddress(addr) !== 'public';
}
