import { DatagramPacker, DEFAULT_MAX_DATAGRAM, HEADER_SIZE, MAX_MESSAGE_BODY, MESSAGE_HEADER_SIZE, TAG_SIZE, type Message } from './datagram.js';
import { frameEnd } from './framing.js';
import { Msg } from './messages.js';

/**
 * FORWARD envelopes (module 0, type 9; spec §7.8): how a relay carries a
 * probe's messages upstream without reading them, and the checks every hop
 * makes on the relay path. Pure: no sockets, no timers.
 */

/** Longest relay path an envelope may carry (the `path` list's max). */
export const MAX_RELAY_PATH = 16;

/** Stable codes of refused envelopes, for counters and debug logs. */
export const ForwardCode = {
  /** The path already holds the receiving relay, or the origin is on its own path: a loop. */
  LOOP: 'GG_ERR_RELAY_LOOP',
  /** The path does not end with the relay that sent the envelope, or is full. */
  PATH: 'GG_ERR_RELAY_PATH',
  /** The origin's id is already in use by a probe reached another way. */
  COLLISION: 'GG_ERR_PROBE_COLLISION',
  /** An envelope inside an envelope: relays re-wrap, they never nest. */
  NESTED: 'GG_ERR_RELAY_NESTED',
  /** A relay on the path (or the sender of a RELAY_STATS) is not one the server was told may relay. */
  NOT_A_RELAY: 'GG_ERR_NOT_A_RELAY',
} as const;

/** A refusal code of this file. */
export type ForwardCodeValue = (typeof ForwardCode)[keyof typeof ForwardCode];

/** One relay of a path, as the `path` list decodes. */
export interface PathHop { relay_id: number }

/** Everything of a FORWARD but its inner messages. */
export interface ForwardHead {
  origin_id: number;
  path: PathHop[];
  site_lat: number;
  site_lng: number;
  site_name: string;
  lost: number;
  dropped: number;
}

/** A refused envelope. */
export interface ForwardRefusal { ok: false; code: ForwardCodeValue; detail: string }

function refusal(code: ForwardCodeValue, detail: string): ForwardRefusal {
  return { ok: false, code, detail };
}

function pathIds(f: { path: unknown }): number[] {
  return (f.path as PathHop[]).map((h) => h.relay_id);
}

/**
 * A relay's check of an envelope from a downstream relay `peerId`: the path
 * must end with that peer, must not hold this relay (loop detection) nor the
 * origin, and must have room for this relay. Returns the path to send on.
 */
export function extendPath(f: ForwardHead, peerId: number, selfId: number): { ok: true; path: PathHop[] } | ForwardRefusal {
  const ids = pathIds(f);
  if (ids.length === 0 || ids[ids.length - 1] !== peerId) return refusal(ForwardCode.PATH, `path ${ids.join('>')} does not end with its sender ${peerId}`);
  if (f.origin_id === selfId || ids.includes(selfId)) return refusal(ForwardCode.LOOP, `relay ${selfId} is already on the path of ${f.origin_id}: ${ids.join('>')}`);
  if (ids.includes(f.origin_id)) return refusal(ForwardCode.LOOP, `origin ${f.origin_id} is on its own path ${ids.join('>')}`);
  if (ids.length >= MAX_RELAY_PATH) return refusal(ForwardCode.PATH, `path of ${f.origin_id} already has ${MAX_RELAY_PATH} relays`);
  return { ok: true, path: [...(f.path as PathHop[]), { relay_id: selfId }] };
}

/**
 * The last hop's check (glougloud): the path must end with the session's
 * probe `peerId` and hold neither the origin nor any relay twice. Returns the
 * relay chain, first relay to last.
 */
export function arrivedPath(f: ForwardHead, peerId: number): { ok: true; via: number[] } | ForwardRefusal {
  const ids = pathIds(f);
  if (ids.length === 0 || ids[ids.length - 1] !== peerId) return refusal(ForwardCode.PATH, `path ${ids.join('>')} does not end with its sender ${peerId}`);
  if (ids.includes(f.origin_id) || new Set(ids).size !== ids.length) return refusal(ForwardCode.LOOP, `path ${ids.join('>')} of ${f.origin_id} loops`);
  return { ok: true, via: ids };
}

/** What one FORWARD of a payload carried, so its counts can be put back if the payload is dropped. */
export interface ForwardCredit { origin: number; messages: number; lost: number; dropped: number }

/** Receives each finished upstream payload: its bytes, its message count, and the envelopes' credits. */
export type PayloadSink = (payload: Buffer, messages: number, credits: ForwardCredit[]) => void;

const EMPTY = Buffer.alloc(0);

/**
 * Framed size of an envelope without its inner messages: 4 (framing) + 24 +
 * 4 per relay + the site name's bytes (spec §6.1, FORWARD: 24 + 4C + N + L).
 */
export function envelopeOverhead(head: ForwardHead): number {
  return MESSAGE_HEADER_SIZE + 24 + 4 * head.path.length + Buffer.byteLength(head.site_name, 'utf8');
}

/** The FORWARD message of a head and a run of inner messages. Built as a literal: spreading objects costs microseconds per message. */
function forwardMessage(h: ForwardHead, lost: number, dropped: number, inner: Buffer): Message {
  return {
    module: Msg.FORWARD.module, type: Msg.FORWARD.type, origin_id: h.origin_id, path: h.path,
    site_lat: h.site_lat, site_lng: h.site_lng, site_name: h.site_name, lost, dropped, inner,
  };
}

/**
 * Packs envelopes into upstream payloads with the codec's DatagramPacker:
 * each run of inner messages is cut at message boundaries (framing walk only)
 * so that its envelopes fill the datagram being built before the next one
 * starts. Only the first envelope of a run carries the run's `lost` and
 * `dropped` counts.
 */
export class ForwardPacker {
  private readonly packer: DatagramPacker;
  private readonly limit: number;
  private credits: ForwardCredit[] = [];
  private messages = 0;
  /** Inner messages refused because no envelope can hold them (a body near 64 KiB). */
  oversize = 0;

  constructor(private readonly sink: PayloadSink, maxDatagram = DEFAULT_MAX_DATAGRAM) {
    this.packer = new DatagramPacker(maxDatagram);
    this.limit = maxDatagram - HEADER_SIZE - TAG_SIZE;
  }

  /** Bytes of the payload being built. */
  get size(): number { return this.packer.size; }

  /**
   * Wraps a run of framed messages (already checked to frame correctly) in
   * as many envelopes as needed; an empty run makes one empty envelope (a
   * heartbeat carrying counts). Returns the number of inner messages wrapped.
   */
  wrap(head: ForwardHead, inner: Buffer): number {
    const headSize = envelopeOverhead(head);
    if (inner.length === 0) {
      this.envelope(head, true, EMPTY, 0, headSize);
      return 0;
    }
    let wrapped = 0;
    let first = true;
    for (let start = 0; start < inner.length;) {
      const room = this.limit - this.packer.size - headSize;
      let end = start;
      let count = 0;
      for (let e = frameEnd(inner, end); e >= 0 && e - start <= room; e = frameEnd(inner, end)) {
        end = e;
        count++;
      }
      if (count === 0) {
        // Nothing fits in what is left of this datagram: start the next one.
        if (this.packer.size > 0) { this.finish(); continue; }
        // Too big even for an empty datagram: sent alone, oversize, as the encoder rules say (spec §8).
        end = frameEnd(inner, start);
        if (end < 0) break;
        count = 1;
        if (end - start + headSize - MESSAGE_HEADER_SIZE > MAX_MESSAGE_BODY) {
          this.oversize++;
          start = end;
          continue;
        }
      }
      this.envelope(head, first, inner.subarray(start, end), count, headSize);
      first = false;
      wrapped += count;
      start = end;
      if (this.packer.size >= this.limit) this.finish();
    }
    // Nothing could be carried: the counts still go up, in an envelope of their own.
    if (first && (head.lost > 0 || head.dropped > 0)) this.envelope(head, true, EMPTY, 0, headSize);
    return wrapped;
  }

  /** Adds one message of the relay's own (RELAY_STATS). */
  add(m: Message): void {
    const full = this.packer.add(m);
    if (full !== null) this.emit(full);
    this.messages++;
  }

  /** Hands on the payload built so far, if any. */
  flush(): void {
    this.finish();
  }

  /** One envelope; only the first of a run carries the run's counts. */
  private envelope(head: ForwardHead, first: boolean, inner: Buffer, count: number, headSize: number): void {
    if (this.packer.size > 0 && this.packer.size + headSize + inner.length > this.limit) this.finish();
    const lost = first ? head.lost : 0;
    const dropped = first ? head.dropped : 0;
    const full = this.packer.add(forwardMessage(head, lost, dropped, inner));
    if (full !== null) this.emit(full);
    this.messages += count;
    this.credits.push({ origin: head.origin_id, messages: count, lost, dropped });
  }

  private finish(): void {
    const p = this.packer.flush();
    if (p !== null) this.emit(p);
  }

  private emit(payload: Buffer): void {
    const credits = this.credits;
    const messages = this.messages;
    this.credits = [];
    this.messages = 0;
    this.sink(payload, messages, credits);
  }
}
