/**
 * What is always on screen: the connection state (also in embed mode), the
 * counters (nodes, edges, events/s and loss from the probes' health, the
 * updates applied per second), and the server's notices as short-lived toasts.
 */
import type { ConnState } from '../protocol/connection.js';
import { byId, fmtInt, h } from './dom.js';

/** How each connection state reads. */
export const CONN_LABELS: Readonly<Record<ConnState | 'paused', string>> = Object.freeze({
  connecting: 'connecting…', login: 'not logged in', authenticating: 'logging in…', loading: 'loading view…',
  live: 'live', reconnecting: 'reconnecting…', paused: 'paused',
});

/** Totals of the probes' health for the counters: events per second and loss ratio. */
export function probeTotals(probes: readonly Record<string, unknown>[]): { eventsPerS: number; loss: number } {
  let ev = 0, got = 0, lost = 0;
  for (const p of probes) {
    ev += Number(p.events_per_s) || 0;
    got += Number(p.datagrams) || 0;
    lost += Number(p.lost) || 0;
  }
  return { eventsPerS: ev, loss: got + lost > 0 ? lost / (got + lost) : 0 };
}

/** The status bar. */
export class StatusView {
  private readonly conn = byId('conn');
  private readonly connText = this.conn.querySelector('span')!;
  private readonly nodes = byId('count-nodes');
  private readonly edges = byId('count-edges');
  private readonly events = byId('count-events');
  private readonly loss = byId('count-loss');
  private readonly updates = byId('count-updates');
  private readonly notices = byId('notices');

  /** Shows the connection state (and why, when it is not live). */
  connection(s: ConnState | 'paused', detail = ''): void {
    this.conn.dataset.state = s;
    this.connText.textContent = detail && s !== 'live' ? `${CONN_LABELS[s]} (${detail})` : CONN_LABELS[s];
    this.conn.title = detail;
  }

  /** Updates the counters. */
  counters(c: { nodes: number; edges: number; eventsPerS: number; loss: number; updatesPerS: number }): void {
    this.nodes.textContent = fmtInt(c.nodes);
    this.edges.textContent = fmtInt(c.edges);
    this.events.textContent = fmtInt(c.eventsPerS);
    this.loss.textContent = `${c.loss === 0 ? '0' : c.loss < 0.001 ? '<0.1' : (c.loss * 100).toFixed(1)} %`;
    this.updates.textContent = fmtInt(c.updatesPerS);
  }

  /** A notice for a few seconds. */
  notice(level: 'info' | 'warn', text: string, code = ''): void {
    const d = h('div', { class: level, 'data-code': code }, text);
    this.notices.append(d);
    while (this.notices.childElementCount > 4) this.notices.firstElementChild?.remove();
    setTimeout(() => d.remove(), level === 'warn' ? 8000 : 5000);
  }
}
