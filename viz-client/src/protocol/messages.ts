/**
 * The viz protocol as the browser sees it (spec/viz-protocol.md,
 * glougloud/views/messages.ts): what the server sends, checked for shape
 * before anything uses it (a server is trusted to be the server, not to be
 * bug-free), and what the client sends. Pure.
 */

/** Version of the viz protocol this client speaks. */
export const VIZ_PROTOCOL_VERSION = 1;

/** A JSON attribute value as the server sends it. */
export type AttrValue = string | number | boolean | AttrValue[] | { [k: string]: AttrValue };

/** Attributes of a node or an edge. */
export type Attrs = Record<string, AttrValue>;

/** graphology's serialized node. */
export interface NodeEntry { key: string; attributes: Attrs }

/** graphology's serialized edge (links undirected, hops directed). */
export interface EdgeEntry { key: string; source: string; target: string; undirected?: boolean; attributes: Attrs }

/** Changed attributes; null deletes the attribute. */
export interface AttrsUpdate { key: string; attributes: Record<string, AttrValue | null> }

/** One kind of element's changes. */
export interface ElementChanges<E> { add: E[]; update: AttrsUpdate[]; remove: string[] }

/** A diff: applied as edges.remove, nodes.remove, nodes.add, nodes.update, edges.add, edges.update. */
export interface GraphDiff { nodes: ElementChanges<NodeEntry>; edges: ElementChanges<EdgeEntry> }

/** graphology's serialized graph. */
export interface SerializedGraph { attributes?: Attrs; options?: unknown; nodes: NodeEntry[]; edges: EdgeEntry[] }

/** The view configuration, as the client edits it and the server echoes it back (canonical). */
export interface ViewConfig {
  module: number;
  include: string[];
  exclude: string[];
  probes: number[] | null;
  protocols: (number | string)[];
  ports: number[];
  minBytes: number;
  minBps: number;
  windowS: number;
  maxNodes: number;
  maxEdges: number;
  grouping: Grouping;
  links: boolean;
  paths: boolean;
}

/** How the server merges nodes. */
export type Grouping = 'none' | 'prefix' | 'asn' | 'country';

/** Groupings, in the order a form lists them. */
export const GROUPINGS: readonly Grouping[] = ['none', 'prefix', 'asn', 'country'];

/** The server's defaults (glougloud/views/config.ts), so a client can send and show only what differs. */
export const DEFAULT_VIEW_CONFIG: Readonly<ViewConfig> = Object.freeze({
  module: 1, include: [], exclude: [], probes: null, protocols: [], ports: [],
  minBytes: 0, minBps: 0, windowS: 0, maxNodes: 5000, maxEdges: 10_000,
  grouping: 'none', links: true, paths: true,
});

/** Every message the server sends. */
export type ServerMessage =
  | { type: 'hello'; v: number; server: string; auth: string[] }
  | { type: 'auth-ok'; user: string; modules: number[] | null; probes: number[] | null }
  | { type: 'error'; code: string; detail: string; retryAfterMs?: number }
  | { type: 'snapshot'; seq: number; reason: string; config: Partial<ViewConfig>; graph: SerializedGraph }
  | { type: 'diff'; prev: number; seq: number; reason?: string; config?: Partial<ViewConfig>; nodes: ElementChanges<NodeEntry>; edges: ElementChanges<EdgeEntry> }
  | { type: 'probes'; probes: Attrs[] }
  | { type: 'notice'; level: 'info' | 'warn'; code: string; text: string }
  | { type: 'pong'; id: string | number | null; time: number };

/** Why a server message was not understood. */
export type MessageError = { ok: false; code: 'GG_VC_BAD_JSON' | 'GG_VC_BAD_MESSAGE' | 'GG_VC_UNKNOWN_TYPE'; detail: string };

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;

function changesOk(c: unknown, edges: boolean): boolean {
  if (!isObj(c) || !Array.isArray(c.add) || !Array.isArray(c.update) || !Array.isArray(c.remove)) return false;
  for (const a of c.add) {
    if (!isObj(a) || typeof a.key !== 'string' || !isObj(a.attributes)) return false;
    if (edges && (typeof a.source !== 'string' || typeof a.target !== 'string')) return false;
  }
  for (const u of c.update) if (!isObj(u) || typeof u.key !== 'string' || !isObj(u.attributes)) return false;
  for (const r of c.remove) if (typeof r !== 'string') return false;
  return true;
}

function graphOk(g: unknown): boolean {
  return isObj(g) && Array.isArray(g.nodes) && Array.isArray(g.edges)
    && changesOk({ add: g.nodes, update: [], remove: [] }, false) && changesOk({ add: g.edges, update: [], remove: [] }, true);
}

const bad = (detail: string): MessageError => ({ ok: false, code: 'GG_VC_BAD_MESSAGE', detail });

/** Checks one message from the server; never throws. */
export function decodeServerMessage(text: string): { ok: true; msg: ServerMessage } | MessageError {
  let m: unknown;
  try { m = JSON.parse(text); } catch { return { ok: false, code: 'GG_VC_BAD_JSON', detail: 'not JSON' }; }
  if (!isObj(m) || typeof m.type !== 'string') return bad('expected an object with a "type"');
  switch (m.type) {
    case 'hello':
      return isInt(m.v) ? { ok: true, msg: { type: 'hello', v: m.v, server: String(m.server ?? ''), auth: Array.isArray(m.auth) ? m.auth.map(String) : [] } } : bad('hello: bad "v"');
    case 'auth-ok':
      return { ok: true, msg: { type: 'auth-ok', user: String(m.user ?? ''), modules: Array.isArray(m.modules) ? m.modules.filter(isInt) : null, probes: Array.isArray(m.probes) ? m.probes.filter(isInt) : null } };
    case 'error': {
      if (typeof m.code !== 'string') return bad('error: missing "code"');
      const retry = typeof m.retryAfterMs === 'number' && m.retryAfterMs >= 0 ? m.retryAfterMs : undefined;
      return { ok: true, msg: { type: 'error', code: m.code, detail: String(m.detail ?? ''), ...(retry === undefined ? {} : { retryAfterMs: retry }) } };
    }
    case 'snapshot':
      if (!isInt(m.seq) || !graphOk(m.graph)) return bad('snapshot: bad "seq" or "graph"');
      return { ok: true, msg: { type: 'snapshot', seq: m.seq, reason: String(m.reason ?? ''), config: isObj(m.config) ? m.config as Partial<ViewConfig> : {}, graph: m.graph as unknown as SerializedGraph } };
    case 'diff':
      if (!isInt(m.prev) || !isInt(m.seq) || !changesOk(m.nodes, false) || !changesOk(m.edges, true)) return bad('diff: bad numbering or changes');
      return {
        ok: true,
        msg: {
          type: 'diff', prev: m.prev, seq: m.seq, nodes: m.nodes as ElementChanges<NodeEntry>, edges: m.edges as ElementChanges<EdgeEntry>,
          ...(typeof m.reason === 'string' ? { reason: m.reason } : {}), ...(isObj(m.config) ? { config: m.config as Partial<ViewConfig> } : {}),
        },
      };
    case 'probes':
      return Array.isArray(m.probes) && m.probes.every(isObj) ? { ok: true, msg: { type: 'probes', probes: m.probes as Attrs[] } } : bad('probes: expected an array of objects');
    case 'notice':
      return typeof m.code === 'string' ? { ok: true, msg: { type: 'notice', level: m.level === 'warn' ? 'warn' : 'info', code: m.code, text: String(m.text ?? '') } } : bad('notice: missing "code"');
    case 'pong':
      return { ok: true, msg: { type: 'pong', id: typeof m.id === 'string' || typeof m.id === 'number' ? m.id : null, time: typeof m.time === 'number' ? m.time : 0 } };
    default:
      return { ok: false, code: 'GG_VC_UNKNOWN_TYPE', detail: `unknown message type ${JSON.stringify(m.type.slice(0, 32))}` };
  }
}

/** The login message. */
export function authMessage(password: string, user: string | null): string {
  return JSON.stringify(user ? { type: 'auth', v: VIZ_PROTOCOL_VERSION, user, password } : { type: 'auth', v: VIZ_PROTOCOL_VERSION, password });
}

/** A view configuration message (only what differs from the defaults is needed; the rest is defaulted by the server). */
export function configMessage(config: Partial<ViewConfig>): string {
  return JSON.stringify({ type: 'config', ...config });
}

/** An application-level ping (the server answers with a pong). */
export function pingMessage(id: number): string {
  return JSON.stringify({ type: 'ping', id });
}
