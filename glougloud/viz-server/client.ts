/**
 * One WebSocket client: log in, choose a view, then follow it. The client is
 * hostile until proven otherwise: nothing about the graph before a valid
 * password, every message checked, rate-limited, and repeated mistakes close
 * the connection. What a client that cannot keep up is owed (merged changes,
 * a fresh snapshot, or a close with 4408) is decided by its Backlog.
 */
import type { WebSocket } from 'ws';
import { type Access, validateViewConfig, viewKey, type ViewConfig } from '../views/config.js';
import { diffStates } from '../views/diff.js';
import {
  authOkMessage, type ClientMessage, decodeClientMessage, diffMessage, errorMessage, helloMessage, noticeMessage, pongMessage,
  type VizErrorCode,
} from '../views/messages.js';
import { emptyDiff, type GraphDiff } from '../views/types.js';
import type { View } from '../views/view.js';
import type { Authenticator } from './auth.js';
import { Backlog } from './backlog.js';
import type { LoginLimiter } from './login-limiter.js';
import type { VizMetrics } from './metrics.js';
import type { VizLimits } from './options.js';

/** Close codes of the viz protocol. */
export const CLOSE = Object.freeze({
  goingAway: 1001, internal: 1011, tooManyErrors: 4400, auth: 4401, tooSlow: 4408, badVersion: 4426,
});

/** A view shared by the clients with the same configuration. */
export interface SharedView { key: string; config: ViewConfig; view: View; clients: Set<VizClient> }

/** What a client needs from the server around it. */
export interface ClientHost {
  limits: VizLimits;
  metrics: VizMetrics;
  auth: Authenticator;
  limiter: LoginLimiter;
  attach(c: VizClient, config: ViewConfig): SharedView | { code: VizErrorCode; detail: string };
  detach(c: VizClient, sv: SharedView): void;
  snapshot(sv: SharedView, reason: 'config' | 'reset'): Buffer;
  probes(access: Access): Buffer;
  log: { debug(obj: object, msg?: string): void; info(obj: object, msg?: string): void };
}

/** A connected client. */
export class VizClient {
  user: string | null = null;
  access: Access | null = null;
  sv: SharedView | null = null;
  alive = true;
  closed = false;
  private authPending = false;
  private authAttempts = 0;
  private strikes = 0;
  private tokens: number;
  private tokensAt = Date.now();
  private readonly backlog: Backlog;
  private probesDirty = false;
  private readonly authTimer: NodeJS.Timeout;

  constructor(readonly ws: WebSocket, readonly addr: string, private readonly host: ClientHost) {
    this.tokens = host.limits.messageRate * 2;
    this.backlog = new Backlog(host.limits, () => host.metrics.slowResets.inc());
    this.send(helloMessage('glougloud'), 'hello');
    this.authTimer = setTimeout(() => this.close(CLOSE.auth, 'GG_VIZ_AUTH_TIMEOUT'), host.limits.authTimeoutMs);
    ws.on('message', (data, isBinary) => {
      try {
        this.onMessage(data as Buffer, isBinary);
      } catch (e) {
        // A bug must cost this connection, never the server.
        host.log.info({ err: (e as Error).stack ?? String(e), addr }, 'viz client message failed');
        this.close(CLOSE.internal, 'GG_VIZ_INTERNAL');
      }
    });
    ws.on('pong', () => { this.alive = true; });
  }

  /** True while the client is behind (its changes merged, not sent). */
  get lagging(): boolean {
    return this.backlog.lagging;
  }

  /** Sequence number of the state the client holds (what it was sent last). */
  get seq(): number {
    return this.backlog.seq;
  }

  /** True once logged in. */
  get authenticated(): boolean {
    return this.access !== null;
  }

  /** Sends a message, counting it. */
  send(data: string | Buffer, type: string): void {
    if (this.closed) return;
    // Prebuilt diffs are UTF-8 buffers shared by clients; the protocol is JSON text, so every frame goes as a text frame.
    this.ws.send(data, { binary: false });
    this.host.metrics.sent(type, typeof data === 'string' ? Buffer.byteLength(data) : data.length);
  }

  private error(code: VizErrorCode, detail: string, strike: boolean, retryAfterMs?: number): void {
    this.host.metrics.clientErrors.inc({ code });
    this.send(errorMessage(code, detail, retryAfterMs), 'error');
    if (strike && ++this.strikes >= this.host.limits.maxStrikes) this.close(CLOSE.tooManyErrors, 'GG_VIZ_TOO_MANY_ERRORS');
  }

  /** Closes with a code and a reason (a stable code string). */
  close(code: number, reason: string): void {
    if (this.closed) return;
    this.host.metrics.closes.inc({ reason });
    this.ws.close(code, reason);
    this.cleanup();
    // A peer that never answers the close handshake is cut off.
    setTimeout(() => this.ws.terminate(), 2000).unref();
  }

  /** Forgets the client (its socket closed). */
  cleanup(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.authTimer);
    if (this.sv) this.host.detach(this, this.sv);
    this.sv = null;
  }

  private spend(cost: number): boolean {
    const now = Date.now(), rate = this.host.limits.messageRate;
    this.tokens = Math.min(rate * 2, this.tokens + ((now - this.tokensAt) * rate) / 1000);
    this.tokensAt = now;
    if (this.tokens < cost) return false;
    this.tokens -= cost;
    return true;
  }

  private onMessage(data: Buffer, isBinary: boolean): void {
    if (this.closed) return;
    if (isBinary) return this.error('GG_VIZ_BAD_MESSAGE', 'binary frames are not part of the protocol', true);
    const d = decodeClientMessage(data.toString('utf8'));
    if (!d.ok) {
      if (d.code === 'GG_VIZ_BAD_VERSION') { this.error(d.code, d.detail, false); this.close(CLOSE.badVersion, d.code); return; }
      return this.error(d.code, d.detail, true);
    }
    if (!this.spend(d.msg.type === 'config' ? 5 : 1)) return this.error('GG_VIZ_RATE_LIMITED', 'too many messages', true);
    this.dispatch(d.msg);
  }

  private dispatch(m: ClientMessage): void {
    if (m.type === 'ping') { this.send(pongMessage(m.id, Date.now()), 'pong'); return; }
    if (m.type === 'auth') {
      if (this.authenticated) return this.error('GG_VIZ_ALREADY_AUTHENTICATED', 'already logged in', true);
      if (this.authPending) return this.error('GG_VIZ_AUTH_PENDING', 'a login is being checked', true);
      this.login(m.user, m.password).catch((e: Error) => {
        this.host.log.info({ err: e.stack ?? String(e), addr: this.addr }, 'viz login failed unexpectedly');
        this.close(CLOSE.internal, 'GG_VIZ_INTERNAL');
      });
      return;
    }
    if (!this.authenticated) return this.error('GG_VIZ_NOT_AUTHENTICATED', 'log in first', true);
    this.configure(m.raw);
  }

  private async login(user: string | null, password: string): Promise<void> {
    const { limiter, metrics, limits } = this.host;
    const attempt = (): void => { if (++this.authAttempts >= limits.maxAuthAttempts) this.close(CLOSE.auth, 'GG_VIZ_AUTH_FAILED'); };
    const wait = limiter.waitMs(this.addr, Date.now());
    if (wait > 0) {
      metrics.logins.inc({ outcome: 'rate_limited' });
      this.error('GG_VIZ_RATE_LIMITED', 'too many failed logins from this address', false, wait);
      return attempt();
    }
    this.authPending = true;
    const r = await this.host.auth.check(user, password);
    this.authPending = false;
    if (this.closed) return;
    if (!r.ok) {
      if (r.code === 'GG_VIZ_BUSY') { metrics.logins.inc({ outcome: 'busy' }); this.error('GG_VIZ_BUSY', 'too many logins at once', false, 1000); return; }
      const retry = limiter.fail(this.addr, Date.now());
      metrics.logins.inc({ outcome: 'failed' });
      this.host.log.info({ addr: this.addr, user }, 'viz login failed');
      this.error('GG_VIZ_AUTH_FAILED', 'wrong user or password', false, retry);
      return attempt();
    }
    limiter.succeed(this.addr);
    metrics.logins.inc({ outcome: 'ok' });
    clearTimeout(this.authTimer);
    this.user = r.user;
    this.access = r.access;
    this.send(authOkMessage(r.user, r.access.modules, r.access.probes), 'auth-ok');
    this.send(this.host.probes(r.access), 'probes');
  }

  private configure(raw: Record<string, unknown>): void {
    const v = validateViewConfig(raw, this.access as Access);
    if (!v.ok) return this.error(v.code, v.detail, true);
    const old = this.sv;
    if (old && old.key === viewKey(v.config)) {
      if (!this.lagging) this.send(diffMessage(this.seq, this.seq, emptyDiff(), { reason: 'config', config: old.config }), 'diff');
      return;
    }
    const sv = this.host.attach(this, v.config);
    if (!('view' in sv)) return this.error(sv.code, sv.detail, false);
    this.sv = sv;
    if (old) this.host.detach(this, old);
    if (!old) {
      this.send(this.host.snapshot(sv, 'config'), 'snapshot');
      this.backlog.snapshotSent(sv.view.seq);
      return;
    }
    // From the state the client will hold (its own, or with what waits for it) to the new view.
    const prev = this.backlog.seq, d = diffStates(old.view.state, sv.view.state);
    if (this.backlog.offer(this.backlog.head, sv.view.seq, d, this.ws.bufferedAmount, Date.now())) {
      this.send(diffMessage(prev, sv.view.seq, d, { reason: 'config', config: sv.config }), 'diff');
    }
  }

  /** A diff of the client's view (serialized once for all its clients). */
  deliver(sv: SharedView, prev: number, d: GraphDiff, buf: Buffer, now: number): void {
    if (this.closed || sv !== this.sv) return;
    if (this.backlog.offer(prev, sv.view.seq, d, this.ws.bufferedAmount, now)) this.send(buf, 'diff');
  }

  /** Probe health changed: sent now, or when the client has caught up. */
  probesChanged(): void {
    if (!this.authenticated) return;
    if (this.lagging) { this.probesDirty = true; return; }
    this.send(this.host.probes(this.access as Access), 'probes');
  }

  /** A notice for the user (sent unless the client is behind). */
  notice(level: 'info' | 'warn', code: string, text: string): void {
    if (this.authenticated && !this.lagging) this.send(noticeMessage(level, code, text), 'notice');
  }

  /** Once per tick: a client behind catches up when its socket drained, or is closed when hopeless. */
  service(now: number): void {
    if (this.closed || !this.sv || !this.lagging) return;
    const sv = this.sv;
    const a = this.backlog.service(sv.view.seq, this.ws.bufferedAmount, now);
    if (a.do === 'none') return;
    if (a.do === 'close') {
      this.host.metrics.slowCloses.inc();
      this.close(CLOSE.tooSlow, 'GG_VIZ_TOO_SLOW');
      return;
    }
    if (a.do === 'snapshot') {
      this.send(noticeMessage('warn', 'GG_VIZ_SLOW_RESET', 'this client fell too far behind: fresh snapshot'), 'notice');
      this.send(this.host.snapshot(sv, 'reset'), 'snapshot');
    } else {
      this.send(diffMessage(a.prev, a.seq, a.diff, { reason: 'catch-up', config: sv.config }), 'diff');
    }
    if (this.probesDirty) { this.probesDirty = false; this.send(this.host.probes(this.access as Access), 'probes'); }
  }
}
