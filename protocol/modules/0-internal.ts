import type { ModuleSpec } from '../fields.js';

/** Session modes a probe may ask for: sealed and encrypted (default), or authenticated only (for debugging with tshark). */
export const SessionMode = { encrypt: 1, integrity: 2 } as const;

/** Module 0: the session layer (handshake, keepalive, notices, goodbye). */
export const internalModule: ModuleSpec = {
  id: 0,
  name: 'internal',
  version: 2,
  doc: 'Session layer: handshake, keepalive, notices and goodbye; relay envelopes and relay health.',
  messages: [
    {
      type: 1, name: 'HELLO', doc: 'Probe → server: opens a handshake. Sent in a plain datagram with session id 0.',
      fields: [
        { name: 'probe_id', kind: 'u32', min: 1, doc: 'The probe id, as configured on the server.' },
        { name: 'min_version', kind: 'u8', min: 1, doc: 'Lowest protocol version the probe speaks.' },
        { name: 'max_version', kind: 'u8', min: 1, doc: 'Highest protocol version the probe speaks.' },
        { name: 'mode', kind: 'enum', values: SessionMode, doc: 'Requested protection: encrypt or integrity.' },
        { name: 'nonce', kind: 'bytes', length: 32, doc: 'Fresh random probe nonce.' },
      ],
    },
    {
      type: 2, name: 'HELLO_RES', doc: 'Server → probe: accepts the handshake and assigns a session id.',
      fields: [
        { name: 'version', kind: 'u8', min: 1, doc: 'Protocol version chosen for the session.' },
        { name: 'mode', kind: 'enum', values: SessionMode, doc: 'Protection granted.' },
        { name: 'session_id', kind: 'u32', min: 1, doc: 'Session id the probe puts in every later datagram header.' },
        { name: 'nonce', kind: 'bytes', length: 32, doc: 'Fresh random server nonce.' },
      ],
    },
    {
      type: 3, name: 'AUTH', doc: 'Probe → server: proves knowledge of the probe secret; tells where the probe stands.',
      fields: [
        { name: 'probe_id', kind: 'u32', min: 1, doc: 'Same probe id as in HELLO.' },
        { name: 'site_lat', kind: 'i32', min: -90_000_000, max: 90_000_000, doc: 'Site latitude in microdegrees.' },
        { name: 'site_lng', kind: 'i32', min: -180_000_000, max: 180_000_000, doc: 'Site longitude in microdegrees.' },
        { name: 'site_name', kind: 'str8', max: 64, doc: 'Site name, UTF-8.' },
        { name: 'mac', kind: 'bytes', length: 32, doc: 'HMAC-SHA256 over the handshake transcript (spec §Handshake).' },
      ],
    },
    {
      type: 4, name: 'AUTH_RES', doc: 'Server → probe: the verdict, and the server\'s own proof of the secret.',
      fields: [
        { name: 'status', kind: 'enum', values: { ok: 1, denied: 2 }, doc: 'ok, or denied.' },
        { name: 'mac', kind: 'bytes', length: 32, doc: 'HMAC-SHA256 over the transcript (all zero when denied).' },
      ],
    },
    {
      type: 5, name: 'PING', doc: 'Either side: keepalive; the peer answers PING_RES with the same token.',
      fields: [
        { name: 'token', kind: 'u32', doc: 'Echoed back.' },
        { name: 'ts', kind: 'time', doc: 'Sender clock.' },
      ],
    },
    {
      type: 6, name: 'PING_RES', doc: 'Answer to PING.',
      fields: [
        { name: 'token', kind: 'u32', doc: 'Token of the PING answered.' },
        { name: 'ts', kind: 'time', doc: 'Timestamp of the PING answered.' },
      ],
    },
    {
      type: 7, name: 'NOTICE', doc: 'Either side: a condition the peer should know (e.g. unsupported version), with the versions the sender speaks.',
      fields: [
        { name: 'code', kind: 'enum', values: { version: 1, unknown_session: 2, denied: 3, rate_limited: 4, info: 5 }, doc: 'What happened.' },
        { name: 'min_version', kind: 'u8', min: 1, doc: 'Lowest protocol version the sender speaks.' },
        { name: 'max_version', kind: 'u8', min: 1, doc: 'Highest protocol version the sender speaks.' },
        { name: 'text', kind: 'str8', max: 200, doc: 'Human-readable detail, UTF-8.' },
      ],
    },
    {
      type: 8, name: 'BYE', doc: 'Either side: the session ends now.',
      fields: [
        { name: 'reason', kind: 'enum', values: { shutdown: 1, restart: 2, timeout: 3, denied: 4, error: 5 }, doc: 'Why.' },
      ],
    },
    {
      type: 9, name: 'FORWARD', doc: 'Relay → upstream: messages of a probe behind the relay, carried unread, with where they came from (spec §7.8).',
      fields: [
        { name: 'origin_id', kind: 'u32', min: 1, doc: 'Id of the probe that sent the inner messages.' },
        {
          name: 'path', kind: 'list', max: 16, doc: 'Relays the messages went through, first (the origin\'s relay) to last (the sender of this datagram).',
          item: [{ name: 'relay_id', kind: 'u32', min: 1, doc: 'A relay\'s probe id.' }],
        },
        { name: 'site_lat', kind: 'i32', min: -90_000_000, max: 90_000_000, doc: 'Origin site latitude in microdegrees, as in its AUTH.' },
        { name: 'site_lng', kind: 'i32', min: -180_000_000, max: 180_000_000, doc: 'Origin site longitude in microdegrees.' },
        { name: 'site_name', kind: 'str8', max: 64, doc: 'Origin site name, UTF-8.' },
        { name: 'lost', kind: 'u32', doc: 'Datagrams of the origin lost before its first relay (sequence gaps) since the previous FORWARD of this origin.' },
        { name: 'dropped', kind: 'u32', doc: 'Messages of the origin dropped by relays of the path (upstream buffer full) since the previous FORWARD of this origin.' },
        { name: 'inner', kind: 'blob16', doc: 'The origin\'s messages, framed as in a payload, unread by relays.' },
      ],
    },
    {
      type: 10, name: 'RELAY_STATS', doc: 'Relay → upstream: the relay\'s health over the last interval (counts are deltas).',
      fields: [
        { name: 'ts', kind: 'time', doc: 'End of the interval, relay clock.' },
        { name: 'interval_us', kind: 'u32', doc: 'Length of the interval in µs.' },
        { name: 'sessions', kind: 'u32', doc: 'Downstream sessions established now.' },
        { name: 'datagrams', kind: 'u32', doc: 'Authentic downstream datagrams received.' },
        { name: 'lost', kind: 'u32', doc: 'Downstream datagrams lost (sequence gaps), all sessions together.' },
        { name: 'dropped', kind: 'u32', doc: 'Messages dropped because the upstream buffer was full.' },
        { name: 'auth_failures', kind: 'u32', doc: 'Downstream datagrams that did not authenticate (forged, corrupted).' },
        { name: 'replays', kind: 'u32', doc: 'Downstream datagrams refused as replayed.' },
        { name: 'unknown_sessions', kind: 'u32', doc: 'Sealed datagrams of sessions the relay does not know (e.g. sent before it restarted).' },
        { name: 'loops', kind: 'u32', doc: 'FORWARDs refused because their path already held this relay, or was full.' },
        { name: 'refused', kind: 'u32', doc: 'Other downstream datagrams refused: malformed, unknown probe, rate limited, denied.' },
      ],
    },
  ],
};
