/** Module-1 messages from events: table field order, wire validity, limits of NAME and TRACE. */
import { describe, expect, it } from 'vitest';
import { decodeMessages, encodeMessages, MODULES, Msg, type Message } from '../../../protocol/index.js';
import { MessageSink } from '../../../probe/events/message-sink.js';
import type { ConnInfo } from '../../../probe/events/sink.js';

const TS = 1_700_000_000_123_456;
const conn = (over: Partial<ConnInfo> = {}): ConnInfo => ({
  id: 7, proto: 6, family: 4, src: '192.0.2.1', dst: '198.51.100.2', sport: 50000, dport: 443,
  vlan: 0, vlanInner: 0, firstSeenUs: TS, lastSeenUs: TS, ...over,
});

function tableFields(m: Message): string[] {
  const spec = MODULES.find((x) => x.id === m.module)!.messages.find((x) => x.type === m.type)!;
  return spec.fields.map((f) => f.name);
}

describe('MessageSink', () => {
  it('builds every module-1 message with its fields in table order, valid on the wire', () => {
    const msgs: Message[] = [];
    const s = new MessageSink((m) => msgs.push(m));
    s.newconn(conn({ family: 6, src: '2001:db8::1', dst: '2001:db8::2', vlan: 10, vlanInner: 20 }), TS);
    s.data(conn(), TS + 100_000, 100_000, 3, 300, 2, 2000);
    s.delconn(conn(), TS + 200_000, 'evicted');
    s.name(TS, '2001:db8::1', 'www.example.com', 28);
    s.trace(TS, '198.51.100.2', [{ ttl: 1, addr: '192.0.2.254', rttUs: 1500.4 }, { ttl: 2, addr: null, rttUs: null }]);
    expect(msgs.map((m) => m.type)).toEqual([Msg.NEWCONN, Msg.DATA, Msg.DELCONN, Msg.NAME, Msg.TRACE].map((k) => k.type));
    for (const m of msgs) expect(Object.keys(m)).toEqual(['module', 'type', ...tableFields(m)]);
    expect(Object.keys((msgs[4].hops as object[])[0])).toEqual(['ttl', 'rtt_us', 'addr']);
    const r = decodeMessages(encodeMessages(msgs), true);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.messages[0]).toMatchObject({ conn_id: 7, ts: TS, proto: 6, vlan: 10, vlan_inner: 20, family: 6, src: '2001:db8::1', sport: 50000 });
    expect(r.messages[1]).toMatchObject({ interval_us: 100_000, fwd_pkts: 3, fwd_bytes: 300, rev_pkts: 2, rev_bytes: 2000 });
    expect(r.messages[2]).toMatchObject({ reason: 'evicted' });
    expect(r.messages[4].hops).toEqual([{ ttl: 1, rtt_us: 1500, addr: '192.0.2.254' }, { ttl: 2, rtt_us: null, addr: null }]);
  });

  it('cuts names and paths to what the wire carries and refuses bad addresses', () => {
    const msgs: Message[] = [];
    const s = new MessageSink((m) => msgs.push(m));
    s.name(TS, '192.0.2.1', 'é'.repeat(200), 1);
    s.trace(TS, '192.0.2.1', Array.from({ length: 70 }, (_, i) => ({ ttl: i + 1, addr: null, rttUs: 1e12 })));
    s.name(TS, 'not-an-address', 'x', 1);
    s.trace(TS, '192.0.2.1', [{ ttl: 1, addr: '2001:db8::1', rttUs: 1 }]);
    expect(s.invalid).toBe(2);
    expect(msgs).toHaveLength(2);
    expect(Buffer.byteLength(msgs[0].name as string)).toBe(254);
    expect(msgs[1].hops as unknown[]).toHaveLength(64);
    expect(decodeMessages(encodeMessages(msgs), true).ok).toBe(true);
  });
});
