/**
 * The TCP part of a connection's lifecycle, as a pure step over the record's
 * misc word (state, class and FIN bits), so the tracker only applies the result.
 *
 * - A bare SYN opens a connection (opening class: a scan or an unanswered
 *   connect times out quickly); any ACK makes it established. Any other first
 *   packet is a mid-stream pickup: established.
 * - A FIN from one side: closing class. FINs from both sides, then an ACK from
 *   the side that did not send the second FIN (the final ACK): ended, reason
 *   fin. When that ACK never comes the closing timeout ends it, still as fin.
 * - RST: ended, reason rst.
 */
import {
  Cls, M_FIN_FWD, M_FIN_REV, M_LAST_FIN_FWD, State, stateOf, withState,
} from './connection-table.js';

const FIN = 1;
const SYN = 2;
const RST = 4;
const ACK = 16;

/** What a packet does to its connection; the tracker reads it from bits 16.. of tcpStep's result. */
export const TcpAction = {
  /** Nothing to change. */
  KEEP: 0,
  /** New state/class or FIN bits: store the misc word (bits 0..15) and move the slot to its class list. */
  MOVE: 1,
  /** The FIN exchange is complete. */
  FIN: 2,
  RST: 3,
} as const;

/** True when the flags are a bare SYN: it opens a connection, even on a 5-tuple that just closed. */
export function isBareSyn(flags: number): boolean {
  return (flags & (SYN | ACK)) === SYN;
}

/** One packet with `flags` travelling src → dst (fwd) or back: action << 16 | the new misc word. */
export function tcpStep(misc: number, flags: number, fwd: boolean): number {
  const state = stateOf(misc);
  if ((flags & RST) !== 0) return (TcpAction.RST << 16) | misc;
  if (state === State.TCP_FIN_BOTH) {
    const finalAck = (flags & ACK) !== 0 && fwd !== ((misc & M_LAST_FIN_FWD) !== 0);
    return ((finalAck ? TcpAction.FIN : TcpAction.KEEP) << 16) | misc;
  }
  if ((flags & FIN) !== 0) {
    const m = misc | (fwd ? M_FIN_FWD : M_FIN_REV);
    if ((m & (M_FIN_FWD | M_FIN_REV)) === (M_FIN_FWD | M_FIN_REV)) {
      const last = fwd ? m | M_LAST_FIN_FWD : m & ~M_LAST_FIN_FWD;
      return (TcpAction.MOVE << 16) | withState(last, State.TCP_FIN_BOTH, Cls.TCP_CLOSING);
    }
    if (state === State.TCP_CLOSING) return (TcpAction.KEEP << 16) | misc;
    return (TcpAction.MOVE << 16) | withState(m, State.TCP_CLOSING, Cls.TCP_CLOSING);
  }
  if (state === State.TCP_OPENING && (flags & ACK) !== 0) {
    return (TcpAction.MOVE << 16) | withState(misc, State.TCP_ESTABLISHED, Cls.TCP_ESTABLISHED);
  }
  return (TcpAction.KEEP << 16) | misc;
}
