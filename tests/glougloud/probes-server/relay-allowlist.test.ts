/** Which probe ids may relay, every relay of a chain checked, and a refusal warned once a minute per id. */
import { describe, expect, test } from 'vitest';
import { NOT_A_RELAY_WARN_EVERY_MS, RelayAllowlist } from '../../../glougloud/probes-server/relay-allowlist.js';

describe('RelayAllowlist', () => {
  test('an empty list lets no one relay', () => {
    const r = new RelayAllowlist([]);
    expect(r.has(100)).toBe(false);
    expect(r.unlisted([100])).toBe(100);
  });

  test('every relay of a path must be listed; the first that is not is named', () => {
    const r = new RelayAllowlist([100, 200, 300]);
    expect(r.has(200)).toBe(true);
    expect(r.has(7)).toBe(false);
    expect(r.unlisted([100])).toBeUndefined();
    expect(r.unlisted([100, 200, 300])).toBeUndefined();
    // Chain 150 > 200: 200 is the session glougloud knows, 150 only its word.
    expect(r.unlisted([150, 200])).toBe(150);
    expect(r.unlisted([100, 150, 160, 200])).toBe(150);
    expect(r.unlisted([])).toBeUndefined();
  });

  test('a refused id is warned at its first refusal, then once per minute, each id on its own', () => {
    const r = new RelayAllowlist([1]);
    const t0 = 1_000_000;
    expect(r.warnDue(7, t0)).toBe(true);
    let again = 0;
    for (let t = t0 + 1; t < t0 + NOT_A_RELAY_WARN_EVERY_MS; t += 250) if (r.warnDue(7, t)) again++;
    expect(again).toBe(0);
    expect(r.warnDue(8, t0 + 10)).toBe(true);
    expect(r.warnDue(7, t0 + NOT_A_RELAY_WARN_EVERY_MS)).toBe(true);
    expect(r.warnDue(7, t0 + NOT_A_RELAY_WARN_EVERY_MS + 1)).toBe(false);
    expect(r.warnDue(8, t0 + NOT_A_RELAY_WARN_EVERY_MS + 9)).toBe(false);
  });

  test('a flood of distinct ids does not grow memory without bound, and costs at most a few more lines', () => {
    const r = new RelayAllowlist([], 60_000);
    let lines = 0;
    for (let id = 1; id <= 50_000; id++) if (r.warnDue(id, 5)) lines++;
    expect(lines).toBe(50_000);
    // After the reset the memory holds less than its bound, and a recent id is still quiet.
    expect(r.warnDue(50_000, 6)).toBe(false);
    expect(r.remembered).toBeLessThanOrEqual(10_000);
  });
});
