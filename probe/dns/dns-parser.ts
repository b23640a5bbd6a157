/**
 * DNS messages (RFC 1035 §4.1) from a UDP payload or a TCP segment, reduced
 * to what naming needs: the questions and the A, AAAA, CNAME and PTR answers.
 * Authority and additional sections are not read. Never throws; every read is
 * checked against the message end, and names are bounded so no input can
 * loop or cost more than a few hundred steps per name.
 *
 * Header:    0 id  2 QR|opcode(4)|AA|TC|RD  3 RA|Z|AD|CD|rcode(4)  4 qdcount  6 ancount  8 nscount  10 arcount  12 questions
 * Question:  name  type(2)  class(2)
 * Record:    name  type(2)  class(2)  ttl(4)  rdlength(2)  rdata
 * Name:      labels, each a length byte (≤ 63) and that many bytes, ending with 0 or
 *            with a 2-byte pointer 11xxxxxx xxxxxxxx to an offset in the message
 * TCP:       0 message length(2)  2 message
 */
import { formatIPv4, formatIPv6 } from '../../protocol/address.js';

/** Stable error codes of the DNS parser; tests and counters use these, never message text. */
export const DnsErrorCode = {
  /** The message ends inside the header, a question or an answer. */
  TRUNCATED: 'DNS_ERR_TRUNCATED',
  /** A compression pointer points outside the message or into its header. */
  BAD_POINTER: 'DNS_ERR_BAD_POINTER',
  /** A compression pointer does not point before the name it continues (a loop or a forward reference), or too many pointers. */
  POINTER_LOOP: 'DNS_ERR_POINTER_LOOP',
  /** A label length byte of the reserved kinds 01xxxxxx / 10xxxxxx. */
  BAD_LABEL: 'DNS_ERR_BAD_LABEL',
  /** A name longer than 255 bytes in wire form. */
  NAME_TOO_LONG: 'DNS_ERR_NAME_TOO_LONG',
  /** More questions or answers declared than the limits allow. */
  TOO_MANY_RECORDS: 'DNS_ERR_TOO_MANY_RECORDS',
  /** Record data of the wrong size for its type (A not 4 bytes, a CNAME running past its rdata, ...). */
  BAD_RDATA: 'DNS_ERR_BAD_RDATA',
  /** A TCP segment holding only the start of a message: it continues in later segments, which are not reassembled. */
  TCP_PARTIAL: 'DNS_ERR_TCP_PARTIAL',
  /** A TCP length prefix smaller than a DNS header, or a segment too short to hold the prefix. */
  TCP_LENGTH: 'DNS_ERR_TCP_LENGTH',
} as const;

export type DnsErrorCodeValue = (typeof DnsErrorCode)[keyof typeof DnsErrorCode];

/** A parsing failure: stable code and a detail naming the offset in the message. */
export interface DnsError {
  ok: false;
  code: DnsErrorCodeValue;
  detail: string;
}

/** Record types the parser keeps; every other type is skipped. */
export const RRType = { A: 1, CNAME: 5, PTR: 12, AAAA: 28 } as const;

/** One question: name in lower case without trailing dot ('' for the root). */
export interface DnsQuestion {
  name: string;
  type: number;
  /** Class with the mDNS unicast-response bit cleared. */
  cls: number;
}

/** One kept answer of class IN: address text for A/AAAA, target name for CNAME/PTR. */
export interface DnsAnswer {
  name: string;
  type: number;
  ttl: number;
  data: string;
}

/** The parts of a DNS message naming needs. */
export interface DnsMessage {
  id: number;
  response: boolean;
  opcode: number;
  authoritative: boolean;
  truncated: boolean;
  rcode: number;
  questions: DnsQuestion[];
  /** Answers of the kept types, in message order. */
  answers: DnsAnswer[];
  /** Answer count the header declared (kept or not). */
  answerCount: number;
}

/** Result of parsing one message. */
export type DnsResult = { ok: true; message: DnsMessage } | DnsError;

/** Bounds on what one message may make the parser do. */
export interface DnsLimits {
  /** Largest qdcount accepted (real messages carry one; mDNS answers none). */
  maxQuestions: number;
  /** Largest ancount accepted. */
  maxAnswers: number;
  /** Compression pointers followed within one name. */
  maxPointers: number;
}

/** Defaults for {@link DnsLimits}. */
export const DEFAULT_DNS_LIMITS: Readonly<DnsLimits> = { maxQuestions: 8, maxAnswers: 256, maxPointers: 32 };

const HEADER = 12;
const MAX_NAME_WIRE = 255;
const CLASS_IN = 1;

function fail(code: DnsErrorCodeValue, detail: string): DnsError {
  return { ok: false, code, detail };
}

/** Result of reading a name: its text and the offset after its in-place bytes, or an error. */
type NameRead = { ok: true; name: string; end: number } | DnsError;

/** Parser state for one message: bytes, where the message starts and ends, the limits. */
interface Msg {
  b: Uint8Array;
  start: number;
  end: number;
  limits: DnsLimits;
}

/**
 * Reads the name at p. Pointers must go strictly below the start of the label
 * run they end: compressors only refer to names already written, and this makes
 * every chain of pointers finite.
 */
function readName(m: Msg, p: number, wantText: boolean): NameRead {
  const { b, start, end } = m;
  let runStart = p;
  let after = -1;
  let wire = 1; // the final zero byte
  let jumps = 0;
  let text = '';
  for (;;) {
    if (p >= end) return fail(DnsErrorCode.TRUNCATED, `name runs past the message at ${p - start}`);
    const len = b[p];
    if (len === 0) {
      if (after < 0) after = p + 1;
      return { ok: true, name: text, end: after };
    }
    const kind = len & 0xc0;
    if (kind === 0xc0) {
      if (p + 2 > end) return fail(DnsErrorCode.TRUNCATED, `pointer cut at ${p - start}`);
      const target = ((len & 0x3f) << 8) | b[p + 1];
      if (start + target >= end || target < HEADER) return fail(DnsErrorCode.BAD_POINTER, `pointer at ${p - start} to ${target}`);
      if (start + target >= runStart || ++jumps > m.limits.maxPointers) {
        return fail(DnsErrorCode.POINTER_LOOP, `pointer at ${p - start} to ${target}`);
      }
      if (after < 0) after = p + 2;
      p = runStart = start + target;
      continue;
    }
    if (kind !== 0) return fail(DnsErrorCode.BAD_LABEL, `label type ${kind >> 6} at ${p - start}`);
    wire += len + 1;
    if (wire > MAX_NAME_WIRE) return fail(DnsErrorCode.NAME_TOO_LONG, `name over ${MAX_NAME_WIRE} bytes at ${p - start}`);
    if (p + 1 + len > end) return fail(DnsErrorCode.TRUNCATED, `label cut at ${p - start}`);
    if (wantText) text = appendLabel(text, b, p + 1, p + 1 + len);
    p += 1 + len;
  }
}

/** Appends one label in presentation form: ASCII letters lowered, dots, backslashes and unprintable bytes as \DDD. */
function appendLabel(text: string, b: Uint8Array, p: number, e: number): string {
  let s = text.length > 0 ? text + '.' : text;
  for (let i = p; i < e; i++) {
    const c = b[i];
    if (c >= 0x41 && c <= 0x5a) s += String.fromCharCode(c + 32);
    else if (c > 0x20 && c < 0x7f && c !== 0x2e && c !== 0x5c) s += String.fromCharCode(c);
    else s += '\\' + String(c).padStart(3, '0');
  }
  return s;
}

function be16(b: Uint8Array, p: number): number {
  return (b[p] << 8) | b[p + 1];
}

/** Decodes the rdata of a kept type into text, or returns an error. */
function rdataText(m: Msg, type: number, p: number, rdEnd: number): { ok: true; text: string } | DnsError {
  const len = rdEnd - p;
  if (type === RRType.A) {
    if (len !== 4) return fail(DnsErrorCode.BAD_RDATA, `A record of ${len} bytes at ${p - m.start}`);
    return { ok: true, text: formatIPv4(((m.b[p] << 24) | (m.b[p + 1] << 16) | (m.b[p + 2] << 8) | m.b[p + 3]) >>> 0) };
  }
  if (type === RRType.AAAA) {
    if (len !== 16) return fail(DnsErrorCode.BAD_RDATA, `AAAA record of ${len} bytes at ${p - m.start}`);
    return { ok: true, text: formatIPv6(m.b, p) };
  }
  // CNAME and PTR: one name, whose in-place bytes stay inside the rdata.
  const n = readName(m, p, true);
  if (!n.ok) return n;
  if (n.end > rdEnd) return fail(DnsErrorCode.BAD_RDATA, `name runs past its rdata at ${p - m.start}`);
  return { ok: true, text: n.name };
}

/** Parses the DNS message b[start, end). */
export function parseDnsMessage(b: Uint8Array, start: number, end: number, limits: DnsLimits = DEFAULT_DNS_LIMITS): DnsResult {
  if (!(start >= 0 && end <= b.length && start <= end)) return fail(DnsErrorCode.TRUNCATED, 'empty message');
  if (end - start < HEADER) return fail(DnsErrorCode.TRUNCATED, `header needs ${HEADER} bytes, have ${end - start}`);
  const m: Msg = { b, start, end, limits };
  const f1 = b[start + 2];
  const f2 = b[start + 3];
  const qd = be16(b, start + 4);
  const an = be16(b, start + 6);
  if (qd > limits.maxQuestions) return fail(DnsErrorCode.TOO_MANY_RECORDS, `${qd} questions`);
  if (an > limits.maxAnswers) return fail(DnsErrorCode.TOO_MANY_RECORDS, `${an} answers`);
  const msg: DnsMessage = {
    id: be16(b, start),
    response: (f1 & 0x80) !== 0,
    opcode: (f1 >> 3) & 15,
    authoritative: (f1 & 4) !== 0,
    truncated: (f1 & 2) !== 0,
    rcode: f2 & 15,
    questions: [],
    answers: [],
    answerCount: an,
  };
  let p = start + HEADER;
  for (let i = 0; i < qd; i++) {
    const n = readName(m, p, true);
    if (!n.ok) return n;
    p = n.end;
    if (p + 4 > end) return fail(DnsErrorCode.TRUNCATED, `question ${i} cut at ${p - start}`);
    msg.questions.push({ name: n.name, type: be16(b, p), cls: be16(b, p + 2) & 0x7fff });
    p += 4;
  }
  for (let i = 0; i < an; i++) {
    const owner = p;
    const n = readName(m, p, false); // walk first: most answers of other types never need the text
    if (!n.ok) return n;
    p = n.end;
    if (p + 10 > end) return fail(DnsErrorCode.TRUNCATED, `answer ${i} cut at ${p - start}`);
    const type = be16(b, p);
    const cls = be16(b, p + 2) & 0x7fff; // mDNS cache-flush bit
    const ttl = ((b[p + 4] << 24) | (b[p + 5] << 16) | (b[p + 6] << 8) | b[p + 7]) >>> 0;
    const rdLen = be16(b, p + 8);
    const rd = p + 10;
    if (rd + rdLen > end) return fail(DnsErrorCode.TRUNCATED, `answer ${i} rdata cut at ${rd - start}`);
    p = rd + rdLen;
    if (cls !== CLASS_IN || !(type === RRType.A || type === RRType.AAAA || type === RRType.CNAME || type === RRType.PTR)) continue;
    const owned = readName(m, owner, true);
    if (!owned.ok) return owned;
    const data = rdataText(m, type, rd, rd + rdLen);
    if (!data.ok) return data;
    msg.answers.push({ name: owned.name, type, ttl, data: data.text });
  }
  return { ok: true, message: msg };
}

/**
 * Parses a DNS message carried over TCP, from a segment payload b[start, end)
 * that begins with the 2-byte length prefix. Only a message wholly inside the
 * segment is parsed; one that continues in later segments is reported as
 * TCP_PARTIAL (segments are not reassembled), and bytes after the first
 * message (a pipelined second one) are ignored.
 */
export function parseDnsTcp(b: Uint8Array, start: number, end: number, limits: DnsLimits = DEFAULT_DNS_LIMITS): DnsResult {
  if (!(start >= 0 && end <= b.length && end - start >= 2)) return fail(DnsErrorCode.TCP_LENGTH, 'segment shorter than the length prefix');
  const len = be16(b, start);
  if (len < HEADER) return fail(DnsErrorCode.TCP_LENGTH, `length prefix ${len}`);
  if (start + 2 + len > end) return fail(DnsErrorCode.TCP_PARTIAL, `message of ${len} bytes, segment holds ${end - start - 2}`);
  return parseDnsMessage(b, start + 2, start + 2 + len, limits);
}
