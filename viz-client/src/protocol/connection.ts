/**
 * The WebSocket to the viz server: connect, log in, ask for the view, follow
 * it, and come back by itself. The only file that touches the socket. The
 * password is kept in memory (never in storage or the URL) so that a
 * reconnection logs in again and gets a fresh snapshot; a refused password
 * forgets it. Reconnection uses capped exponential backoff with jitter; a
 * connection that stops answering pings is dropped and replaced.
 */
import {
  authMessage, configMessage, decodeServerMessage, pingMessage, type ServerMessage, type ViewConfig,
} from './messages.js';

/** Where the connection stands (always shown to the user). */
export type ConnState = 'connecting' | 'login' | 'authenticating' | 'loading' | 'live' | 'reconnecting';

/** Reconnection and liveness settings. */
export interface ConnectionOptions {
  backoffBaseMs: number;
  backoffMaxMs: number;
  pingIntervalMs: number;
  /** No message at all for this long after a ping: the connection is dead. */
  pongTimeoutMs: number;
}

/** Defaults. */
export const DEFAULT_CONNECTION_OPTIONS: Readonly<ConnectionOptions> = Object.freeze({
  backoffBaseMs: 500, backoffMaxMs: 15_000, pingIntervalMs: 15_000, pongTimeoutMs: 10_000,
});

/**
 * Liveness for a ping period chosen by the page (seconds): the answer may
 * take two thirds of the period, as with the defaults (15 s, 10 s).
 */
export function livenessOptions(pingS: number): Pick<ConnectionOptions, 'pingIntervalMs' | 'pongTimeoutMs'> {
  const pingIntervalMs = Math.round(pingS * 1000);
  return { pingIntervalMs, pongTimeoutMs: Math.round((pingIntervalMs * 2) / 3) };
}

/** Whether a connection last heard at `lastHeard` is dead at `now`: nothing at all, not even the answer to a ping, for a period and a timeout. */
export function connectionSilent(now: number, lastHeard: number, o: Pick<ConnectionOptions, 'pingIntervalMs' | 'pongTimeoutMs'>): boolean {
  return now - lastHeard > o.pingIntervalMs + o.pongTimeoutMs;
}

/** Delay before reconnection attempt `n` (1-based): capped exponential, with jitter in [½, 1]. */
export function reconnectDelay(n: number, o: Pick<ConnectionOptions, 'backoffBaseMs' | 'backoffMaxMs'>, jitter = Math.random()): number {
  const exp = Math.min(o.backoffMaxMs, o.backoffBaseMs * 2 ** Math.max(0, Math.min(n - 1, 20)));
  return Math.round(exp * (0.5 + jitter / 2));
}

/** What the connection tells the page. */
export interface ConnectionHandlers {
  state(s: ConnState, detail: string): void;
  /** Any message of the view or the server (snapshot, diff, probes, notice, error, auth-ok). */
  message(m: ServerMessage): void;
  /** A login was refused: code (GG_VIZ_AUTH_FAILED, GG_VIZ_RATE_LIMITED, GG_VIZ_BUSY, …) and when to try again. */
  loginFailed(code: string, detail: string, retryAfterMs: number | null): void;
}

const utf8 = new TextDecoder();

/** Errors that answer a login. */
const LOGIN_ERRORS = new Set(['GG_VIZ_AUTH_FAILED', 'GG_VIZ_RATE_LIMITED', 'GG_VIZ_BUSY', 'GG_VIZ_BAD_VERSION']);

/** Close codes after which reconnecting with the same password is pointless. */
const AUTH_CLOSES = new Set([4401]);

/** The client side of the viz protocol. */
export class VizConnection {
  private ws: WebSocket | null = null;
  private credentials: { user: string | null; password: string } | null = null;
  private config: Partial<ViewConfig>;
  private attempts = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private pinger: ReturnType<typeof setInterval> | null = null;
  private lastHeard = 0;
  private pingId = 0;
  private authed = false;
  private stopped = false;
  state: ConnState = 'connecting';

  constructor(private readonly url: string, config: Partial<ViewConfig>, private readonly h: ConnectionHandlers,
    private readonly o: ConnectionOptions = DEFAULT_CONNECTION_OPTIONS) {
    this.config = config;
  }

  private set(s: ConnState, detail = ''): void {
    this.state = s;
    this.h.state(s, detail);
  }

  /** Opens the connection (and keeps it open until stop()). */
  start(): void {
    this.stopped = false;
    this.open();
  }

  private open(): void {
    if (this.stopped) return;
    // Waiting at the login form: the socket is renewed quietly behind it.
    if (this.credentials || this.state !== 'login') this.set(this.attempts === 0 ? 'connecting' : 'reconnecting', this.attempts === 0 ? '' : `attempt ${this.attempts + 1}`);
    let ws: WebSocket;
    try { ws = new WebSocket(this.url); } catch (e) { this.retry(`cannot connect: ${(e as Error).message}`); return; }
    this.ws = ws;
    this.authed = false;
    // Messages are JSON text; the server may send them in binary frames (UTF-8 bytes), so both are read.
    ws.binaryType = 'arraybuffer';
    ws.onmessage = (ev) => { if (ws === this.ws) this.onMessage(typeof ev.data === 'string' ? ev.data : utf8.decode(ev.data as ArrayBuffer)); };
    ws.onclose = (ev) => { if (ws === this.ws) this.onClose(ev.code, ev.reason); };
    ws.onerror = () => undefined;
  }

  private onMessage(text: string): void {
    this.lastHeard = Date.now();
    const d = decodeServerMessage(text);
    if (!d.ok) return;
    const m = d.msg;
    if (m.type === 'hello') {
      if (this.credentials) this.sendAuth(); else this.set('login');
      return;
    }
    if (m.type === 'auth-ok') {
      this.authed = true;
      this.attempts = 0;
      this.set('loading');
      this.send(configMessage(this.config));
      this.startPinging();
    } else if (m.type === 'error' && !this.authed && LOGIN_ERRORS.has(m.code)) {
      const retry = m.retryAfterMs ?? null;
      // Refused: the password is forgotten. Only delayed: it is tried again when the server allows.
      if (m.code === 'GG_VIZ_AUTH_FAILED' || m.code === 'GG_VIZ_BAD_VERSION' || retry === null) this.credentials = null;
      else this.schedule(() => this.sendAuth(), retry + 50);
      this.set(this.credentials ? 'authenticating' : 'login', m.code);
      this.h.loginFailed(m.code, m.detail, retry);
      return;
    } else if (m.type === 'snapshot' && this.state !== 'live') {
      this.set('live');
    }
    this.h.message(m);
  }

  private onClose(code: number, reason: string): void {
    this.ws = null;
    this.stopPinging();
    if (this.stopped) return;
    if (AUTH_CLOSES.has(code)) this.credentials = null;
    if (!this.credentials) {
      // Not logged in: connect again and wait at the login form (the server closes idle unauthenticated sockets).
      this.retry(reason || `closed (${code})`, true);
      return;
    }
    this.retry(reason || `closed (${code})`);
  }

  private retry(detail: string, quiet = false): void {
    if (this.stopped) return;
    this.attempts++;
    const delay = quiet ? Math.min(this.o.backoffMaxMs, 1000 * this.attempts) : reconnectDelay(this.attempts, this.o);
    if (!quiet) this.set('reconnecting', `${detail}; again in ${Math.ceil(delay / 1000)} s`);
    this.schedule(() => this.open(), delay);
  }

  private schedule(f: () => void, delay: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => { this.timer = null; f(); }, delay);
  }

  private send(text: string): boolean {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(text);
    return true;
  }

  private sendAuth(): void {
    if (!this.credentials) return;
    this.set('authenticating');
    this.send(authMessage(this.credentials.password, this.credentials.user));
  }

  /** Logs in (kept for reconnections while it works). */
  login(password: string, user: string | null): void {
    this.credentials = { user: user || null, password };
    if (this.ws && this.ws.readyState === WebSocket.OPEN && !this.authed) this.sendAuth();
    else if (!this.ws) { this.attempts = 0; if (this.timer) { clearTimeout(this.timer); this.timer = null; } this.open(); }
  }

  /** Changes the view; the server answers with a diff (or an error). */
  configure(config: Partial<ViewConfig>): void {
    this.config = config;
    if (this.authed) this.send(configMessage(config));
  }

  /** Drops the connection and comes back with a fresh snapshot. */
  resync(): void {
    if (!this.ws) return;
    const ws = this.ws;
    this.ws = null;
    this.stopPinging();
    ws.close(1000, 'resync');
    this.attempts = 0;
    this.open();
  }

  /** Closes for good. */
  stop(): void {
    this.stopped = true;
    this.stopPinging();
    if (this.timer) clearTimeout(this.timer);
    this.ws?.close(1000, 'bye');
    this.ws = null;
  }

  private startPinging(): void {
    this.stopPinging();
    this.pinger = setInterval(() => {
      if (connectionSilent(Date.now(), this.lastHeard, this.o)) {
        const ws = this.ws;
        this.ws = null;
        this.stopPinging();
        ws?.close(4000, 'no answer');
        this.retry('the server stopped answering');
        return;
      }
      this.send(pingMessage(++this.pingId));
    }, this.o.pingIntervalMs);
  }

  private stopPinging(): void {
    if (this.pinger) clearInterval(this.pinger);
    this.pinger = null;
  }
}
