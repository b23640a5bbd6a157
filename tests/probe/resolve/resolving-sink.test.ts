/**
 * The sink between the pipeline and the outputs under --resolve: everything
 * passes through, both ends of each new connection and every PTR name reach
 * the resolver, and the newest capture time is kept. Fed by the real pipeline
 * reading a shared capture.
 */
import { describe, expect, it } from 'vitest';
import { openCaptureFile } from '../../../probe/capture/open.js';
import { CountingSink } from '../../../probe/events/counting-sink.js';
import { PacketPipeline } from '../../../probe/pipeline.js';
import { ResolvingSink, type AddressListener } from '../../../probe/resolve/resolving-sink.js';
import { ReverseResolver } from '../../../probe/resolve/reverse-resolver.js';
import { NdjsonSink } from '../../../probe/events/ndjson-sink.js';
import { reverseAddress, runTshark } from '../../helpers/tshark.js';

/** Runs a shared capture through the pipeline into sink. */
function run(name: string, sink: ResolvingSink | CountingSink): number {
  const opened = openCaptureFile(`../shared/pcaps/${name}`);
  if (!opened.ok) throw new Error(opened.code);
  const p = new PacketPipeline(sink);
  let last = 0;
  for (let rec = opened.reader.next(); rec !== null; rec = opened.reader.next()) {
    last = Math.max(last, rec.tsMicros);
    p.record(rec);
  }
  opened.reader.close();
  p.finish();
  return last;
}

describe('ResolvingSink', () => {
  it('passes every event on, tells the resolver both ends of each connection, and keeps the newest capture time', () => {
    const plain = new CountingSink();
    run('wikipedia_dns_http.pcap', plain);
    const inner = new CountingSink();
    const seen: string[] = [];
    const known: [string, string][] = [];
    const listener: AddressListener = { seen: (a) => { seen.push(a); }, known: (a, n) => { known.push([a, n]); return false; } };
    const sink = new ResolvingSink(inner, listener);
    const last = run('wikipedia_dns_http.pcap', sink);
    expect(inner).toEqual(plain);
    expect(seen).toHaveLength(2 * plain.newconns);
    expect(new Set(seen)).toContain('208.80.152.2');
    expect(new Set(seen)).toContain('224.0.0.251');
    // Only A/AAAA names in that capture: nothing for the resolver to learn.
    expect(known).toEqual([]);
    expect(sink.latestTs).toBe(last);
  });

  it('hands PTR names seen on the wire to the resolver (the pairs tshark reads from the PTR answers)', async () => {
    const known: string[] = [];
    const sink = new ResolvingSink(new CountingSink(), { seen: () => {}, known: (a, n) => { known.push(`${a} ${n}`); return false; } });
    run('dns_lab_a_ptr.pcapng', sink);
    const view = await runTshark('../shared/pcaps/dns_lab_a_ptr.pcapng');
    const expected = new Set<string>();
    for (const f of view.frames) {
      const d = f.dns;
      if (!d || !d.response || d.rcode !== 0 || d.ptr.length === 0) continue;
      const addr = reverseAddress(d.questions[0].toLowerCase());
      if (addr !== null) for (const name of d.ptr) expected.add(`${addr} ${name.toLowerCase()}`);
    }
    expect(expected.size).toBeGreaterThan(0);
    expect(new Set(known)).toEqual(expected);
  });

  it('drops a PTR name from the wire that a lookup has just reported, and passes the others', () => {
    const emitted: string[] = [];
    const r = new ReverseResolver((a, n) => emitted.push(`${a} ${n}`));
    // The probe's own lookup of 4.2.2.1 answered just before the capture showed that same answer.
    r.seen('4.2.2.1', 0);
    r.due(0);
    r.answered('4.2.2.1', ['a.resolvers.level3.net.'], 0);
    let text = '';
    const out = new NdjsonSink({ write: (t: string) => { text += t; } });
    run('dns_lab_a_ptr.pcapng', new ResolvingSink(out, { seen: (a) => r.seen(a, 1), known: (a, n) => r.known(a, n, 1) }));
    out.flush();
    const ptr = text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { type: string; addr: string; name: string; rrtype: number })
      .filter((e) => e.type === 'name' && e.rrtype === 12).map((e) => `${e.addr} ${e.name}`);
    expect(emitted).toEqual(['4.2.2.1 a.resolvers.level3.net']);
    expect(ptr).toEqual(['75.119.206.25 apache2-rank.fullsail.dreamhost.com']);
    expect(r.counters.repeats).toBe(1);
  });
});
