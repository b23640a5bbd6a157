/**
 * A probe for tests, built from protocol/: a real UDP socket and the real
 * session state machine, with ways to send what a hostile peer would.
 */
import { createSocket, type Socket } from 'node:dgram';
import { encodeMessages, type Message } from '../../protocol/datagram.js';
import { ProbeSession } from '../../protocol/session/probe-session.js';
import type { SealMode } from '../../protocol/session/codes.js';

/** A connected test probe. */
export class TestProbe {
  readonly socket: Socket;
  session: ProbeSession;
  /** Every sealed datagram sent, for replay tests. */
  readonly sent: Buffer[] = [];
  readonly received: Buffer[] = [];
  private waiters: (() => void)[] = [];

  constructor(readonly port: number, readonly probeId: number, readonly secret: string, readonly site = { lat: 48.85, lng: 2.35, name: 'Test site' }, readonly mode: SealMode = 'encrypt') {
    this.socket = createSocket('udp4');
    this.session = this.fresh();
    this.socket.on('message', (m) => {
      this.received.push(m);
      const r = this.session.receive(m, Date.now());
      if (r.kind === 'send') this.raw(r.datagram);
      if (r.kind === 'messages' && r.reply) this.raw(r.reply);
      for (const w of this.waiters.splice(0)) w();
    });
  }

  private fresh(): ProbeSession {
    return new ProbeSession({ probeId: this.probeId, secret: Buffer.from(this.secret), site: this.site, mode: this.mode });
  }

  /** Binds and handshakes; resolves once established, rejects after `timeoutMs`. */
  async connect(timeoutMs = 5000): Promise<void> {
    await new Promise<void>((r) => this.socket.bind(0, '127.0.0.1', () => r()));
    await this.handshake(timeoutMs);
  }

  /** A new handshake (a restarted probe). */
  async handshake(timeoutMs = 5000): Promise<void> {
    this.session = this.fresh();
    this.raw(this.session.start(Date.now()));
    const deadline = Date.now() + timeoutMs;
    while (this.session.state !== 'established') {
      if (Date.now() > deadline) throw new Error(`handshake of probe ${this.probeId} not done (state ${this.session.state})`);
      const r = this.session.tick(Date.now());
      if (r.kind === 'send') this.raw(r.datagram);
      await new Promise<void>((res) => { this.waiters.push(res); setTimeout(res, 50); });
    }
  }

  /** Sends bytes as they are. */
  raw(d: Uint8Array): void {
    this.socket.send(d, this.port, '127.0.0.1');
  }

  /** Seals and sends messages in one datagram; returns the datagram. */
  send(msgs: Message[]): Buffer {
    const d = this.session.seal(encodeMessages(msgs));
    if (!d) throw new Error('no session');
    this.sent.push(d);
    this.raw(d);
    return d;
  }

  close(): void {
    this.socket.close();
  }
}

/** Resolves when `check` returns a truthy value, polling; rejects with `what` after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined | null | false> | T | undefined | null | false, what: string, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v as T;
    } catch (e) { last = e; }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
