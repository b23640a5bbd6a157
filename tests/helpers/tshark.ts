/**
 * tshark as the reference: one run per capture gives every frame's outermost
 * IP header, transport ports, VLAN tags and DNS answer fields, plus tshark's
 * own TCP and UDP conversation tables. Reassembly is off so each frame stands
 * for itself, as it does for the probe.
 */
import { spawn } from 'node:child_process';

/** What tshark saw in one frame. */
export interface TsharkFrame {
  number: number;
  /** Bytes on the wire (frame.len). */
  len: number;
  /** tshark's layer list, e.g. "eth:ethertype:ip:icmp:ip:udp". */
  protocols: string;
  /** VLAN ids, outermost first. */
  vlans: number[];
  /** Family of the outermost IP header, 0 when the frame carries no IP. */
  family: 0 | 4 | 6;
  /** Protocol name right after the outermost IP header in frame.protocols ('tcp', 'udp', 'icmp', 'gre', ...). */
  transport: string;
  src: string;
  dst: string;
  /** Ports of the outermost TCP or UDP header; 0 otherwise. */
  sport: number;
  dport: number;
  /** Capture time, microseconds since the epoch. */
  micros: number;
  /** Flags of the outermost TCP header (FIN 1, SYN 2, RST 4, ACK 16, ...); 0 otherwise. */
  tcpFlags: number;
  /** DNS fields, present when the frame's outer transport carries a DNS message. */
  dns: DnsFields | null;
}

/** DNS fields of one frame, every occurrence in order. */
export interface DnsFields {
  response: boolean;
  opcode: number;
  rcode: number;
  questions: string[];
  answerCount: number;
  owners: string[];
  types: number[];
  classes: number[];
  a: string[];
  aaaa: string[];
  cname: string[];
  ptr: string[];
}

/** One row of tshark's `-z conv,tcp` / `-z conv,udp` table. */
export interface ConvRow {
  proto: 'tcp' | 'udp';
  a: string;
  aPort: number;
  b: string;
  bPort: number;
  /** Frames and bytes B → A ("<-") and A → B ("->"); bytes as tshark prints them: exact below 10 000, else floored to a unit. */
  framesBA: number;
  bytesBA: PrintedSize;
  framesAB: number;
  bytesAB: PrintedSize;
}

/** A byte count as tshark prints it: `value` whole `unit`s (1 for "bytes", 1000 for "kB", ...), floored. */
export interface PrintedSize {
  value: number;
  unit: number;
}

/** Everything one tshark run says about a capture. */
export interface TsharkView {
  frames: TsharkFrame[];
  conversations: ConvRow[];
  exitCode: number;
  stderr: string;
}

const FIELDS = [
  'frame.number', 'frame.len', 'frame.protocols', 'vlan.id',
  'ip.src', 'ip.dst', 'ipv6.src', 'ipv6.dst', 'tcp.srcport', 'tcp.dstport', 'udp.srcport', 'udp.dstport',
  'dns.flags.response', 'dns.flags.opcode', 'dns.flags.rcode', 'dns.qry.name', 'dns.count.answers',
  'dns.resp.name', 'dns.resp.type', 'dns.resp.class', 'dns.a', 'dns.aaaa', 'dns.cname', 'dns.ptr.domain_name',
  'frame.time_epoch', 'tcp.flags',
] as const;

/** Occurrences inside one field are joined with this byte, which no printed field contains. */
const AGG = '\x1f';

const PREFS = [
  '-o', 'ip.defragment:FALSE', '-o', 'ipv6.defragment:FALSE', '-o', 'tcp.desegment_tcp_streams:FALSE',
];

/** Canonical text of an address (IPv6 compressed the same way whoever printed it). */
export function canonicalAddress(a: string): string {
  if (!a.includes(':')) return a;
  return new URL(`http://[${a}]/`).hostname.slice(1, -1);
}

/** Runs tshark on a capture; resolves whatever its exit code (a cut-short file still prints its good frames). */
export function runTshark(path: string): Promise<TsharkView> {
  const args = ['-n', '-r', path, ...PREFS, '-T', 'fields', '-E', 'occurrence=a', '-E', `aggregator=${AGG}`];
  for (const f of FIELDS) args.push('-e', f);
  args.push('-z', 'conv,tcp', '-z', 'conv,udp');
  return new Promise((resolve, reject) => {
    const child = spawn('tshark', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', reject);
    child.on('close', (code) => {
      const text = Buffer.concat(out).toString('utf8');
      resolve({ ...parseOutput(text), exitCode: code ?? -1, stderr: Buffer.concat(err).toString('utf8') });
    });
  });
}

function parseOutput(text: string): { frames: TsharkFrame[]; conversations: ConvRow[] } {
  const frames: TsharkFrame[] = [];
  const conversations: ConvRow[] = [];
  let table: 'tcp' | 'udp' | null = null;
  for (const line of text.split('\n')) {
    if (line === 'TCP Conversations') table = 'tcp';
    else if (line === 'UDP Conversations') table = 'udp';
    if (table !== null) {
      const row = parseConvLine(table, line);
      if (row !== null) conversations.push(row);
      continue;
    }
    const cols = line.split('\t');
    if (cols.length !== FIELDS.length) continue;
    frames.push(parseFrame(cols));
  }
  return { frames, conversations };
}

const list = (s: string): string[] => (s === '' ? [] : s.split(AGG));
const nums = (s: string): number[] => list(s).map((x) => Number(x));

/** Transport protocols the probe keys by port. */
const PORTED = new Set(['tcp', 'udp']);

function parseFrame(c: string[]): TsharkFrame {
  const [num, len, protocols, vlan, ipSrc, ipDst, ip6Src, ip6Dst, tSport, tDport, uSport, uDport] = c;
  const layers = protocols.split(':');
  const ipAt = layers.findIndex((l) => l === 'ip' || l === 'ipv6');
  const family = ipAt < 0 ? 0 : layers[ipAt] === 'ip' ? 4 : 6;
  // IPv6 extension headers show as their own layers ("ipv6.hopopts", ...): skip them.
  let k = ipAt + 1;
  while (ipAt >= 0 && k < layers.length && layers[k].startsWith('ipv6.')) k++;
  const transport = ipAt < 0 ? '' : layers[k] ?? '';
  const first = (s: string): string => list(s)[0] ?? '';
  const src = family === 4 ? first(ipSrc) : family === 6 ? canonicalAddress(first(ip6Src)) : '';
  const dst = family === 4 ? first(ipDst) : family === 6 ? canonicalAddress(first(ip6Dst)) : '';
  const sport = transport === 'tcp' ? Number(first(tSport)) : transport === 'udp' ? Number(first(uSport)) : 0;
  const dport = transport === 'tcp' ? Number(first(tDport)) : transport === 'udp' ? Number(first(uDport)) : 0;
  // DNS fields count only when the outer transport carries the message, not an ICMP error quoting one.
  const hasDns = PORTED.has(transport) && c[12] !== '';
  const [sec, frac = ''] = c[24].split('.');
  return {
    number: Number(num), len: Number(len), protocols, vlans: nums(vlan), family, transport, src, dst, sport, dport,
    micros: Number(sec) * 1e6 + Number((frac + '000000').slice(0, 6)),
    tcpFlags: transport === 'tcp' ? Number(first(c[25])) : 0,
    dns: hasDns ? parseDns(c) : null,
  };
}

function parseDns(c: string[]): DnsFields {
  return {
    response: list(c[12])[0] === '1',
    opcode: nums(c[13])[0] ?? 0,
    rcode: nums(c[14])[0] ?? 0,
    questions: list(c[15]),
    answerCount: nums(c[16])[0] ?? 0,
    owners: list(c[17]),
    types: nums(c[18]),
    // The mDNS cache-flush bit is not part of the class.
    classes: nums(c[19]).map((x) => x & 0x7fff),
    a: list(c[20]),
    aaaa: list(c[21]),
    cname: list(c[22]),
    ptr: list(c[23]),
  };
}

const UNITS: Record<string, number> = { bytes: 1, kB: 1e3, MB: 1e6, GB: 1e9, TB: 1e12 };

/** A table row: `A:port <-> B:port  f b unit  f b unit  f b unit  start  duration`. */
function parseConvLine(proto: 'tcp' | 'udp', line: string): ConvRow | null {
  const m = /^(\S+)\s+<->\s+(\S+)\s+(\d+)\s+(\d+)\s+(\S+)\s+(\d+)\s+(\d+)\s+(\S+)\s+\d+\s+\d+\s+\S+\s+/.exec(line);
  if (m === null) return null;
  const end = (s: string): [string, number] => [canonicalAddress(s.slice(0, s.lastIndexOf(':'))), Number(s.slice(s.lastIndexOf(':') + 1))];
  const [a, aPort] = end(m[1]);
  const [b, bPort] = end(m[2]);
  return {
    proto, a, aPort, b, bPort,
    framesBA: Number(m[3]), bytesBA: { value: Number(m[4]), unit: UNITS[m[5]] ?? NaN },
    framesAB: Number(m[6]), bytesAB: { value: Number(m[7]), unit: UNITS[m[8]] ?? NaN },
  };
}

/** Name pairs "rrtype addr name" a DNS response gives, by the rules of probe/dns/names.ts, from tshark's fields. */
export function dnsNamePairs(d: DnsFields): string[] {
  if (!d.response || d.opcode !== 0 || d.rcode !== 0 || d.answerCount === 0) return [];
  const lower = (s: string): string => (s === '<Root>' ? '' : s.toLowerCase());
  // Walk every record in order: the n-th record of a type takes the n-th value of that type's field.
  const seen = { a: 0, aaaa: 0, cname: 0, ptr: 0 };
  const answers: { owner: string; type: number; cls: number; data: string }[] = [];
  for (let i = 0; i < d.answerCount && i < d.types.length; i++) {
    const type = d.types[i];
    let data = '';
    if (type === 1) data = d.a[seen.a++] ?? '';
    else if (type === 28) data = canonicalAddress(d.aaaa[seen.aaaa++] ?? '');
    else if (type === 5) data = lower(d.cname[seen.cname++] ?? '');
    else if (type === 12) data = lower(d.ptr[seen.ptr++] ?? '');
    answers.push({ owner: lower(d.owners[i] ?? ''), type, cls: d.classes[i] ?? 0, data });
  }
  const q = d.questions.length > 0 ? lower(d.questions[0]) : null;
  const chain = new Set<string>(q === null ? [] : [q]);
  for (let at = q, i = 0; at !== null && i < 16; i++) {
    const next = answers.find((r) => r.type === 5 && r.cls === 1 && r.owner === at);
    if (next === undefined || chain.has(next.data)) break;
    chain.add(next.data);
    at = next.data;
  }
  const pairs: string[] = [];
  for (const r of answers) {
    if (r.cls !== 1 || (q !== null && !chain.has(r.owner))) continue;
    const asked = q ?? r.owner;
    if ((r.type === 1 || r.type === 28) && asked !== '') pairs.push(`${r.type} ${r.data} ${asked}`);
    if (r.type === 12 && r.data !== '') {
      const addr = reverseAddress(asked);
      if (addr !== null) pairs.push(`12 ${addr} ${r.data}`);
    }
  }
  return pairs;
}

/** The address a reverse-lookup name spells (in-addr.arpa, ip6.arpa), or null. */
export function reverseAddress(name: string): string | null {
  let m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.in-addr\.arpa$/.exec(name);
  if (m) {
    const parts = [m[4], m[3], m[2], m[1]];
    return parts.every((p) => Number(p) <= 255 && !/^0\d/.test(p)) ? parts.map(Number).join('.') : null;
  }
  m = /^((?:[0-9a-f]\.){32})ip6\.arpa$/.exec(name);
  if (m) {
    const hex = m[1].split('.').reverse().join('');
    return canonicalAddress(hex.match(/..../g)!.join(':'));
  }
  return null;
}
