import type { ConnInfo, EventSink, TraceHop } from '../events/sink.js';
import type { WorldHost } from './world-hosts.js';

/** Settings of the simulated network. */
export interface SimulatorOptions {
  /** Events per second to aim for (DATA dominates: one per active connection per interval). */
  rate: number;
  seed: number;
  /** DATA interval, as a real probe's --data-interval. */
  dataIntervalUs: number;
  /** Hosts inside the tapped network (private addresses, located at the probe's site). */
  localHosts: number;
}

/** Defaults of the simulation. */
export const DEFAULT_SIMULATOR: SimulatorOptions = { rate: 2000, seed: 1, dataIntervalUs: 100_000, localHosts: 24 };

/** A service a simulated connection uses, with how big and long its connections tend to be. */
interface Service { proto: number; port: number; name: string; bytesPerS: number; durationS: number; weight: number }

const SERVICES: Service[] = [
  { proto: 6, port: 443, name: 'https', bytesPerS: 60_000, durationS: 20, weight: 40 },
  { proto: 17, port: 443, name: 'quic', bytesPerS: 120_000, durationS: 15, weight: 12 },
  { proto: 6, port: 80, name: 'http', bytesPerS: 30_000, durationS: 8, weight: 8 },
  { proto: 17, port: 53, name: 'dns', bytesPerS: 400, durationS: 0.2, weight: 12 },
  { proto: 6, port: 22, name: 'ssh', bytesPerS: 3_000, durationS: 120, weight: 4 },
  { proto: 6, port: 25, name: 'smtp', bytesPerS: 8_000, durationS: 5, weight: 3 },
  { proto: 17, port: 123, name: 'ntp', bytesPerS: 90, durationS: 0.1, weight: 4 },
  { proto: 6, port: 993, name: 'imaps', bytesPerS: 2_000, durationS: 60, weight: 3 },
  { proto: 17, port: 51820, name: 'wireguard', bytesPerS: 40_000, durationS: 90, weight: 2 },
  { proto: 1, port: 0x0800, name: 'ping', bytesPerS: 84, durationS: 10, weight: 2 },
];
const TOTAL_WEIGHT = SERVICES.reduce((s, x) => s + x.weight, 0);

/** Share of newly met remote hosts that get a traceroute path, as a probe's --trace (rate-limited) gives. */
const NEW_DESTINATION_TRACED = 0.1;

const DOMAINS = ['cdn', 'api', 'www', 'mail', 'static', 'media', 'edge', 'auth', 'git', 'ntp'];
const TLDS = ['com', 'net', 'org', 'io', 'de', 'fr', 'jp', 'br', 'in', 'za', 'au', 'ca'];

/** One live simulated connection; it also serves as the ConnInfo the sink reads. */
class SimConn implements ConnInfo {
  fwdPkts = 0; fwdBytes = 0; revPkts = 0; revBytes = 0;
  constructor(
    readonly id: number, readonly proto: number, readonly family: 4 | 6, readonly src: string, readonly sport: number,
    readonly dst: string, readonly dport: number, readonly firstSeenUs: number, public lastSeenUs: number,
    readonly endUs: number, readonly bytesPerInterval: number, readonly reason: 'fin' | 'rst' | 'timeout',
  ) {}
  readonly vlan = 0;
  readonly vlanInner = 0;
}

/**
 * A plausible network seen from a tap: local hosts talking to public hosts
 * around the world over realistic services, with connections opening and
 * closing, DNS answers naming the remote hosts, occasional traceroute paths,
 * and a few heavy hitters. Pure and seeded: step(now) emits what happened up
 * to `now` into the sink.
 */
export class Simulator {
  private readonly o: SimulatorOptions;
  private readonly conns = new Map<number, SimConn>();
  private readonly locals: string[];
  private readonly named = new Set<string>();
  /** Remote hosts already met: a probe running --trace traces a destination when it first sees it. */
  private readonly met = new Set<string>();
  private nextId = 1;
  private s: number;
  private clock = 0;
  private carry = 0;
  /** Events emitted, by kind. */
  readonly stats = { newconn: 0, data: 0, delconn: 0, name: 0, trace: 0 };

  constructor(private readonly world: readonly WorldHost[], private readonly sink: EventSink, options: Partial<SimulatorOptions> = {}) {
    this.o = { ...DEFAULT_SIMULATOR, ...options };
    if (world.length === 0) throw new RangeError('the simulated world needs public hosts');
    this.s = this.o.seed >>> 0 || 1;
    this.locals = Array.from({ length: this.o.localHosts }, (_, i) => `10.${(i >> 8) & 255}.${Math.floor(i / 250) % 256}.${(i % 250) + 2}`);
  }

  private rnd(): number {
    let s = this.s;
    s ^= s << 13; s ^= s >>> 17; s ^= s << 5;
    this.s = s;
    return (s >>> 0) / 0x100000000;
  }

  private pick<T>(a: readonly T[]): T { return a[Math.floor(this.rnd() * a.length)]; }

  /** Live simulated connections. */
  get liveConnections(): number { return this.conns.size; }

  /** Advances the simulation to `nowUs`, emitting every event due. */
  step(nowUs: number): void {
    if (this.clock === 0) this.clock = nowUs - this.o.dataIntervalUs;
    const iv = this.o.dataIntervalUs;
    while (this.clock + iv <= nowUs) {
      this.clock += iv;
      this.interval(this.clock);
    }
    this.sink.flush();
  }

  private interval(t: number): void {
    const iv = this.o.dataIntervalUs;
    // Each connection gives ~1 DATA per interval plus NEWCONN and DELCONN: aim the population at the rate.
    const target = Math.max(1, Math.round(this.o.rate * (iv / 1e6)));
    const opening = Math.max(0, target - this.conns.size) * 0.2 + target * 0.02;
    this.carry += opening;
    while (this.carry >= 1) { this.carry--; this.open(t); }
    for (const c of this.conns.values()) {
      if (t >= c.endUs) { this.close(c, t); continue; }
      if (c.proto !== 1 && this.rnd() < 0.15) continue; // idle this interval
      const b = Math.max(60, Math.round(c.bytesPerInterval * (0.5 + this.rnd())));
      const down = Math.round(b * 0.85);
      const up = b - down;
      const fp = Math.max(1, Math.round(up / 400));
      const rp = Math.max(1, Math.round(down / 1200));
      c.lastSeenUs = t;
      this.sink.data(c, t, iv, fp, up + fp * 54, rp, down + rp * 54);
      this.stats.data++;
    }
    if (this.rnd() < 0.004) this.trace(t, this.pick(this.world).addr);
  }

  private open(t: number): void {
    let r = this.rnd() * TOTAL_WEIGHT;
    let svc = SERVICES[0];
    for (const s of SERVICES) { if ((r -= s.weight) < 0) { svc = s; break; } }
    const remote = this.pick(this.world);
    const local = this.pick(this.locals);
    const heavy = this.rnd() < 0.01;
    const bytesPerS = svc.bytesPerS * (heavy ? 200 : 0.2 + this.rnd() * 2);
    const durationUs = Math.max(this.o.dataIntervalUs, svc.durationS * 1e6 * (0.2 + this.rnd() * 2) * (heavy ? 4 : 1));
    const outbound = this.rnd() < 0.9;
    const id = this.nextId;
    this.nextId = this.nextId >= 0xffffffff ? 1 : this.nextId + 1;
    const eph = 32768 + Math.floor(this.rnd() * 28000);
    const c = outbound
      ? new SimConn(id, svc.proto, 4, local, svc.proto === 1 ? 0 : eph, remote.addr, svc.port, t, t, t + durationUs, bytesPerS * this.o.dataIntervalUs / 1e6, this.rnd() < 0.9 ? 'fin' : 'rst')
      : new SimConn(id, svc.proto, 4, remote.addr, svc.proto === 1 ? 0 : eph, local, svc.port, t, t, t + durationUs, bytesPerS * this.o.dataIntervalUs / 1e6, 'fin');
    this.conns.set(id, c);
    if (outbound && !this.named.has(remote.addr)) {
      this.named.add(remote.addr);
      const name = `${this.pick(DOMAINS)}.${remote.country.toLowerCase()}-${(remote.addr.split('.')[1])}.${this.pick(TLDS)}`;
      this.sink.name(t, remote.addr, name, 1);
      this.stats.name++;
    }
    this.sink.newconn(c, t);
    this.stats.newconn++;
    if (!this.met.has(remote.addr)) {
      this.met.add(remote.addr);
      if (this.rnd() < NEW_DESTINATION_TRACED) this.trace(t, remote.addr);
    }
  }

  private close(c: SimConn, t: number): void {
    this.conns.delete(c.id);
    this.sink.delconn(c, t, c.proto === 17 || c.proto === 1 ? 'timeout' : c.reason);
    this.stats.delconn++;
  }

  private trace(t: number, dst: string): void {
    const n = 4 + Math.floor(this.rnd() * 10);
    const hops: TraceHop[] = [];
    for (let ttl = 1; ttl <= n; ttl++) {
      const silent = ttl > 1 && this.rnd() < 0.1;
      const addr = ttl === n ? dst : ttl === 1 ? '10.0.0.1' : this.pick(this.world).addr;
      hops.push({ ttl, addr: silent && ttl !== n ? null : addr, rttUs: silent && ttl !== n ? null : Math.round(ttl * 4000 * (0.5 + this.rnd())) });
    }
    this.sink.trace(t, dst, hops);
    this.stats.trace++;
  }

  /** Ends every live connection (shutdown). */
  finish(t: number): void {
    for (const c of [...this.conns.values()]) {
      this.conns.delete(c.id);
      this.sink.delconn(c, t, 'end');
      this.stats.delconn++;
    }
    this.sink.flush();
  }
}
