import { describe, expect, it } from 'vitest';
import { classifyAddress, isReservedAddress } from '../../../glougloud/geo/reserved.js';

describe('classifyAddress', () => {
  const cases: [string, string][] = [
    ['10.1.2.3', 'private'], ['172.16.0.1', 'private'], ['172.31.255.255', 'private'], ['172.32.0.1', 'public'],
    ['192.168.1.10', 'private'], ['192.169.0.1', 'public'],
    ['127.0.0.1', 'loopback'], ['169.254.10.1', 'link-local'], ['100.64.0.1', 'cgnat'], ['100.127.255.254', 'cgnat'], ['100.128.0.1', 'public'],
    ['224.0.0.251', 'multicast'], ['239.255.255.250', 'multicast'], ['255.255.255.255', 'broadcast'], ['240.0.0.1', 'reserved'],
    ['0.0.0.0', 'unspecified'], ['192.0.2.1', 'documentation'], ['198.51.100.7', 'documentation'], ['203.0.113.9', 'documentation'],
    ['198.18.0.1', 'benchmarking'], ['8.8.8.8', 'public'], ['1.1.1.1', 'public'],
    ['::1', 'loopback'], ['::', 'unspecified'], ['fe80::1', 'link-local'], ['febf::1', 'link-local'], ['fd12:3456::1', 'ula'], ['fc00::1', 'ula'],
    ['ff02::fb', 'multicast'], ['2001:db8::1', 'documentation'], ['2001:4860:4860::8888', 'public'], ['2a00:1450::1', 'public'],
    ['::ffff:192.168.0.1', 'private'], ['::ffff:8.8.8.8', 'public'], ['64:ff9b::10.0.0.1', 'private'], ['64:ff9b::8.8.8.8', 'public'],
    ['not-an-address', 'invalid'], ['1.2.3', 'invalid'], ['', 'invalid'],
  ];
  it.each(cases)('%s is %s', (addr, cls) => {
    expect(classifyAddress(addr)).toBe(cls);
  });

  it('calls everything but public reserved', () => {
    expect(isReservedAddress('10.0.0.1')).toBe(true);
    expect(isReservedAddress('8.8.8.8')).toBe(false);
  });
});
