/**
 * The flyweight a sink receives: one object pointed at a table slot before
 * each event, reading the record on demand, so events allocate nothing
 * unless a sink asks for address text (formatted once per connection).
 */
import type { ConnInfo } from '../events/sink.js';
import {
  F_FIRST_SEEN, F_LAST_SEEN, F_STRIDE, M_SRC_IS_A, M_V6, STRIDE, W_ID, W_META, W_MISC, W_SHOWN_PORTS,
  type ConnectionTable,
} from './connection-table.js';

/** A ConnInfo over one slot of a ConnectionTable. */
export class ConnView implements ConnInfo {
  /** The slot it reads; set by the tracker before each event. */
  slot = 0;

  constructor(private readonly table: ConnectionTable) {}

  get id(): number {
    return this.table.U[this.slot * STRIDE + W_ID];
  }

  get proto(): number {
    return this.table.U[this.slot * STRIDE + W_META] >>> 24;
  }

  get family(): 4 | 6 {
    return (this.table.U[this.slot * STRIDE + W_MISC] & M_V6) !== 0 ? 6 : 4;
  }

  get src(): string {
    return this.table.addressText(this.slot, (this.table.U[this.slot * STRIDE + W_MISC] & M_SRC_IS_A) === 0);
  }

  get dst(): string {
    return this.table.addressText(this.slot, (this.table.U[this.slot * STRIDE + W_MISC] & M_SRC_IS_A) !== 0);
  }

  get sport(): number {
    return this.table.U[this.slot * STRIDE + W_SHOWN_PORTS] >>> 16;
  }

  get dport(): number {
    return this.table.U[this.slot * STRIDE + W_SHOWN_PORTS] & 0xffff;
  }

  get vlan(): number {
    return (this.table.U[this.slot * STRIDE + W_META] >>> 12) & 0xfff;
  }

  get vlanInner(): number {
    return this.table.U[this.slot * STRIDE + W_META] & 0xfff;
  }

  get firstSeenUs(): number {
    return this.table.F[this.slot * F_STRIDE + F_FIRST_SEEN];
  }

  get lastSeenUs(): number {
    return this.table.F[this.slot * F_STRIDE + F_LAST_SEEN];
  }
}
