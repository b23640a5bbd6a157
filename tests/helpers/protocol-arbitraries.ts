import fc from 'fast-check';
import type { Field, MessageSpec, ModuleSpec } from '../../protocol/fields.js';
import { formatIPv4, formatIPv6 } from '../../protocol/address.js';
import { MODULES } from '../../protocol/registry.js';
import type { Message } from '../../protocol/datagram.js';

/** Arbitrary valid messages, generated from the module tables themselves. */

const INT: Record<string, [number, number]> = { u8: [0, 255], u16: [0, 65535], u32: [0, 0xffffffff], i32: [-0x80000000, 0x7fffffff] };

const addr = (fam: 4 | 6, optional: boolean): fc.Arbitrary<string | null> => {
  const a = fam === 4
    ? fc.integer({ min: 0, max: 0xffffffff }).map(formatIPv4)
    : fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => formatIPv6(b));
  // A non-optional all-zero address is legal; an optional one decodes as null, so generate null instead.
  return optional ? fc.oneof(fc.constant(null), a.filter((s) => s !== '0.0.0.0' && s !== '::')) : a;
};

function stringOfMaxBytes(max: number): fc.Arbitrary<string> {
  return fc.string({ unit: 'grapheme', maxLength: max }).filter((s) => Buffer.byteLength(s) <= max);
}

function fieldsArb(fields: readonly Field[], fam: 4 | 6): Record<string, fc.Arbitrary<unknown>> {
  const out: Record<string, fc.Arbitrary<unknown>> = {};
  for (const f of fields) {
    switch (f.kind) {
      case 'u8': case 'u16': case 'u32': case 'i32': {
        const [lo, hi] = INT[f.kind];
        const base = fc.integer({ min: Math.max(lo, f.min ?? lo), max: Math.min(hi, f.max ?? hi) });
        out[f.name] = f.nullValue === undefined ? base : fc.oneof(fc.constant(null), base.filter((v) => v !== f.nullValue));
        break;
      }
      case 'time': out[f.name] = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }); break;
      case 'enum': out[f.name] = fc.constantFrom(...Object.keys(f.values)); break;
      case 'family': out[f.name] = fc.constant(fam); break;
      case 'addr': out[f.name] = addr(fam, f.optional === true); break;
      case 'str8': case 'str16': out[f.name] = stringOfMaxBytes(f.max); break;
      case 'bytes': out[f.name] = fc.uint8Array({ minLength: f.length, maxLength: f.length }).map((b) => Buffer.from(b)); break;
      case 'blob16': out[f.name] = fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)); break;
      case 'list': out[f.name] = fc.array(fc.record(fieldsArb(f.item, fam)), { maxLength: Math.min(f.max, 8) }); break;
    }
  }
  return out;
}

/** Arbitrary valid message of one type. */
export function messageArb(mod: ModuleSpec, msg: MessageSpec): fc.Arbitrary<Message> {
  return fc.constantFrom<4 | 6>(4, 6).chain((fam) =>
    fc.record(fieldsArb(msg.fields, fam)).map((r) => ({ module: mod.id, type: msg.type, ...r }) as Message));
}

/** Arbitrary valid message of any type of any module. */
export const anyMessageArb: fc.Arbitrary<Message> = fc.oneof(
  ...MODULES.flatMap((mod) => mod.messages.map((msg) => messageArb(mod, msg))),
);

/** The table fields of a decoded message, without framing helpers, for comparison. */
export function tableView(m: Message): Record<string, unknown> {
  const spec = MODULES.find((x) => x.id === m.module)?.messages.find((x) => x.type === m.type);
  if (!spec) return { module: m.module, type: m.type };
  const pick = (fields: readonly Field[], o: Record<string, unknown>): Record<string, unknown> => {
    const r: Record<string, unknown> = {};
    for (const f of fields) {
      const v = o[f.name];
      if (f.kind === 'list') r[f.name] = (v as Record<string, unknown>[]).map((it) => pick(f.item, it));
      else if (f.kind === 'bytes' || f.kind === 'blob16') r[f.name] = Buffer.from(v as Uint8Array).toString('hex');
      else r[f.name] = v;
    }
    return r;
  };
  return { module: m.module, type: m.type, ...pick(spec.fields, m as Record<string, unknown>) };
}
