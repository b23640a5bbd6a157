/**
 * The world basemap from offline Natural Earth data (world-atlas TopoJSON):
 * land as filled rings and country borders as lines, projected once into
 * graph coordinates, so that drawing is only a change of scale and offset
 * however the camera moves. Pure (the canvas work is in map-layer.ts).
 */
import type { GeometryObject, Topology } from 'topojson-specification';
import { feature, mesh } from 'topojson-client';
import { project } from './projection.js';

/** A ring or a line in graph coordinates: x0, y0, x1, y1, … */
export type Polyline = Float64Array;

/** A basemap ready to draw. */
export interface Basemap {
  /** Closed rings of land (outer rings and holes; even-odd filling). */
  land: Polyline[];
  /** Borders between countries. */
  borders: Polyline[];
  /** Country outlines with their names (for the legend and hit tests). */
  countries: { id: string; name: string; rings: Polyline[] }[];
  /** Number of points, for sanity checks. */
  points: number;
}

/** Projects a list of [lng, lat] positions. */
export function projectLine(coords: readonly (readonly number[])[]): Polyline {
  const out = new Float64Array(coords.length * 2);
  for (let i = 0; i < coords.length; i++) {
    const p = project(coords[i][1], coords[i][0]);
    out[2 * i] = p.x;
    out[2 * i + 1] = p.y;
  }
  return out;
}

type Geometry = GeoJSON.Geometry | null;

/**
 * A ring made continuous across the antimeridian: each point is moved by
 * ±360 so that no step is longer than half the world. A ring around a pole
 * (Antarctica) comes back 360 away from where it started: it is closed along
 * the pole. A ring that now reaches past ±180 is also returned shifted by
 * 360, so that both of its ends are drawn.
 */
export function unwrapRing(r: Polyline): Polyline[] {
  const n = r.length / 2;
  if (n < 2) return [r];
  const out: number[] = [r[0], r[1]];
  let crossed = false;
  for (let i = 1; i < n; i++) {
    let x = r[2 * i];
    const px = out[out.length - 2];
    while (x - px > 180) { x -= 360; crossed = true; }
    while (px - x > 180) { x += 360; crossed = true; }
    out.push(x, r[2 * i + 1]);
  }
  if (!crossed) return [r];
  const x0 = out[0], x1 = out[out.length - 2];
  if (Math.abs(x1 - x0) > 180) {
    let sum = 0;
    for (let i = 1; i < out.length; i += 2) sum += out[i];
    const poleY = sum / n < 0 ? -MAX_Y : MAX_Y;
    out.push(x1, poleY, x0, poleY);
  }
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < out.length; i += 2) { lo = Math.min(lo, out[i]); hi = Math.max(hi, out[i]); }
  const a = Float64Array.from(out);
  const copies = [a];
  if (hi > 180) copies.push(a.map((v, i) => (i % 2 === 0 ? v - 360 : v)));
  if (lo < -180) copies.push(a.map((v, i) => (i % 2 === 0 ? v + 360 : v)));
  return copies;
}

/** A line cut where it jumps across the antimeridian. */
export function cutLine(l: Polyline): Polyline[] {
  const out: Polyline[] = [];
  let start = 0;
  for (let i = 2; i < l.length; i += 2) {
    if (Math.abs(l[i] - l[i - 2]) > 180) { out.push(l.slice(start, i)); start = i; }
  }
  out.push(start === 0 ? l : l.slice(start));
  return out.filter((x) => x.length >= 4);
}

const MAX_Y = project(90, 0).y;

function ringsOf(g: Geometry): Polyline[] {
  if (!g) return [];
  if (g.type === 'Polygon') return g.coordinates.flatMap((r) => unwrapRing(projectLine(r)));
  if (g.type === 'MultiPolygon') return g.coordinates.flatMap((p) => p.flatMap((r) => unwrapRing(projectLine(r))));
  if (g.type === 'GeometryCollection') return g.geometries.flatMap(ringsOf);
  return [];
}

function linesOf(g: Geometry): Polyline[] {
  if (!g) return [];
  if (g.type === 'LineString') return cutLine(projectLine(g.coordinates));
  if (g.type === 'MultiLineString') return g.coordinates.flatMap((c) => cutLine(projectLine(c)));
  return [];
}

/** Builds the basemap from a world-atlas topology (objects `countries` and `land`). */
export function buildBasemap(topology: Topology): Basemap {
  const objects = topology.objects as Record<string, GeometryObject>;
  const landFc = feature(topology, objects.land) as GeoJSON.FeatureCollection | GeoJSON.Feature;
  const landFeatures = 'features' in landFc ? landFc.features : [landFc];
  const land = landFeatures.flatMap((f) => ringsOf(f.geometry));
  const borders = linesOf(mesh(topology, objects.countries as never, (a: unknown, b: unknown) => a !== b));
  const cfc = feature(topology, objects.countries) as GeoJSON.FeatureCollection;
  const countries = cfc.features.map((f) => ({
    id: String(f.id ?? ''), name: String((f.properties as { name?: string } | null)?.name ?? ''), rings: ringsOf(f.geometry),
  }));
  let points = 0;
  for (const r of land) points += r.length / 2;
  for (const r of borders) points += r.length / 2;
  return { land, borders, countries, points };
}

/** The bounding box of polylines in graph coordinates. */
export function extentOf(lines: readonly Polyline[]): { x: [number, number]; y: [number, number] } {
  let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
  for (const l of lines) {
    for (let i = 0; i < l.length; i += 2) {
      if (l[i] < x0) x0 = l[i];
      if (l[i] > x1) x1 = l[i];
      if (l[i + 1] < y0) y0 = l[i + 1];
      if (l[i + 1] > y1) y1 = l[i + 1];
    }
  }
  return { x: [x0, x1], y: [y0, y1] };
}
