/**
 * pcapng timestamps: a 64-bit tick count (high and low u32) in units of the
 * interface's if_tsresol, 10^-n (top bit clear) or 2^-n (top bit set) seconds,
 * plus if_tsoffset seconds. Converted to whole microseconds as a number
 * without losing precision for the common decimal resolutions (ns ticks since
 * 1970 exceed 2^53, so they are divided in two steps).
 */

const TWO32 = 4294967296;

/** How one interface's ticks become microseconds. */
export interface TsResolution {
  /** 0 ticks are µs; 1 multiply by `factor`; 2 exact division by `factor`; 3 approximate scale by `factor`. */
  mode: number;
  factor: number;
  offsetMicros: number;
}

/** The conversion for an if_tsresol byte and if_tsoffset seconds, or null when the resolution overflows 64-bit ticks. */
export function tsResolution(resol: number, offsetSec: number): TsResolution | null {
  const offsetMicros = offsetSec * 1e6;
  const exp = resol & 0x7f;
  if ((resol & 0x80) !== 0) {
    return { mode: 3, factor: 1e6 / Math.pow(2, exp), offsetMicros };
  }
  // 10^20 ticks per second would not fit the 64-bit counter's meaning (libpcap rejects it too).
  if (exp > 19) return null;
  if (exp === 6) return { mode: 0, factor: 1, offsetMicros };
  if (exp < 6) return { mode: 1, factor: Math.pow(10, 6 - exp), offsetMicros };
  const div = Math.pow(10, exp - 6);
  // rem * 2^32 + low must stay below 2^53 for the two-step division to be exact.
  return div <= 1e6 ? { mode: 2, factor: div, offsetMicros } : { mode: 3, factor: 1 / div, offsetMicros };
}

/** Microseconds since the epoch for a tick count given as its high and low 32-bit halves. */
export function ticksToMicros(ts: TsResolution, high: number, low: number): number {
  switch (ts.mode) {
    case 0:
      return high * TWO32 + low + ts.offsetMicros;
    case 1:
      return (high * TWO32 + low) * ts.factor + ts.offsetMicros;
    case 2: {
      const div = ts.factor;
      const q = Math.floor(high / div);
      const rem = high - q * div;
      return q * TWO32 + Math.floor((rem * TWO32 + low) / div) + ts.offsetMicros;
    }
    default:
      return Math.floor((high * TWO32 + low) * ts.factor) + ts.offsetMicros;
  }
}
