/**
 * A view computed from scratch: what a client with this configuration must
 * hold at `now`, by the definition in spec/viz-protocol.md. It is the
 * yardstick of the incremental View (the property tests compare the two
 * after every step) and costs time proportional to the whole graph. Pure.
 */
import { EdgeGroup, NodeGroup, projectNode, stubAttrs } from './aggregate.js';
import type { ViewConfig } from './config.js';
import { CompiledFilter } from './filter.js';
import type { SourceGraph } from './source.js';
import { emptyState, type GraphState } from './types.js';
import { displayPasses, placeEdge } from './view.js';

function topKeys(scores: Map<string, number>, limit: number): Set<string> {
  const all = [...scores].sort((a, b) => (b[1] - a[1]) || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return new Set(all.slice(0, limit).map(([k]) => k));
}

/** The state a client with `config` must hold when the source is `source` at time `now`. */
export function referenceState(config: ViewConfig, source: SourceGraph, now: number): GraphState {
  const f = new CompiledFilter(config);
  const grouped = config.grouping !== 'none';
  const meta = (id: string) => f.meta(id, source.nodes.get(id));
  const refs = new Map<string, number>();
  const vedges = new Map<string, EdgeGroup>();
  for (const e of source.edges.values()) {
    const ma = meta(e.a), mb = meta(e.b);
    if (!f.edgePasses(e, ma, mb, source.services(e.id), now)) continue;
    refs.set(e.a, (refs.get(e.a) ?? 0) + 1);
    refs.set(e.b, (refs.get(e.b) ?? 0) + 1);
    const p = placeEdge(e, ma.group, mb.group, grouped);
    if (!p) continue;
    let v = vedges.get(p.key);
    if (!v) vedges.set(p.key, (v = new EdgeGroup(p.key, e.kind, p.source, p.target)));
    v.add(e, p.flip);
  }
  const groups = new Map<string, NodeGroup>();
  for (const id of source.nodeIds()) {
    const node = source.nodes.get(id);
    const m = meta(id);
    const alone = node !== undefined && f.nodePasses(node, m, now);
    if (!alone && !refs.has(id)) continue;
    let g = groups.get(m.group);
    if (!g) groups.set(m.group, (g = new NodeGroup(m.group)));
    g.add(id, node ?? null);
  }
  const candidates = [...vedges.values()].filter((v) => displayPasses(config, v.kind, v.score, v.bps));
  const ends = new Set<string>();
  for (const v of candidates) { ends.add(v.source); ends.add(v.target); }
  const nodeScores = new Map<string, number>();
  for (const [id, g] of groups) if (ends.has(id) || g.score >= config.minBytes) nodeScores.set(id, g.score);
  const keptNodes = topKeys(nodeScores, config.maxNodes);
  const edgeScores = new Map<string, number>();
  for (const v of candidates) if (keptNodes.has(v.source) && keptNodes.has(v.target)) edgeScores.set(v.key, v.score);
  const keptEdges = topKeys(edgeScores, config.maxEdges);
  const probes = config.probes === null ? null : new Set(config.probes);
  const s = emptyState();
  for (const id of keptNodes) {
    const g = groups.get(id)!;
    if (grouped) { s.nodes.set(id, g.attributes()); continue; }
    const n = g.members.get(id);
    s.nodes.set(id, n ? projectNode(n, probes) : stubAttrs(id));
  }
  for (const k of keptEdges) {
    const v = vedges.get(k)!;
    s.edges.set(k, { key: k, source: v.source, target: v.target, undirected: v.kind === 'link', attributes: v.attributes(grouped) });
  }
  return s;
}
