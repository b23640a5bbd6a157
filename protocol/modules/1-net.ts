import type { ModuleSpec } from '../fields.js';

/** Why a connection ended, as carried by DELCONN. */
export const DelconnReason = { fin: 1, rst: 2, timeout: 3, evicted: 4, end: 5 } as const;

/** Module 1: network activity seen by a probe. */
export const netModule: ModuleSpec = {
  id: 1,
  name: 'net',
  version: 1,
  doc: 'Network activity: connections, their traffic, DNS names and paths.',
  messages: [
    {
      type: 1, name: 'NEWCONN', doc: 'A connection was first seen. `src` is the side that sent the first packet.',
      fields: [
        { name: 'conn_id', kind: 'u32', doc: 'Connection id, unique per probe among live connections.' },
        { name: 'ts', kind: 'time', doc: 'Capture time of the first packet.' },
        { name: 'proto', kind: 'u8', doc: 'IP protocol number (6 tcp, 17 udp, 1 icmp, 58 icmp6, ...).' },
        { name: 'vlan', kind: 'u16', max: 4095, doc: 'Outer 802.1Q VLAN id, 0 when untagged.' },
        { name: 'vlan_inner', kind: 'u16', max: 4095, doc: 'Inner VLAN id (QinQ), 0 when absent.' },
        { name: 'sport', kind: 'u16', doc: 'Source port (ICMP: 0).' },
        { name: 'dport', kind: 'u16', doc: 'Destination port (ICMP: type << 8 | code of the first packet).' },
        { name: 'family', kind: 'family', doc: 'Address family of src and dst.' },
        { name: 'src', kind: 'addr', doc: 'Source address.' },
        { name: 'dst', kind: 'addr', doc: 'Destination address.' },
      ],
    },
    {
      type: 2, name: 'DELCONN', doc: 'A connection ended.',
      fields: [
        { name: 'conn_id', kind: 'u32', doc: 'Connection id from NEWCONN.' },
        { name: 'ts', kind: 'time', doc: 'Capture time of the end.' },
        { name: 'reason', kind: 'enum', values: DelconnReason, doc: 'fin, rst, timeout, evicted or end (of capture).' },
      ],
    },
    {
      type: 3, name: 'DATA', doc: 'Traffic of one connection over one interval ending at ts. Counts are deltas; bytes are frame bytes on the wire.',
      fields: [
        { name: 'conn_id', kind: 'u32', doc: 'Connection id from NEWCONN.' },
        { name: 'ts', kind: 'time', doc: 'End of the interval.' },
        { name: 'interval_us', kind: 'u32', doc: 'Length of the interval in microseconds.' },
        { name: 'fwd_pkts', kind: 'u32', doc: 'Packets src → dst.' },
        { name: 'fwd_bytes', kind: 'u32', doc: 'Bytes src → dst.' },
        { name: 'rev_pkts', kind: 'u32', doc: 'Packets dst → src.' },
        { name: 'rev_bytes', kind: 'u32', doc: 'Bytes dst → src.' },
      ],
    },
    {
      type: 4, name: 'NAME', doc: 'A DNS answer seen by the probe: addr is known as name.',
      fields: [
        { name: 'ts', kind: 'time', doc: 'Capture time of the answer.' },
        { name: 'rrtype', kind: 'u16', doc: 'DNS record type that gave the name (1 A, 28 AAAA, 12 PTR).' },
        { name: 'family', kind: 'family', doc: 'Address family of addr.' },
        { name: 'addr', kind: 'addr', doc: 'The address named.' },
        { name: 'name', kind: 'str8', max: 255, doc: 'The DNS name, UTF-8, without trailing dot.' },
      ],
    },
    {
      type: 5, name: 'TRACE', doc: 'A path from the probe toward dst, one entry per hop.',
      fields: [
        { name: 'ts', kind: 'time', doc: 'Time the path was complete.' },
        { name: 'family', kind: 'family', doc: 'Address family of dst and hops.' },
        { name: 'dst', kind: 'addr', doc: 'Destination.' },
        {
          name: 'hops', kind: 'list', max: 64, doc: 'Hops in TTL order.',
          item: [
            { name: 'ttl', kind: 'u8', min: 1, doc: 'TTL / hop limit of the probe packet.' },
            { name: 'rtt_us', kind: 'u32', nullValue: 0xffffffff, doc: 'Round-trip time in microseconds; 0xffffffff = unknown (null).' },
            { name: 'addr', kind: 'addr', optional: true, doc: 'Hop address; all zero = no answer (null).' },
          ],
        },
      ],
    },
  ],
};
