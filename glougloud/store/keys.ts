/**
 * Redis key names of the live state (spec/redis-schema.md). Every module owns
 * the prefix `gg:<module id>:`; the writer and the viz server both build and
 * parse keys only through this file.
 */
import { addressFamily } from '../../protocol/address.js';

/** Prefix of module 0 (probes and sessions). */
export const INTERNAL_PREFIX = 'gg:0:';
/** Prefix of module 1 (network). */
export const NET_PREFIX = 'gg:1:';

/** SCAN MATCH patterns, one per kind of key. */
export const KEY_PATTERNS = {
  probe: 'gg:0:probe:*',
  node: 'gg:1:n:*',
  conn: 'gg:1:c:*',
  link: 'gg:1:l:*',
  path: 'gg:1:p:*',
} as const;

/** Key of a probe's hash. */
export function probeKey(probeId: number): string {
  return `gg:0:probe:${probeId}`;
}

/** Key of a node (one per address). */
export function nodeKey(addr: string): string {
  return `gg:1:n:${addr}`;
}

/** Key of a probe's connection. */
export function connKey(probeId: number, connId: number): string {
  return `gg:1:c:${probeId}:${connId}`;
}

/** Prefix shared by all connection keys of a probe (the connection id follows). */
export function connKeyPrefix(probeId: number): string {
  return `gg:1:c:${probeId}:`;
}

/** Key of the link between two addresses, whatever their order: the smaller (by code unit) comes first. */
export function linkKey(x: string, y: string): string {
  return x < y ? `gg:1:l:${x}|${y}` : `gg:1:l:${y}|${x}`;
}

/** Key of the path from a probe to a destination. */
export function pathKey(probeId: number, dst: string): string {
  return `gg:1:p:${probeId}:${dst}`;
}

/** A key of this schema taken apart. */
export type ParsedKey =
  | { kind: 'probe'; probe: number }
  | { kind: 'node'; addr: string }
  | { kind: 'conn'; probe: number; conn: number }
  | { kind: 'link'; a: string; b: string }
  | { kind: 'path'; probe: number; dst: string };

const U32 = /^(0|[1-9]\d{0,9})$/;

function u32(s: string): number {
  if (!U32.test(s)) return -1;
  const n = Number(s);
  return n <= 0xffffffff ? n : -1;
}

/** Parses a key of this schema; null for anything else (foreign keys are ignored, never trusted). */
export function parseKey(key: string): ParsedKey | null {
  if (key.startsWith('gg:0:probe:')) {
    const p = u32(key.slice(11));
    return p >= 0 ? { kind: 'probe', probe: p } : null;
  }
  if (!key.startsWith(NET_PREFIX) || key.length < 8 || key[6] !== ':') return null;
  const rest = key.slice(7);
  switch (key[5]) {
    case 'n':
      return addressFamily(rest) ? { kind: 'node', addr: rest } : null;
    case 'c': {
      const i = rest.indexOf(':');
      const probe = u32(rest.slice(0, i));
      const conn = u32(rest.slice(i + 1));
      return i > 0 && probe >= 0 && conn >= 0 ? { kind: 'conn', probe, conn } : null;
    }
    case 'l': {
      const i = rest.indexOf('|');
      const a = rest.slice(0, i), b = rest.slice(i + 1);
      return i > 0 && addressFamily(a) && addressFamily(b) && a < b ? { kind: 'link', a, b } : null;
    }
    case 'p': {
      const i = rest.indexOf(':');
      const probe = u32(rest.slice(0, i));
      const dst = rest.slice(i + 1);
      return i > 0 && probe >= 0 && addressFamily(dst) ? { kind: 'path', probe, dst } : null;
    }
    default:
      return null;
  }
}
