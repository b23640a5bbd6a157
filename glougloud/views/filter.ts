/**
 * A view configuration compiled into predicates over source elements:
 * which group a node falls in, whether a node shows on its own, whether an
 * edge passes. Pure; `now` is passed in.
 *
 * Semantics (spec/viz-protocol.md, "Filters"):
 *  - exclude: a node in an excluded prefix is dropped, and every edge touching it;
 *  - include: an edge passes if at least one end is included; a node shows on
 *    its own only if it is included (it also shows as the end of a passing edge);
 *  - probes: a node passes if one of the probes saw it; an edge if one probe
 *    saw both ends (a stub end, without a key, constrains nothing; a path: its probe);
 *  - protocols, ports: only links carrying a live connection that matches;
 *    hop chains and lone nodes are then hidden;
 *  - window: only elements active in the last windowS seconds.
 */
import { anyContains, type Cidr, groupPrefix, parseAddress, parseCidr, type ParsedAddress } from './cidr.js';
import type { ViewConfig } from './config.js';
import { type LinkServices, pairKey } from './source.js';
import type { SourceEdge, SourceNode } from './source-types.js';

/** What a view needs to know about a node to place and filter its edges. */
export interface NodeMeta {
  group: string;
  /** Probes that saw it, ascending; null for a stub (unknown). */
  probes: number[] | null;
  excluded: boolean;
  included: boolean;
}

/** The group a node belongs to under a grouping (itself when ungrouped or when it has no group). */
export function groupOf(grouping: ViewConfig['grouping'], id: string, node: SourceNode | undefined): string {
  switch (grouping) {
    case 'none': return id;
    case 'prefix': return groupPrefix(id) ?? id;
    case 'asn': return node?.asn != null ? `AS${node.asn}` : node?.site != null ? `site:${node.site}` : id;
    case 'country': return node?.country != null ? `country:${node.country}` : node?.site != null ? `site:${node.site}` : id;
    default: return id;
  }
}

function intersects(sorted: readonly number[], allowed: ReadonlySet<number>): boolean {
  for (let i = 0; i < sorted.length; i++) if (allowed.has(sorted[i])) return true;
  return false;
}

/** A configuration compiled for fast evaluation. */
export class CompiledFilter {
  private readonly include: Cidr[];
  private readonly exclude: Cidr[];
  private readonly probes: Set<number> | null;
  private readonly protos: number[];
  private readonly ports: number[];
  /** Protocol or port filters: only matching links show, nothing else. */
  readonly trafficOnly: boolean;
  private readonly windowMs: number;

  constructor(readonly config: ViewConfig) {
    const cidrs = (l: string[]): Cidr[] => l.map((s) => { const c = parseCidr(s); if (!c.ok) throw new Error(c.detail); return c.cidr; });
    this.include = cidrs(config.include);
    this.exclude = cidrs(config.exclude);
    this.probes = config.probes === null ? null : new Set(config.probes);
    this.protos = config.protocols;
    this.ports = config.ports;
    this.trafficOnly = this.protos.length > 0 || this.ports.length > 0;
    this.windowMs = config.windowS * 1000;
  }

  /** True when the window is on (elements leave it as time passes). */
  get windowed(): boolean {
    return this.windowMs > 0;
  }

  /** When an element active at `time` leaves the window. */
  deadline(time: number): number {
    return time + this.windowMs;
  }

  private inWindow(time: number, now: number): boolean {
    return this.windowMs === 0 || (time > 0 && time >= now - this.windowMs);
  }

  /** A node's placement and filter facts. */
  meta(id: string, node: SourceNode | undefined): NodeMeta {
    const a: ParsedAddress = this.include.length || this.exclude.length ? parseAddress(id) : null;
    return {
      group: groupOf(this.config.grouping, id, node),
      probes: node ? node.probeIds : null,
      excluded: this.exclude.length > 0 && anyContains(this.exclude, a),
      included: this.include.length === 0 || anyContains(this.include, a),
    };
  }

  /** Whether a node with a key shows on its own (not only as the end of an edge). */
  nodePasses(node: SourceNode, m: NodeMeta, now: number): boolean {
    if (m.excluded || !m.included || this.trafficOnly) return false;
    if (this.probes !== null && !intersects(node.probeIds, this.probes)) return false;
    return this.inWindow(node.time, now);
  }

  /** Whether a source edge passes. */
  edgePasses(e: SourceEdge, ma: NodeMeta, mb: NodeMeta, svc: LinkServices | undefined, now: number): boolean {
    if (ma.excluded || mb.excluded) return false;
    if (!ma.included && !mb.included) return false;
    if (!this.inWindow(e.time, now)) return false;
    if (e.kind === 'hop') {
      if (!this.config.paths || this.trafficOnly) return false;
      return this.probes === null || this.probes.has(e.probe);
    }
    if (!this.config.links) return false;
    if (this.probes !== null && !this.probeSawBoth(ma.probes, mb.probes)) return false;
    return !this.trafficOnly || this.servicesMatch(svc);
  }

  private probeSawBoth(pa: number[] | null, pb: number[] | null): boolean {
    const allowed = this.probes as Set<number>;
    if (pa === null && pb === null) return false;
    if (pa === null || pb === null) return intersects((pa ?? pb) as number[], allowed);
    for (const p of pa) if (allowed.has(p) && pb.includes(p)) return true;
    return false;
  }

  private servicesMatch(s: LinkServices | undefined): boolean {
    if (!s) return false;
    if (this.protos.length && this.ports.length) {
      for (const pr of this.protos) for (const po of this.ports) if (s.pairs.has(pairKey(pr, po))) return true;
      return false;
    }
    if (this.protos.length) return this.protos.some((p) => s.protos.has(p));
    return this.ports.some((p) => s.ports.has(p));
  }
}

/** True if two metas place and filter a node's edges the same way. */
export function sameMeta(a: NodeMeta, b: NodeMeta): boolean {
  if (a.group !== b.group || a.excluded !== b.excluded || a.included !== b.included) return false;
  if (a.probes === b.probes) return true;
  if (a.probes === null || b.probes === null || a.probes.length !== b.probes.length) return false;
  for (let i = 0; i < a.probes.length; i++) if (a.probes[i] !== b.probes[i]) return false;
  return true;
}
