/**
 * The viz server's metrics in Prometheus text format (GET /metrics): probes,
 * their events per second and loss, clients, views, what each tick read and
 * sent, slow clients, logins, client errors, plus the process's CPU and
 * memory (prom-client's defaults).
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Every metric of the viz server, registered in its own registry. */
export class VizMetrics {
  readonly registry = new Registry();
  private readonly r = [this.registry];
  readonly probes = new Gauge({ name: 'gg_viz_probes', help: 'Probes with a live status in Redis', registers: this.r });
  readonly probeEvents = new Gauge({ name: 'gg_viz_probe_events_per_second', help: 'Events per second received from all probes', registers: this.r });
  readonly probeLost = new Gauge({ name: 'gg_viz_probe_lost_datagrams', help: 'Datagrams lost between probes and glougloud (sum of the probes\' counters)', registers: this.r });
  readonly clients = new Gauge({ name: 'gg_viz_clients', help: 'Connected WebSocket clients', labelNames: ['state'], registers: this.r });
  readonly views = new Gauge({ name: 'gg_viz_views', help: 'Distinct views (clients with the same configuration share one)', registers: this.r });
  readonly sourceElements = new Gauge({ name: 'gg_viz_source_elements', help: 'Elements mirrored from Redis', labelNames: ['kind'], registers: this.r });
  readonly ticks = new Counter({ name: 'gg_viz_ticks_total', help: 'Ticks run', registers: this.r });
  readonly tickSeconds = new Histogram({ name: 'gg_viz_tick_seconds', help: 'Duration of a tick (read, views, send)', buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5], registers: this.r });
  readonly dirtyKeys = new Counter({ name: 'gg_viz_dirty_keys_total', help: 'Keys read after keyspace notifications', registers: this.r });
  readonly notifications = new Counter({ name: 'gg_viz_notifications_total', help: 'Keyspace notifications received', registers: this.r });
  readonly diffOps = new Counter({ name: 'gg_viz_diff_ops_total', help: 'Operations in the diffs produced by views', registers: this.r });
  readonly sentMessages = new Counter({ name: 'gg_viz_sent_messages_total', help: 'Messages sent to clients', labelNames: ['type'], registers: this.r });
  readonly sentBytes = new Counter({ name: 'gg_viz_sent_bytes_total', help: 'Bytes of messages sent to clients', labelNames: ['type'], registers: this.r });
  readonly slowClients = new Gauge({ name: 'gg_viz_slow_clients', help: 'Clients currently behind (their changes are merged while they catch up)', registers: this.r });
  readonly bufferedMax = new Gauge({ name: 'gg_viz_client_buffered_bytes_max', help: 'Largest send buffer of one client (bounded by the high-water mark plus one message)', registers: this.r });
  readonly bufferedTotal = new Gauge({ name: 'gg_viz_client_buffered_bytes', help: 'Bytes waiting in all clients\' send buffers', registers: this.r });
  readonly slowResets = new Counter({ name: 'gg_viz_slow_resets_total', help: 'Clients so far behind they were sent a fresh snapshot', registers: this.r });
  readonly slowCloses = new Counter({ name: 'gg_viz_slow_closes_total', help: 'Clients closed for being too slow', registers: this.r });
  readonly resyncs = new Counter({ name: 'gg_viz_resyncs_total', help: 'Full reloads from Redis (start, subscriber reconnects)', registers: this.r });
  readonly redisErrors = new Counter({ name: 'gg_viz_redis_read_errors_total', help: 'Tick reads that failed (Redis unreachable)', registers: this.r });
  readonly logins = new Counter({ name: 'gg_viz_logins_total', help: 'Login attempts by outcome', labelNames: ['outcome'], registers: this.r });
  readonly clientErrors = new Counter({ name: 'gg_viz_client_errors_total', help: 'Bad client messages by code', labelNames: ['code'], registers: this.r });
  readonly closes = new Counter({ name: 'gg_viz_closes_total', help: 'Connections closed by the server, by reason', labelNames: ['reason'], registers: this.r });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  /** Counts one message sent. */
  sent(type: string, bytes: number, n = 1): void {
    this.sentMessages.inc({ type }, n);
    this.sentBytes.inc({ type }, bytes * n);
  }

  /** The text exposition. */
  text(): Promise<string> {
    return this.registry.metrics();
  }
}
