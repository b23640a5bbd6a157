import { beforeAll, describe, expect, it } from 'vitest';
import { openGeoLocator, type OfflineLocator } from '../../../glougloud/geo/locator.js';

let geo: OfflineLocator;
beforeAll(async () => { geo = await openGeoLocator({ preloadAsn: true }); }, 30_000);

describe('OfflineLocator', () => {
  it('locates public IPv4 and IPv6 addresses with country, coordinates and AS', () => {
    const g = geo.locate('8.8.8.8');
    expect(g).toMatchObject({ country_code: 'US', asn: 15169, as_org: 'Google LLC' });
    expect(g?.lat).toBeCloseTo(37.751, 2);
    expect(g?.lng).toBeCloseTo(-97.822, 2);
    const uk = geo.locate('81.2.69.142');
    expect(uk).toMatchObject({ country_code: 'GB', city: 'Bracknell' });
    const v6 = geo.locate('2a00:1450:4007:80c::200e');
    expect(v6).toMatchObject({ country_code: 'IE', asn: 15169 });
  });

  it('looks mapped IPv4 up as IPv4, never an IPv6 address in the IPv4 database', () => {
    expect(geo.locate('::ffff:8.8.8.8')).toMatchObject({ country_code: 'US' });
  });

  it('answers null for reserved and invalid addresses, and counts', () => {
    const before = { ...geo.stats };
    expect(geo.locate('192.168.1.1')).toBeNull();
    expect(geo.locate('fe80::1')).toBeNull();
    expect(geo.locate('999.1.1.1')).toBeNull();
    expect(geo.stats.reserved - before.reserved).toBe(2);
    expect(geo.stats.invalid - before.invalid).toBe(1);
  });
});
