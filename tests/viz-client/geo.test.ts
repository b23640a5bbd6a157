/**
 * The map's geometry: the projection (known points, round trips, clamping),
 * the spreading of co-located nodes (every node visible, slots stable under
 * churn, a lone node exactly at its place), and the basemap built from the
 * real Natural Earth data installed from npm (antimeridian handled).
 */
import fc from 'fast-check';
import { createRequire } from 'node:module';
import type { Topology } from 'topojson-specification';
import { describe, expect, test } from 'vitest';
import { buildBasemap, cutLine, extentOf, unwrapRing } from '../../viz-client/src/geo/basemap.js';
import { MAX_LATITUDE, project, unproject, worldBBox, wrapLng } from '../../viz-client/src/geo/projection.js';
import { DEFAULT_SPREAD, spiralOffset, Spreader } from '../../viz-client/src/geo/spread.js';

const require = createRequire(import.meta.url);

describe('projection', () => {
  test('known points', () => {
    expect(project(0, 0).x).toBe(0);
    expect(project(0, 0).y).toBeCloseTo(0, 12);
    expect(project(0, 180).x).toBe(180);
    expect(project(MAX_LATITUDE, 0).y).toBeCloseTo(180, 4);
    expect(project(-MAX_LATITUDE, 0).y).toBeCloseTo(-180, 4);
    // Mercator stretches northward: Paris (48.86°N) is further from the equator than its latitude.
    expect(project(48.8566, 2.3522).y).toBeCloseTo(56.0, 0);
    expect(project(90, 0).y).toBeCloseTo(180, 4);
  });

  test('round trip, and order is kept (north is up, east is right)', () => {
    fc.assert(fc.property(fc.double({ min: -85, max: 85, noNaN: true }), fc.double({ min: -180, max: 180, noNaN: true }), (lat, lng) => {
      const p = project(lat, lng);
      const back = unproject(p.x, p.y);
      expect(back.lat).toBeCloseTo(lat, 6);
      expect(back.lng).toBeCloseTo(lng, 9);
      if (lat < 84) expect(project(lat + 1, lng).y).toBeGreaterThan(p.y);
    }));
  });

  test('longitudes wrap into [-180, 180]', () => {
    expect(wrapLng(190)).toBeCloseTo(-170);
    expect(wrapLng(-190)).toBeCloseTo(170);
    expect(wrapLng(540)).toBeCloseTo(180 - 360);
    const b = worldBBox();
    expect(b.x).toEqual([-180, 180]);
    expect(b.y[0]).toBeLessThan(0);
    expect(b.y[1]).toBeGreaterThan(b.y[0]);
  });
});

describe('spreading co-located nodes', () => {
  test('a lone node sits exactly at its place; nodes elsewhere are not moved', () => {
    const s = new Spreader();
    expect(s.place('a', 48.8566, 2.3522)).toEqual(project(48.8566, 2.3522));
    expect(s.place('b', 40.7, -74)).toEqual(project(40.7, -74));
  });

  test('every node at one place gets its own spot, at least a step apart', () => {
    fc.assert(fc.property(fc.integer({ min: 2, max: 400 }), (n) => {
      const s = new Spreader();
      const pts = Array.from({ length: n }, (_, i) => s.place(`10.0.${i >> 8}.${i & 255}`, 48.8566, 2.3522));
      let min = Infinity;
      for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) min = Math.min(min, Math.hypot(pts[i].x - pts[j].x, pts[i].y - pts[j].y));
      expect(min).toBeGreaterThanOrEqual(DEFAULT_SPREAD.step * 0.99);
      // The cluster stays compact: n nodes within step·√n of the place.
      const c = project(48.8566, 2.3522);
      for (const p of pts) expect(Math.hypot(p.x - c.x, p.y - c.y)).toBeLessThanOrEqual(DEFAULT_SPREAD.step * Math.sqrt(n) + 1e-9);
    }), { numRuns: 40 });
  });

  test('slots are stable: others coming and going never move a node; a freed slot is reused first', () => {
    const s = new Spreader();
    for (let i = 0; i < 10; i++) s.place(`n${i}`, 1, 1);
    const before = s.place('n7', 1, 1);
    s.release('n3');
    s.release('n5');
    expect(s.place('n7', 1, 1)).toEqual(before);
    s.place('new', 1, 1);
    expect(s.slotOf('new')).toBe(3);
    s.place('new2', 1, 1);
    expect(s.slotOf('new2')).toBe(5);
    expect(s.place('n7', 1, 1)).toEqual(before);
    expect(s.countAt(1, 1)).toBe(10);
  });

  test('places within the precision are one place; a node that moves leaves its old place', () => {
    const s = new Spreader();
    s.place('a', 10, 10);
    s.place('b', 10.001, 10.001);
    expect(s.slotOf('b')).toBe(1);
    s.place('a', 20, 20);
    expect(s.countAt(10, 10)).toBe(1);
    expect(s.slotOf('a')).toBe(0);
  });

  test('nodes without a location gather at the unlocated place, spread like any other', () => {
    const s = new Spreader();
    const a = s.place('x', null, null), b = s.place('y', null, null);
    expect(a).toEqual(project(DEFAULT_SPREAD.unlocated.lat, DEFAULT_SPREAD.unlocated.lng));
    expect(Math.hypot(a.x - b.x, a.y - b.y)).toBeCloseTo(DEFAULT_SPREAD.step, 9);
  });

  test('spiral offsets: slot 0 is the centre, radius grows with √slot', () => {
    expect(spiralOffset(0, 1)).toEqual({ dx: 0, dy: 0 });
    const o = spiralOffset(16, 0.5);
    expect(Math.hypot(o.dx, o.dy)).toBeCloseTo(2, 9);
  });
});

describe('basemap', () => {
  test('Natural Earth 110m from world-atlas: land and borders inside the world, every country present', () => {
    const m = buildBasemap(require('world-atlas/countries-110m.json') as Topology);
    expect(m.countries.length).toBeGreaterThan(170);
    expect(m.countries.some((c) => c.name === 'France')).toBe(true);
    expect(m.land.length).toBeGreaterThan(100);
    expect(m.borders.length).toBeGreaterThan(100);
    expect(m.points).toBeGreaterThan(5000);
    const e = extentOf(m.land);
    // Copies shifted by 360 exist for rings across the antimeridian; nothing is further away than that.
    expect(e.x[0]).toBeGreaterThanOrEqual(-540);
    expect(e.x[1]).toBeLessThanOrEqual(540);
    const b = extentOf(m.borders);
    expect(b.x[0]).toBeGreaterThanOrEqual(-180);
    expect(b.x[1]).toBeLessThanOrEqual(180);
    // No border segment spans half the world (the antimeridian jump is cut).
    for (const l of m.borders) for (let i = 2; i < l.length; i += 2) expect(Math.abs(l[i] - l[i - 2])).toBeLessThanOrEqual(180);
  });

  test('a ring across the antimeridian is made continuous and drawn on both sides', () => {
    const r = Float64Array.from([170, 10, 179, 10, -179, 12, -170, 12, 170, 10]);
    const out = unwrapRing(r);
    expect(out).toHaveLength(2);
    for (const ring of out) for (let i = 2; i < ring.length; i += 2) expect(Math.abs(ring[i] - ring[i - 2])).toBeLessThanOrEqual(180);
    expect(Array.from(out[0].filter((_, i) => i % 2 === 0))).toEqual([170, 179, 181, 190, 170]);
    expect(Array.from(out[1].filter((_, i) => i % 2 === 0))).toEqual([-190, -181, -179, -170, -190]);
    expect(unwrapRing(Float64Array.from([0, 0, 1, 1, 0, 1]))).toHaveLength(1);
  });

  test('a ring around a pole is closed along the pole', () => {
    const ring = Float64Array.from([-180, -70, -90, -75, 0, -72, 90, -75, 180, -70]);
    const [out] = unwrapRing(ring);
    expect(out.length).toBe(ring.length);
    const around = Float64Array.from([-170, -70, -60, -72, 60, -73, 170, -71, -170, -70]);
    const [closed] = unwrapRing(around);
    expect(closed[closed.length - 1]).toBeCloseTo(project(-90, 0).y, 6);
  });

  test('lines are cut at the antimeridian', () => {
    expect(cutLine(Float64Array.from([170, 0, 179, 1, -179, 2, -170, 3])).map((l) => l.length)).toEqual([4, 4]);
  });
});
