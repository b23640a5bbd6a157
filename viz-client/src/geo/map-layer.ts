/**
 * The geo layer, bound over a sigma renderer like sigma's own map layers:
 * latitude and longitude stay node attributes; binding converts them to
 * graph coordinates (spreading co-located nodes), frames the world, and draws
 * the basemap on a canvas under the edges, redrawn only when the camera or
 * the size changed, so map and graph always pan and zoom together. `clean()`
 * removes the canvas and listeners and gives the framing back.
 */
import type { Attributes } from 'graphology-types';
import type Sigma from 'sigma';
import type { Basemap, Polyline } from './basemap.js';
import { worldBBox } from './projection.js';
import { Spreader, type SpreadOptions } from './spread.js';

/** Colours of the map. */
export interface MapStyle { ocean: string; land: string; border: string; coast: string }

/** A dark map under bright nodes. */
export const DEFAULT_MAP_STYLE: Readonly<MapStyle> = Object.freeze({ ocean: '#0b1320', land: '#1b2636', border: '#2c3a50', coast: '#34445c' });

/** Options of the layer. */
export interface GeoLayerOptions {
  /** The coarse map (drawn at once) and a finer one loaded when zooming in (optional). */
  basemap: Basemap;
  detailed?: () => Promise<Basemap>;
  /** Camera ratio under which the detailed map is used. */
  detailBelowRatio?: number;
  style?: Partial<MapStyle>;
  spread?: Partial<SpreadOptions>;
  /** Reads a node's location (default: `lat` and `lng` attributes). */
  getLatLng?: (attrs: Attributes) => { lat: number; lng: number } | null;
}

/** What a bound geo layer offers. */
export interface GeoLayer {
  /** Writes a node's map position (x, y) into its attributes. */
  place(key: string, attrs: Attributes): void;
  /** A node left the graph. */
  release(key: string): void;
  /** The graph was emptied. */
  reset(): void;
  /** Unbinds: canvas and listeners removed, sigma's framing restored. */
  clean(): void;
}

function defaultLatLng(a: Attributes): { lat: number; lng: number } | null {
  return typeof a.lat === 'number' && typeof a.lng === 'number' && Number.isFinite(a.lat) && Number.isFinite(a.lng) ? { lat: a.lat, lng: a.lng } : null;
}

function toPath(lines: readonly Polyline[], close: boolean): Path2D {
  const p = new Path2D();
  for (const l of lines) {
    if (l.length < 4) continue;
    p.moveTo(l[0], l[1]);
    for (let i = 2; i < l.length; i += 2) p.lineTo(l[i], l[i + 1]);
    if (close) p.closePath();
  }
  return p;
}

/** Binds the geo layer to a sigma renderer and positions every node of its graph. */
export function bindGeoLayer(sigma: Sigma, o: GeoLayerOptions): GeoLayer {
  const style = { ...DEFAULT_MAP_STYLE, ...o.style };
  const getLatLng = o.getLatLng ?? defaultLatLng;
  const spreader = new Spreader(o.spread);
  const graph = sigma.getGraph();
  const previousBBox = sigma.getCustomBBox();
  const canvas = sigma.createCanvas('geoMap', { beforeLayer: 'edges' } as never);
  canvas.style.position = 'absolute';
  canvas.style.inset = '0';
  canvas.style.pointerEvents = 'none';
  const ctx = canvas.getContext('2d')!;
  let paths = { land: toPath(o.basemap.land, true), borders: toPath(o.basemap.borders, false) };
  let detailed: typeof paths | null = null;
  let loadingDetail = false;
  let drawn = '';
  let bound = true;

  const place = (key: string, attrs: Attributes): void => {
    const ll = getLatLng(attrs);
    const p = spreader.place(key, ll?.lat ?? null, ll?.lng ?? null);
    attrs.x = p.x;
    attrs.y = p.y;
  };

  const draw = (): void => {
    if (!bound) return;
    const { width, height } = sigma.getDimensions();
    const dpr = window.devicePixelRatio || 1;
    const cam = sigma.getCamera().getState();
    const key = `${width}x${height}@${dpr}:${cam.x},${cam.y},${cam.ratio},${cam.angle}:${detailed ? 1 : 0}`;
    if (key === drawn) return;
    drawn = key;
    if (canvas.width !== Math.round(width * dpr) || canvas.height !== Math.round(height * dpr)) {
      canvas.width = Math.round(width * dpr);
      canvas.height = Math.round(height * dpr);
      canvas.style.width = `${width}px`;
      canvas.style.height = `${height}px`;
    }
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.fillStyle = style.ocean;
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    // Graph → viewport is affine (no rotation): three points give the matrix.
    // The camera is given explicitly: sigma keeps no matrix while the graph is empty, and the map shows all the same.
    const at = (x: number, y: number): { x: number; y: number } => sigma.graphToViewport({ x, y }, { cameraState: cam });
    const p0 = at(0, 0), px = at(1, 0), py = at(0, 1);
    const a = px.x - p0.x, b = px.y - p0.y, c = py.x - p0.x, d = py.y - p0.y;
    const scale = Math.hypot(a, b) || 1;
    ctx.setTransform(dpr * a, dpr * b, dpr * c, dpr * d, dpr * p0.x, dpr * p0.y);
    const useDetail = o.detailed !== undefined && cam.ratio < (o.detailBelowRatio ?? 0.3);
    if (useDetail && !detailed && !loadingDetail) {
      loadingDetail = true;
      o.detailed!().then((m) => { detailed = { land: toPath(m.land, true), borders: toPath(m.borders, false) }; drawn = ''; draw(); }, () => undefined);
    }
    const p = useDetail && detailed ? detailed : paths;
    ctx.fillStyle = style.land;
    ctx.fill(p.land, 'evenodd');
    ctx.lineJoin = 'round';
    ctx.strokeStyle = style.coast;
    ctx.lineWidth = 0.8 / scale;
    ctx.stroke(p.land);
    ctx.strokeStyle = style.border;
    ctx.lineWidth = 0.6 / scale;
    ctx.stroke(p.borders);
  };

  const onRender = (): void => draw();
  const onResize = (): void => { drawn = ''; draw(); };
  sigma.on('afterRender', onRender);
  sigma.on('resize', onResize);

  sigma.setCustomBBox(worldBBox());
  graph.updateEachNodeAttributes((key, attrs) => { place(key, attrs); return attrs; }, { attributes: ['x', 'y'] });
  sigma.refresh();
  draw();

  return {
    place,
    release: (key) => spreader.release(key),
    reset: () => spreader.clear(),
    clean() {
      if (!bound) return;
      bound = false;
      sigma.off('afterRender', onRender);
      sigma.off('resize', onResize);
      sigma.killLayer('geoMap');
      sigma.setCustomBBox(previousBBox);
      spreader.clear();
      paths = { land: new Path2D(), borders: new Path2D() };
      detailed = null;
    },
  };
}
