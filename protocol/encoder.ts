import { parseIPv4, parseIPv6 } from './address.js';
import type { Field, MessageSpec, ModuleSpec } from './fields.js';

/**
 * Builds, from the same module tables as the decoder, a sizer and a writer per
 * message. They are generated as straight-line code (one function per message
 * type) because a generic loop over fields makes every property access
 * megamorphic and runs an order of magnitude slower on the per-event path.
 * Encoding input comes from our own code, so a bad value is a programmer bug
 * and throws RangeError naming the field.
 */

type Msg = Record<string, unknown>;
type Sizer = (m: Msg) => number;
type Writer = (m: Msg, out: Buffer, o: number) => number;

/** The compiled encoder of one message type. */
export interface MessageEncoder { module: number; type: number; name: string; size: Sizer; write: Writer }

function bad(at: string, v: unknown): never {
  throw new RangeError(`cannot encode ${at} = ${JSON.stringify(v)}`);
}

function parse4(v: unknown, at: string): number {
  const n = typeof v === 'string' ? parseIPv4(v) : -1;
  return n < 0 ? bad(at, v) : n;
}

function parse6(v: unknown, at: string): Uint8Array {
  const b = typeof v === 'string' ? parseIPv6(v) : null;
  return b === null ? bad(at, v) : b;
}

const INT_LIMITS: Record<string, [number, number]> = {
  u8: [0, 0xff], u16: [0, 0xffff], u32: [0, 0xffffffff], i32: [-0x80000000, 0x7fffffff],
};

const IDENT = /^[a-z_][a-z0-9_]*$/;

interface Gen { size: string[]; write: string[]; fixed: number; consts: unknown[] }

function constant(g: Gen, v: unknown): string {
  g.consts.push(v);
  return `C[${g.consts.length - 1}]`;
}

/** Emits code for `fields` of the object held in variable `obj`; `fam` is the expression of its family. */
function emit(g: Gen, fields: readonly Field[], obj: string, fam: string, at: string, depth: number): void {
  for (const f of fields) {
    if (!IDENT.test(f.name)) throw new Error(`table error: field name ${f.name}`);
    const v = `${obj}.${f.name}`;
    const where = JSON.stringify(`${at}.${f.name}`);
    switch (f.kind) {
      case 'u8': case 'u16': case 'u32': case 'i32': {
        const [lo, hi] = INT_LIMITS[f.kind];
        const min = Math.max(lo, f.min ?? lo);
        const max = Math.min(hi, f.max ?? hi);
        const w = f.kind === 'u8' ? 1 : f.kind === 'u16' ? 2 : 4;
        g.fixed += w;
        const get = f.nullValue === undefined ? `v = ${v};` : `v = ${v}; if (v === null) v = ${f.nullValue}; else`;
        g.write.push(`${get} if (!Number.isInteger(v) || v < ${min} || v > ${max}) bad(${where}, v);`);
        g.write.push(w === 1 ? 'out[o] = v;' : w === 2 ? 'out[o] = v >>> 8; out[o + 1] = v & 255;'
          : f.kind === 'i32' ? 'out.writeInt32BE(v, o);' : 'out.writeUInt32BE(v, o);');
        g.write.push(`o += ${w};`);
        break;
      }
      case 'time':
        g.fixed += 8;
        g.write.push(`v = ${v}; if (!Number.isSafeInteger(v) || v < 0) bad(${where}, v);`);
        g.write.push('h = Math.floor(v / 4294967296); out.writeUInt32BE(h, o); out.writeUInt32BE(v - h * 4294967296, o + 4); o += 8;');
        break;
      case 'enum': {
        const table = constant(g, new Map(Object.entries(f.values)));
        g.fixed += 1;
        g.write.push(`v = ${table}.get(${v}); if (v === undefined) bad(${where}, ${v}); out[o++] = v;`);
        break;
      }
      case 'family':
        g.fixed += 1;
        g.write.push(`v = ${v}; if (v !== 4 && v !== 6) bad(${where}, v); out[o++] = v;`);
        break;
      case 'addr': {
        const opt = f.optional === true;
        g.size.push(`s += ${fam} === 4 ? 4 : 16;`);
        g.write.push(`v = ${v};`);
        g.write.push(`if (${fam} === 4) { out.writeUInt32BE(${opt ? 'v === null ? 0 : ' : ''}parse4(v, ${where}), o); o += 4; }`);
        g.write.push(`else { ${opt ? 'if (v === null) out.fill(0, o, o + 16); else ' : ''}out.set(parse6(v, ${where}), o); o += 16; }`);
        break;
      }
      case 'str8': case 'str16': {
        const p = f.kind === 'str8' ? 1 : 2;
        g.size.push(`s += ${p} + Buffer.byteLength(${v}, 'utf8');`);
        g.write.push(`v = ${v}; if (typeof v !== 'string') bad(${where}, v);`);
        g.write.push(`n = Buffer.byteLength(v, 'utf8'); if (n > ${f.max}) bad(${where}, v); out.write(v, o + ${p}, n, 'utf8');`);
        g.write.push(p === 1 ? 'out[o] = n;' : 'out[o] = n >>> 8; out[o + 1] = n & 255;');
        g.write.push(`o += ${p} + n;`);
        break;
      }
      case 'bytes':
        g.fixed += f.length;
        g.write.push(`v = ${v}; if (!(v instanceof Uint8Array) || v.length !== ${f.length}) bad(${where}, v); out.set(v, o); o += ${f.length};`);
        break;
      case 'blob16':
        g.size.push(`v = ${v}; if (!(v instanceof Uint8Array) || v.length > 65535) bad(${where}, v); s += 2 + v.length;`);
        g.write.push(`v = ${v}; if (!(v instanceof Uint8Array) || v.length > 65535) bad(${where}, v);`);
        g.write.push('out[o] = v.length >>> 8; out[o + 1] = v.length & 255; out.set(v, o + 2); o += 2 + v.length;');
        break;
      case 'list': {
        const it = `it${depth}`;
        const list = `l${depth}`;
        g.size.push(`${list} = ${v}; if (!Array.isArray(${list}) || ${list}.length > ${f.max}) bad(${where}, ${list}); s += 1;`);
        g.write.push(`${list} = ${v}; out[o++] = ${list}.length;`);
        const inner: Gen = { size: [], write: [], fixed: 0, consts: g.consts };
        emit(inner, f.item, it, fam, `${at}.${f.name}[]`, depth + 1);
        g.size.push(`for (const ${it} of ${list}) { s += ${inner.fixed}; ${inner.size.join(' ')} }`);
        g.write.push(`for (const ${it} of ${list}) { ${inner.write.join(' ')} }`);
        break;
      }
    }
  }
}

/** Compiles the encoder of one message type. */
export function buildMessageEncoder(mod: ModuleSpec, msg: MessageSpec): MessageEncoder {
  const g: Gen = { size: [], write: [], fixed: 0, consts: [] };
  emit(g, msg.fields, 'm', 'm.family', msg.name, 0);
  const lists = 'let l0, l1, l2;';
  const make = new Function('C', 'bad', 'parse4', 'parse6', `
    return {
      size(m) { ${lists} let v, s = ${g.fixed}; ${g.size.join('\n')} return s; },
      write(m, out, o) { ${lists} let v, h, n; ${g.write.join('\n')} return o; },
    };`);
  const { size, write } = make(g.consts, bad, parse4, parse6) as { size: Sizer; write: Writer };
  return { module: mod.id, type: msg.type, name: msg.name, size, write };
}
