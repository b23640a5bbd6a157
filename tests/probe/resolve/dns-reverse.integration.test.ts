/**
 * The I/O edge of --resolve against real DNS servers on 127.0.0.1: node:dns
 * lookups, names as NAME events (rrtype 12, lower case, the caller's capture
 * time), one query per address, failures remembered, a silent server timed
 * out, and stop() cancelling what is in flight.
 */
import { createSocket, type Socket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NdjsonSink } from '../../../probe/events/ndjson-sink.js';
import { DnsReverse } from '../../../probe/resolve/dns-reverse.js';
import { startPtrServer, type PtrServer } from '../../helpers/dns-server.js';

/** An NDJSON sink into a string, read back as objects. */
function recorder(): { sink: NdjsonSink; events: () => Record<string, unknown>[] } {
  let text = '';
  const sink = new NdjsonSink({ write: (s: string) => { text += s; } });
  return { sink, events: () => text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) };
}

let server: PtrServer;
let silent: Socket;
let silentPort = 0;
const silentQueries: number[] = [];

beforeAll(async () => {
  server = await startPtrServer({
    '1.100.51.198.in-addr.arpa': 'One.Example.',
    '2.100.51.198.in-addr.arpa': 'two\x20words.example',
    '10.in-addr.arpa': 'not.asked.example',
  });
  silent = createSocket('udp4');
  silent.on('message', () => silentQueries.push(performance.now()));
  await new Promise<void>((r) => silent.bind(0, '127.0.0.1', () => r()));
  silentPort = silent.address().port;
});

afterAll(async () => {
  await server.close();
  await new Promise<void>((r) => silent.close(() => r()));
});

describe('DnsReverse', () => {
  it('looks each address up once and turns sane answers into NAME events at the given capture time', async () => {
    const { sink, events } = recorder();
    const d = new DnsReverse({ rate: 20, server: { host: '127.0.0.1', port: server.port } }, sink, () => 1_300_000_000_123_456);
    const before = server.queries.length;
    for (const a of ['198.51.100.1', '198.51.100.2', '198.51.100.3', '198.51.100.1', '224.0.0.251']) d.seen(a);
    await d.drain(5000);
    sink.flush();
    expect(events()).toEqual([{ type: 'name', ts: 1_300_000_000.123456, addr: '198.51.100.1', name: 'one.example', rrtype: 12 }]);
    const asked = server.queries.slice(before);
    expect(asked.map((q) => q.name).sort()).toEqual(['1.100.51.198.in-addr.arpa', '2.100.51.198.in-addr.arpa', '3.100.51.198.in-addr.arpa']);
    expect(asked.every((q) => q.qtype === 12)).toBe(true);
    expect(d.counters).toMatchObject({ lookedUp: 3, answered: 1, failed: 2, invalid: 1, skippedAddress: 1, pending: 1 });
    // Names and failures are remembered: seeing them again asks nothing.
    for (const a of ['198.51.100.1', '198.51.100.2', '198.51.100.3']) d.seen(a);
    await d.drain(1000);
    expect(server.queries.length - before).toBe(3);
    expect(d.counters.cacheHits).toBe(3);
    d.stop();
  });

  it('gives up on a server that never answers, within its timeout and tries', async () => {
    const { sink, events } = recorder();
    const d = new DnsReverse({ rate: 20, server: { host: '127.0.0.1', port: silentPort }, timeoutMs: 200, tries: 1 }, sink, () => 0);
    d.seen('198.51.100.50');
    const t0 = performance.now();
    await d.drain(5000);
    const took = performance.now() - t0;
    expect(d.core.idle).toBe(true);
    expect(d.counters).toMatchObject({ lookedUp: 1, answered: 0, failed: 1 });
    expect(silentQueries.length).toBeGreaterThanOrEqual(1);
    expect(took).toBeLessThan(3000);
    sink.flush();
    expect(events()).toEqual([]);
    d.stop();
  });

  it('drain() stops at its grace, and stop() cancels lookups in flight', async () => {
    const { sink, events } = recorder();
    const d = new DnsReverse({ rate: 20, server: { host: '127.0.0.1', port: silentPort }, timeoutMs: 5000, tries: 1 }, sink, () => 0);
    d.seen('198.51.100.60');
    const t0 = performance.now();
    await d.drain(300);
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(d.core.outstanding).toBe(1);
    d.stop();
    expect(d.summary()).toMatch(/reverse DNS: 1 lookups \(0 named, 0 failed\), 1 unfinished, 0 over the queue/);
    await new Promise((r) => setTimeout(r, 50));
    sink.flush();
    expect(events()).toEqual([]);
  });
});
