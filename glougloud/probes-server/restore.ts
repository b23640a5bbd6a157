import { createClient } from 'redis';
import type { NetStore } from '../modules/1-net.js';
import { readStoredNet } from '../redis/snapshot.js';

/**
 * Start-up: reads module 1's live state back from Redis (SCAN + pipelined
 * HGETALL) so DATA for connections opened before a restart still finds its
 * link and nodes. A separate short-lived connection, closed afterwards.
 */
export async function restoreNetStore(url: string, net: NetStore, now: number): Promise<{ ok: true; restored: number } | { ok: false; error: string }> {
  const client = createClient({ url, socket: { reconnectStrategy: false, connectTimeout: 5000 } });
  client.on('error', () => { /* reported through the rejected promise below */ });
  try {
    await client.connect();
    const stored = await readStoredNet(client as unknown as Parameters<typeof readStoredNet>[0]);
    return { ok: true, restored: net.restore(stored, now) };
  } catch (e) {
    return { ok: false, error: `cannot read the live state back from Redis: ${(e as Error).message}` };
  } finally {
    if (client.isOpen) await client.quit().catch(() => undefined);
  }
}
