/**
 * What every daemon's configuration file shares: merging a parsed JSON file
 * over the defaults (refusing unknown keys and values of the wrong type, with
 * the dotted path of the offending key) and reading HOST[:PORT].
 */
import { readFileSync } from 'node:fs';

/** Result of a check: fine, or the first problem with its key. */
export type Check = { ok: true } | { ok: false; error: string };

/** True for a plain JSON object (not null, not an array). */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * A daemon's own rule for one key: a Check when it handled the key (having set
 * `base[key]` itself), undefined to let the common rules apply.
 */
export type SettingRule = (key: string, value: unknown, at: string, base: Record<string, unknown>) => Check | undefined;

/**
 * Merges `patch` into `base` in place: objects recursively, other values only
 * over a value of the same type (or over null, meaning "a string or null").
 */
export function mergeSettings(base: Record<string, unknown>, patch: unknown, path = '', rule?: SettingRule): Check {
  if (!isPlainObject(patch)) return { ok: false, error: `${path || 'configuration'}: expected an object` };
  for (const [k, v] of Object.entries(patch)) {
    const at = path ? `${path}.${k}` : k;
    if (!(k in base)) return { ok: false, error: `${at}: unknown setting` };
    const own = rule?.(k, v, at, base);
    if (own !== undefined) {
      if (!own.ok) return own;
      continue;
    }
    const cur = base[k];
    if (isPlainObject(cur)) {
      const r = mergeSettings(cur, v, at, rule);
      if (!r.ok) return r;
    } else if (cur === null ? v === null || typeof v === 'string' : typeof cur === typeof v) {
      base[k] = v;
    } else {
      return { ok: false, error: `${at}: expected ${cur === null ? 'a string or null' : `a ${typeof cur}`}, got ${JSON.stringify(v)}` };
    }
  }
  return { ok: true };
}

/** Merges a JSON configuration file into `base` (see mergeSettings); errors name the file. */
export function mergeSettingsFile(base: Record<string, unknown>, file: string, rule?: SettingRule): Check {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    return { ok: false, error: `${file}: ${(e as Error).message}` };
  }
  const m = mergeSettings(base, parsed, '', rule);
  return m.ok ? m : { ok: false, error: `${file}: ${m.error}` };
}

/** Parses HOST[:PORT], [V6]:PORT or a bare IPv6 address (which then takes the default port). */
export function parseHostPort(s: string, defPort: number): { ok: true; host: string; port: number } | { ok: false; error: string } {
  let host = s;
  let port = defPort;
  const m6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(s);
  if (m6) { host = m6[1]; if (m6[2]) port = Number(m6[2]); }
  else if ((s.match(/:/g) ?? []).length === 1) { [host] = s.split(':'); port = Number(s.split(':')[1]); }
  if (!host || !Number.isInteger(port) || port < 1 || port > 65535) return { ok: false, error: `not HOST[:PORT]: ${s}` };
  return { ok: true, host, port };
}
