/**
 * The viz server's core loop, without sockets of its own: keyspace
 * notifications mark keys dirty; once per tick the dirty keys are read with
 * one pipeline (shared by all clients), mapped by their module, applied to
 * the mirrored source, and every view turns the change into its diff,
 * serialized once and sent to each of its clients. After the subscriber
 * reconnects, everything is reloaded and every client gets the diff to the
 * reloaded state.
 */
import type { GraphModule, SourceRecord } from '../views/source-types.js';
import { type Access, viewKey, type ViewConfig } from '../views/config.js';
import { diffMessage, probesMessage, snapshotMessage, type VizErrorCode } from '../views/messages.js';
import { SourceGraph } from '../views/source.js';
import { diffSize, serializeState } from '../views/types.js';
import { View } from '../views/view.js';
import type { Authenticator } from './auth.js';
import type { ClientHost, SharedView, VizClient } from './client.js';
import type { LoginLimiter } from './login-limiter.js';
import type { VizMetrics } from './metrics.js';
import type { VizLimits } from './options.js';
import { PROBE_PATTERN, ProbeHealth } from './probe-health.js';

/** What the hub reads Redis with. */
export interface HubReader {
  read(keys: readonly string[]): Promise<Record<string, string>[]>;
  scan(patterns: readonly string[]): Promise<{ key: string; hash: Record<string, string> }[]>;
}

/** Minimal logger (pino's shape). */
export interface HubLog {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

/** The shared state of the viz server and its tick. */
export class VizHub implements ClientHost {
  readonly source = new SourceGraph();
  readonly health = new ProbeHealth();
  readonly clients = new Set<VizClient>();
  private readonly views = new Map<string, SharedView>();
  private readonly byPrefix = new Map<string, GraphModule>();
  private dirty = new Set<string>();
  /** When each key shown was last read (update throttling); a key missing here is new and read at once. */
  private readonly lastRead = new Map<string, number>();
  /** Keys deleted, expired or evicted: their removal is never held back. */
  private readonly gone = new Set<string>();
  private reloadWanted = false;
  private loaded = false;
  private busy = false;
  private redisDown = false;
  private readonly snapshots = new WeakMap<SharedView, { at: string; buf: Buffer }>();
  private probesCache = new Map<string, Buffer>();

  constructor(
    private readonly modules: readonly GraphModule[],
    private readonly reader: HubReader,
    readonly limits: VizLimits,
    readonly metrics: VizMetrics,
    readonly auth: Authenticator,
    readonly limiter: LoginLimiter,
    readonly log: HubLog,
  ) {
    for (const m of modules) this.byPrefix.set(`gg:${m.id}:`, m);
  }

  private moduleOf(key: string): GraphModule | undefined {
    const i = key.indexOf(':', 3);
    return i > 0 ? this.byPrefix.get(key.slice(0, i + 1)) : undefined;
  }

  /** A keyspace notification. Cheap: it only marks the key dirty (or not). */
  onEvent(key: string, event: string): void {
    this.metrics.notifications.inc();
    if (key.startsWith('gg:0:probe:')) { if (event !== 'expire') this.dirty.add(key); return; }
    const m = this.moduleOf(key);
    if (m && m.needsRead(key, event, this.source.hasConn(key))) {
      this.dirty.add(key);
      if (event === 'del' || event === 'expired' || event === 'evicted') this.gone.add(key);
    }
  }

  /** Reload everything at the next tick (start, subscriber back). */
  requestReload(): void {
    this.reloadWanted = true;
  }

  /** True once a first load completed. */
  get ready(): boolean {
    return this.loaded && !this.redisDown;
  }

  /** Number of views. */
  get viewCount(): number {
    return this.views.size;
  }

  private recordOf(key: string, hash: Record<string, string>): SourceRecord | null {
    return this.moduleOf(key)?.record(key, hash) ?? null;
  }

  private down(e: Error): void {
    this.metrics.redisErrors.inc();
    if (this.redisDown) return;
    this.redisDown = true;
    this.log.warn({ err: e.message }, 'viz: Redis reads failing');
    this.broadcast('warn', 'GG_VIZ_REDIS_DOWN', 'the live state store is unreachable; the graph is frozen');
  }

  private up(): void {
    if (!this.redisDown) return;
    this.redisDown = false;
    this.broadcast('info', 'GG_VIZ_REDIS_BACK', 'the live state store is back');
  }

  /** One tick: read what changed, update the views, send the diffs, look after slow clients. */
  async tick(now: number): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    const end = this.metrics.tickSeconds.startTimer();
    try {
      let records: SourceRecord[] = [];
      let probesChanged = false, resync = false;
      if (this.reloadWanted) {
        this.reloadWanted = false;
        let scanned;
        try { scanned = await this.reader.scan([PROBE_PATTERN, ...this.modules.flatMap((m) => m.patterns)]); } catch (e) {
          this.reloadWanted = true; this.down(e as Error); return;
        }
        this.up();
        const present = new Set<string>();
        this.health.clear();
        probesChanged = true;
        this.lastRead.clear();
        for (const { key, hash } of scanned) {
          this.lastRead.set(key, now);
          if (this.health.set(key, hash)) continue;
          const r = this.recordOf(key, hash);
          if (r) { records.push(r); present.add(key); }
        }
        records = [...this.source.removalsExcept(present), ...records];
        resync = this.loaded;
        this.loaded = true;
        this.metrics.resyncs.inc();
        this.log.info({ keys: scanned.length, resync }, 'viz: live state loaded from Redis');
      } else if (this.dirty.size) {
        const keys = this.dueKeys(now);
        let hashes: Record<string, string>[] = [];
        try { if (keys.length) hashes = await this.reader.read(keys); } catch (e) {
          for (const k of keys) this.dirty.add(k);
          this.down(e as Error);
          return;
        }
        if (keys.length) this.up();
        this.metrics.dirtyKeys.inc(keys.length);
        for (let i = 0; i < keys.length; i++) {
          if (Object.keys(hashes[i]).length === 0) this.lastRead.delete(keys[i]);
          else this.lastRead.set(keys[i], now);
          if (this.health.set(keys[i], hashes[i])) { probesChanged = true; continue; }
          const r = this.recordOf(keys[i], hashes[i]);
          if (r) records.push(r);
        }
      }
      const touched = this.source.apply(records);
      for (const sv of this.views.values()) {
        const prev = sv.view.seq;
        const d = sv.view.apply(touched, now);
        if (sv.view.seq === prev) continue;
        this.metrics.diffOps.inc(diffSize(d));
        const buf = Buffer.from(diffMessage(prev, sv.view.seq, d, resync ? { reason: 'resync' } : undefined));
        for (const c of sv.clients) c.deliver(sv, prev, d, buf, now);
      }
      if (probesChanged) { this.probesCache.clear(); for (const c of this.clients) c.probesChanged(); }
      if (resync) this.broadcast('info', 'GG_VIZ_RESYNC', 'reloaded from the live state store after a reconnection');
      for (const c of this.clients) c.service(now);
      this.updateGauges();
    } finally {
      this.metrics.ticks.inc();
      end();
      this.busy = false;
    }
  }

  /**
   * The dirty keys to read now: new keys, removals, and keys last read at least
   * refreshMs ago. The others stay dirty for a later tick, so a busy element's
   * counters cost one read and one update per refresh interval, not per write.
   */
  private dueKeys(now: number): string[] {
    const every = this.limits.refreshMs;
    const due: string[] = [];
    for (const k of this.dirty) {
      const at = this.lastRead.get(k);
      if (at === undefined || now - at >= every || this.gone.has(k)) { due.push(k); this.dirty.delete(k); }
    }
    this.gone.clear();
    return due;
  }

  private broadcast(level: 'info' | 'warn', code: string, text: string): void {
    for (const c of this.clients) c.notice(level, code, text);
  }

  private updateGauges(): void {
    const t = this.health.totals();
    this.metrics.probes.set(t.probes);
    this.metrics.probeEvents.set(t.eventsPerS);
    this.metrics.probeLost.set(t.lost);
    this.metrics.views.set(this.views.size);
    const s = this.source.sizes;
    this.metrics.sourceElements.set({ kind: 'nodes' }, s.nodes);
    this.metrics.sourceElements.set({ kind: 'edges' }, s.edges);
    this.metrics.sourceElements.set({ kind: 'conns' }, s.conns);
    let authed = 0, slow = 0, buffered = 0, max = 0;
    for (const c of this.clients) {
      if (c.authenticated) authed++;
      if (c.lagging) slow++;
      const b = c.ws.bufferedAmount;
      buffered += b;
      if (b > max) max = b;
    }
    this.metrics.slowClients.set(slow);
    this.metrics.bufferedTotal.set(buffered);
    this.metrics.bufferedMax.set(max);
    this.metrics.clients.set({ state: 'authenticated' }, authed);
    this.metrics.clients.set({ state: 'connecting' }, this.clients.size - authed);
  }

  /** The shared view for a configuration (built if new). */
  attach(c: VizClient, config: ViewConfig): SharedView | { code: VizErrorCode; detail: string } {
    const key = viewKey(config);
    let sv = this.views.get(key);
    if (!sv) {
      if (this.views.size >= this.limits.maxViews) return { code: 'GG_VIZ_TOO_MANY_VIEWS', detail: `at most ${this.limits.maxViews} distinct views at once` };
      sv = { key, config, view: View.build(config, this.source, Date.now()), clients: new Set() };
      this.views.set(key, sv);
    }
    sv.clients.add(c);
    return sv;
  }

  /** A client left a view; the last one out frees it. */
  detach(c: VizClient, sv: SharedView): void {
    sv.clients.delete(c);
    if (sv.clients.size === 0 && this.views.get(sv.key) === sv) this.views.delete(sv.key);
  }

  /** A view's snapshot message, serialized once per state. */
  snapshot(sv: SharedView, reason: 'config' | 'reset'): Buffer {
    const at = `${sv.view.seq}:${reason}`;
    const cached = this.snapshots.get(sv);
    if (cached && cached.at === at) return cached.buf;
    const buf = Buffer.from(snapshotMessage(sv.view.seq, sv.config, reason, serializeState(sv.view.state)));
    this.snapshots.set(sv, { at, buf });
    return buf;
  }

  /** The probes message for an access level, serialized once per change. */
  probes(access: Access): Buffer {
    const k = access.probes === null ? '*' : access.probes.join(',');
    let b = this.probesCache.get(k);
    if (!b) { b = Buffer.from(probesMessage(this.health.list(access.probes))); this.probesCache.set(k, b); }
    return b;
  }
}
