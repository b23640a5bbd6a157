/** Stable error codes of the glouglou protocol; tests and counters use these, never message text. */
export const ErrorCode = {
  TRUNCATED: 'GG_ERR_TRUNCATED',
  BAD_MAGIC: 'GG_ERR_BAD_MAGIC',
  BAD_VERSION: 'GG_ERR_BAD_VERSION',
  BAD_FLAGS: 'GG_ERR_BAD_FLAGS',
  UNKNOWN_MODULE: 'GG_ERR_UNKNOWN_MODULE',
  UNKNOWN_TYPE: 'GG_ERR_UNKNOWN_TYPE',
  LENGTH_MISMATCH: 'GG_ERR_LENGTH_MISMATCH',
  FIELD_RANGE: 'GG_ERR_FIELD_RANGE',
  STRING_TOO_LONG: 'GG_ERR_STRING_TOO_LONG',
  BAD_UTF8: 'GG_ERR_BAD_UTF8',
  BAD_FAMILY: 'GG_ERR_BAD_FAMILY',
  AUTH_FAILED: 'GG_ERR_AUTH_FAILED',
  REPLAYED: 'GG_ERR_REPLAYED',
} as const;

export type ErrorCodeValue = (typeof ErrorCode)[keyof typeof ErrorCode];

/** A decoding failure: a stable code, a human detail, and where in the input it was found. */
export interface DecodeError {
  ok: false;
  code: ErrorCodeValue;
  detail: string;
  offset?: number;
}

export type Result<T> = ({ ok: true } & T) | DecodeError;

/** Builds the failure value every decoder returns instead of throwing. */
export function fail(code: ErrorCodeValue, detail: string, offset?: number): DecodeError {
  return offset === undefined ? { ok: false, code, detail } : { ok: false, code, detail, offset };
}
