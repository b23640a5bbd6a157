import { createSocket, type Socket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { DatagramPacker, DEFAULT_MAX_DATAGRAM, type Message } from '../datagram.js';
import { ProbeSession } from '../session/probe-session.js';
import type { SealMode } from '../session/codes.js';
import type { Site } from '../session/session-messages.js';
import { restartDelay } from './backoff.js';
import type { Logger } from './log.js';

/** Settings of the link to glougloud or a relay. */
export interface UplinkOptions<Tag = never> {
  host: string;
  port: number;
  probeId: number;
  secret: Buffer;
  site: Site;
  mode: SealMode;
  maxDatagram: number;
  /** Payloads kept while the session is down; beyond it new ones are dropped and counted. */
  maxQueued: number;
  /** A partly filled datagram leaves at the latest this long after its first message. */
  flushMs: number;
  log: Logger;
  /** Told of every payload dropped because the queue was full, with the tag it was queued with (a relay gives counts back). */
  onDrop?: (tag: Tag | undefined, messages: number) => void;
}

/** Defaults of the optional settings. */
export const DEFAULT_UPLINK = { mode: 'encrypt' as SealMode, maxDatagram: DEFAULT_MAX_DATAGRAM, maxQueued: 8192, flushMs: 50 };

/** What the uplink counts. */
export interface UplinkCounters {
  messages: number; datagrams: number; bytes: number; dropped: number; droppedMessages: number; handshakes: number; sessions: number; errors: number;
}

/** Payloads sealed and sent per turn of the event loop when a backlog drains, so the process keeps answering. */
const DRAIN_BATCH = 512;

/**
 * The link upstream of a probe or a relay: packs messages into datagrams (or
 * takes payloads packed by its owner), seals them in the session, and keeps a
 * bounded queue while the session is (re)established. Re-handshakes by itself
 * with backoff when the server goes away or restarts.
 */
export class Uplink<Tag = never> {
  readonly counters: UplinkCounters = { messages: 0, datagrams: 0, bytes: 0, dropped: 0, droppedMessages: 0, handshakes: 0, sessions: 0, errors: 0 };
  private readonly o: UplinkOptions<Tag>;
  private readonly packer: DatagramPacker;
  private readonly queue: { payload: Buffer; messages: number; tag?: Tag }[] = [];
  private queueHead = 0;
  private socket: Socket | null = null;
  private session: ProbeSession;
  private address = '';
  private timer: NodeJS.Timeout | null = null;
  private flushTimer: NodeJS.Timeout | null = null;
  private drainScheduled = false;
  private failures = 0;
  private retryAt = 0;
  private closing = false;

  constructor(options: Partial<UplinkOptions<Tag>> & Pick<UplinkOptions<Tag>, 'host' | 'port' | 'probeId' | 'secret' | 'site' | 'log'>) {
    this.o = { ...DEFAULT_UPLINK, ...options };
    this.packer = new DatagramPacker(this.o.maxDatagram);
    this.session = this.newSession();
  }

  private newSession(): ProbeSession {
    return new ProbeSession({ probeId: this.o.probeId, secret: this.o.secret, site: this.o.site, mode: this.o.mode });
  }

  /** Resolves the server, opens the socket and starts the handshake. */
  async start(): Promise<{ ok: true; local: { address: string; port: number }; remote: string } | { ok: false; error: string }> {
    try {
      this.address = (await lookup(this.o.host)).address;
    } catch (e) {
      return { ok: false, error: `cannot resolve ${this.o.host}: ${(e as NodeJS.ErrnoException).code}` };
    }
    const socket = createSocket(this.address.includes(':') ? 'udp6' : 'udp4');
    this.socket = socket;
    socket.on('message', (msg) => this.onDatagram(msg));
    socket.on('error', (e) => { this.counters.errors++; this.o.log.debug(`uplink socket: ${e.message}`); });
    await new Promise<void>((resolve) => socket.bind(0, resolve));
    // Connected: the kernel keeps the route, sends skip the per-datagram address handling, and only the server is heard.
    await new Promise<void>((resolve) => socket.connect(this.o.port, this.address, resolve));
    this.handshake(Date.now());
    this.timer = setInterval(() => this.tick(Date.now()), 250);
    return { ok: true, local: { address: socket.address().address, port: socket.address().port }, remote: this.address };
  }

  /** True once a session is up. */
  get established(): boolean { return this.session.state === 'established'; }
  /** Payloads waiting for the session. */
  get queued(): number { return this.queue.length - this.queueHead; }
  /** Round-trip time of the last keepalive, in ms. */
  get rttMs(): number | undefined { return this.session.rttMs; }

  /** Resolves true once a session is up, false if none came within timeoutMs (the queue keeps what it can meanwhile). */
  async whenEstablished(timeoutMs: number): Promise<boolean> {
    for (const until = Date.now() + timeoutMs; !this.established; await new Promise((r) => setTimeout(r, 20))) {
      if (Date.now() >= until || this.closing) return false;
    }
    return true;
  }

  /**
   * Backpressure for a source that can go faster than the link (a file read
   * as fast as possible): null while the queue has room, else a promise that
   * resolves once it is down to a quarter. While the session is down it
   * resolves at once: the bounded queue then drops and counts, as for live traffic.
   */
  room(): Promise<void> | null {
    if (this.queued < this.o.maxQueued / 2 || !this.established) return null;
    return new Promise((resolve) => {
      const check = (): void => {
        if (this.queued <= this.o.maxQueued / 4 || !this.established || this.closing) resolve();
        else setTimeout(check, 5);
      };
      check();
    });
  }

  /** Queues one message; it leaves in a full datagram, or within flushMs. */
  send(m: Message): void {
    this.counters.messages++;
    const full = this.packer.add(m);
    if (full) this.enqueue(full, this.packer.count > 0 ? -1 : 0);
    else if (this.flushTimer === null) this.flushTimer = setTimeout(() => this.flush(), this.o.flushMs);
  }

  /** Queues a payload its owner packed itself (at most maxDatagram once sealed), with a tag given back if it is dropped. */
  sendPayload(payload: Buffer, messages: number, tag?: Tag): void {
    this.counters.messages += messages;
    this.enqueue(payload, messages, tag);
  }

  /** Sends the partly filled datagram now. */
  flush(): void {
    if (this.flushTimer) { clearTimeout(this.flushTimer); this.flushTimer = null; }
    const count = this.packer.count;
    const p = this.packer.flush();
    if (p) this.enqueue(p, count);
    this.pump();
  }

  private enqueue(payload: Buffer, messages: number, tag?: Tag): void {
    if (this.queued >= this.o.maxQueued) {
      this.counters.dropped++;
      this.counters.droppedMessages += Math.max(messages, 0);
      this.o.onDrop?.(tag, Math.max(messages, 0));
      return;
    }
    this.queue.push(tag === undefined ? { payload, messages } : { payload, messages, tag });
    if (this.queued > 64 || this.established) this.pump();
  }

  private pump(): void {
    if (!this.established || this.socket === null) return;
    let budget = DRAIN_BATCH;
    while (this.queueHead < this.queue.length) {
      if (budget-- === 0) {
        // Keeps the array from growing while a steady backlog drains from its head.
        if (this.queueHead > 4096) { this.queue.splice(0, this.queueHead); this.queueHead = 0; }
        if (!this.drainScheduled) {
          this.drainScheduled = true;
          setImmediate(() => { this.drainScheduled = false; this.pump(); });
        }
        return;
      }
      const { payload } = this.queue[this.queueHead];
      const d = this.session.seal(payload);
      if (d === null) return;
      this.queueHead++;
      this.socket.send(d);
      this.counters.datagrams++;
      this.counters.bytes += d.length;
    }
    this.queue.length = 0;
    this.queueHead = 0;
  }

  private handshake(now: number): void {
    this.session = this.newSession();
    this.counters.handshakes++;
    this.socket?.send(this.session.start(now));
  }

  private onDatagram(msg: Buffer): void {
    this.act(this.session.receive(msg, Date.now()));
  }

  private act(r: ReturnType<ProbeSession['receive']>): void {
    switch (r.kind) {
      case 'send':
        this.socket?.send(r.datagram);
        return;
      case 'established':
        this.counters.sessions++;
        this.failures = 0;
        this.o.log.info({ session: r.sessionId, mode: r.mode, server: `${this.address}:${this.o.port}` }, 'session established');
        this.pump();
        return;
      case 'messages':
        if (r.reply) this.socket?.send(r.reply);
        return;
      case 'error':
        this.counters.errors++;
        if (r.fatal) this.o.log.error({ code: r.code }, `session refused: ${r.detail}`);
        else this.o.log.debug({ code: r.code }, r.detail);
        if (r.fatal) this.scheduleRetry(Date.now());
        return;
      case 'closed':
        this.o.log.warn({ reason: r.reason }, 'session closed; will re-handshake');
        this.scheduleRetry(Date.now());
        return;
      case 'none':
        return;
    }
  }

  private scheduleRetry(now: number): void {
    if (this.closing) return;
    this.failures++;
    this.retryAt = now + restartDelay(this.failures);
  }

  private tick(now: number): void {
    if (this.retryAt !== 0) {
      if (now >= this.retryAt) { this.retryAt = 0; this.handshake(now); }
      return;
    }
    this.act(this.session.tick(now));
    if (this.session.state === 'closed' && this.retryAt === 0) this.scheduleRetry(now);
  }

  /** Sends what is pending, says BYE, closes the socket. Gives the server `graceMs` to have received it all. */
  async close(graceMs = 200): Promise<void> {
    this.closing = true;
    this.flush();
    // A backlog drains in batches: let it finish before the BYE, as long as it keeps draining.
    for (let until = Date.now() + 2000, left = this.queued; this.established && this.queued > 0 && Date.now() < until;) {
      await new Promise((r) => setImmediate(r));
      if (this.queued < left) { left = this.queued; until = Date.now() + 2000; }
    }
    if (this.timer) clearInterval(this.timer);
    const bye = this.session.close('shutdown');
    if (bye && this.socket) this.socket.send(bye);
    await new Promise((r) => setTimeout(r, graceMs));
    this.socket?.close();
    this.socket = null;
  }
}
