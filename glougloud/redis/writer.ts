/**
 * The command connection: executes each flush as one pipeline (not MULTI:
 * nothing needs atomicity, and a pipeline of single-key commands also runs on
 * Redis Cluster), one pipeline in flight at a time so flushes apply in order.
 * While Redis is unreachable or slow, flushes wait in a bounded queue; beyond
 * it the oldest are dropped and counted. Reconnects with capped exponential
 * backoff plus jitter, for ever.
 */
import { ErrorReply, type RedisClientType, createClient } from 'redis';

/** One flush: commands as string arrays. */
export type Flush = string[][];

/** Minimal logger (pino's shape). */
export interface WriterLog {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** Options of the writer. */
export interface WriterOptions {
  /** redis://host:port, rediss://..., unix:///path. */
  url: string;
  /** Flushes kept while they cannot be written (default 200); the oldest beyond it are dropped. */
  maxPending?: number;
  /** Commands kept in those flushes (default 4,000,000); same policy. */
  maxPendingCommands?: number;
  /** Reconnect delay: min·2^retries capped at max, then jittered to [½, 1]× (defaults 100 ms, 5 s). */
  backoffMinMs?: number;
  backoffMaxMs?: number;
  /** connectWriter() resolves after this long even if Redis is still unreachable (default 10 s). */
  firstConnectTimeoutMs?: number;
  log?: WriterLog;
  /** The connection came back after a loss: writes may have been lost, keys may have lost their TTL. */
  onReconnect?: () => void;
  /** Flushes were dropped (queue full, or in flight when the connection broke). */
  onDrop?: (flushes: number, commands: number) => void;
}

/** What the writer did so far. */
export interface WriterStats {
  connected: boolean;
  reconnects: number;
  flushesWritten: number;
  commandsWritten: number;
  /** Flushes dropped because the queue was full. */
  flushesDropped: number;
  commandsDropped: number;
  /** Flushes in flight when the connection broke: some of their commands may have run. */
  flushesTorn: number;
  /** Pipelines in which Redis answered an error to at least one command. */
  pipelinesWithErrors: number;
  pending: number;
  pendingCommands: number;
}

/** The reconnect delay after `retries` failed attempts: capped exponential, jittered to [½, 1]×. */
export function backoffDelay(retries: number, minMs: number, maxMs: number, random = Math.random): number {
  const cap = Math.min(maxMs, minMs * 2 ** Math.min(retries, 30));
  return Math.round(cap / 2 + (random() * cap) / 2);
}

type Client = RedisClientType;

/** The pipelined command connection. */
export class RedisWriter {
  private readonly queue: Flush[] = [];
  private queuedCommands = 0;
  private busy = false;
  private everReady = false;
  private lostSinceReady = false;
  private closing = false;
  private readonly s: WriterStats = {
    connected: false, reconnects: 0, flushesWritten: 0, commandsWritten: 0, flushesDropped: 0, commandsDropped: 0,
    flushesTorn: 0, pipelinesWithErrors: 0, pending: 0, pendingCommands: 0,
  };
  /** The node-redis client (for start-up reads such as the restore scan). */
  readonly client: Client;
  private readonly maxPending: number;
  private readonly maxPendingCommands: number;

  constructor(private readonly o: WriterOptions) {
    this.maxPending = o.maxPending ?? 200;
    this.maxPendingCommands = o.maxPendingCommands ?? 4_000_000;
    const min = o.backoffMinMs ?? 100, max = o.backoffMaxMs ?? 5000;
    this.client = createClient({
      url: o.url,
      // We queue (bounded) ourselves; node-redis must not queue without bound behind our back.
      disableOfflineQueue: true,
      socket: { reconnectStrategy: (retries: number) => backoffDelay(retries, min, max) },
    });
    this.client.on('ready', () => this.onReady());
    this.client.on('end', () => { this.s.connected = false; });
    this.client.on('error', (e: Error) => {
      // One line per loss, not one per retry.
      if (this.s.connected || !this.lostSinceReady) o.log?.warn({ err: e.message }, 'redis connection lost');
      this.s.connected = false;
      this.lostSinceReady = true;
    });
  }

  private onReady(): void {
    this.s.connected = true;
    if (this.everReady) {
      this.s.reconnects++;
      this.o.log?.info({ reconnects: this.s.reconnects, pending: this.queue.length }, 'redis connection back');
      this.o.onReconnect?.();
    }
    this.everReady = true;
    this.lostSinceReady = false;
    this.pump();
  }

  /** Starts connecting; resolves when connected or after firstConnectTimeoutMs (it keeps trying). */
  async start(): Promise<void> {
    const connected = this.client.connect().then(() => undefined, () => undefined);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((r) => { timer = setTimeout(r, this.o.firstConnectTimeoutMs ?? 10_000); });
    await Promise.race([connected, timeout]);
    clearTimeout(timer);
  }

  /** Queues one flush; written as one pipeline as soon as the connection allows. */
  write(commands: Flush): void {
    if (this.closing || commands.length === 0) return;
    this.queue.push(commands);
    this.queuedCommands += commands.length;
    let flushes = 0, dropped = 0;
    while (this.queue.length > 1 && (this.queue.length > this.maxPending || this.queuedCommands > this.maxPendingCommands)) {
      const old = this.queue.shift() as Flush;
      this.queuedCommands -= old.length;
      flushes++;
      dropped += old.length;
    }
    if (flushes) this.dropped(flushes, dropped, false);
    this.pump();
  }

  private dropped(flushes: number, commands: number, torn: boolean): void {
    if (torn) this.s.flushesTorn += flushes;
    else this.s.flushesDropped += flushes;
    this.s.commandsDropped += commands;
    this.o.log?.warn({ flushes, commands, torn }, 'redis writes dropped');
    this.o.onDrop?.(flushes, commands);
  }

  private pump(): void {
    if (this.busy || this.queue.length === 0 || !this.client.isReady) return;
    const flush = this.queue.shift() as Flush;
    this.queuedCommands -= flush.length;
    this.busy = true;
    const multi = this.client.multi();
    for (const c of flush) multi.addCommand(c);
    multi.execAsPipeline().then(
      () => { this.s.flushesWritten++; this.s.commandsWritten += flush.length; },
      (e: Error) => {
        if (isErrorReply(e)) {
          // Redis ran the pipeline; at least one command failed (e.g. WRONGTYPE on a foreign key).
          this.s.pipelinesWithErrors++;
          this.s.flushesWritten++;
          this.s.commandsWritten += flush.length;
          this.o.log?.warn({ err: e.message }, 'redis answered an error in a pipeline');
        } else {
          this.dropped(1, flush.length, true);
        }
      },
    ).finally(() => {
      this.busy = false;
      this.pump();
    });
  }

  /** Counters and queue sizes. */
  stats(): WriterStats {
    return { ...this.s, pending: this.queue.length, pendingCommands: this.queuedCommands };
  }

  /** True when nothing is queued or in flight. */
  get idle(): boolean {
    return !this.busy && this.queue.length === 0;
  }

  /** Writes what is queued (waiting at most `timeoutMs`), then closes the connection. */
  async close(timeoutMs = 5000): Promise<void> {
    this.closing = true;
    const deadline = Date.now() + timeoutMs;
    while (!this.idle && this.client.isReady && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    if (!this.idle) this.dropped(this.queue.length, this.queuedCommands, false);
    this.queue.length = 0;
    this.queuedCommands = 0;
    this.client.destroy();
  }
}

function isErrorReply(e: unknown): boolean {
  // A server error reply (the pipeline ran); connection failures are other Error classes.
  return e instanceof ErrorReply;
}

/** Creates a writer and starts connecting (see RedisWriter.start). */
export async function connectWriter(o: WriterOptions): Promise<RedisWriter> {
  const w = new RedisWriter(o);
  await w.start();
  return w;
}
