/**
 * The map's projection: spherical Mercator, in graph units of "degrees" (x is
 * the longitude; y grows northward and equals the latitude near the
 * equator), so a node's graph position is a pure function of its latitude
 * and longitude, and the basemap is drawn in the same coordinates. Pure.
 */

/** Latitudes beyond this are clamped (where Mercator reaches y = ±180). */
export const MAX_LATITUDE = 85.051129;

const RAD = Math.PI / 180;

/** Graph coordinates of a point; y up, as sigma's graph space. */
export function project(lat: number, lng: number): { x: number; y: number } {
  const phi = Math.max(-MAX_LATITUDE, Math.min(MAX_LATITUDE, lat)) * RAD;
  return { x: wrapLng(lng), y: Math.log(Math.tan(Math.PI / 4 + phi / 2)) / RAD };
}

/** The latitude and longitude of a graph point. */
export function unproject(x: number, y: number): { lat: number; lng: number } {
  return { lat: (2 * Math.atan(Math.exp(y * RAD)) - Math.PI / 2) / RAD, lng: x };
}

/** A longitude brought into [-180, 180]. */
export function wrapLng(lng: number): number {
  if (lng >= -180 && lng <= 180) return lng;
  return ((((lng + 180) % 360) + 360) % 360) - 180;
}

/** The part of the world a map shows at first: most land, little polar empty space. */
export const WORLD_VIEW = Object.freeze({ south: -58, north: 78, west: -180, east: 180 });

/** The graph-space box sigma frames (its custom bounding box). */
export function worldBBox(): { x: [number, number]; y: [number, number] } {
  const s = project(WORLD_VIEW.south, 0).y, n = project(WORLD_VIEW.north, 0).y;
  return { x: [WORLD_VIEW.west, WORLD_VIEW.east], y: [s, n] };
}

/** Local scale of the projection at a latitude (graph units per degree of arc along a parallel). */
export function scaleAt(lat: number): number {
  return 1 / Math.cos(Math.max(-MAX_LATITUDE, Math.min(MAX_LATITUDE, lat)) * RAD);
}
