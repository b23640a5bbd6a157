/**
 * The field kinds a module's message table may use. A message is declared once
 * as a list of these; the binary-parser decoder, the encoder, the validator and
 * the spec's byte diagrams all follow from that one declaration.
 */

/** Unsigned or signed big-endian integer with an optional inclusive range. */
export interface IntField {
  name: string;
  kind: 'u8' | 'u16' | 'u32' | 'i32';
  min?: number;
  max?: number;
  /** A wire value that decodes to null ("unknown"), e.g. 0xffffffff for an absent RTT. */
  nullValue?: number;
  doc: string;
}

/** 64-bit unsigned count of microseconds since the Unix epoch; decoded as a number (exact up to 2^53). */
export interface TimeField { name: string; kind: 'time'; doc: string }

/** u8 on the wire, a name in decoded messages; values outside the table are out of range. */
export interface EnumField { name: string; kind: 'enum'; values: Record<string, number>; doc: string }

/** u8 address family, 4 or 6. Every field after it in the message is laid out for that family. */
export interface FamilyField { name: string; kind: 'family'; doc: string }

/** An address of the message's family: 4 or 16 bytes; decoded as text. `optional`: all-zero bytes mean unknown (null). */
export interface AddrField { name: string; kind: 'addr'; optional?: boolean; doc: string }

/** Length-prefixed UTF-8 (u8 or u16 prefix) of at most `max` bytes. */
export interface StringField { name: string; kind: 'str8' | 'str16'; max: number; doc: string }

/** Fixed-length opaque bytes (nonces, MACs). */
export interface BytesField { name: string; kind: 'bytes'; length: number; doc: string }

/** u8 count followed by that many items, each a record of the given fields. */
export interface ListField { name: string; kind: 'list'; max: number; item: Field[]; doc: string }

/**
 * u16 byte count followed by that many opaque bytes, decoded as a Buffer (a
 * view into the payload). For payloads carried without being read, such as
 * the messages inside a relay's FORWARD envelope.
 */
export interface BlobField { name: string; kind: 'blob16'; doc: string }

export type Field = IntField | TimeField | EnumField | FamilyField | AddrField | StringField | BytesField | ListField | BlobField;

/** One message of a module: its type number, its name, and its body layout. */
export interface MessageSpec {
  type: number;
  name: string;
  doc: string;
  fields: Field[];
}

/** One module: its id, its version, and its message table. */
export interface ModuleSpec {
  id: number;
  name: string;
  version: number;
  doc: string;
  messages: MessageSpec[];
}

/** Wire size of a fixed-size field kind for a given family, or -1 if the size depends on the value. */
export function fixedSize(f: Field, family: 4 | 6): number {
  switch (f.kind) {
    case 'u8': case 'enum': case 'family': return 1;
    case 'u16': return 2;
    case 'u32': case 'i32': return 4;
    case 'time': return 8;
    case 'addr': return family === 4 ? 4 : 16;
    case 'bytes': return f.length;
    case 'str8': case 'str16': case 'list': case 'blob16': return -1;
  }
}
