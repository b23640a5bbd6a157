/**
 * Kernel capture counters: reading /proc/net/packet, finding the packet
 * socket a capture opened among this process's descriptors, accumulating
 * counters the kernel resets on every read, the addon's errors as values,
 * and what the probe logs.
 */
import { createSocket } from 'node:dgram';
import { closeSync, openSync } from 'node:fs';
import { Writable } from 'node:stream';
import fc from 'fast-check';
import { pino, type Logger } from 'pino';
import { describe, expect, it } from 'vitest';
import {
  CaptureStats, captureStatsReporter, CounterTotals, findCaptureFd, loadStatsAddon, packetSocketInodes, pickCaptureFd, socketFds,
  type CaptureStatsResult,
} from '../../probe/sources/capture-stats.js';

// As the kernel prints it (net/packet/af_packet.c, packet_seq_show).
const PACKET_TABLE = [
  'sk               RefCnt Type Proto  Iface R Rmem   User   Inode',
  'ffff8f0c4a3b9000 3      3    0003   2     1 0      0      412345',
  'ffff8f0c4a3ba800 3      2    0800   0     1 0      101    777',
  '',
].join('\n');

describe('packetSocketInodes', () => {
  it('reads the Inode column of every socket', () => {
    expect([...packetSocketInodes(PACKET_TABLE)].sort()).toEqual([412345, 777].sort());
  });

  it('gives nothing for a table without sockets, without a header, or with garbage', () => {
    expect(packetSocketInodes(PACKET_TABLE.split('\n')[0]).size).toBe(0);
    expect(packetSocketInodes('').size).toBe(0);
    expect(packetSocketInodes('ffff 3 3 0003 2 1 0 0 412345').size).toBe(0);
    expect(packetSocketInodes(`${PACKET_TABLE.split('\n')[0]}\nshort line\nx x x x x x x x -5\nx x x x x x x x 1e99`).size).toBe(0);
  });

  it('never throws on arbitrary text', () => {
    fc.assert(fc.property(fc.string(), (s) => { packetSocketInodes(`sk Inode\n${s}`); }));
  });
});

describe('pickCaptureFd', () => {
  const packets = new Set([412345, 777]);

  it('takes the packet socket that appeared with the capture', () => {
    const before = new Map([[3, 777], [4, 5555]]);
    const after = new Map([[3, 777], [4, 5555], [21, 412345], [22, 9999]]);
    expect(pickCaptureFd(before, after, packets)).toEqual({ ok: true, fd: 21 });
  });

  it('without a before snapshot, takes the only packet socket', () => {
    expect(pickCaptureFd(null, new Map([[5, 1], [9, 777]]), packets)).toEqual({ ok: true, fd: 9 });
  });

  it('is an error value when no packet socket appeared', () => {
    const fds = new Map([[3, 777], [4, 5555]]);
    expect(pickCaptureFd(fds, fds, packets)).toMatchObject({ ok: false, code: 'GG_ERR_STATS_NO_SOCKET' });
    expect(pickCaptureFd(null, new Map([[4, 5555]]), packets)).toMatchObject({ ok: false, code: 'GG_ERR_STATS_NO_SOCKET' });
  });

  it('is an error value when several appeared', () => {
    expect(pickCaptureFd(new Map(), new Map([[3, 777], [21, 412345]]), packets)).toMatchObject({ ok: false, code: 'GG_ERR_STATS_AMBIGUOUS' });
  });
});

describe('finding descriptors in /proc', () => {
  it('lists a socket this process opens, and finds it as new', async () => {
    const before = socketFds();
    const s = createSocket('udp4');
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
    try {
      const after = socketFds();
      const fresh = [...after].filter(([fd, inode]) => before.get(fd) !== inode);
      expect(fresh.length).toBeGreaterThanOrEqual(1);
      const picked = pickCaptureFd(before, after, new Set([fresh[0][1]]));
      expect(picked).toEqual({ ok: true, fd: fresh[0][0] });
    } finally {
      s.close();
    }
  });

  it('returns an error value when this process has no packet socket', () => {
    expect(findCaptureFd(null)).toMatchObject({ ok: false, code: 'GG_ERR_STATS_NO_SOCKET' });
    expect(findCaptureFd(socketFds())).toMatchObject({ ok: false, code: 'GG_ERR_STATS_NO_SOCKET' });
  });

  it('returns an error value when the packet table cannot be read', () => {
    expect(findCaptureFd(null, '/proc/net/no-such-table')).toMatchObject({ ok: false, code: 'GG_ERR_STATS_NO_SOCKET' });
  });

  it('gives an empty map for a directory that cannot be listed', () => {
    expect(socketFds('/no/such/dir').size).toBe(0);
  });
});

describe('accumulating counters the kernel resets on each read', () => {
  it('adds every read', () => {
    const t = new CounterTotals();
    t.add({ packets: 10, drops: 1 });
    t.add({ packets: 0, drops: 0 });
    t.add({ packets: 4_294_967_295, drops: 2 });
    expect(t).toMatchObject({ received: 4_294_967_305, dropped: 3 });
  });

  it('totals are the sums of the reads, in any order', () => {
    const u32 = fc.integer({ min: 0, max: 0xffffffff });
    fc.assert(fc.property(fc.array(fc.record({ packets: u32, drops: u32 }), { maxLength: 200 }), (reads) => {
      const t = new CounterTotals();
      for (const r of reads) t.add(r);
      expect(t.received).toBe(reads.reduce((s, r) => s + r.packets, 0));
      expect(t.dropped).toBe(reads.reduce((s, r) => s + r.drops, 0));
    }));
  });
});

describe('the addon (built by scripts/setup.sh)', () => {
  const addon = loadStatsAddon();

  it('loads', () => {
    expect('ok' in addon ? addon : { ok: true }).toEqual({ ok: true });
  });

  it('reports a descriptor that is not a packet socket as an error value', async () => {
    if ('ok' in addon) throw new Error(addon.detail);
    const fd = openSync('/proc/self/status', 'r');
    try {
      expect(new CaptureStats(fd, addon).read()).toMatchObject({ ok: false, code: 'GG_ERR_STATS_READ' });
    } finally {
      closeSync(fd);
    }
    const s = createSocket('udp4');
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
    try {
      const udp = [...socketFds()].map(([fd]) => fd);
      for (const fd of udp) expect(new CaptureStats(fd, addon).read()).toMatchObject({ ok: false, code: 'GG_ERR_STATS_READ' });
    } finally {
      s.close();
    }
    expect(new CaptureStats(1_000_000, addon).read()).toMatchObject({ ok: false, code: 'GG_ERR_STATS_READ' });
  });
});

describe('captureStatsReporter', () => {
  function logger(): { log: Logger; records: () => { level: number; msg: string; [k: string]: unknown }[] } {
    let text = '';
    const out = new Writable({ write(chunk, _enc, cb) { text += chunk; cb(); } });
    return { log: pino({ level: 'info' }, out), records: () => text.split('\n').filter(Boolean).map((l) => JSON.parse(l)) };
  }

  it('logs the totals at info on each tick and puts them in the summary', () => {
    const { log, records } = logger();
    const totals = new CounterTotals();
    const reads = [{ packets: 0, drops: 0 }, { packets: 100, drops: 0 }, { packets: 50, drops: 7 }, { packets: 1, drops: 0 }];
    const r = captureStatsReporter((): CaptureStatsResult => { totals.add(reads.shift()!); return { ok: true, ...totals }; }, log);
    r.start();
    r.tick();
    r.tick();
    expect(r.summary()).toBe(', kernel received 151, dropped 7');
    const recs = records();
    expect(recs.map((x) => [x.level, x.received, x.dropped])).toEqual([[30, 100, 0], [30, 150, 7]]);
  });

  it('warns once when the counters are unavailable, and says so in the summary', () => {
    const { log, records } = logger();
    const r = captureStatsReporter(() => ({ ok: false, code: 'GG_ERR_STATS_NO_ADDON', detail: 'not built' }), log);
    r.start();
    r.tick();
    r.tick();
    expect(r.summary()).toBe(', kernel counters unavailable');
    const recs = records();
    expect(recs).toHaveLength(1);
    expect(recs[0]).toMatchObject({ level: 40, code: 'GG_ERR_STATS_NO_ADDON' });
  });
});
