/**
 * An existing Redis given with `--redis URL` (redis://host:port, rediss://,
 * unix:///path): make sure it publishes the keyspace notifications the viz
 * server needs, adding the missing classes with CONFIG SET, or say exactly
 * what to configure when CONFIG is not allowed (managed services, ACLs).
 */
import { createClient } from 'redis';
import { NOTIFY_KEYSPACE_EVENTS, missingNotifyClasses, withNotifyClasses } from '../store/notify.js';

/** Why an external Redis cannot be used as is. */
export type ExternalRedisCode = 'GG_REDIS_BAD_URL' | 'GG_REDIS_UNREACHABLE' | 'GG_REDIS_NOTIFY_CONFIG';

/** Result: ready (and whether we changed its configuration), or why not. */
export type ExternalRedisCheck =
  | { ok: true; notify: string; changed: boolean }
  | { ok: false; code: ExternalRedisCode; detail: string };

/** Options: how long to wait for the connection. */
export interface ExternalRedisOptions { connectTimeoutMs?: number }

/** Checks that a URL is one we can connect to; null if fine, else why not. */
export function checkRedisUrl(url: string): string | null {
  if (url.startsWith('unix://')) return /^unix:\/\/(?:[^@/]*@)?\/[^?#]+/.test(url) ? null : 'expected unix:///absolute/path';
  try {
    const u = new URL(url);
    if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') return `unsupported scheme ${u.protocol}`;
    if (!u.hostname) return 'missing host';
    return null;
  } catch {
    return 'not a URL';
  }
}

/** The value of one CONFIG GET parameter from a RESP2 array or RESP3 map reply. */
export function configValue(reply: unknown, name: string): string | null {
  if (Array.isArray(reply)) {
    for (let i = 0; i + 1 < reply.length; i += 2) if (String(reply[i]) === name) return String(reply[i + 1]);
    return null;
  }
  if (reply instanceof Map) { const v = reply.get(name); return v === undefined ? null : String(v); }
  if (reply && typeof reply === 'object') { const v = (reply as Record<string, unknown>)[name]; return v === undefined ? null : String(v); }
  return null;
}

function advice(current: string | null): string {
  const value = current === null ? NOTIFY_KEYSPACE_EVENTS : withNotifyClasses(current);
  return `configure the server with: notify-keyspace-events ${value} (classes ${NOTIFY_KEYSPACE_EVENTS} are needed)`;
}

/** Connects, checks notify-keyspace-events and adds the missing classes; never throws. */
export async function prepareExternalRedis(url: string, o: ExternalRedisOptions = {}): Promise<ExternalRedisCheck> {
  const bad = checkRedisUrl(url);
  if (bad) return { ok: false, code: 'GG_REDIS_BAD_URL', detail: `${bad}: ${url}` };
  const client = createClient({ url, socket: { reconnectStrategy: false, connectTimeout: o.connectTimeoutMs ?? 5000 } });
  client.on('error', () => { /* reported through the failing command below */ });
  try {
    await client.connect();
  } catch (e) {
    return { ok: false, code: 'GG_REDIS_UNREACHABLE', detail: `cannot connect to ${url}: ${(e as Error).message}` };
  }
  try {
    let current: string | null;
    try {
      current = configValue(await client.sendCommand(['CONFIG', 'GET', 'notify-keyspace-events']), 'notify-keyspace-events');
    } catch (e) {
      return { ok: false, code: 'GG_REDIS_NOTIFY_CONFIG', detail: `CONFIG GET refused (${(e as Error).message}); ${advice(null)}` };
    }
    if (current !== null && missingNotifyClasses(current) === '') return { ok: true, notify: current, changed: false };
    const value = withNotifyClasses(current ?? '');
    try {
      await client.sendCommand(['CONFIG', 'SET', 'notify-keyspace-events', value]);
    } catch (e) {
      return { ok: false, code: 'GG_REDIS_NOTIFY_CONFIG', detail: `CONFIG SET refused (${(e as Error).message}); ${advice(current)}` };
    }
    return { ok: true, notify: value, changed: true };
  } finally {
    client.destroy();
  }
}
