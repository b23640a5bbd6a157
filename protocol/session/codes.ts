import { ErrorCode } from '../errors.js';

/**
 * Stable codes for session-level outcomes that are not decoding errors: the
 * codec's codes plus what only a session can know (unknown session, refused
 * handshake, limits). Counters and tests use these, never message text.
 */
export const SessionCode = {
  ...ErrorCode,
  UNKNOWN_SESSION: 'GG_ERR_UNKNOWN_SESSION',
  UNKNOWN_PROBE: 'GG_ERR_UNKNOWN_PROBE',
  UNEXPECTED: 'GG_ERR_UNEXPECTED',
  RATE_LIMITED: 'GG_ERR_RATE_LIMITED',
  SESSION_LIMIT: 'GG_ERR_SESSION_LIMIT',
  DENIED: 'GG_ERR_DENIED',
  BAD_MODE: 'GG_ERR_BAD_MODE',
} as const;

/** Any code a session may report. */
export type SessionCodeValue = (typeof SessionCode)[keyof typeof SessionCode];

/** How a sealed session protects its datagrams (names as in module 0's `mode` enum). */
export type SealMode = 'encrypt' | 'integrity';

/** A refusal at the session layer: like the codec's DecodeError, with the wider set of codes. */
export interface SessionError {
  ok: false;
  code: SessionCodeValue;
  detail: string;
}

/** Builds a SessionError value. */
export function refuse(code: SessionCodeValue, detail: string): SessionError {
  return { ok: false, code, detail };
}
