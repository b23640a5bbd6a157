/**
 * The pure parts of the page's connection liveness: when a silent
 * connection counts as dead, the ping period a URL may set, and the login
 * messages the form shows for each code the server can answer a login with.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { connectionSilent, DEFAULT_CONNECTION_OPTIONS, livenessOptions } from '../../viz-client/src/protocol/connection.js';
import { LOGIN_MESSAGES } from '../../viz-client/src/ui/login.js';
import { DEFAULT_PAGE_STATE, formatUrlState, parseUrlState } from '../../viz-client/src/url-state.js';

describe('a connection that stops answering', () => {
  const o = DEFAULT_CONNECTION_OPTIONS;

  test('is dead after a ping period and the answer timeout of silence, not before', () => {
    const heard = 1_000_000;
    const limit = o.pingIntervalMs + o.pongTimeoutMs;
    expect(connectionSilent(heard, heard, o)).toBe(false);
    expect(connectionSilent(heard + limit, heard, o)).toBe(false);
    expect(connectionSilent(heard + limit + 1, heard, o)).toBe(true);
  });

  test('a pong answered within the timeout keeps it alive at every check', () => {
    // Checks run once per period; a ping goes out at each, and its answer takes up to the timeout.
    fc.assert(fc.property(fc.integer({ min: 1, max: 600 }), fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 1, max: 50 }), (pingS, lateness, n) => {
      const l = livenessOptions(pingS);
      const pingAt = n * l.pingIntervalMs;
      const heard = pingAt + Math.floor(lateness * l.pongTimeoutMs);
      expect(connectionSilent(pingAt + l.pingIntervalMs, heard, l)).toBe(false);
      // Silent since then: found dead by the third check at the latest.
      expect(connectionSilent(pingAt + 3 * l.pingIntervalMs + 1, heard, l)).toBe(true);
    }));
  });

  test('a page-chosen period keeps the defaults\' proportions', () => {
    expect(livenessOptions(o.pingIntervalMs / 1000)).toEqual({ pingIntervalMs: o.pingIntervalMs, pongTimeoutMs: o.pongTimeoutMs });
    expect(livenessOptions(3)).toEqual({ pingIntervalMs: 3000, pongTimeoutMs: 2000 });
  });
});

describe('the ping period in the URL', () => {
  test('whole seconds from 1 to 600, kept in the URL; absent by default', () => {
    expect(parseUrlState('?ping=2')).toEqual({ state: { ...DEFAULT_PAGE_STATE, ping: 2 }, ignored: [] });
    expect(formatUrlState({ ...DEFAULT_PAGE_STATE, ping: 2 })).toBe('?ping=2');
    expect(parseUrlState('?ping=600').state.ping).toBe(600);
    expect(parseUrlState('').state).not.toHaveProperty('ping');
  });

  test('anything else is ignored and named', () => {
    for (const bad of ['0', '601', '-1', '1.5', '1e3', '', 'fast', '0x10', '9999']) {
      const { state, ignored } = parseUrlState(`?ping=${encodeURIComponent(bad)}&layout=force`);
      expect(ignored, bad).toEqual(['ping']);
      expect(state, bad).not.toHaveProperty('ping');
      expect(state.layout).toBe('force');
    }
  });
});

describe('the login form\'s messages', () => {
  test('every code that answers a login has its own message', () => {
    const codes = ['GG_VIZ_AUTH_FAILED', 'GG_VIZ_RATE_LIMITED', 'GG_VIZ_BUSY', 'GG_VIZ_BAD_VERSION'];
    for (const c of codes) expect(LOGIN_MESSAGES[c], c).toEqual(expect.any(String));
    expect(new Set(codes.map((c) => LOGIN_MESSAGES[c])).size).toBe(codes.length);
  });
});
