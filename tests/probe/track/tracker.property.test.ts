/**
 * Random packet sequences over a few hosts (so keys repeat, connections close,
 * time out, get evicted and come back): whatever happens, every packet not
 * absorbed as a straggler is in the DATA of the connection it belonged to, in
 * the right direction, every NEWCONN gets exactly one DELCONN by the end, and
 * no id is used twice at once.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeMessages, Msg, parseIPv4, parseIPv6, type Message } from '../../../protocol/index.js';
import { PacketInfo } from '../../../probe/decode/packet-info.js';
import { MessageSink } from '../../../probe/events/message-sink.js';
import { ConnectionTracker } from '../../../probe/track/tracker.js';

const T0 = 1_700_000_000_000_000;
const HOSTS = { 4: ['10.0.0.1', '10.0.0.2', '10.0.0.3'], 6: ['2001:db8::1', '2001:db8::2'] } as const;

interface Flow { fam: 4 | 6; a: number; b: number; proto: number; port: number; vlan: number }
interface Step { flow: number; dir: boolean; flags: number; len: number; dt: number; icmpType: number; icmpId: number; advance: boolean }

// A few flows per run, so each gets enough packets to go through handshakes, FIN exchanges and reuse.
const flowArb: fc.Arbitrary<Flow> = fc.record({
  fam: fc.constantFrom<4 | 6>(4, 4, 6),
  a: fc.nat(2), b: fc.nat(2),
  proto: fc.constantFrom(6, 6, 6, 17, 1, 47),
  port: fc.constantFrom(1000, 1001),
  vlan: fc.constantFrom(0, 0, 5),
});

const stepArb: fc.Arbitrary<Step> = fc.record({
  flow: fc.nat(7),
  dir: fc.boolean(),
  flags: fc.constantFrom(2, 18, 16, 16, 24, 24, 17, 17, 17, 1, 20, 0),
  len: fc.oneof({ weight: 20, arbitrary: fc.integer({ min: 40, max: 1514 }) }, { weight: 1, arbitrary: fc.constant(0xffff_fff0) }),
  dt: fc.constantFrom(0, 1, 700, 40_000, 150_000, 1_500_000, 3_000_000, 6_000_000, 40_000_000),
  icmpType: fc.constantFrom(8, 0, 3),
  icmpId: fc.nat(1),
  advance: fc.constantFrom(false, false, false, false, false, false, false, false, false, true),
});

function fillWords(s: string, w: Uint32Array): void {
  const b = parseIPv6(s)!;
  for (let i = 0; i < 4; i++) w[i] = ((b[4 * i] << 24) | (b[4 * i + 1] << 16) | (b[4 * i + 2] << 8) | b[4 * i + 3]) >>> 0;
}

interface Life { id: number; src: string; live: boolean; dels: number; exp: number[]; got: number[]; lastTs: number }

describe('tracker properties', () => {
  it('DATA adds up to the packets fed per connection and direction; NEWCONN/DELCONN pair up; live ids are unique', () => {
    const optionsArb = fc.record({
      maxConns: fc.integer({ min: 1, max: 6 }),
      tcpEstablishedTimeoutUs: fc.constantFrom(5_000_000, 300_000_000),
      udpTimeoutUs: fc.constantFrom(2_000_000, 60_000_000),
      closedLingerUs: fc.constantFrom(1_000_000, 4_000_000),
      hashSeed: fc.integer({ min: 1, max: 1000 }),
    });
    const tally = { fin: 0, rst: 0, timeout: 0, evicted: 0, end: 0, lateAfterClose: 0, earlyData: 0 };
    fc.assert(fc.property(optionsArb, fc.array(flowArb, { minLength: 1, maxLength: 5 }), fc.array(stepArb, { minLength: 1, maxLength: 150 }), (options, flows, steps) => {
      const msgs: Message[] = [];
      const tr = new ConnectionTracker(new MessageSink((m) => msgs.push(m)), options);
      const p = new PacketInfo();
      const lives: Life[] = [];
      const liveById = new Map<number, Life>();
      const current = new Map<string, Life>();
      let seen = 0;
      let ts = T0;
      let fed = 0;
      /** Applies new events to the lifetimes; returns the lifetime a NEWCONN among them opened, if any. */
      const consume = (): Life | undefined => {
        let opened: Life | undefined;
        for (; seen < msgs.length; seen++) {
          const m = msgs[seen] as Record<string, any>;
          const life = liveById.get(m.conn_id);
          if (m.type === Msg.NEWCONN.type) {
            expect(life).toBeUndefined();
            expect(opened).toBeUndefined();
            opened = { id: m.conn_id, src: m.src, live: true, dels: 0, exp: [0, 0, 0, 0], got: [0, 0, 0, 0], lastTs: m.ts };
            lives.push(opened);
            liveById.set(m.conn_id, opened);
          } else if (m.type === Msg.DATA.type) {
            expect(life).toBeDefined();
            expect(m.fwd_pkts + m.rev_pkts).toBeGreaterThan(0);
            expect(m.interval_us).toBeLessThanOrEqual(100_000);
            life!.got[0] += m.fwd_pkts; life!.got[1] += m.fwd_bytes; life!.got[2] += m.rev_pkts; life!.got[3] += m.rev_bytes;
          } else if (m.type === Msg.DELCONN.type) {
            expect(life).toBeDefined();
            if (m.reason === 'evicted') {
              // The longest idle goes first.
              for (const other of liveById.values()) expect(other.lastTs).toBeGreaterThanOrEqual(life!.lastTs);
            } else if (m.reason === 'timeout') {
              expect(m.ts - life!.lastTs).toBeGreaterThanOrEqual(Math.min(options.udpTimeoutUs, options.tcpEstablishedTimeoutUs, 30_000_000));
            }
            life!.live = false;
            life!.dels++;
            liveById.delete(m.conn_id);
          }
        }
        return opened;
      };
      for (const s of steps) {
        ts += s.dt;
        if (s.advance) { tr.advance(ts); consume(); continue; }
        const f = flows[s.flow % flows.length];
        const hosts = HOSTS[f.fam];
        const a = hosts[f.a % hosts.length];
        let b = hosts[f.b % hosts.length];
        if (a === b) b = hosts[(f.a + 1) % hosts.length];
        const [src, dst] = s.dir ? [a, b] : [b, a];
        p.reset(1, 96, s.len);
        p.ipVersion = f.fam;
        if (f.fam === 4) { p.src4 = parseIPv4(src); p.dst4 = parseIPv4(dst); } else { fillWords(src, p.src6); fillWords(dst, p.dst6); }
        p.proto = f.proto;
        p.vlan = f.vlan;
        p.l4Offset = 54;
        p.ipEnd = 96;
        if (f.proto === 6 || f.proto === 17) {
          p.hasPorts = true;
          p.sport = s.dir ? f.port : 80;
          p.dport = s.dir ? 80 : f.port;
          if (f.proto === 6) p.tcpFlags = s.flags;
        } else if (f.proto === 1) {
          p.proto = f.fam === 4 ? 1 : 58;
          p.icmpType = f.fam === 4 ? s.icmpType : s.icmpType === 8 ? 128 : s.icmpType === 0 ? 129 : 1;
          p.icmpId = s.icmpId;
        }
        // Host a always holds `port`, b port 80; without ports the pair is unordered.
        const key = [f.fam, ...(p.hasPorts ? [a, b] : [a, b].sort()), p.proto, p.hasPorts ? f.port : 0, f.vlan, p.proto === 1 || p.proto === 58 ? `${p.icmpType === 3 || p.icmpType === 1 ? 'e' : 'q'}${s.icmpType === 3 ? '' : s.icmpId}` : ''].join('|');
        const late = tr.stats.lateAfterClose;
        tr.packet(p, ts);
        fed++;
        const opened = consume();
        if (opened) current.set(key, opened);
        if (tr.stats.lateAfterClose !== late) continue;
        // The packet belongs to the key's latest connection (which it may itself have closed, by RST or FIN).
        const life = current.get(key)!;
        const o = src === life.src ? 0 : 2;
        life.exp[o] += 1;
        life.exp[o + 1] += s.len;
        life.lastTs = ts;
      }
      tr.finish(ts);
      consume();
      for (const k of Object.keys(tally) as (keyof typeof tally)[]) tally[k] += tr.stats[k];
      expect(tr.stats.packets).toBe(fed);
      expect(tr.liveCount).toBe(0);
      for (const l of lives) {
        expect(l.dels).toBe(1);
        expect(l.got).toEqual(l.exp);
      }
      expect(() => encodeMessages(msgs)).not.toThrow();
    }), { numRuns: 400 });
    // The sequences reach every way a connection can end, and the stragglers and overflow paths.
    for (const v of Object.values(tally)) expect(v).toBeGreaterThan(0);
  });
});
