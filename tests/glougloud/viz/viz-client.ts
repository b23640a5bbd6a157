/**
 * A viz client for tests: a real WebSocket, the protocol's messages, and a
 * Replica that applies every snapshot and diff as a browser would (and
 * records any inconsistency instead of hiding it).
 */
import WebSocket from 'ws';
import { Replica } from '../../../glougloud/views/replica.js';
import type { GraphDiff, SerializedGraph } from '../../../glougloud/views/types.js';

/** Any server message. */
export type ServerMsg = { type: string; [k: string]: unknown };

/** A connected test client. */
export class TestVizClient {
  readonly ws: WebSocket;
  readonly messages: ServerMsg[] = [];
  readonly replica = new Replica();
  /** Inconsistencies found while applying (should stay empty). */
  readonly problems: string[] = [];
  closeCode: number | null = null;
  /** Frames that came as binary instead of text. */
  binaryFrames = 0;
  closeReason = '';
  private waiters: (() => void)[] = [];
  private readonly opened: Promise<void>;

  constructor(port: number, o: { localAddress?: string; tls?: boolean; host?: string } = {}) {
    this.ws = new WebSocket(`${o.tls ? 'wss' : 'ws'}://${o.host ?? '127.0.0.1'}:${port}/ws`, { localAddress: o.localAddress, rejectUnauthorized: false, perMessageDeflate: false });
    this.opened = new Promise((resolve, reject) => { this.ws.once('open', () => resolve()); this.ws.once('error', reject); });
    this.ws.on('message', (d, isBinary) => {
      // The viz protocol is JSON in text frames (spec/viz-protocol.md): a binary frame is a server bug.
      if (isBinary) this.binaryFrames++;
      const m = JSON.parse(d.toString()) as ServerMsg;
      this.messages.push(m);
      this.apply(m);
      for (const w of this.waiters.splice(0)) w();
    });
    this.ws.on('close', (code, reason) => {
      this.closeCode = code;
      this.closeReason = reason.toString();
      for (const w of this.waiters.splice(0)) w();
    });
  }

  private apply(m: ServerMsg): void {
    if (m.type === 'snapshot') {
      const r = this.replica.snapshot(m.seq as number, m.graph as SerializedGraph);
      if (!r.ok) this.problems.push(`${r.code}: ${r.detail}`);
    } else if (m.type === 'diff') {
      const r = this.replica.diff(m.prev as number, m.seq as number, { nodes: m.nodes, edges: m.edges } as GraphDiff);
      if (!r.ok) this.problems.push(`${r.code}: ${r.detail}`);
    }
  }

  /** Resolves once connected. */
  open(): Promise<void> {
    return this.opened;
  }

  /** Sends a message (object or raw text). */
  send(m: object | string): void {
    this.ws.send(typeof m === 'string' ? m : JSON.stringify(m));
  }

  /** Waits for a message matching `pred` among those received after index `from`. */
  async next(pred: (m: ServerMsg) => boolean, what: string, from = 0, timeoutMs = 10_000): Promise<ServerMsg> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = this.messages.slice(from).find(pred);
      if (m) return m;
      if (this.closeCode !== null) throw new Error(`closed (${this.closeCode} ${this.closeReason}) while waiting for ${what}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(this.messages.slice(-3)).slice(0, 600)}`);
      await new Promise<void>((r) => { this.waiters.push(r); setTimeout(r, 100); });
    }
  }

  /** Waits for the close; returns its code and reason. */
  async closed(timeoutMs = 10_000): Promise<{ code: number; reason: string }> {
    const deadline = Date.now() + timeoutMs;
    while (this.closeCode === null) {
      if (Date.now() > deadline) throw new Error('not closed');
      await new Promise<void>((r) => { this.waiters.push(r); setTimeout(r, 100); });
    }
    return { code: this.closeCode, reason: this.closeReason };
  }

  /** Logs in; resolves with the answer (auth-ok or error). */
  async login(password: string, user?: string): Promise<ServerMsg> {
    await this.open();
    const from = this.messages.length;
    this.send({ type: 'auth', v: 1, user, password });
    return this.next((m) => m.type === 'auth-ok' || m.type === 'error', 'login answer', from);
  }

  /** Sends a configuration; resolves with the snapshot or the config diff that answers it (or an error). */
  async configure(c: object): Promise<ServerMsg> {
    const from = this.messages.length;
    this.send({ type: 'config', ...c });
    return this.next((m) => m.type === 'snapshot' || (m.type === 'diff' && m.reason === 'config') || m.type === 'error', 'config answer', from);
  }

  close(): void {
    this.ws.terminate();
  }
}
