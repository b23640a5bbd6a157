/**
 * Later IP fragments carry no ports, so they cannot be keyed like other
 * packets. When a first fragment (offset 0, more to come) is tracked, this
 * direct-mapped cache remembers its connection under (addresses, protocol,
 * fragment id); later fragments of the same datagram find it there. A newer
 * datagram that maps to the same cache slot simply replaces the older one:
 * its remaining fragments go uncounted, which bounds memory whatever arrives.
 */
import type { PacketInfo } from '../decode/packet-info.js';

function mix(h: number, k: number): number {
  h ^= Math.imul(k, 0x9e3779b1);
  h = (h << 13) | (h >>> 19);
  return Math.imul(h, 5) + 0xe6546b64;
}

function addressHash(ver: number, v4: number, v6: Uint32Array): number {
  if (ver === 4) return v4 | 0;
  return mix(mix(mix(v6[0], v6[1]), v6[2]), v6[3]) | 0;
}

/** Connection of the first fragment of recent fragmented datagrams. */
export class FragmentCache {
  /** Per entry: fragment id, source hash, destination hash, protocol | version << 8 (0 = empty). */
  private readonly tags: Int32Array;
  private readonly slots: Int32Array;
  private readonly ids: Uint32Array;
  private readonly fwd: Uint8Array;
  private readonly mask: number;
  /** Direction of the datagram found by the last successful lookup (true: src → dst of its connection). */
  foundFwd = false;
  /** Connection id found by the last successful lookup. */
  foundId = 0;

  constructor(size: number) {
    this.tags = new Int32Array(size * 4);
    this.slots = new Int32Array(size);
    this.ids = new Uint32Array(size);
    this.fwd = new Uint8Array(size);
    this.mask = size - 1;
  }

  private entryOf(p: PacketInfo, src: number, dst: number): number {
    return (mix(mix(mix(p.fragId, src), dst), p.proto) ^ (p.fragId >>> 3)) & this.mask;
  }

  /** Remembers that the datagram of first fragment p belongs to connection id in slot, in direction fwd. */
  remember(p: PacketInfo, slot: number, id: number, fwd: boolean): void {
    const src = addressHash(p.ipVersion, p.src4, p.src6);
    const dst = addressHash(p.ipVersion, p.dst4, p.dst6);
    const e = this.entryOf(p, src, dst);
    const t = e * 4;
    this.tags[t] = p.fragId;
    this.tags[t + 1] = src;
    this.tags[t + 2] = dst;
    this.tags[t + 3] = p.proto | (p.ipVersion << 8);
    this.slots[e] = slot;
    this.ids[e] = id;
    this.fwd[e] = fwd ? 1 : 0;
  }

  /** The slot remembered for later fragment p, or -1; sets foundId and foundFwd. */
  lookup(p: PacketInfo): number {
    const src = addressHash(p.ipVersion, p.src4, p.src6);
    const dst = addressHash(p.ipVersion, p.dst4, p.dst6);
    const e = this.entryOf(p, src, dst);
    const t = e * 4;
    const tags = this.tags;
    if (tags[t] !== (p.fragId | 0) || tags[t + 1] !== src || tags[t + 2] !== dst || tags[t + 3] !== (p.proto | (p.ipVersion << 8))) return -1;
    this.foundId = this.ids[e];
    this.foundFwd = this.fwd[e] === 1;
    return this.slots[e];
  }

  /** Forgets everything (end of capture). */
  clear(): void {
    this.tags.fill(0);
  }
}
