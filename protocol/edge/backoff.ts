/** Delay before the n-th consecutive retry: capped exponential backoff with jitter, so many probes do not retry in step. */
export function restartDelay(failures: number, baseMs = 500, capMs = 30_000, jitter = Math.random()): number {
  const exp = Math.min(capMs, baseMs * 2 ** Math.max(0, failures - 1));
  return Math.round(exp * (0.5 + jitter / 2));
}
