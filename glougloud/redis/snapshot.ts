/**
 * Start-up read of the network state for NetStore.restore(): SCAN each kind
 * of key, then HGETALL and PTTL in pipelined batches. Single-key commands
 * only (Redis Cluster: run it against each master).
 */
import type { RedisClientType } from 'redis';
import { KEY_PATTERNS } from '../store/keys.js';
import type { StoredHash, StoredNet } from '../store/net-restore.js';

type Client = RedisClientType;

/** Options: SCAN COUNT hint and keys read per pipelined batch. */
export interface SnapshotOptions { scanCount?: number; batch?: number }

/** Reads every hash whose key matches `pattern` (keys that vanish meanwhile are skipped). */
export async function readHashes(client: Client, pattern: string, o: SnapshotOptions = {}): Promise<StoredHash[]> {
  const out: StoredHash[] = [];
  const batch = o.batch ?? 500;
  let keys: string[] = [];
  const drain = async (): Promise<void> => {
    const ks = keys;
    keys = [];
    // Issued in the same tick: node-redis writes them as one pipeline.
    const replies = await Promise.all(ks.map((k) => Promise.all([client.hGetAll(k), client.pTTL(k)])));
    replies.forEach(([hash, pttl], i) => {
      if (Object.keys(hash).length > 0) out.push({ key: ks[i], hash: hash as Record<string, string>, pttl: Number(pttl) });
    });
  };
  for await (const page of client.scanIterator({ MATCH: pattern, COUNT: o.scanCount ?? 1000, TYPE: 'hash' })) {
    for (const k of page) keys.push(String(k));
    if (keys.length >= batch) await drain();
  }
  if (keys.length) await drain();
  return out;
}

/** Reads the nodes, links and connections of module 1. */
export async function readStoredNet(client: Client, o: SnapshotOptions = {}): Promise<StoredNet & { nodes: StoredHash[]; links: StoredHash[]; conns: StoredHash[] }> {
  const nodes = await readHashes(client, KEY_PATTERNS.node, o);
  const links = await readHashes(client, KEY_PATTERNS.link, o);
  const conns = await readHashes(client, KEY_PATTERNS.conn, o);
  return { nodes, links, conns };
}
