/**
 * The viz server's two Redis connections: a subscriber that PSUBSCRIBEs to
 * the keyspace notifications of the modules' prefixes (and only says which
 * key changed how), and a command connection that reads dirty keys as one
 * pipeline and scans everything on a reload. Both reconnect for ever with
 * capped exponential backoff plus jitter; when the subscriber comes back,
 * what was published in the gap is gone, so the owner is told to reload.
 */
import { createClient } from 'redis';
import { backoffDelay } from '../redis/writer.js';

type Client = ReturnType<typeof createClient>;

/** Minimal logger (pino's shape). */
export interface FeedLog {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

/** What the feed needs and whom it tells. */
export interface RedisFeedOptions {
  url: string;
  /** Keyspace channel patterns, e.g. `__keyspace@*__:gg:1:*`. */
  channels: string[];
  log?: FeedLog;
  backoffMinMs?: number;
  backoffMaxMs?: number;
  /** A key changed: `event` is the keyspace event name (hset, del, expired, ...). */
  onEvent(key: string, event: string): void;
  /** The subscriber is (again) subscribed: whatever happened before is unknown, reload. */
  onSubscribed(first: boolean): void;
}

/** Key of a keyspace channel (`__keyspace@0__:gg:1:n:1.2.3.4` → `gg:1:n:1.2.3.4`). */
export function channelKey(channel: string): string | null {
  const i = channel.indexOf('__:');
  return channel.startsWith('__keyspace@') && i > 0 ? channel.slice(i + 3) : null;
}

/** The subscriber and command connections. */
export class RedisFeed {
  readonly cmd: Client;
  readonly sub: Client;
  private subReadyOnce = false;
  private closing = false;
  private lostSub = false;

  constructor(private readonly o: RedisFeedOptions) {
    const min = o.backoffMinMs ?? 100, max = o.backoffMaxMs ?? 5000;
    const socket = { reconnectStrategy: (retries: number) => backoffDelay(retries, min, max) };
    this.cmd = createClient({ url: o.url, socket, disableOfflineQueue: true });
    this.sub = createClient({ url: o.url, socket });
    this.cmd.on('error', () => { /* reads fail and are retried; the subscriber logs the loss */ });
    this.sub.on('error', (e: Error) => {
      if (!this.lostSub && !this.closing) o.log?.warn({ err: e.message }, 'redis subscriber connection lost');
      this.lostSub = true;
    });
    this.sub.on('ready', () => {
      if (!this.subReadyOnce) return;
      this.lostSub = false;
      o.log?.info({}, 'redis subscriber back: reloading');
      this.o.onSubscribed(false);
    });
  }

  /** Connects both and subscribes; resolves when subscribed or after `timeoutMs` (it keeps trying). */
  async start(timeoutMs = 10_000): Promise<void> {
    const listener = (message: string, channel: string): void => {
      const key = channelKey(channel);
      if (key !== null) this.o.onEvent(key, message);
    };
    const go = (async () => {
      await this.cmd.connect();
      await this.sub.connect();
      await this.sub.pSubscribe(this.o.channels, listener);
      this.subReadyOnce = true;
      this.o.onSubscribed(true);
    })();
    go.catch((e: Error) => this.o.log?.warn({ err: e.message }, 'redis not reachable yet'));
    let t: NodeJS.Timeout | undefined;
    await Promise.race([go.catch(() => undefined), new Promise<void>((r) => { t = setTimeout(r, timeoutMs); })]);
    clearTimeout(t);
  }

  /** True when both connections are usable. */
  get ready(): boolean {
    return this.cmd.isReady && this.sub.isReady && this.subReadyOnce;
  }

  /** HGETALL of each key, sent as one pipeline; throws if the connection fails. */
  async read(keys: readonly string[]): Promise<Record<string, string>[]> {
    if (keys.length === 0) return [];
    const m = this.cmd.multi();
    for (const k of keys) m.hGetAll(k);
    return (await m.execAsPipeline()) as unknown as Record<string, string>[];
  }

  /** Every hash under the patterns (SCAN, then pipelined HGETALL in batches). */
  async scan(patterns: readonly string[], batch = 1000): Promise<{ key: string; hash: Record<string, string> }[]> {
    const out: { key: string; hash: Record<string, string> }[] = [];
    for (const pattern of patterns) {
      let keys: string[] = [];
      const drain = async (): Promise<void> => {
        const ks = keys;
        keys = [];
        const hs = await this.read(ks);
        hs.forEach((hash, i) => { if (Object.keys(hash).length) out.push({ key: ks[i], hash }); });
      };
      for await (const page of this.cmd.scanIterator({ MATCH: pattern, COUNT: 1000, TYPE: 'hash' })) {
        for (const k of page) keys.push(String(k));
        if (keys.length >= batch) await drain();
      }
      if (keys.length) await drain();
    }
    return out;
  }

  /** Closes both connections. */
  close(): void {
    this.closing = true;
    this.sub.destroy();
    this.cmd.destroy();
  }
}
