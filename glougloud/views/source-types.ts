/**
 * The elements a graph module's Redis keys turn into (glougloud/modules/),
 * before any client's filters or grouping: what the viz server mirrors.
 */
import type { Attrs } from './types.js';

/** A host (node key), parsed. */
export interface SourceNode {
  /** Graph key: the address. */
  id: string;
  /** Attributes shown for it in an ungrouped view; `probes` is `{ "<probe id>": last seen }`. */
  attrs: Attrs;
  /** Ids of the probes that saw it, ascending. */
  probeIds: number[];
  /** Last activity (ms): the latest of first, last and hop; 0 if unknown. */
  time: number;
  bytesIn: number; bytesOut: number; pktsIn: number; pktsOut: number;
  last: number;
  /** Coordinates in millionths of a degree (exact integer sums when grouped). */
  latE6: number | null; lngE6: number | null;
  country: string | null; asn: number | null; asOrg: string | null; site: string | null;
}

/** A link (host pair, undirected) or one step of a traceroute path (directed). */
export interface SourceEdge {
  /** Unique among source edges: `l:<a>|<b>` or `p:<probe>:<dst>:<i>`. */
  id: string;
  kind: 'link' | 'hop';
  a: string; b: string;
  /** Probe of a path; -1 for a link. */
  probe: number;
  /** Last activity (ms): a link's `last`, a path's `seen`. */
  time: number;
  bytesAB: number; bytesBA: number; pktsAB: number; pktsBA: number;
  bps: number; conns: number; live: number; first: number; last: number;
}

/** What a connection key tells the viz: which link carries which protocol and ports, seen by which probe. */
export interface SourceConn { link: string; proto: number; sport: number; dport: number; probe: number }

/** One key read from Redis and mapped; `null` contents mean the key is gone. */
export type SourceRecord =
  | { kind: 'node'; key: string; id: string; node: SourceNode | null }
  | { kind: 'edges'; key: string; edges: SourceEdge[] }
  | { kind: 'conn'; key: string; conn: SourceConn | null }
  | { kind: 'probe'; key: string; probe: number; health: Attrs | null };

/** A graph module's side of the viz: which keys to follow, and how a key's hash becomes elements. */
export interface GraphModule {
  id: number;
  /** Keyspace-notification channel patterns (PSUBSCRIBE). */
  channels: string[];
  /** SCAN MATCH patterns covering every key the module maps. */
  patterns: string[];
  /** Maps a key and its hash (empty: the key is gone); null for keys the module does not know. */
  record(key: string, hash: Record<string, string>): SourceRecord | null;
  /**
   * Whether a notification needs the key re-read: a module may skip events
   * that cannot change what it maps (e.g. counters of a connection it knows).
   */
  needsRead(key: string, event: string, known: boolean): boolean;
}
