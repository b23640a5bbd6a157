/**
 * Nodes at the same place (a city's servers, a site's private addresses, a
 * probe's LAN) are spread on a sunflower spiral around that place, so each
 * stays visible and clickable. Each node keeps a slot in its place's spiral
 * for as long as it stays there: others coming and going never move it.
 * Slot 0 is the place itself, so a node alone sits exactly where it is. Pure.
 */
import { project } from './projection.js';

/** Spreading options. */
export interface SpreadOptions {
  /** Places closer than this (degrees) are the same place. */
  precision: number;
  /** Distance scale of the spiral (graph units): slot n lies at step·√n from the centre. */
  step: number;
  /** Where nodes without a location gather (degrees). */
  unlocated: { lat: number; lng: number };
}

/** Defaults: same place within ~1 km; slots half a graph unit apart; the unlocated gather in the South Pacific. */
export const DEFAULT_SPREAD: Readonly<SpreadOptions> = Object.freeze({
  precision: 0.01,
  step: 0.5,
  unlocated: Object.freeze({ lat: -48.9, lng: -123.4 }),
});

const GOLDEN_ANGLE = Math.PI * (3 - Math.sqrt(5));

/** Offset of a slot from its centre, in graph units. */
export function spiralOffset(slot: number, step: number): { dx: number; dy: number } {
  if (slot <= 0) return { dx: 0, dy: 0 };
  const r = step * Math.sqrt(slot);
  const a = slot * GOLDEN_ANGLE;
  return { dx: r * Math.cos(a), dy: r * Math.sin(a) };
}

/** A min-heap of free slot numbers. */
class FreeSlots {
  private readonly h: number[] = [];

  get size(): number { return this.h.length; }

  push(v: number): void {
    const h = this.h;
    h.push(v);
    for (let i = h.length - 1; i > 0;) {
      const p = (i - 1) >> 1;
      if (h[p] <= h[i]) break;
      [h[p], h[i]] = [h[i], h[p]];
      i = p;
    }
  }

  pop(): number | undefined {
    const h = this.h;
    if (h.length === 0) return undefined;
    const top = h[0], last = h.pop()!;
    if (h.length) {
      h[0] = last;
      for (let i = 0; ;) {
        const l = 2 * i + 1, r = l + 1;
        let m = i;
        if (l < h.length && h[l] < h[m]) m = l;
        if (r < h.length && h[r] < h[m]) m = r;
        if (m === i) break;
        [h[m], h[i]] = [h[i], h[m]];
        i = m;
      }
    }
    return top;
  }
}

interface Place { x: number; y: number; next: number; free: FreeSlots; count: number }

/** Where each node stands on the map: its place, spread. */
export class Spreader {
  private readonly places = new Map<string, Place>();
  private readonly nodes = new Map<string, { place: string; slot: number }>();
  private readonly o: SpreadOptions;

  constructor(o: Partial<SpreadOptions> = {}) {
    this.o = { ...DEFAULT_SPREAD, ...o };
  }

  /** The key of the place a location belongs to. */
  placeKey(lat: number | null, lng: number | null): string {
    if (lat === null || lng === null) return 'unlocated';
    const p = this.o.precision;
    return `${Math.round(lat / p)},${Math.round(lng / p)}`;
  }

  /** Graph position of a node at a location (null: unknown), keeping its slot if it did not move. */
  place(key: string, lat: number | null, lng: number | null): { x: number; y: number } {
    const pk = this.placeKey(lat, lng);
    let cur = this.nodes.get(key);
    if (cur && cur.place !== pk) { this.release(key); cur = undefined; }
    let place = this.places.get(pk);
    if (!place) {
      const at = lat === null || lng === null ? this.o.unlocated : { lat, lng };
      const c = project(at.lat, at.lng);
      place = { x: c.x, y: c.y, next: 0, free: new FreeSlots(), count: 0 };
      this.places.set(pk, place);
    }
    if (!cur) {
      const slot = place.free.pop() ?? place.next++;
      cur = { place: pk, slot };
      this.nodes.set(key, cur);
      place.count++;
    }
    const { dx, dy } = spiralOffset(cur.slot, this.o.step);
    return { x: place.x + dx, y: place.y + dy };
  }

  /** A node left: its slot is free for the next one at that place. */
  release(key: string): void {
    const cur = this.nodes.get(key);
    if (!cur) return;
    this.nodes.delete(key);
    const place = this.places.get(cur.place)!;
    place.count--;
    if (place.count === 0) { this.places.delete(cur.place); return; }
    place.free.push(cur.slot);
  }

  /** Forgets everything. */
  clear(): void {
    this.places.clear();
    this.nodes.clear();
  }

  /** Number of nodes at the place of a location. */
  countAt(lat: number | null, lng: number | null): number {
    return this.places.get(this.placeKey(lat, lng))?.count ?? 0;
  }

  /** The slot a node holds (tests, debugging). */
  slotOf(key: string): number | undefined {
    return this.nodes.get(key)?.slot;
  }
}
