/** The TCP step on its own: every transition from a table of cases. */
import { describe, expect, it } from 'vitest';
import {
  Cls, M_FIN_FWD, M_FIN_REV, M_LAST_FIN_FWD, State, classOf, stateOf, withState,
} from '../../../probe/track/connection-table.js';
import { isBareSyn, TcpAction, tcpStep } from '../../../probe/track/tcp-lifecycle.js';

const FIN = 1, SYN = 2, RST = 4, PSH = 8, ACK = 16;
const at = (state: number, cls: number, bits = 0) => withState(bits, state, cls);
const OPENING = at(State.TCP_OPENING, Cls.TCP_OPENING);
const EST = at(State.TCP_ESTABLISHED, Cls.TCP_ESTABLISHED);
const CLOSING_FWD = at(State.TCP_CLOSING, Cls.TCP_CLOSING, M_FIN_FWD);
const BOTH_LAST_REV = at(State.TCP_FIN_BOTH, Cls.TCP_CLOSING, M_FIN_FWD | M_FIN_REV);

function step(misc: number, flags: number, fwd: boolean) {
  const r = tcpStep(misc, flags, fwd);
  const m = r & 0xffff;
  return { action: r >>> 16, state: stateOf(m), cls: classOf(m), fins: m & (M_FIN_FWD | M_FIN_REV | M_LAST_FIN_FWD) };
}

describe('tcpStep', () => {
  const cases: [string, number, number, boolean, ReturnType<typeof step>][] = [
    ['SYN retransmitted while opening', OPENING, SYN, true, { action: TcpAction.KEEP, state: State.TCP_OPENING, cls: Cls.TCP_OPENING, fins: 0 }],
    ['SYN-ACK answers', OPENING, SYN | ACK, false, { action: TcpAction.MOVE, state: State.TCP_ESTABLISHED, cls: Cls.TCP_ESTABLISHED, fins: 0 }],
    ['data while established', EST, PSH | ACK, true, { action: TcpAction.KEEP, state: State.TCP_ESTABLISHED, cls: Cls.TCP_ESTABLISHED, fins: 0 }],
    ['RST from anywhere', EST, RST | ACK, false, { action: TcpAction.RST, state: State.TCP_ESTABLISHED, cls: Cls.TCP_ESTABLISHED, fins: 0 }],
    ['RST while opening', OPENING, RST, false, { action: TcpAction.RST, state: State.TCP_OPENING, cls: Cls.TCP_OPENING, fins: 0 }],
    ['first FIN', EST, FIN | ACK, true, { action: TcpAction.MOVE, state: State.TCP_CLOSING, cls: Cls.TCP_CLOSING, fins: M_FIN_FWD }],
    ['first FIN repeated', CLOSING_FWD, FIN | ACK, true, { action: TcpAction.KEEP, state: State.TCP_CLOSING, cls: Cls.TCP_CLOSING, fins: M_FIN_FWD }],
    ['ACK of the first FIN', CLOSING_FWD, ACK, false, { action: TcpAction.KEEP, state: State.TCP_CLOSING, cls: Cls.TCP_CLOSING, fins: M_FIN_FWD }],
    ['second FIN, from the other side', CLOSING_FWD, FIN | ACK, false, { action: TcpAction.MOVE, state: State.TCP_FIN_BOTH, cls: Cls.TCP_CLOSING, fins: M_FIN_FWD | M_FIN_REV }],
    ['final ACK from the side of the first FIN', BOTH_LAST_REV, ACK, true, { action: TcpAction.FIN, state: State.TCP_FIN_BOTH, cls: Cls.TCP_CLOSING, fins: M_FIN_FWD | M_FIN_REV }],
    ['second FIN repeated is not the final ACK', BOTH_LAST_REV, FIN | ACK, false, { action: TcpAction.KEEP, state: State.TCP_FIN_BOTH, cls: Cls.TCP_CLOSING, fins: M_FIN_FWD | M_FIN_REV }],
    ['FIN while opening', OPENING, FIN, true, { action: TcpAction.MOVE, state: State.TCP_CLOSING, cls: Cls.TCP_CLOSING, fins: M_FIN_FWD }],
  ];
  for (const [name, misc, flags, fwd, want] of cases) {
    it(name, () => expect(step(misc, flags, fwd)).toEqual(want));
  }

  it('simultaneous close: the last FIN decides who sends the final ACK', () => {
    const both = tcpStep(at(State.TCP_CLOSING, Cls.TCP_CLOSING, M_FIN_REV), FIN | ACK, true) & 0xffff;
    expect(both & M_LAST_FIN_FWD).toBe(M_LAST_FIN_FWD);
    expect(tcpStep(both, ACK, true) >>> 16).toBe(TcpAction.KEEP);
    expect(tcpStep(both, ACK, false) >>> 16).toBe(TcpAction.FIN);
  });

  it('a bare SYN is SYN without ACK', () => {
    expect([isBareSyn(SYN), isBareSyn(SYN | ACK), isBareSyn(ACK), isBareSyn(0), isBareSyn(SYN | 0x100)]).toEqual([true, false, false, false, true]);
  });
});
