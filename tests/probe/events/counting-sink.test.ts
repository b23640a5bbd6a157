/** The counting sink: what benchmarks and totals checks rely on. */
import { describe, expect, it } from 'vitest';
import { CountingSink } from '../../../probe/events/counting-sink.js';
import type { ConnInfo } from '../../../probe/events/sink.js';

const TS = 1_700_000_000_123_456;
const conn: ConnInfo = {
  id: 7, proto: 6, family: 4, src: '192.0.2.1', dst: '198.51.100.2', sport: 50000, dport: 443,
  vlan: 0, vlanInner: 0, firstSeenUs: TS, lastSeenUs: TS,
};

describe('CountingSink', () => {
  it('counts events, reasons and DATA totals', () => {
    const s = new CountingSink();
    s.newconn(conn, TS);
    s.data(conn, TS, 1, 1, 2, 3, 4);
    s.data(conn, TS, 1, 10, 20, 30, 40);
    s.delconn(conn, TS, 'rst');
    s.name(TS, '192.0.2.1', 'a', 1);
    s.trace(TS, '192.0.2.1', []);
    expect([s.newconns, s.datas, s.delconns, s.names, s.traces, s.reasons.rst, s.fwdPkts, s.fwdBytes, s.revPkts, s.revBytes])
      .toEqual([1, 2, 1, 1, 1, 1, 11, 22, 33, 44]);
  });
});
