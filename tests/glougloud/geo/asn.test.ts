import { describe, expect, it } from 'vitest';
import { AsnTable, parseAsnCsv } from '../../../glougloud/geo/asn.js';

describe('parseAsnCsv', () => {
  it('reads numeric ranges, quoted names and skips malformed lines', () => {
    const csv = Buffer.from([
      '16777216,16777471,13335,"Cloudflare, Inc."',
      'garbage line',
      '16778240,16779263,38803,Gtelecom Pty Ltd',
      '',
      '16781312,16781567,2519,"Say ""hi"" Corp"\r',
      '16793600,16809983,13335,"Cloudflare, Inc."',
    ].join('\n'));
    const t = parseAsnCsv(csv, 1);
    expect(t.count).toBe(4);
    expect(Array.from(t.asns)).toEqual([13335, 38803, 2519, 13335]);
    expect(t.orgs).toEqual(['Cloudflare, Inc.', 'Gtelecom Pty Ltd', 'Say "hi" Corp']);
    expect(t.orgIdx[3]).toBe(0);
  });

  it('reads 128-bit bounds exactly', () => {
    const start = 42540528726795050063891204319802818560n; // 2001:200::
    const end = 42540528806023212578155541913346768895n;
    const t = parseAsnCsv(Buffer.from(`${start},${end},2500,WIDE Project\n`), 4);
    const word = (a: Uint32Array) => a.reduce((acc, w) => (acc << 32n) | BigInt(w), 0n);
    expect(word(t.starts.subarray(0, 4))).toBe(start);
    expect(word(t.ends.subarray(0, 4))).toBe(end);
  });

  it('sorts an unsorted file rather than answering wrongly', () => {
    const t = parseAsnCsv(Buffer.from('300,400,2,B\n100,200,1,A\n'), 1);
    expect(Array.from(t.starts)).toEqual([100, 300]);
    expect(Array.from(t.asns)).toEqual([1, 2]);
  });
});

describe('AsnTable over the installed CSV files', () => {
  const asn = new AsnTable();
  it('finds well-known networks in both families, lazily', { timeout: 20_000 }, () => {
    expect(asn.loads).toEqual([]);
    expect(asn.lookup('8.8.8.8')).toEqual({ asn: 15169, as_org: 'Google LLC' });
    expect(asn.lookup('1.1.1.1')).toEqual({ asn: 13335, as_org: 'Cloudflare, Inc.' });
    expect(asn.loads.map((l) => l.family)).toEqual([4]);
    expect(asn.lookup('2001:4860:4860::8888')?.asn).toBe(15169);
    expect(asn.lookup('::ffff:8.8.4.4')?.asn).toBe(15169);
    expect(asn.lookup('10.0.0.1')).toBeNull();
    expect(asn.lookup('nonsense')).toBeNull();
    for (const l of asn.loads) {
      expect(l.rows).toBeGreaterThan(50_000);
      // Reported for the start-up log: rows, time and resident size.
      expect(l.bytes).toBeGreaterThan(0);
      expect(l.ms).toBeGreaterThan(0);
    }
  });
});
