import { Parser } from 'binary-parser';
import { formatIPv4, formatIPv6 } from './address.js';
import { ErrorCode, fail, type DecodeError } from './errors.js';
import type { Field, MessageSpec, ModuleSpec } from './fields.js';

/**
 * Builds, from the module tables, one binary-parser parser for a whole payload
 * (a run of framed messages) plus a validator per message. binary-parser reads
 * the layout; the validators enforce what a layout cannot say (ranges, enums,
 * UTF-8, declared length == consumed length).
 */

/**
 * A decoded message: `module`, `type` and the table's fields by name. Objects
 * straight from the parser also carry its framing helpers (`length`, `_end`,
 * `<field>_len`, `<field>_count`, `<field>_hi`); stripping them would cost an
 * extra object per message on the hot path, so consumers read fields by name.
 */
export interface Message {
  module: number;
  type: number;
  [field: string]: unknown;
}

// Markers a formatter returns instead of a value, so the validator can report a precise code.
const BAD_UTF8 = Symbol('bad-utf8');
const OUT_OF_RANGE = Symbol('out-of-range');
// ignoreBOM: a leading U+FEFF is part of the string, or re-encoding would change the bytes.
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function decodeUtf8(b: Buffer): string | symbol {
  // Pure-ASCII fast path: most names are ASCII.
  let ascii = true;
  for (let i = 0; i < b.length; i++) if (b[i] > 0x7f) { ascii = false; break; }
  if (ascii) return b.toString('latin1');
  try { return strictUtf8.decode(b); } catch { return BAD_UTF8; }
}


function isZero(b: Buffer): boolean {
  for (let i = 0; i < b.length; i++) if (b[i] !== 0) return false;
  return true;
}

function addFields(p: Parser, fields: readonly Field[], family: 4 | 6 | 0): Parser {
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i];
    switch (f.kind) {
      case 'u8': case 'u16': case 'u32': case 'i32': {
        const method = f.kind === 'u8' ? 'uint8' : f.kind === 'u16' ? 'uint16be' : f.kind === 'u32' ? 'uint32be' : 'int32be';
        const nv = f.nullValue;
        p = nv === undefined ? p[method](f.name) : p[method](f.name, { formatter: (v: number) => (v === nv ? null : v) });
        break;
      }
      case 'time': {
        // Two u32 reads instead of uint64be: a BigInt per timestamp costs more than the extra field.
        const hi = `${f.name}_hi`;
        const combine = new Function('OUT', `return function (lo) { const h = this.${hi}; return h <= 0x1fffff ? h * 4294967296 + lo : OUT; };`)(OUT_OF_RANGE);
        p = p.uint32be(hi).uint32be(f.name, { formatter: combine });
        break;
      }
      case 'enum': {
        const names: (string | undefined)[] = new Array(256).fill(undefined);
        for (const [name, v] of Object.entries(f.values)) names[v] = name;
        p = p.uint8(f.name, { formatter: (v: number) => names[v] ?? OUT_OF_RANGE });
        break;
      }
      case 'family': {
        // Everything after the family field is laid out for that family.
        const rest = fields.slice(i + 1);
        p = p.uint8(f.name).choice({
          tag: f.name,
          choices: { 4: addFields(new Parser(), rest, 4), 6: addFields(new Parser(), rest, 6) },
          defaultChoice: new Parser(),
        });
        return p;
      }
      case 'addr': {
        const opt = f.optional === true;
        if (family === 4) p = p.uint32be(f.name, { formatter: (v: number) => (opt && v === 0 ? null : formatIPv4(v)) });
        else if (family === 6) p = p.buffer(f.name, { length: 16, formatter: (b: Buffer) => (opt && isZero(b) ? null : formatIPv6(b)) });
        else throw new Error(`table error: addr field ${f.name} before any family field`);
        break;
      }
      case 'str8': case 'str16':
        p = (f.kind === 'str8' ? p.uint8(`${f.name}_len`) : p.uint16be(`${f.name}_len`))
          .buffer(f.name, { length: `${f.name}_len`, formatter: decodeUtf8 as never });
        break;
      case 'bytes': p = p.buffer(f.name, { length: f.length }); break;
      case 'blob16': p = p.uint16be(`${f.name}_len`).buffer(f.name, { length: `${f.name}_len` }); break;
      case 'list':
        p = p.uint8(`${f.name}_count`).array(f.name, { type: addFields(new Parser(), f.item, family), length: `${f.name}_count` });
        break;
    }
  }
  return p;
}

/** Checks one parsed message that started at `start` with declared body length `len`. */
type Validator = (m: Record<string, unknown>, consumed: number, len: number, start: number) => DecodeError | null;

function intRange(kind: string): [number, number] {
  switch (kind) {
    case 'u8': return [0, 0xff];
    case 'u16': return [0, 0xffff];
    case 'u32': return [0, 0xffffffff];
    default: return [-0x80000000, 0x7fffffff];
  }
}

/**
 * Generates a validator as straight-line code with literal property names, so
 * each message type's checks stay monomorphic on the per-message path.
 */
function buildValidator(fields: readonly Field[], where: string): Validator {
  const code: string[] = [];
  // Order matters: with a bad family the body was not read, so its length cannot match either.
  if (fields.some((f) => f.kind === 'family')) {
    code.push(`if (m.family !== 4 && m.family !== 6) return fail(${JSON.stringify(ErrorCode.BAD_FAMILY)}, '${where}: address family ' + m.family, start);`);
  }
  code.push(`if (consumed !== len) return fail(${JSON.stringify(ErrorCode.LENGTH_MISMATCH)}, '${where}: length ' + len + ', fields take ' + consumed, start);`);
  const consts: unknown[] = [];
  const failWith = (code: string, detail: string) => {
    consts.push(detail);
    return `return fail(${JSON.stringify(code)}, D[${consts.length - 1}], start);`;
  };
  const emit = (fs: readonly Field[], obj: string, at: string, depth: number): void => {
    for (const f of fs) {
      const v = `${obj}.${f.name}`;
      const name = `${at}.${f.name}`;
      switch (f.kind) {
        case 'u8': case 'u16': case 'u32': case 'i32': {
          const [lo, hi] = intRange(f.kind);
          const min = f.min ?? lo;
          const max = f.max ?? hi;
          if (min === lo && max === hi) break;
          code.push(`v = ${v}; if (v !== null && (v < ${min} || v > ${max})) ${failWith(ErrorCode.FIELD_RANGE, `${name} outside [${min}, ${max}]`)}`);
          break;
        }
        case 'time': case 'enum':
          code.push(`if (typeof ${v} === 'symbol') ${failWith(ErrorCode.FIELD_RANGE, `${name} out of range`)}`);
          break;
        case 'str8': case 'str16':
          code.push(`if (${obj}.${f.name}_len > ${f.max}) ${failWith(ErrorCode.STRING_TOO_LONG, `${name} longer than ${f.max} bytes`)}`);
          code.push(`if (typeof ${v} !== 'string') ${failWith(ErrorCode.BAD_UTF8, `${name} is not valid UTF-8`)}`);
          break;
        case 'list': {
          const it = `it${depth}`;
          code.push(`if (${v}.length > ${f.max}) ${failWith(ErrorCode.FIELD_RANGE, `${name} has more than ${f.max} items`)}`);
          code.push(`for (const ${it} of ${v}) {`);
          emit(f.item, it, `${name}[]`, depth + 1);
          code.push('}');
          break;
        }
        // A bad family is checked by the caller first: the rest of the body was not read.
        // A blob's only constraint, fitting in the body, is the length check above.
        case 'family': case 'addr': case 'bytes': case 'blob16': break;
      }
    }
  };
  emit(fields, 'm', where, 0);
  return new Function('fail', 'D', `return function (m, consumed, len, start) { let v; ${code.join('\n')} return null; };`)(fail, consts) as Validator;
}

/** What the payload decoder knows of one message type. */
export interface MessageInfo {
  spec: MessageSpec;
  module: ModuleSpec;
  validate: Validator;
  /** Parses this message's body alone (the slow path that pins down the first error exactly). */
  parseBody: (body: Buffer) => Message;
}

/** A payload decoder built from a set of module tables. */
export interface PayloadDecoder {
  parse(payload: Buffer): { messages: Message[] };
  info: (MessageInfo | undefined)[][];
  knownModule: boolean[];
}

/** Builds the payload decoder for the given modules. */
export function buildPayloadDecoder(modules: readonly ModuleSpec[]): PayloadDecoder {
  const skip = () => new Parser().buffer('raw', { length: 'length' });
  const moduleChoices: Record<number, Parser> = {};
  const info: (MessageInfo | undefined)[][] = [];
  const knownModule: boolean[] = new Array(256).fill(false);
  for (const mod of modules) {
    const typeChoices: Record<number, Parser> = {};
    info[mod.id] = [];
    knownModule[mod.id] = true;
    for (const msg of mod.messages) {
      typeChoices[msg.type] = addFields(new Parser(), msg.fields, 0);
      const body = addFields(new Parser(), msg.fields, 0).saveOffset('_end');
      info[mod.id][msg.type] = {
        spec: msg, module: mod,
        validate: buildValidator(msg.fields, msg.name),
        parseBody: (b) => body.parse(b) as Message,
      };
    }
    moduleChoices[mod.id] = new Parser().choice({ tag: 'type', choices: typeChoices, defaultChoice: skip() });
  }
  const message = new Parser()
    .uint8('module').uint8('type').uint16be('length')
    .choice({ tag: 'module', choices: moduleChoices, defaultChoice: skip() })
    .saveOffset('_end');
  const payload = new Parser().array('messages', { type: message, readUntil: 'eof' });
  return { parse: (b) => payload.parse(b) as { messages: Message[] }, info, knownModule };
}
