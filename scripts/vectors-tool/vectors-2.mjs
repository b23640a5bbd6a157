// spec/vectors/module-2.json: process messages (spec §6.3).
import { u16, utf8, rep, msg, hdr, H, valid, invalid } from './lib.mjs';

const T = 1_709_294_400_123_456;
const Tx = '000612981d893240';
const SID = 0x12345678;

const exe256 = '/' + 'a'.repeat(252) + 'é' + 'b'; // 1 + 252 + 2 + 1 = 256 bytes
const cmd1024 = 'x'.repeat(1020) + '🐟'; // 1020 + 4 = 1024 bytes
// EXEC body: ts, pid, ppid, uid, exe (str16), cmdline (str16)
const exec = (ids, exe, cmd) => msg(2, 2, Tx + ids + exe + cmd);
const IDS = '00001093' + '00001092' + '000003e8'; // pid 4243, ppid 4242, uid 1000

export const module2 = [
  valid('FORK', H(SID, 1), [
    [msg(2, 1, Tx + '00001092' + '00000001' + '000003e8'), { module: 2, type: 1, ts: T, pid: 4242, ppid: 1, uid: 1000 }],
  ]),
  valid('FORK, largest ids', H(SID, 2), [
    [msg(2, 1, Tx + rep(0xff, 12)), { module: 2, type: 1, ts: T, pid: 0xffffffff, ppid: 0xffffffff, uid: 0xffffffff }],
  ]),
  valid('EXEC', H(SID, 3), [
    [exec(IDS, '000d' + utf8('/usr/bin/curl'), '001c' + utf8('curl -s https://example.com/')),
      { module: 2, type: 2, ts: T, pid: 4243, ppid: 4242, uid: 1000, exe: '/usr/bin/curl', cmdline: 'curl -s https://example.com/' }],
  ]),
  valid('EXEC, empty strings', H(SID, 4), [
    [exec(IDS, '0000', '0000'), { module: 2, type: 2, ts: T, pid: 4243, ppid: 4242, uid: 1000, exe: '', cmdline: '' }],
  ]),
  valid('EXEC, UTF-8 path and arguments', H(SID, 5), [
    [exec(IDS, '0015' + '2f686f6d652f7a6fc3ab2f62696e2f6772c3bcc39f', '0016' + '6772c3bcc39f202d2d77c3b6727465722028e29c9329'),
      { module: 2, type: 2, ts: T, pid: 4243, ppid: 4242, uid: 1000, exe: '/home/zoë/bin/grüß', cmdline: 'grüß --wörter (✓)' }],
  ]),
  valid('EXEC, exe exactly 256 bytes and cmdline exactly 1024 bytes (maxima)', H(SID, 6), [
    [exec(IDS, u16(256) + utf8(exe256), u16(1024) + utf8(cmd1024)),
      { module: 2, type: 2, ts: T, pid: 4243, ppid: 4242, uid: 1000, exe: exe256, cmdline: cmd1024 }],
  ]),
  valid('EXEC, cmdline containing U+0000 (valid UTF-8, kept as is)', H(SID, 9), [
    [exec(IDS, '0007' + utf8('/bin/sh'), '0007' + '7368002d63003a'),
      { module: 2, type: 2, ts: T, pid: 4243, ppid: 4242, uid: 1000, exe: '/bin/sh', cmdline: 'sh\u0000-c\u0000:' }],
  ]),
  valid('EXIT, status 0, -9 (SIGKILL), i32 extremes', H(SID, 7), [
    [msg(2, 3, Tx + '00001093' + '00000000'), { module: 2, type: 3, ts: T, pid: 4243, status: 0 }],
    [msg(2, 3, Tx + '00001094' + 'fffffff7'), { module: 2, type: 3, ts: T, pid: 4244, status: -9 }],
    [msg(2, 3, Tx + '00001095' + '7fffffff'), { module: 2, type: 3, ts: T, pid: 4245, status: 2147483647 }],
    [msg(2, 3, Tx + '00001096' + '80000000'), { module: 2, type: 3, ts: T, pid: 4246, status: -2147483648 }],
  ]),
  valid('unknown type 4 of module 2 is skipped', H(SID, 8), [
    [msg(2, 4, '00'), null],
    [msg(2, 3, Tx + '00001093' + '000000ff'), { module: 2, type: 3, ts: T, pid: 4243, status: 255 }],
  ]),

  // invalid
  invalid('strict: unknown type 4 of module 2', hdr() + msg(2, 4, '00') + msg(2, 3, Tx + '00001093' + '000000ff'), 'GG_ERR_UNKNOWN_TYPE', true),
  invalid('FORK 19-byte body', hdr() + msg(2, 1, Tx + '00001092' + '00000001' + '0003e8'), 'GG_ERR_LENGTH_MISMATCH'),
  invalid('FORK 21-byte body', hdr() + msg(2, 1, Tx + '00001092' + '00000001' + '000003e8' + '00'), 'GG_ERR_LENGTH_MISMATCH'),
  invalid('EXIT ts 2^64-1', hdr() + msg(2, 3, 'ffffffffffffffff' + '00001093' + '00000000'), 'GG_ERR_FIELD_RANGE'),
  invalid('EXIT 3-byte status', hdr() + msg(2, 3, Tx + '00001093' + '000000'), 'GG_ERR_LENGTH_MISMATCH'),
  invalid('EXEC exe 257 bytes (max 256), body length consistent', hdr() + exec(IDS, u16(257) + utf8('e'.repeat(257)), '0000'), 'GG_ERR_STRING_TOO_LONG'),
  invalid('EXEC cmdline 1025 bytes (max 1024), body length consistent', hdr() + exec(IDS, '0000', u16(1025) + utf8('c'.repeat(1025))), 'GG_ERR_STRING_TOO_LONG'),
  invalid('EXEC cmdline with byte f5 (never a UTF-8 lead byte)', hdr() + exec(IDS, '0000', '0003' + '61f562'), 'GG_ERR_BAD_UTF8'),
  invalid('EXEC cmdline with overlong 3-byte NUL (e0 80 80)', hdr() + exec(IDS, '0000', '0003' + 'e08080'), 'GG_ERR_BAD_UTF8'),
  invalid('EXEC cmdline with overlong 4-byte form (f0 80 80 80)', hdr() + exec(IDS, '0000', '0004' + 'f0808080'), 'GG_ERR_BAD_UTF8'),
  invalid('EXEC cmdline with a low surrogate (ed bf bf)', hdr() + exec(IDS, '0000', '0003' + 'edbfbf'), 'GG_ERR_BAD_UTF8'),
  invalid('EXEC exe with c2 followed by ASCII', hdr() + exec(IDS, '0002' + 'c241', '0000'), 'GG_ERR_BAD_UTF8'),
  invalid('EXEC exe with a 5-byte form (f8 88 80 80 80)', hdr() + exec(IDS, '0005' + 'f888808080', '0000'), 'GG_ERR_BAD_UTF8'),
  invalid('EXEC exe length runs past the body', hdr() + exec(IDS, '0010' + utf8('/bin/sh'), '0000'), 'GG_ERR_LENGTH_MISMATCH'),
  invalid('EXEC without cmdline', hdr() + exec(IDS, '0007' + utf8('/bin/sh'), ''), 'GG_ERR_LENGTH_MISMATCH'),
  invalid('EXEC cmdline length byte cut (1 of 2 bytes)', hdr() + exec(IDS, '0007' + utf8('/bin/sh'), '00'), 'GG_ERR_LENGTH_MISMATCH'),
];
