import type { MessageSpec, ModuleSpec } from './fields.js';
import { MODULES } from './registry.js';

/** A message's address: its module id and type number. */
export interface MessageKind { module: number; type: number }

function kinds(): Record<string, MessageKind> {
  const out: Record<string, MessageKind> = {};
  for (const mod of MODULES) for (const m of mod.messages) out[m.name] = { module: mod.id, type: m.type };
  return out;
}

const byName = kinds();
const K = (name: string): MessageKind => {
  const k = byName[name];
  if (!k) throw new Error(`no message ${name} in the registry`);
  return k;
};

/** Module and type of every message this build speaks, by name. */
export const Msg = {
  HELLO: K('HELLO'), HELLO_RES: K('HELLO_RES'), AUTH: K('AUTH'), AUTH_RES: K('AUTH_RES'),
  PING: K('PING'), PING_RES: K('PING_RES'), NOTICE: K('NOTICE'), BYE: K('BYE'),
  FORWARD: K('FORWARD'), RELAY_STATS: K('RELAY_STATS'),
  NEWCONN: K('NEWCONN'), DELCONN: K('DELCONN'), DATA: K('DATA'), NAME: K('NAME'), TRACE: K('TRACE'),
  FORK: K('FORK'), EXEC: K('EXEC'), EXIT: K('EXIT'),
} as const;

/** The table entry of a message, if this build knows it. */
export function messageSpec(module: number, type: number): { module: ModuleSpec; message: MessageSpec } | undefined {
  const mod = MODULES.find((m) => m.id === module);
  const message = mod?.messages.find((m) => m.type === type);
  return mod && message ? { module: mod, message } : undefined;
}

/** The name of a message ("NEWCONN"), if this build knows it. */
export function messageName(module: number, type: number): string | undefined {
  return messageSpec(module, type)?.message.name;
}

/** Truncates a string so its UTF-8 encoding fits in `maxBytes`, never splitting a character. */
export function truncateUtf8(s: string, maxBytes: number): string {
  if (Buffer.byteLength(s, 'utf8') <= maxBytes) return s;
  const b = Buffer.from(s, 'utf8');
  let end = maxBytes;
  while (end > 0 && (b[end] & 0xc0) === 0x80) end--;
  return b.subarray(0, end).toString('utf8');
}
