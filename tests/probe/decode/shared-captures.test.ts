/**
 * Every packet of every shared capture decoded and compared with tshark's
 * dissection run here: frame length, outer IP addresses, transport protocol,
 * ports, ICMP type/code, VLAN ids, and for ICMP errors the quoted inner header.
 * tshark prints every occurrence of a field comma-separated (outer first), so
 * ICMP errors show outer and quoted addresses, and only the quoted ports.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { openCaptureFile } from '../../../probe/capture/open.js';
import { formatDestination, formatSource } from '../../../probe/decode/address-text.js';
import { decodeRecord } from '../../../probe/decode/packet.js';
import { DecodeStatus, PacketInfo } from '../../../probe/decode/packet-info.js';

const DIR = '../shared/pcaps/';
const FILES = readdirSync(DIR).filter((f) => /\.pcap(ng)?$/.test(f)).sort();

const FIELDS = [
  'frame.len', 'frame.protocols', 'ip.src', 'ip.dst', 'ip.proto', 'ipv6.src', 'ipv6.dst',
  'tcp.srcport', 'tcp.dstport', 'udp.srcport', 'udp.dstport',
  'icmp.type', 'icmp.code', 'icmpv6.type', 'icmpv6.code', 'vlan.id',
] as const;
type Row = Record<(typeof FIELDS)[number], string[]>;

/** Protocol names in frame.protocols that sit between IP and the transport header. */
const IP_EXTENSIONS = new Set(['ipv6.hopopts', 'ipv6.routing', 'ipv6.fraghdr', 'ipv6.dstopts', 'ah']);
const PROTO_NUMBER: Record<string, number> = { tcp: 6, udp: 17, icmp: 1, icmpv6: 58, gre: 47, sctp: 132, esp: 50, igmp: 2 };

function tsharkRows(file: string): Row[] {
  const args = ['-n', '-r', DIR + file, '-o', 'ip.defragment:FALSE', '-o', 'ipv6.defragment:FALSE', '-T', 'fields', '-E', 'occurrence=a', '-E', 'aggregator=,'];
  for (const f of FIELDS) args.push('-e', f);
  let out: string;
  try {
    out = execFileSync('tshark', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 64 << 20 });
  } catch (e) {
    out = (e as { stdout: string }).stdout; // the truncated capture: good frames, then a non-zero exit
  }
  return out.split('\n').filter((l) => l.length > 0).map((line) => {
    const cols = line.split('\t');
    const row = {} as Row;
    FIELDS.forEach((f, i) => { row[f] = cols[i] ? cols[i].split(',') : []; });
    return row;
  });
}

/** Compares one decoded packet with tshark's row; returns a description of the first difference, or ''. */
function difference(info: PacketInfo, row: Row): string {
  if (info.frameLen !== Number(row['frame.len'][0])) return `frame length ${info.frameLen}`;
  const protos = row['frame.protocols'][0].split(':');
  const ipAt = protos.findIndex((p) => p === 'ip' || p === 'ipv6');
  const vlans = row['vlan.id'].map(Number);
  if (info.vlanCount !== vlans.length) return `vlan count ${info.vlanCount}`;
  if (vlans.length > 0 && info.vlan !== vlans[0]) return `vlan ${info.vlan}`;
  if (vlans.length > 1 && info.vlanInner !== vlans[1]) return `inner vlan ${info.vlanInner}`;
  if (ipAt < 0) return info.ipVersion === 0 && info.status === DecodeStatus.NOT_IP ? '' : `status ${info.status} for a non-IP frame`;
  if (info.status !== DecodeStatus.OK) return `status ${info.status}`;
  const v6 = protos[ipAt] === 'ipv6';
  if (info.ipVersion !== (v6 ? 6 : 4)) return `ip version ${info.ipVersion}`;
  const src = row[v6 ? 'ipv6.src' : 'ip.src'];
  const dst = row[v6 ? 'ipv6.dst' : 'ip.dst'];
  if (formatSource(info) !== src[0] || formatDestination(info) !== dst[0]) return `addresses ${formatSource(info)} > ${formatDestination(info)}`;
  let l4At = ipAt + 1;
  while (IP_EXTENSIONS.has(protos[l4At])) l4At++;
  const l4 = protos[l4At];
  const expectedProto = PROTO_NUMBER[l4] ?? (v6 ? undefined : Number(row['ip.proto'][0]));
  if (expectedProto !== undefined && info.proto !== expectedProto) return `protocol ${info.proto}, tshark ${l4}`;
  if (l4 === 'tcp' || l4 === 'udp') {
    if (!info.hasPorts || info.sport !== Number(row[`${l4}.srcport`][0]) || info.dport !== Number(row[`${l4}.dstport`][0])) {
      return `ports ${info.sport} > ${info.dport}`;
    }
  }
  if (l4 === 'icmp' || l4 === 'icmpv6') {
    if (info.icmpType !== Number(row[`${l4}.type`][0]) || info.icmpCode !== Number(row[`${l4}.code`][0])) return `icmp ${info.icmpType}/${info.icmpCode}`;
    return quotedDifference(info, row, v6, l4);
  }
  return '';
}

/** The quoted packet of an ICMP error: tshark's second address occurrence, and the only transport ports it shows. */
function quotedDifference(info: PacketInfo, row: Row, v6: boolean, l4: string): string {
  const src = row[v6 ? 'ipv6.src' : 'ip.src'];
  const q = info.inner;
  if (src.length < 2) return q.valid ? 'quoted packet where tshark sees none' : '';
  if (!q.valid) return 'no quoted packet';
  if (formatSource(q) !== src[1] || formatDestination(q) !== row[v6 ? 'ipv6.dst' : 'ip.dst'][1]) {
    return `quoted addresses ${formatSource(q)} > ${formatDestination(q)}`;
  }
  if (!v6 && q.proto !== Number(row['ip.proto'][1])) return `quoted protocol ${q.proto}`;
  for (const t of ['tcp', 'udp']) {
    if (row[`${t}.srcport` as keyof Row].length > 0) {
      if (q.sport !== Number(row[`${t}.srcport` as keyof Row][0]) || q.dport !== Number(row[`${t}.dstport` as keyof Row][0])) {
        return `quoted ports ${q.sport} > ${q.dport}`;
      }
    }
  }
  const types = row[`${l4}.type` as keyof Row];
  if (types.length > 1 && q.icmpType !== Number(types[1])) return `quoted icmp type ${q.icmpType}`;
  return '';
}

describe('shared captures decode like tshark dissects them', () => {
  const totals = { packets: 0, ip: 0, quoted: 0, vlan: 0, tsharkPackets: 0, tsharkIp: 0, tsharkQuoted: 0, tsharkVlan: 0 };

  it.each(FILES)('%s', (file) => {
    const rows = tsharkRows(file);
    for (const r of rows) {
      totals.tsharkPackets++;
      if (/:ipv?6?:/.test(r['frame.protocols'][0] + ':')) totals.tsharkIp++;
      if (r['ip.src'].length > 1 && r['frame.protocols'][0].includes(':icmp:')) totals.tsharkQuoted++;
      if (r['vlan.id'].length > 0) totals.tsharkVlan++;
    }
    const opened = openCaptureFile(DIR + file);
    if (!opened.ok) throw new Error(opened.code);
    const info = new PacketInfo();
    const problems: string[] = [];
    let i = 0;
    opened.reader.forEach((rec) => {
      decodeRecord(info, rec);
      const row = rows[i];
      const diff = row === undefined ? 'tshark has no such frame' : difference(info, row);
      if (diff !== '' && problems.length < 5) problems.push(`frame ${i + 1}: ${diff}`);
      totals.packets++;
      if (info.ipVersion !== 0) totals.ip++;
      if (info.inner.valid) totals.quoted++;
      if (info.vlanCount > 0) totals.vlan++;
      i++;
    });
    expect(problems).toEqual([]);
    expect(i).toBe(rows.length);
  }, 30_000);

  it('covered IP, VLAN-tagged and ICMP-error packets', () => {
    expect(totals.packets).toBe(totals.tsharkPackets);
    expect(totals.ip).toBe(totals.tsharkIp);
    expect(totals.vlan).toBe(totals.tsharkVlan);
    expect(totals.quoted).toBe(totals.tsharkQuoted);
    // The index's own figures: 14 + 14 QinQ/802.1Q frames plus the tagged ICMP capture; 33 + 1 Windows tracert errors at least.
    expect(totals.vlan).toBeGreaterThanOrEqual(28);
    expect(totals.quoted).toBeGreaterThanOrEqual(34);
  });
});
