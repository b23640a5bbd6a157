/**
 * NAME pairs from the shared captures, frame by frame, against tshark's own
 * dissection of the same responses (run here, as JSON, so the sections of a
 * message stay apart: tshark's flat dns.a field would mix in the additional
 * records, which name nothing here).
 *
 * What tshark's records are expected to give, per response with QR=1,
 * opcode 0 and RCODE 0, using only the Answers section:
 * - the queried name, and every name reached from it by the CNAME records
 *   of the answer, form the chain (a CNAME target is not itself a name
 *   reported for the final address);
 * - each A/AAAA record whose owner is on the chain: (rrtype, address, queried name);
 * - each PTR record whose owner is on the chain, when the queried name is a
 *   full in-addr.arpa / ip6.arpa name: (12, that address, PTR target);
 * - a response without a question (mDNS): the owner name of each record instead.
 * Names in lower case, addresses as tshark prints them (dotted quad, RFC 5952).
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { formatIPv6 } from '../../../protocol/address.js';
import { openCaptureFile } from '../../../probe/capture/open.js';
import { decodeRecord } from '../../../probe/decode/packet.js';
import { PacketInfo } from '../../../probe/decode/packet-info.js';
import { dnsResponseOf } from '../../../probe/dns/dns-packet.js';
import { NameTracker, namesFromResponse } from '../../../probe/dns/names.js';

const DIR = '../shared/pcaps/';

type Json = Record<string, unknown>;

/** tshark turns repeated keys into arrays (--no-duplicate-keys): the records of a section, flattened. */
function records(section: unknown): Json[] {
  if (section === undefined) return [];
  const out: Json[] = [];
  for (const v of Object.values(section as Json)) {
    for (const r of Array.isArray(v) ? v : [v]) out.push(r as Json);
  }
  return out;
}

function str(v: unknown): string {
  const s = Array.isArray(v) ? String(v[0]) : String(v ?? '');
  return s === '<Root>' ? '' : s.toLowerCase();
}

/** The address a reverse name spells, as tshark would print it; null for anything else. */
function reverseAddress(name: string): string | null {
  let m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\.in-addr\.arpa$/.exec(name);
  if (m) return Number(m[4]) <= 255 && !/(^|\.)0\d/.test(name) ? [m[4], m[3], m[2], m[1]].map(Number).join('.') : null;
  m = /^((?:[0-9a-f]\.){32})ip6\.arpa$/.exec(name);
  if (m) return formatIPv6(Buffer.from(m[1].split('.').reverse().join(''), 'hex'));
  return null;
}

interface Frame {
  ts: number;
  pairs: string[];
  cnames: number;
}

/** Capture time in microseconds from tshark's epoch string, without float rounding. */
function micros(epoch: string): number {
  const [s, f = ''] = epoch.split('.');
  return Number(s) * 1e6 + Number((f + '000000').slice(0, 6));
}

function tsharkFrames(file: string): Map<number, Frame> {
  const out = execFileSync(
    'tshark',
    ['-n', '-r', DIR + file, '-Y', 'dns.flags.response==1', '-T', 'json', '--no-duplicate-keys', '-J', 'frame dns mdns'],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 64 << 20 },
  );
  const frames = new Map<number, Frame>();
  for (const pkt of JSON.parse(out) as Json[]) {
    const layers = (pkt._source as Json).layers as Json;
    const frame = layers.frame as Json;
    const dns = (layers.dns ?? layers.mdns) as Json;
    const flags = dns['dns.flags_tree'] as Json;
    const pairs: string[] = [];
    const answers = records(dns.Answers).filter((r) => r['dns.resp.class'] === '0x0001');
    const cnames = answers.filter((r) => r['dns.cname'] !== undefined);
    if (flags['dns.flags.rcode'] === '0' && flags['dns.flags.opcode'] === '0') {
      const questions = records(dns.Queries);
      const q = questions.length > 0 ? str(questions[0]['dns.qry.name']) : null;
      const chain = new Set<string>(q === null ? [] : [q]);
      for (let grew = true; grew; ) {
        grew = false;
        for (const c of cnames) {
          if (chain.has(str(c['dns.resp.name'])) && !chain.has(str(c['dns.cname']))) {
            chain.add(str(c['dns.cname']));
            grew = true;
          }
        }
      }
      for (const r of answers) {
        const owner = str(r['dns.resp.name']);
        if (q !== null && !chain.has(owner)) continue;
        const asked = q ?? owner;
        if (r['dns.a'] !== undefined) pairs.push(`1 ${str(r['dns.a'])} ${asked}`);
        if (r['dns.aaaa'] !== undefined) pairs.push(`28 ${str(r['dns.aaaa'])} ${asked}`);
        const addr = reverseAddress(asked);
        if (r['dns.ptr.domain_name'] !== undefined && addr !== null) pairs.push(`12 ${addr} ${str(r['dns.ptr.domain_name'])}`);
      }
    }
    frames.set(Number(frame['frame.number']), { ts: micros(String(frame['frame.time_epoch'])), pairs: [...new Set(pairs)].sort(), cnames: cnames.length });
  }
  return frames;
}

/** Our pairs per frame number, for every frame holding a DNS response we parsed. */
function ourFrames(file: string): { frames: Map<number, string[]>; failed: number[]; events: number } {
  const opened = openCaptureFile(DIR + file);
  if (!opened.ok) throw new Error(`${file}: ${opened.code}`);
  const info = new PacketInfo();
  const tracker = new NameTracker();
  const frames = new Map<number, string[]>();
  const failed: number[] = [];
  let n = 0;
  let events = 0;
  opened.reader.forEach((rec) => {
    n++;
    decodeRecord(info, rec);
    const r = dnsResponseOf(info, rec.buf);
    if (r === null) return;
    if (!r.ok) {
      failed.push(n);
      return;
    }
    frames.set(n, [...new Set(namesFromResponse(r.message).map((p) => `${p.rrtype} ${p.addr} ${p.name}`))].sort());
    events += tracker.observe(r.message, rec.tsMicros).length;
  });
  opened.reader.close();
  return { frames, failed, events };
}

/** NAME events the tracker should give: a pair again only 60 s after its last report. */
function expectedEvents(frames: Map<number, Frame>): number {
  const last = new Map<string, number>();
  let n = 0;
  for (const f of [...frames.keys()].sort((a, b) => a - b).map((k) => frames.get(k) as Frame)) {
    for (const p of f.pairs) {
      const key = p.slice(p.indexOf(' ') + 1);
      const t = last.get(key);
      if (t !== undefined && f.ts - t < 60_000_000) continue;
      last.set(key, f.ts);
      n++;
    }
  }
  return n;
}

const FILES: [file: string, minPairs: number, minCnameFrames: number][] = [
  ['dns_a_aaaa_mx.pcap', 2, 0],
  ['dns_ptr.pcap', 0, 0], // its PTR query is meerkat.unx.ca, not a reverse name: no address to name
  ['dns_lab_a_ptr.pcapng', 10, 2],
  ['pcapng_multi_interface.pcapng', 5, 1],
  ['wikipedia_dns_http.pcap', 4, 4],
  ['http_espn.pcapng', 10, 5],
];

describe('NAME pairs from the shared captures match tshark', () => {
  for (const [file, minPairs, minCnameFrames] of FILES) {
    it(file, () => {
      const expected = tsharkFrames(file);
      const ours = ourFrames(file);
      expect(ours.failed, 'frames whose response did not parse').toEqual([]);
      // Every response tshark shows was found and parsed, and no other frame.
      expect([...ours.frames.keys()].sort((a, b) => a - b)).toEqual([...expected.keys()].sort((a, b) => a - b));
      for (const [frame, e] of expected) expect(ours.frames.get(frame), `frame ${frame}`).toEqual(e.pairs);
      const total = [...expected.values()].reduce((s, f) => s + f.pairs.length, 0);
      expect(total).toBeGreaterThanOrEqual(minPairs);
      // The CNAME-chain frames actually named something, with the queried name.
      const chained = [...expected.values()].filter((f) => f.cnames > 0 && f.pairs.length > 0);
      expect(chained.length).toBeGreaterThanOrEqual(minCnameFrames);
      expect(ours.events).toBe(expectedEvents(expected));
    });
  }
});
