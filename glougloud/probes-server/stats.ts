import type { ServerSession, SessionCounters } from '../../protocol/session/server-sessions.js';
import { probeKey } from '../store/keys.js';

/** Server-wide ingest counters, exposed in logs and (later) metrics. */
export interface IngestCounters {
  datagrams: number;
  bytes: number;
  messages: number;
  dropped: number;
  skippedMessages: number;
  unknownModule: number;
  /** FORWARD envelopes received from relays, and those refused (not a listed relay, bad path, loop, collision, nested). */
  forwards: number;
  refusedForwards: number;
  /** Datagrams or envelopes refused because their probe id was in use another way. */
  collisions: number;
  drops: Record<string, number>;
}

/** How long a probe's stats hash outlives the probe's last datagram. */
export const PROBE_STATS_TTL_S = 86_400;

const COUNTER_FIELDS: (keyof SessionCounters)[] = [
  'datagrams', 'messages', 'bytes', 'lost', 'reordered', 'replays', 'authFailures', 'decodeErrors', 'skipped',
];

/** Snake_case Redis field names of the session counters. */
const FIELD_NAMES: Record<keyof SessionCounters, string> = {
  datagrams: 'datagrams', messages: 'messages', bytes: 'bytes', lost: 'lost', reordered: 'reordered',
  replays: 'replays', authFailures: 'auth_failures', decodeErrors: 'decode_errors', skipped: 'skipped',
};

/**
 * Commands that write one probe's health into `gg:0:probe:<id>`: its current
 * session's counters plus the totals of its earlier sessions, so a probe that
 * restarts keeps its history.
 */
export function probeStatsCommands(s: ServerSession, now: number, earlier?: SessionCounters): string[][] {
  const key = probeKey(s.probeId);
  const hset = ['HSET', key,
    'session', String(s.id), 'established_at', String(s.establishedAt), 'last_seen', String(s.lastSeen),
    'site_name', s.site.name, 'site_lat', String(s.site.lat), 'site_lng', String(s.site.lng),
    'mode', s.mode, 'version', String(s.version), 'via', '', 'updated', String(now)];
  for (const f of COUNTER_FIELDS) hset.push(FIELD_NAMES[f], String(s.counters[f] + (earlier?.[f] ?? 0)));
  return [hset, ['EXPIRE', key, String(PROBE_STATS_TTL_S)]];
}

/** Adds a finished session's counters into a probe's running totals. */
export function accumulate(into: SessionCounters, from: SessionCounters): void {
  for (const f of COUNTER_FIELDS) into[f] += from[f];
}

/** Key of the probes server's own counters (hostile input, drops by code). */
export const SERVER_STATS_KEY = 'gg:0:server';

/** Commands that write the server-wide counters: ingest totals, drops by code, session-table counters. */
export function serverStatsCommands(c: IngestCounters, sessions: { handshakes: number; established: number; denied: number; replaced: number; expired: number; pendingEvicted: number }, live: number, now: number): string[][] {
  const h = ['HSET', SERVER_STATS_KEY, 'updated', String(now), 'sessions', String(live),
    'datagrams', String(c.datagrams), 'bytes', String(c.bytes), 'messages', String(c.messages), 'dropped', String(c.dropped),
    'skipped_messages', String(c.skippedMessages), 'unknown_module', String(c.unknownModule),
    'forwards', String(c.forwards), 'refused_forwards', String(c.refusedForwards), 'collisions', String(c.collisions),
    'handshakes', String(sessions.handshakes), 'established', String(sessions.established), 'denied', String(sessions.denied),
    'replaced', String(sessions.replaced), 'expired', String(sessions.expired), 'pending_evicted', String(sessions.pendingEvicted)];
  for (const [code, n] of Object.entries(c.drops)) h.push(`drop:${code}`, String(n));
  return [h];
}
