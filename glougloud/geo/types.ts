/**
 * What the store needs from geolocation: one synchronous lookup per address,
 * made only when a node is first seen. Implementations are offline.
 */

/** Location and ownership of a public address; any part may be missing. */
export interface GeoRecord {
  lat?: number;
  lng?: number;
  country_code?: string;
  city?: string;
  asn?: number;
  as_org?: string;
}

/** Looks up an address (text form); null when nothing is known about it. Never throws. */
export interface GeoLocator {
  locate(addr: string): GeoRecord | null;
}

/** A locator that knows nothing, for tests and for running without databases. */
export const NO_GEO: GeoLocator = { locate: () => null };
