/**
 * A tiny real DNS server on 127.0.0.1 (UDP) for reverse-lookup tests: it reads
 * each query's question, answers PTR queries for the names in its table
 * (keyed by reverse name, e.g. "4.3.2.1.in-addr.arpa"), says NXDOMAIN to
 * everything else, and records every query with its arrival time.
 *
 * Wire layout (RFC 1035 §4.1): header 12 bytes (id, flags, qdcount, ancount,
 * nscount, arcount), then the question (name as length-prefixed labels, qtype,
 * qclass). Answer targets are written label by label from raw bytes, so a
 * table entry can hold what no sane resolver would pass on (spaces, quotes).
 */
import { createSocket, type RemoteInfo } from 'node:dgram';

/** One query the server received. */
export interface DnsQuery {
  /** The question name, lower case, without the trailing dot. */
  name: string;
  qtype: number;
  /** performance.now() when it arrived. */
  atMs: number;
}

/** A running server. */
export interface PtrServer {
  port: number;
  queries: DnsQuery[];
  close(): Promise<void>;
}

const PTR = 12;
const NXDOMAIN = 3;
const FORMERR = 1;

/** The question of a query, or null when it is malformed. */
function question(msg: Buffer): { name: string; qtype: number; end: number } | null {
  if (msg.length < 12 || msg.readUInt16BE(4) !== 1) return null;
  const labels: string[] = [];
  let at = 12;
  for (let n = 0; n < 128; n++) {
    if (at >= msg.length) return null;
    const len = msg[at];
    if (len === 0) {
      if (at + 5 > msg.length) return null;
      return { name: labels.join('.').toLowerCase(), qtype: msg.readUInt16BE(at + 1), end: at + 5 };
    }
    if (len > 63 || at + 1 + len > msg.length) return null;
    labels.push(msg.toString('latin1', at + 1, at + 1 + len));
    at += 1 + len;
  }
  return null;
}

/** A name as wire labels; the labels are taken byte for byte. */
function encodeName(name: string): Buffer {
  const parts = name.replace(/\.$/, '').split('.').map((l) => Buffer.from(l, 'latin1'));
  return Buffer.concat([...parts.flatMap((p) => [Buffer.from([p.length]), p]), Buffer.from([0])]);
}

function respond(query: Buffer, q: { name: string; qtype: number; end: number }, table: ReadonlyMap<string, string>): Buffer {
  const target = q.qtype === PTR ? table.get(q.name) : undefined;
  const header = Buffer.alloc(12);
  header.writeUInt16BE(query.readUInt16BE(0), 0);
  // QR, opcode 0, AA, RD copied; RA; RCODE.
  header.writeUInt16BE(0x8400 | (query.readUInt16BE(2) & 0x0100) | 0x0080 | (target === undefined ? NXDOMAIN : 0), 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(target === undefined ? 0 : 1, 6);
  const parts = [header, query.subarray(12, q.end)];
  if (target !== undefined) {
    const rdata = encodeName(target);
    const rr = Buffer.alloc(12);
    rr.writeUInt16BE(0xc00c, 0); // the question's name, by pointer
    rr.writeUInt16BE(PTR, 2);
    rr.writeUInt16BE(1, 4);
    rr.writeUInt32BE(3600, 6);
    rr.writeUInt16BE(rdata.length, 10);
    parts.push(rr, rdata);
  }
  return Buffer.concat(parts);
}

/** Starts a server answering PTR queries from table (reverse name → target) on an ephemeral port of 127.0.0.1. */
export async function startPtrServer(table: Readonly<Record<string, string>>): Promise<PtrServer> {
  const names = new Map(Object.entries(table).map(([k, v]) => [k.toLowerCase(), v]));
  const queries: DnsQuery[] = [];
  const sock = createSocket('udp4');
  sock.on('message', (msg: Buffer, from: RemoteInfo) => {
    const q = question(msg);
    if (q === null) {
      if (msg.length >= 4) {
        const err = Buffer.alloc(12);
        msg.copy(err, 0, 0, 2);
        err.writeUInt16BE(0x8000 | FORMERR, 2);
        sock.send(err, from.port, from.address);
      }
      return;
    }
    queries.push({ name: q.name, qtype: q.qtype, atMs: performance.now() });
    sock.send(respond(msg, q, names), from.port, from.address);
  });
  await new Promise<void>((resolve, reject) => {
    sock.once('error', reject);
    sock.bind(0, '127.0.0.1', () => resolve());
  });
  return {
    port: sock.address().port,
    queries,
    close: () => new Promise<void>((resolve) => sock.close(() => resolve())),
  };
}
