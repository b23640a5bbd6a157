/**
 * The viz protocol's messages (spec/viz-protocol.md): decoding what a client
 * sends (hostile: size, shape and type checked, error values with stable
 * codes, never a throw) and building what the server sends. Pure.
 */
import type { ViewConfig } from './config.js';
import type { Attrs, GraphDiff, SerializedGraph } from './types.js';

/** Version of the viz protocol. */
export const VIZ_PROTOCOL_VERSION = 1;

/** Error codes of the viz protocol. */
export type VizErrorCode =
  | 'GG_VIZ_BAD_JSON' | 'GG_VIZ_BAD_MESSAGE' | 'GG_VIZ_UNKNOWN_TYPE' | 'GG_VIZ_BAD_VERSION' | 'GG_VIZ_TOO_BIG'
  | 'GG_VIZ_NOT_AUTHENTICATED' | 'GG_VIZ_ALREADY_AUTHENTICATED' | 'GG_VIZ_AUTH_FAILED' | 'GG_VIZ_AUTH_PENDING'
  | 'GG_VIZ_RATE_LIMITED' | 'GG_VIZ_BUSY' | 'GG_VIZ_BAD_CONFIG' | 'GG_VIZ_FORBIDDEN' | 'GG_VIZ_UNKNOWN_MODULE'
  | 'GG_VIZ_TOO_MANY_VIEWS';

/** A decoded client message. */
export type ClientMessage =
  | { type: 'auth'; v: number; user: string | null; password: string }
  | { type: 'config'; raw: Record<string, unknown> }
  | { type: 'ping'; id: string | number | null };

/** Decoding failure. */
export type DecodeError = { ok: false; code: VizErrorCode; detail: string };

/** Limits of client messages (the WebSocket layer enforces maxPayload before this). */
export const CLIENT_LIMITS = Object.freeze({ maxBytes: 65_536, maxUser: 64, maxPassword: 1024 });

/** Decodes one text frame from a client. */
export function decodeClientMessage(text: string): { ok: true; msg: ClientMessage } | DecodeError {
  if (text.length > CLIENT_LIMITS.maxBytes) return { ok: false, code: 'GG_VIZ_TOO_BIG', detail: `message over ${CLIENT_LIMITS.maxBytes} bytes` };
  let m: unknown;
  try { m = JSON.parse(text); } catch { return { ok: false, code: 'GG_VIZ_BAD_JSON', detail: 'not JSON' }; }
  if (typeof m !== 'object' || m === null || Array.isArray(m)) return { ok: false, code: 'GG_VIZ_BAD_MESSAGE', detail: 'expected a JSON object' };
  const o = m as Record<string, unknown>;
  if (typeof o.type !== 'string') return { ok: false, code: 'GG_VIZ_BAD_MESSAGE', detail: 'missing "type"' };
  switch (o.type) {
    case 'auth': {
      if (o.v !== VIZ_PROTOCOL_VERSION) return { ok: false, code: 'GG_VIZ_BAD_VERSION', detail: `this server speaks version ${VIZ_PROTOCOL_VERSION}` };
      const user = o.user === undefined || o.user === null ? null : o.user;
      if (user !== null && (typeof user !== 'string' || user.length === 0 || user.length > CLIENT_LIMITS.maxUser)) return { ok: false, code: 'GG_VIZ_BAD_MESSAGE', detail: 'auth: bad "user"' };
      if (typeof o.password !== 'string' || o.password.length > CLIENT_LIMITS.maxPassword) return { ok: false, code: 'GG_VIZ_BAD_MESSAGE', detail: 'auth: bad "password"' };
      return { ok: true, msg: { type: 'auth', v: o.v as number, user, password: o.password } };
    }
    case 'config':
      return { ok: true, msg: { type: 'config', raw: o } };
    case 'ping': {
      const id = typeof o.id === 'number' || (typeof o.id === 'string' && o.id.length <= 64) ? o.id : null;
      return { ok: true, msg: { type: 'ping', id } };
    }
    default:
      return { ok: false, code: 'GG_VIZ_UNKNOWN_TYPE', detail: `unknown message type ${JSON.stringify(o.type.slice(0, 32))}` };
  }
}

/** First message on a connection: who we are and what we need. */
export function helloMessage(server: string): string {
  return JSON.stringify({ type: 'hello', v: VIZ_PROTOCOL_VERSION, server, auth: ['password'] });
}

/** Login accepted: the user and what it may see (null: all). */
export function authOkMessage(user: string, modules: number[] | null, probes: number[] | null): string {
  return JSON.stringify({ type: 'auth-ok', user, modules, probes });
}

/** An error answering the client's last message; `retryAfterMs` when it may try again later. */
export function errorMessage(code: VizErrorCode, detail: string, retryAfterMs?: number): string {
  return JSON.stringify(retryAfterMs === undefined ? { type: 'error', code, detail } : { type: 'error', code, detail, retryAfterMs });
}

/** A whole view: graphology's serialized graph, numbered `seq`. */
export function snapshotMessage(seq: number, config: ViewConfig, reason: 'config' | 'reset', graph: SerializedGraph): string {
  return JSON.stringify({ type: 'snapshot', seq, reason, config, graph });
}

/** A diff from state `prev` to state `seq`; `config` when it answers a configuration change. */
export function diffMessage(prev: number, seq: number, diff: GraphDiff, extra?: { reason: 'config' | 'catch-up' | 'resync'; config?: ViewConfig }): string {
  const head = extra ? { type: 'diff', prev, seq, ...extra } : { type: 'diff', prev, seq };
  return JSON.stringify({ ...head, nodes: diff.nodes, edges: diff.edges });
}

/** Health of the probes the client may see. */
export function probesMessage(probes: Attrs[]): string {
  return JSON.stringify({ type: 'probes', probes });
}

/** A server notice for the user (Redis lost and back, resync, this client too slow, ...). */
export function noticeMessage(level: 'info' | 'warn', code: string, text: string): string {
  return JSON.stringify({ type: 'notice', level, code, text });
}

/** Answer to a ping. */
export function pongMessage(id: string | number | null, now: number): string {
  return JSON.stringify({ type: 'pong', id, time: now });
}
