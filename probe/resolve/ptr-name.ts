/**
 * What a reverse lookup may put in a NAME event. The resolver's answer is
 * hostile input like any packet: a PTR target can hold any bytes (c-ares
 * escapes them as `\DDD`), be longer than a host name may be, or be empty.
 * Only plain host names pass: ASCII letters, digits, `-` and `_` in labels of
 * 1 to 63 characters, at most 253 characters in all (RFC 1035 §2.3.4: 255
 * bytes on the wire), reported in lower case without the trailing dot.
 */

/** Longest host name in text form, without the trailing dot. */
export const MAX_HOSTNAME_CHARS = 253;
/** Longest label. */
const MAX_LABEL = 63;
/** Names of one answer looked at for a sane one; an answer holds a few at most. */
const MAX_CANDIDATES = 16;

/** The host name a PTR target stands for (lower case, no trailing dot), or null when it is not a sane one. */
export function hostnameOf(raw: unknown): string | null {
  if (typeof raw !== 'string' || raw.length > MAX_HOSTNAME_CHARS + 1) return null;
  const name = (raw.endsWith('.') ? raw.slice(0, -1) : raw).toLowerCase();
  if (name.length === 0 || name.length > MAX_HOSTNAME_CHARS) return null;
  let label = 0;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c === 46) {
      if (label === 0) return null;
      label = 0;
      continue;
    }
    // a-z, 0-9, '-', '_' (underscores are common in real PTR data, and harmless).
    if (!((c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 45 || c === 95)) return null;
    if (++label > MAX_LABEL) return null;
  }
  return label === 0 ? null : name;
}

/** The first sane host name among an answer's PTR targets, or null when there is none. */
export function firstHostname(names: readonly unknown[]): string | null {
  const n = Math.min(names.length, MAX_CANDIDATES);
  for (let i = 0; i < n; i++) {
    const h = hostnameOf(names[i]);
    if (h !== null) return h;
  }
  return null;
}
