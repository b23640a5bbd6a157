/** The viz server's settings in glougloud's configuration: defaults, -L/-P, TLS in pairs, users, limits. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { resolveConfig } from '../../../glougloud/config.js';
import { DEFAULT_VIZ_LIMITS } from '../../../glougloud/viz-server/options.js';
import { hashPassword } from '../../../glougloud/viz-server/password.js';

const dir = mkdtempSync(join(tmpdir(), 'gg-viz-settings-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function withFile(viz: object): ReturnType<typeof resolveConfig> {
  const f = join(dir, 'glougloud.json');
  writeFileSync(f, JSON.stringify({ viz }));
  return resolveConfig(false, f, {});
}

describe('viz settings', () => {
  test('defaults: 127.0.0.1:4431, no TLS, no password, the default limits; -L and -P override', () => {
    const d = resolveConfig(false, undefined, {});
    if (!d.ok) throw new Error(d.error);
    expect(d.config.viz).toMatchObject({ listen: '127.0.0.1', port: 4431, tls: { cert: null, key: null }, passwordHash: null, users: {} });
    expect(d.config.viz.limits).toEqual(DEFAULT_VIZ_LIMITS);
    const o = resolveConfig(false, undefined, { vizListen: '0.0.0.0', vizPort: '8443' });
    expect(o.ok && [o.config.viz.listen, o.config.viz.port]).toEqual(['0.0.0.0', 8443]);
    expect(resolveConfig(false, undefined, { vizPort: 'https' }).ok).toBe(false);
  });

  test('TLS needs both files; users need a valid hash and id lists; limits are checked', async () => {
    const h = await hashPassword('x', { N: 1024, r: 8, p: 1 });
    expect(withFile({ tls: { cert: '/c.pem', key: '/k.pem' }, users: { alice: { passwordHash: h, modules: [1], probes: [1, 2] } }, limits: { tickMs: 50 } }).ok).toBe(true);
    for (const bad of [
      { tls: { cert: '/c.pem' } }, { passwordHash: 'plain text' }, { users: { alice: { passwordHash: 'nope' } } },
      { users: { 'a b': { passwordHash: h } } }, { users: { alice: { passwordHash: h, probes: [-1] } } },
      { users: { alice: { passwordHash: h, admin: true } } }, { limits: { tickMs: 1 } }, { limits: { lowWaterBytes: 10, highWaterBytes: 5 } },
    ]) expect(withFile(bad).ok, JSON.stringify(bad)).toBe(false);
  });
});
