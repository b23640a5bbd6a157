#!/usr/bin/env python3
"""Second, independent reading of spec/protocol.md: decodes every vector of
spec/vectors/ with a decoder written from the spec text alone, and re-checks
session.json with the `cryptography` package instead of node:crypto.
Run from the repository root: python3 scripts/vectors-tool/check.py"""
import hashlib, hmac, ipaddress, json, struct, sys

MAX_TIME = 2**53 - 1
MODE = {1: 'encrypt', 2: 'integrity'}
# (name, kind, extra) in table order, typed from spec §6.
TABLES = {
    (0, 1): [('probe_id', 'u32', {'min': 1}), ('min_version', 'u8', {'min': 1}), ('max_version', 'u8', {'min': 1}),
             ('mode', 'enum', {'values': MODE}), ('nonce', 'bytes', {'length': 32})],
    (0, 2): [('version', 'u8', {'min': 1}), ('mode', 'enum', {'values': MODE}), ('session_id', 'u32', {'min': 1}),
             ('nonce', 'bytes', {'length': 32})],
    (0, 3): [('probe_id', 'u32', {'min': 1}), ('site_lat', 'i32', {'min': -90_000_000, 'max': 90_000_000}),
             ('site_lng', 'i32', {'min': -180_000_000, 'max': 180_000_000}), ('site_name', 'str8', {'max': 64}),
             ('mac', 'bytes', {'length': 32})],
    (0, 4): [('status', 'enum', {'values': {1: 'ok', 2: 'denied'}}), ('mac', 'bytes', {'length': 32})],
    (0, 5): [('token', 'u32', {}), ('ts', 'time', {})],
    (0, 6): [('token', 'u32', {}), ('ts', 'time', {})],
    (0, 7): [('code', 'enum', {'values': {1: 'version', 2: 'unknown_session', 3: 'denied', 4: 'rate_limited', 5: 'info'}}),
             ('min_version', 'u8', {'min': 1}), ('max_version', 'u8', {'min': 1}), ('text', 'str8', {'max': 200})],
    (0, 8): [('reason', 'enum', {'values': {1: 'shutdown', 2: 'restart', 3: 'timeout', 4: 'denied', 5: 'error'}})],
    (0, 9): [('origin_id', 'u32', {'min': 1}), ('path', 'list', {'max': 16, 'item': [('relay_id', 'u32', {'min': 1})]}),
             ('site_lat', 'i32', {'min': -90_000_000, 'max': 90_000_000}),
             ('site_lng', 'i32', {'min': -180_000_000, 'max': 180_000_000}), ('site_name', 'str8', {'max': 64}),
             ('lost', 'u32', {}), ('dropped', 'u32', {}), ('inner', 'blob16', {})],
    (0, 10): [('ts', 'time', {}), ('interval_us', 'u32', {}), ('sessions', 'u32', {}), ('datagrams', 'u32', {}),
              ('lost', 'u32', {}), ('dropped', 'u32', {}), ('auth_failures', 'u32', {}), ('replays', 'u32', {}),
              ('unknown_sessions', 'u32', {}), ('loops', 'u32', {}), ('refused', 'u32', {})],
    (1, 1): [('conn_id', 'u32', {}), ('ts', 'time', {}), ('proto', 'u8', {}), ('vlan', 'u16', {'max': 4095}),
             ('vlan_inner', 'u16', {'max': 4095}), ('sport', 'u16', {}), ('dport', 'u16', {}), ('family', 'family', {}),
             ('src', 'addr', {}), ('dst', 'addr', {})],
    (1, 2): [('conn_id', 'u32', {}), ('ts', 'time', {}),
             ('reason', 'enum', {'values': {1: 'fin', 2: 'rst', 3: 'timeout', 4: 'evicted', 5: 'end'}})],
    (1, 3): [('conn_id', 'u32', {}), ('ts', 'time', {}), ('interval_us', 'u32', {}), ('fwd_pkts', 'u32', {}),
             ('fwd_bytes', 'u32', {}), ('rev_pkts', 'u32', {}), ('rev_bytes', 'u32', {})],
    (1, 4): [('ts', 'time', {}), ('rrtype', 'u16', {}), ('family', 'family', {}), ('addr', 'addr', {}), ('name', 'str8', {'max': 255})],
    (1, 5): [('ts', 'time', {}), ('family', 'family', {}), ('dst', 'addr', {}),
             ('hops', 'list', {'max': 64, 'item': [('ttl', 'u8', {'min': 1}), ('rtt_us', 'u32', {'null': 0xffffffff}),
                                                   ('addr', 'addr', {'optional': True})]})],
    (2, 1): [('ts', 'time', {}), ('pid', 'u32', {}), ('ppid', 'u32', {}), ('uid', 'u32', {})],
    (2, 2): [('ts', 'time', {}), ('pid', 'u32', {}), ('ppid', 'u32', {}), ('uid', 'u32', {}),
             ('exe', 'str16', {'max': 256}), ('cmdline', 'str16', {'max': 1024})],
    (2, 3): [('ts', 'time', {}), ('pid', 'u32', {}), ('status', 'i32', {})],
}
SIZE = {'u8': 1, 'enum': 1, 'family': 1, 'u16': 2, 'u32': 4, 'i32': 4, 'time': 8}
BOUNDS = {'u8': (0, 255), 'u16': (0, 65535), 'u32': (0, 2**32 - 1), 'i32': (-2**31, 2**31 - 1)}


class Fail(Exception):
    pass


def addr_text(b):
    if len(b) == 4:
        return str(ipaddress.IPv4Address(b))
    a = ipaddress.IPv6Address(b)
    if a.ipv4_mapped is not None:  # RFC 5952 §5
        return '::ffff:' + str(a.ipv4_mapped)
    return str(a)


def layout(fields, body, pos, fam, out):
    """Phase 1: walks the fields; returns the new position and the family."""
    for name, kind, x in fields:
        if kind in SIZE or kind in ('bytes', 'addr'):
            n = SIZE.get(kind) or x.get('length') or (4 if fam == 4 else 16)
            if len(body) - pos < n:
                raise Fail('GG_ERR_LENGTH_MISMATCH')
            raw = body[pos:pos + n]
            pos += n
            if kind == 'family':
                fam = raw[0]
                if fam not in (4, 6):
                    raise Fail('GG_ERR_BAD_FAMILY')
            out.append((name, kind, x, raw))
        elif kind in ('str8', 'str16', 'blob16'):
            p = 1 if kind == 'str8' else 2
            if len(body) - pos < p:
                raise Fail('GG_ERR_LENGTH_MISMATCH')
            n = int.from_bytes(body[pos:pos + p], 'big')
            pos += p
            if len(body) - pos < n:
                raise Fail('GG_ERR_LENGTH_MISMATCH')
            out.append((name, kind, x, body[pos:pos + n]))
            pos += n
        elif kind == 'list':
            if len(body) - pos < 1:
                raise Fail('GG_ERR_LENGTH_MISMATCH')
            count = body[pos]
            pos += 1
            items = []
            for _ in range(count):
                item = []
                pos, fam = layout(x['item'], body, pos, fam, item)
                items.append(item)
            out.append((name, kind, x, (count, items)))
    return pos, fam


def values(parts):
    """Phase 2: range, enum, time, list count, string length, UTF-8, in field order."""
    m = {}
    for name, kind, x, raw in parts:
        if kind in BOUNDS:
            v = int.from_bytes(raw, 'big', signed=(kind == 'i32'))
            if v < x.get('min', BOUNDS[kind][0]) or v > x.get('max', BOUNDS[kind][1]):
                raise Fail('GG_ERR_FIELD_RANGE')
            m[name] = None if x.get('null') == v else v
        elif kind == 'time':
            v = int.from_bytes(raw, 'big')
            if v > MAX_TIME:
                raise Fail('GG_ERR_FIELD_RANGE')
            m[name] = v
        elif kind == 'enum':
            if raw[0] not in x['values']:
                raise Fail('GG_ERR_FIELD_RANGE')
            m[name] = x['values'][raw[0]]
        elif kind == 'family':
            m[name] = raw[0]
        elif kind == 'addr':
            m[name] = None if x.get('optional') and not any(raw) else addr_text(raw)
        elif kind in ('bytes', 'blob16'):
            m[name] = raw.hex()
        elif kind in ('str8', 'str16'):
            if len(raw) > x['max']:
                raise Fail('GG_ERR_STRING_TOO_LONG')
            try:
                m[name] = raw.decode('utf-8', 'strict')
            except UnicodeDecodeError:
                raise Fail('GG_ERR_BAD_UTF8')
        elif kind == 'list':
            count, items = raw
            if count > x['max']:
                raise Fail('GG_ERR_FIELD_RANGE')
            m[name] = [values(i) for i in items]
    return m


def decode(buf, strict):
    if len(buf) < 16:
        raise Fail('GG_ERR_TRUNCATED')
    if buf[0:2] != b'GG':
        raise Fail('GG_ERR_BAD_MAGIC')
    if buf[2] != 1:
        raise Fail('GG_ERR_BAD_VERSION')
    flags = buf[3]
    if flags & 0xfc or flags == 0x02:
        raise Fail('GG_ERR_BAD_FLAGS')
    sid, seq = struct.unpack('>IQ', buf[4:16])
    if seq > MAX_TIME:
        raise Fail('GG_ERR_FIELD_RANGE')
    p, pos, msgs, skipped = buf[16:], 0, [], 0
    while pos < len(p):
        if len(p) - pos < 4:
            raise Fail('GG_ERR_TRUNCATED')
        mod, typ, length = struct.unpack('>BBH', p[pos:pos + 4])
        pos += 4
        if length > len(p) - pos:
            raise Fail('GG_ERR_TRUNCATED')
        body = p[pos:pos + length]
        pos += length
        if mod not in (0, 1, 2):
            if strict:
                raise Fail('GG_ERR_UNKNOWN_MODULE')
            skipped += 1
            continue
        if (mod, typ) not in TABLES:
            if strict:
                raise Fail('GG_ERR_UNKNOWN_TYPE')
            skipped += 1
            continue
        parts = []
        end, _ = layout(TABLES[(mod, typ)], body, 0, 0, parts)
        if end != len(body):
            raise Fail('GG_ERR_LENGTH_MISMATCH')
        msgs.append({'module': mod, 'type': typ, **values(parts)})
    return {'header': {'version': 1, 'flags': flags, 'session_id': sid, 'seq': seq}, 'messages': msgs, 'skipped': skipped}


def check_codec_vectors(path):
    bad = 0
    for v in json.load(open(path)):
        try:
            got = decode(bytes.fromhex(v['hex']), v['strict'])
            res = got if 'decoded' in v else 'ok'
        except Fail as e:
            res = str(e)
        want = v.get('decoded', v.get('error'))
        if res != want:
            bad += 1
            print(f'{path}: {v["name"]}: got {res!r}')
    return bad


def check_session(path):
    from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF
    from cryptography.hazmat.primitives import hashes
    s = json.load(open(path))
    bad = 0
    for h in s['handshake']:
        sec = bytes.fromhex(h['secret_hex'])
        hello, hres, auth = (bytes.fromhex(h[k]) for k in ('hello_body_hex', 'hello_res_body_hex', 'auth_body_hex'))
        mac = hmac.new(sec, b'glouglou-auth-v1' + hello + hres + auth[:-32], hashlib.sha256).digest()
        res = hmac.new(sec, b'glouglou-auth-res-v1' + hello + hres + auth + b'\x01', hashlib.sha256).digest() \
            if h['auth_res_status'] == 'ok' else bytes(32)
        okm = HKDF(hashes.SHA256(), 64, hello[7:39] + hres[6:38],
                   b'glouglou-keys-v1' + struct.pack('>IB', h['session_id'], h['version'])).derive(sec)
        ok = (mac.hex() == h['auth_mac_hex'] == auth[-32:].hex() and res.hex() == h['auth_res_mac_hex']
              and okm[:32].hex() == h['key_p2s_hex'] and okm[32:].hex() == h['key_s2p_hex']
              and struct.unpack('>I', hello[:4])[0] == h['probe_id'] == struct.unpack('>I', auth[:4])[0]
              and struct.unpack('>I', hres[2:6])[0] == h['session_id'] and hres[0] == h['version'])
        if not ok:
            bad += 1
            print('handshake', h['name'])

    def seal(key, mode, header, payload):
        a = ChaCha20Poly1305(bytes.fromhex(key))
        nonce = b'\0\0\0\0' + header[8:16]
        if mode == 'encrypt':
            return header + a.encrypt(nonce, payload, header)
        return header + payload + a.encrypt(nonce, b'', header + payload)

    def opened(key, mode, d):
        if len(d) < 32 or d[3] != (3 if mode == 'encrypt' else 1):
            return None
        a = ChaCha20Poly1305(bytes.fromhex(key))
        nonce = b'\0\0\0\0' + d[8:16]
        try:
            if mode == 'encrypt':
                return a.decrypt(nonce, d[16:], d[:16])
            a.decrypt(nonce, d[-16:], d[:-16])
            return d[16:-16]
        except Exception:
            return None

    for v in s['sealed']:
        header, payload = bytes.fromhex(v['header_hex']), bytes.fromhex(v['payload_hex'])
        d = seal(v['key_hex'], v['mode'], header, payload)
        if d.hex() != v['datagram_hex'] or opened(v['key_hex'], v['mode'], d) != payload:
            bad += 1
            print('sealed', v['name'])
        decode(header + payload, True)  # the plaintext is a valid datagram
    for v in s['open_errors']:
        if opened(v['key_hex'], v['mode'], bytes.fromhex(v['datagram_hex'])) is not None:
            bad += 1
            print('open_errors', v['name'])
    for v in s['replay']:
        highest, seen, got = 0, {0}, []
        for q in v['seqs']:
            if q > highest or (highest - v['window'] < q and q not in seen):
                seen.add(q)
                highest = max(highest, q)
                got.append('ok')
            else:
                got.append('GG_ERR_REPLAYED')
        if got != v['expected']:
            bad += 1
            print('replay', v['name'], got)
    return bad


if __name__ == '__main__':
    d = 'spec/vectors/'
    n = sum(check_codec_vectors(d + f) for f in ('module-0.json', 'module-1.json', 'module-2.json', 'datagram.json'))
    n += check_session(d + 'session.json')
    print('disagreements:', n)
    sys.exit(1 if n else 0)
