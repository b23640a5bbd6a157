/**
 * From DNS responses to NAME events: which address is known by which name.
 *
 * - A/AAAA: the address is named with the queried name, also when it is
 *   reached through CNAMEs (query www.example.com → CNAME a.cdn.net → A 1.2.3.4
 *   names 1.2.3.4 www.example.com, rrtype 1). Answers not on the chain that
 *   starts at the queried name are ignored: nothing asked for them.
 * - PTR: the address spelled by the queried in-addr.arpa / ip6.arpa name
 *   (possibly through RFC 2317 CNAMEs) is named with the PTR target, rrtype 12.
 * - A response without a question (an mDNS announcement) names each address
 *   with the owner name of its record.
 * Only successful (RCODE 0) standard-query responses count.
 */
import { RRType, type DnsMessage } from './dns-parser.js';
import { addressOfReverseName } from './reverse-name.js';

/** One name for one address, as a NAME message carries it (without its time). */
export interface NamePair {
  rrtype: number;
  family: 4 | 6;
  addr: string;
  name: string;
}

/** A NAME event: a pair and the capture time (µs) of the answer that gave it. */
export interface NameEvent extends NamePair {
  ts: number;
}

/** Longest name a NAME message carries (its str8 field). */
const MAX_NAME = 255;
/** CNAMEs followed from the queried name; resolvers stop well before this. */
const MAX_CHAIN = 16;

/** The names a response gives to addresses, in answer order (possibly with repeats). */
export function namesFromResponse(msg: DnsMessage): NamePair[] {
  const out: NamePair[] = [];
  if (!msg.response || msg.rcode !== 0 || msg.opcode !== 0 || msg.answers.length === 0) return out;
  const q = msg.questions.length > 0 ? msg.questions[0].name : null;
  const onChain = q === null ? null : chainFrom(q, msg);
  for (const a of msg.answers) {
    if (onChain !== null && !onChain.has(a.name)) continue;
    const asked = q ?? a.name;
    if (a.type === RRType.A || a.type === RRType.AAAA) {
      push(out, a.type, a.type === RRType.A ? 4 : 6, a.data, asked);
    } else if (a.type === RRType.PTR) {
      const addr = addressOfReverseName(asked);
      if (addr !== null) push(out, RRType.PTR, addr.family, addr.addr, a.data);
    }
  }
  return out;
}

/** The queried name and every name its CNAME chain leads to within this answer. */
function chainFrom(q: string, msg: DnsMessage): Set<string> {
  const names = new Set<string>([q]);
  let at = q;
  for (let i = 0; i < MAX_CHAIN; i++) {
    const next = msg.answers.find((a) => a.type === RRType.CNAME && a.name === at);
    if (next === undefined || names.has(next.data)) break;
    names.add(next.data);
    at = next.data;
  }
  return names;
}

function push(out: NamePair[], rrtype: number, family: 4 | 6, addr: string, name: string): void {
  if (name.length === 0 || name.length > MAX_NAME) return;
  out.push({ rrtype, family, addr, name });
}

/** How often the same pair may be reported, and how many pairs are remembered for that. */
export interface NameTrackerOptions {
  /** A pair seen again within this many microseconds of its last report is not reported again. */
  repeatUs: number;
  /** Pairs remembered; the oldest report is forgotten first. */
  maxEntries: number;
}

/** Defaults for {@link NameTrackerOptions}. */
export const DEFAULT_NAME_TRACKER_OPTIONS: Readonly<NameTrackerOptions> = { repeatUs: 60_000_000, maxEntries: 4096 };

/** Turns parsed responses into NAME events, leaving out pairs reported recently. */
export class NameTracker {
  private readonly opts: NameTrackerOptions;
  /** "addr name" → capture time of its last report, oldest report first. */
  private readonly last = new Map<string, number>();
  /** Pairs left out because they were reported recently. */
  repeats = 0;

  constructor(options?: Partial<NameTrackerOptions>) {
    const o = { ...DEFAULT_NAME_TRACKER_OPTIONS, ...options };
    if (!(o.repeatUs >= 0) || !(o.maxEntries >= 1)) throw new RangeError('repeatUs must be ≥ 0 and maxEntries ≥ 1');
    this.opts = o;
  }

  /** Pairs remembered right now. */
  get size(): number {
    return this.last.size;
  }

  /** The NAME events a response seen at capture time ts (µs) gives. */
  observe(msg: DnsMessage, ts: number): NameEvent[] {
    const events: NameEvent[] = [];
    for (const p of namesFromResponse(msg)) {
      const key = `${p.addr} ${p.name}`;
      const seen = this.last.get(key);
      // A capture clock that steps back counts as a new report rather than silencing the pair.
      if (seen !== undefined && ts >= seen && ts - seen < this.opts.repeatUs) {
        this.repeats++;
        continue;
      }
      this.last.delete(key);
      this.last.set(key, ts);
      if (this.last.size > this.opts.maxEntries) this.last.delete(this.last.keys().next().value as string);
      events.push({ ts, ...p });
    }
    return events;
  }
}
