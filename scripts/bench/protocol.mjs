// Encodes and decodes a realistic mix of module-1 messages packed into
// datagrams, plain and sealed, and prints messages/s for each direction.
import { randomBytes } from 'node:crypto';
import { DatagramPacker, decodeMessages, Msg, HEADER_SIZE, TAG_SIZE } from '../../dist/protocol/index.js';

/** A mix like a busy tap: mostly DATA, some NEWCONN/DELCONN, a few NAME and TRACE. */
export function realisticMix(n, seed = 1) {
  let s = seed;
  const rnd = () => ((s = (s * 1103515245 + 12345) >>> 0) / 0x100000000);
  const out = [];
  const ts0 = 1_763_000_000_000_000;
  for (let i = 0; i < n; i++) {
    const r = rnd();
    const ts = ts0 + i * 10;
    const v6 = rnd() < 0.2;
    const addr = () => (v6 ? `2001:db8:${((rnd() * 65535) | 0).toString(16)}::${((rnd() * 65535) | 0).toString(16)}` : `${(rnd() * 223 + 1) | 0}.${(rnd() * 255) | 0}.${(rnd() * 255) | 0}.${(rnd() * 255) | 0}`);
    if (r < 0.80) out.push({ module: 1, type: 3, conn_id: i & 0xffff, ts, interval_us: 100000, fwd_pkts: (rnd() * 100) | 0, fwd_bytes: (rnd() * 150000) | 0, rev_pkts: (rnd() * 100) | 0, rev_bytes: (rnd() * 150000) | 0 });
    else if (r < 0.89) out.push({ module: 1, type: 1, conn_id: i & 0xffff, ts, proto: rnd() < 0.7 ? 6 : 17, vlan: 0, vlan_inner: 0, sport: (rnd() * 65535) | 0, dport: 443, family: v6 ? 6 : 4, src: addr(), dst: addr() });
    else if (r < 0.98) out.push({ module: 1, type: 2, conn_id: i & 0xffff, ts, reason: 'fin' });
    else if (r < 0.995) out.push({ module: 1, type: 4, ts, rrtype: v6 ? 28 : 1, family: v6 ? 6 : 4, addr: addr(), name: `host${i}.example.com` });
    else out.push({ module: 1, type: 5, ts, family: v6 ? 6 : 4, dst: addr(), hops: Array.from({ length: 8 }, (_, k) => ({ ttl: k + 1, rtt_us: 1000 * k, addr: k === 3 ? null : addr() })) });
  }
  return out;
}

function timeIt(fn, minMs = 1500) {
  let iters = 0;
  const t0 = process.hrtime.bigint();
  let elapsed = 0;
  do { fn(); iters++; elapsed = Number(process.hrtime.bigint() - t0) / 1e6; } while (elapsed < minMs);
  return { iters, seconds: elapsed / 1000 };
}

export async function run() {
  const { sealDatagram, openDatagram } = await import('../../dist/protocol/session/seal.js').catch(() => ({}));
  const msgs = realisticMix(200_000);
  const packer = new DatagramPacker(1400);
  let payloads = [];
  const pack = () => {
    payloads = [];
    for (const m of msgs) { const p = packer.add(m); if (p) payloads.push(p); }
    const last = packer.flush(); if (last) payloads.push(last);
  };
  const rows = [];
  const enc = timeIt(pack);
  rows.push(['encode (plain)', (msgs.length * enc.iters) / enc.seconds]);
  const dec = timeIt(() => { for (const p of payloads) { const r = decodeMessages(p); if (!r.ok) throw new Error(r.code); } });
  rows.push(['decode (plain)', (msgs.length * dec.iters) / dec.seconds]);
  if (sealDatagram) {
    const key = randomBytes(32);
    let seq = 1;
    let sealed = [];
    const sealAll = () => {
      pack();
      sealed = payloads.map((p) => sealDatagram({ version: 1, flags: 0, session_id: 1, seq: seq++ }, p, key, 'encrypt'));
    };
    const se = timeIt(sealAll);
    rows.push(['encode + seal (encrypted)', (msgs.length * se.iters) / se.seconds]);
    const od = timeIt(() => {
      for (const d of sealed) { const o = openDatagram(d, key); if (!o.ok) throw new Error(o.code); const r = decodeMessages(o.payload); if (!r.ok) throw new Error(r.code); }
    });
    rows.push(['open + decode (encrypted)', (msgs.length * od.iters) / od.seconds]);
  } else {
    rows.push(['encrypted', NaN]);
  }
  const perDatagram = msgs.length / payloads.length;
  console.log(`protocol benchmark — ${new Date().toISOString().slice(0, 10)}, node ${process.version}`);
  console.log(`${msgs.length} messages (80% DATA, 9% NEWCONN, 9% DELCONN, 1.5% NAME, 0.5% TRACE), ${payloads.length} datagrams of ≤1400 bytes (${perDatagram.toFixed(1)} messages each; header ${HEADER_SIZE} B, tag ${TAG_SIZE} B)`);
  console.log('| path | messages/s | target |');
  console.log('|---|---|---|');
  for (const [name, rate] of rows) {
    const target = name.includes('plain') ? 5e6 : 2e6;
    console.log(`| ${name} | ${Number.isNaN(rate) ? 'n/a (session layer missing)' : (rate / 1e6).toFixed(2) + ' M'} | ≥ ${target / 1e6} M |`);
  }
}
