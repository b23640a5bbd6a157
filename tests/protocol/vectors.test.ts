/**
 * The codec against the hand-written vectors of spec/vectors/ (module-*.json,
 * datagram.json): every valid vector decodes to its `decoded` form and encodes
 * back to its bytes; every invalid vector fails with exactly its code. Also
 * checks that the vectors cover every error code and every message type, and
 * that the byte diagrams of spec/protocol.md still match the message tables.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeDatagram, encodeDatagram, type DatagramHeader, type Message } from '../../protocol/datagram.js';
import { ErrorCode } from '../../protocol/errors.js';
import { fixedSize, type Field, type MessageSpec } from '../../protocol/fields.js';
import { MODULES } from '../../protocol/registry.js';
import { tableView } from '../helpers/protocol-arbitraries.js';

interface Decoded { header: DatagramHeader; messages: Record<string, unknown>[]; skipped: number }
interface ValidVector { name: string; hex: string; decoded: Decoded; strict: boolean; roundtrip?: boolean }
interface InvalidVector { name: string; hex: string; error: string; strict: boolean }
type Vector = ValidVector | InvalidVector;

const FILES = ['module-0.json', 'module-1.json', 'module-2.json', 'datagram.json'] as const;
const specDir = new URL('../../spec/', import.meta.url);
const load = (file: string): Vector[] => JSON.parse(readFileSync(new URL(`vectors/${file}`, specDir), 'utf8')) as Vector[];
const vectors = Object.fromEntries(FILES.map((f) => [f, load(f)])) as Record<(typeof FILES)[number], Vector[]>;
const all = FILES.flatMap((f) => vectors[f]);
const isValid = (v: Vector): v is ValidVector => 'decoded' in v;

function specOf(module: number, type: number): MessageSpec {
  const m = MODULES.find((x) => x.id === module)?.messages.find((x) => x.type === type);
  if (!m) throw new Error(`no message ${module}/${type} in MODULES`);
  return m;
}

/**
 * Decoder output in the vectors' JSON shape: byte strings become lowercase hex.
 * Messages are compared through tableView(): decoded objects also carry the
 * parser's framing helpers (length, _end, *_len, *_count, *_hi), which are not
 * part of the wire format the vectors describe.
 */
function toJsonShape(v: unknown): unknown {
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex');
  if (Array.isArray(v)) return v.map(toJsonShape);
  if (v !== null && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toJsonShape(x)]));
  }
  return v;
}

/** The vectors' JSON shape back to what the encoder takes: `bytes` fields as Buffers. */
function fieldsToWire(fields: readonly Field[], rec: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...rec };
  for (const f of fields) {
    if (f.kind === 'bytes' || f.kind === 'blob16') out[f.name] = Buffer.from(rec[f.name] as string, 'hex');
    if (f.kind === 'list') out[f.name] = (rec[f.name] as Record<string, unknown>[]).map((i) => fieldsToWire(f.item, i));
  }
  return out;
}
const toWire = (m: Record<string, unknown>): Message =>
  fieldsToWire(specOf(m.module as number, m.type as number).fields, m) as Message;

for (const file of FILES) {
  describe(`spec/vectors/${file}`, () => {
    it('has unique vector names', () => {
      const names = vectors[file].map((v) => v.name);
      expect(new Set(names).size).toBe(names.length);
    });

    for (const v of vectors[file]) {
      const buf = Buffer.from(v.hex, 'hex');
      if (isValid(v)) {
        it(`decodes: ${v.name}`, () => {
          const r = decodeDatagram(buf, v.strict);
          if (!r.ok) expect.fail(`${r.code}: ${r.detail}`);
          expect(toJsonShape({ header: r.header, messages: r.messages.map(tableView), skipped: r.skipped })).toEqual(v.decoded);
        });
        it(`encodes: ${v.name}`, () => {
          const out = encodeDatagram(v.decoded.header, v.decoded.messages.map(toWire));
          if (v.roundtrip !== false) {
            expect(out.toString('hex')).toBe(v.hex);
          } else {
            // Skipped messages cannot be re-encoded; what is left must survive the trip.
            const again = decodeDatagram(out, true);
            if (!again.ok) expect.fail(`${again.code}: ${again.detail}`);
            expect(toJsonShape(again.messages.map(tableView))).toEqual(v.decoded.messages);
          }
        });
      } else {
        it(`rejects with ${v.error}: ${v.name}`, () => {
          const r = decodeDatagram(buf, v.strict);
          expect(r.ok).toBe(false);
          if (!r.ok) expect(r.code).toBe(v.error);
        });
      }
    }
  });
}

describe('vector coverage', () => {
  it('has an invalid vector for every decoder error code', () => {
    const sessionOnly: string[] = [ErrorCode.AUTH_FAILED, ErrorCode.REPLAYED];
    const covered = new Set(all.filter((v) => !isValid(v)).map((v) => (v as InvalidVector).error));
    const missing = Object.values(ErrorCode).filter((c) => !sessionOnly.includes(c) && !covered.has(c));
    expect(missing).toEqual([]);
  });

  it('uses only codes that exist', () => {
    const known = new Set<string>(Object.values(ErrorCode));
    expect(all.filter((v) => !isValid(v) && !known.has(v.error)).map((v) => v.name)).toEqual([]);
  });

  it('has a valid vector for every message type in MODULES', () => {
    const seen = new Set(all.filter(isValid).flatMap((v) => v.decoded.messages.map((m) => `${m.module}/${m.type}`)));
    const missing = MODULES.flatMap((mod) => mod.messages.map((m) => `${mod.id}/${m.type} ${m.name}`))
      .filter((k) => !seen.has(k.split(' ')[0]));
    expect(missing).toEqual([]);
  });

  it('has IPv4 and IPv6 vectors for every message with an address family', () => {
    const fams = new Set(all.filter(isValid).flatMap((v) => v.decoded.messages.map((m) => `${m.module}/${m.type}/${m.family}`)));
    const missing = MODULES.flatMap((mod) => mod.messages
      .filter((m) => m.fields.some((f) => f.kind === 'family'))
      .flatMap((m) => [4, 6].map((fam) => `${mod.id}/${m.type}/${fam}`)))
      .filter((k) => !fams.has(k));
    expect(missing).toEqual([]);
  });
});

/** Field rows of one message section of spec/protocol.md: [offset cell, field name, kind cell]. */
function specRows(doc: string, mod: number, spec: MessageSpec): [string, string, string][] {
  const head = `\n#### ${spec.name} (module ${mod}, type ${spec.type})\n`;
  const start = doc.indexOf(head);
  if (start < 0) return [];
  const end = doc.indexOf('\n#', start + head.length);
  const section = doc.slice(start, end < 0 ? undefined : end);
  const rows: [string, string, string][] = [];
  for (const line of section.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    const name = /^`([a-z_]+(?:\[\]\.[a-z_]+)?)`$/.exec(cells[3] ?? '');
    if (name) rows.push([cells[1], name[1], cells[4]]);
  }
  return rows;
}

/** Field names (list items as `list[].item`) and, while sizes are fixed, their offsets for both families. */
function tableRows(fields: readonly Field[]): { name: string; kind: string; off4?: number; off6?: number }[] {
  const rows: { name: string; kind: string; off4?: number; off6?: number }[] = [];
  let off4: number | undefined = 0;
  let off6: number | undefined = 0;
  for (const f of fields) {
    rows.push({ name: f.name, kind: f.kind, off4, off6 });
    const s4 = fixedSize(f, 4);
    const s6 = fixedSize(f, 6);
    off4 = off4 === undefined || s4 < 0 ? undefined : off4 + s4;
    off6 = off6 === undefined || s6 < 0 ? undefined : off6 + s6;
    if (f.kind === 'list') for (const i of f.item) rows.push({ name: `${f.name}[].${i.name}`, kind: i.kind });
  }
  return rows;
}

describe('spec/protocol.md byte diagrams', () => {
  const doc = readFileSync(new URL('protocol.md', specDir), 'utf8');
  for (const mod of MODULES) {
    for (const spec of mod.messages) {
      it(`${spec.name} (module ${mod.id}, type ${spec.type}) lists the table's fields, kinds and offsets`, () => {
        const rows = specRows(doc, mod.id, spec);
        const want = tableRows(spec.fields);
        expect(rows.map((r) => r[1])).toEqual(want.map((w) => w.name));
        rows.forEach(([offCell, , kindCell], i) => {
          expect(kindCell.split(' ')[0].replace(/`/g, '')).toBe(want[i].kind);
          // Offsets are "n" or "n / m" (IPv4 / IPv6); variable ones ("13+N") are not checked.
          const m = /^(\d+)(?: \/ (\d+))?$/.exec(offCell);
          if (m && want[i].off4 !== undefined) {
            expect(Number(m[1])).toBe(want[i].off4);
            expect(Number(m[2] ?? m[1])).toBe(want[i].off6);
          }
        });
      });
    }
  }
});
