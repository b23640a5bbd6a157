/**
 * From parsed responses to NAME pairs: queried names through CNAME chains,
 * PTR answers named from their reverse query, what is ignored, and the
 * repeat window and size bound of the tracker.
 */
import { describe, expect, it } from 'vitest';
import type { DnsAnswer, DnsMessage } from '../../../probe/dns/dns-parser.js';
import { NameTracker, namesFromResponse } from '../../../probe/dns/names.js';
import { addressOfReverseName } from '../../../probe/dns/reverse-name.js';
import { decodeMessages, encodeMessages } from '../../../protocol/datagram.js';
import { Msg } from '../../../protocol/messages.js';

function response(qname: string | null, answers: [string, number, string][], over: Partial<DnsMessage> = {}): DnsMessage {
  const list: DnsAnswer[] = answers.map(([name, type, data]) => ({ name, type, ttl: 60, data }));
  return {
    id: 1, response: true, opcode: 0, authoritative: false, truncated: false, rcode: 0,
    questions: qname === null ? [] : [{ name: qname, type: 1, cls: 1 }],
    answers: list, answerCount: list.length, ...over,
  };
}

describe('namesFromResponse', () => {
  it('names the final addresses of a CNAME chain with the queried name', () => {
    const msg = response('www.example.com', [
      ['www.example.com', 5, 'a.cdn.net'],
      ['a.cdn.net', 5, 'b.edge.net'],
      ['b.edge.net', 1, '1.2.3.4'],
      ['b.edge.net', 28, '2001:db8::7'],
    ]);
    expect(namesFromResponse(msg)).toEqual([
      { rrtype: 1, family: 4, addr: '1.2.3.4', name: 'www.example.com' },
      { rrtype: 28, family: 6, addr: '2001:db8::7', name: 'www.example.com' },
    ]);
  });

  it('follows the chain whatever the order of the records', () => {
    const msg = response('www.example.com', [
      ['a.cdn.net', 1, '1.2.3.4'],
      ['www.example.com', 5, 'a.cdn.net'],
    ]);
    expect(namesFromResponse(msg).map((p) => [p.addr, p.name])).toEqual([['1.2.3.4', 'www.example.com']]);
  });

  it('ignores addresses of names off the chain, and survives a CNAME loop', () => {
    const msg = response('www.example.com', [
      ['www.example.com', 5, 'a.cdn.net'],
      ['a.cdn.net', 5, 'www.example.com'],
      ['unrelated.org', 1, '9.9.9.9'],
      ['a.cdn.net', 1, '1.2.3.4'],
    ]);
    expect(namesFromResponse(msg).map((p) => p.addr)).toEqual(['1.2.3.4']);
  });

  it('names the address of an in-addr.arpa or ip6.arpa query with the PTR target', () => {
    expect(namesFromResponse(response('25.206.119.75.in-addr.arpa', [['25.206.119.75.in-addr.arpa', 12, 'host.example.com']]))).toEqual([
      { rrtype: 12, family: 4, addr: '75.119.206.25', name: 'host.example.com' },
    ]);
    const v6 = 'b.a.9.8.7.6.5.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0.0.0.0.0.1.2.3.4.ip6.arpa';
    expect(namesFromResponse(response(v6, [[v6, 12, 'v6.example.com']]))).toEqual([
      { rrtype: 12, family: 6, addr: '4321:0:1:2:3:4:567:89ab', name: 'v6.example.com' },
    ]);
  });

  it('follows an RFC 2317 CNAME from the reverse name to the PTR', () => {
    const msg = response('25.206.119.75.in-addr.arpa', [
      ['25.206.119.75.in-addr.arpa', 5, '25.0-63.206.119.75.in-addr.arpa'],
      ['25.0-63.206.119.75.in-addr.arpa', 12, 'host.example.com'],
    ]);
    expect(namesFromResponse(msg).map((p) => [p.addr, p.name])).toEqual([['75.119.206.25', 'host.example.com']]);
  });

  it('gives nothing for a PTR whose query is not a full reverse name', () => {
    expect(namesFromResponse(response('meerkat.unx.ca', [['meerkat.unx.ca', 12, 'suricata.io']]))).toEqual([]);
    expect(namesFromResponse(response('206.119.75.in-addr.arpa', [['206.119.75.in-addr.arpa', 12, 'x.org']]))).toEqual([]);
  });

  it('ignores queries, errors and other opcodes', () => {
    const answers: [string, number, string][] = [['a.org', 1, '1.1.1.1']];
    expect(namesFromResponse(response('a.org', answers))).toHaveLength(1);
    expect(namesFromResponse(response('a.org', answers, { response: false }))).toEqual([]);
    expect(namesFromResponse(response('a.org', answers, { rcode: 3 }))).toEqual([]);
    expect(namesFromResponse(response('a.org', answers, { opcode: 5 }))).toEqual([]);
  });

  it('names addresses with their owner names when there is no question (mDNS announcements)', () => {
    const msg = response(null, [['gemini.local', 1, '141.142.220.50'], ['50.220.142.141.in-addr.arpa', 12, 'gemini.local']]);
    expect(namesFromResponse(msg).map((p) => [p.rrtype, p.addr, p.name])).toEqual([
      [1, '141.142.220.50', 'gemini.local'],
      [12, '141.142.220.50', 'gemini.local'],
    ]);
  });

  it('drops names a NAME message cannot carry', () => {
    expect(namesFromResponse(response('', [['', 1, '1.1.1.1']]))).toEqual([]);
    const long = 'a'.repeat(256);
    expect(namesFromResponse(response(long, [[long, 1, '1.1.1.1']]))).toEqual([]);
  });
});

describe('addressOfReverseName', () => {
  it('reads full IPv4 and IPv6 reverse names', () => {
    expect(addressOfReverseName('1.2.2.4.in-addr.arpa')).toEqual({ family: 4, addr: '4.2.2.1' });
    expect(addressOfReverseName('1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa')).toEqual({ family: 6, addr: '2001:db8::1' });
  });
  it('rejects partial, padded and malformed ones', () => {
    for (const n of [
      '2.4.in-addr.arpa', '1.2.3.4.5.in-addr.arpa', '256.2.2.4.in-addr.arpa', '01.2.2.4.in-addr.arpa', 'a.2.2.4.in-addr.arpa',
      'in-addr.arpa', '1.0.ip6.arpa', '10.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa',
      'g.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa', 'example.com',
    ]) {
      expect(addressOfReverseName(n), n).toBeNull();
    }
  });
});

describe('NameTracker', () => {
  const msg = response('a.org', [['a.org', 1, '1.1.1.1'], ['a.org', 1, '2.2.2.2']]);
  it('reports a pair once per repeat window, with the capture time', () => {
    const t = new NameTracker({ repeatUs: 60_000_000 });
    expect(t.observe(msg, 1_000_000)).toEqual([
      { ts: 1_000_000, rrtype: 1, family: 4, addr: '1.1.1.1', name: 'a.org' },
      { ts: 1_000_000, rrtype: 1, family: 4, addr: '2.2.2.2', name: 'a.org' },
    ]);
    expect(t.observe(msg, 30_000_000)).toEqual([]);
    expect(t.repeats).toBe(2);
    expect(t.observe(msg, 61_000_000)).toHaveLength(2);
    expect(t.observe(response('b.org', [['b.org', 1, '1.1.1.1']]), 61_000_001)).toHaveLength(1);
  });
  it('reports the same pair twice in one answer only once', () => {
    const t = new NameTracker();
    expect(t.observe(response('a.org', [['a.org', 1, '1.1.1.1'], ['a.org', 1, '1.1.1.1']]), 0)).toHaveLength(1);
  });
  it('remembers at most maxEntries pairs, forgetting the oldest report first', () => {
    const t = new NameTracker({ maxEntries: 100 });
    for (let i = 0; i < 1000; i++) t.observe(response(`h${i}.org`, [[`h${i}.org`, 1, '10.0.0.1']]), i);
    expect(t.size).toBe(100);
    expect(t.observe(response('h999.org', [['h999.org', 1, '10.0.0.1']]), 2000)).toEqual([]);
    expect(t.observe(response('h0.org', [['h0.org', 1, '10.0.0.1']]), 2000)).toHaveLength(1);
  });
  it('rejects nonsensical options', () => {
    expect(() => new NameTracker({ maxEntries: 0 })).toThrow(RangeError);
    expect(() => new NameTracker({ repeatUs: -1 })).toThrow(RangeError);
  });
});

describe('wire shape', () => {
  it('a NAME event encodes as the NAME message and decodes back', () => {
    const [e] = new NameTracker().observe(response('www.example.com', [['www.example.com', 28, '2001:db8::5']]), 1_700_000_000_000_000);
    const decoded = decodeMessages(encodeMessages([{ ...Msg.NAME, ...e }]), true);
    expect(decoded.ok && decoded.messages[0]).toMatchObject({ ...Msg.NAME, ts: e.ts, rrtype: 28, family: 6, addr: '2001:db8::5', name: 'www.example.com' });
  });
});
