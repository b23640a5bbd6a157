/**
 * The view in the page's URL, so a view can be bookmarked, shared or put on
 * a wallboard: the module, the filters and grouping (the viz protocol's
 * configuration), the layout, the colouring, and two display modes (embed,
 * anonymize). Parameters read as the filter form reads what a person types;
 * a bad one is ignored and reported, never fatal. Pure.
 */
import { DEFAULT_VIEW_CONFIG, type ViewConfig } from './protocol/messages.js';
import { configDelta, configToForm, type FilterForm, formatAmount, formatDuration, formToConfig } from './ui/filter-config.js';

/** Layouts of the graph. */
export type Layout = 'geo' | 'force';

/** What node colours stand for. */
export type ColorMode = 'country' | 'probe' | 'role';

/** Everything the URL carries. */
export interface PageState {
  config: ViewConfig;
  layout: Layout;
  color: ColorMode;
  /** No chrome: for an iframe in another page or a wallboard. */
  embed: boolean;
  /** Addresses and names masked: for public displays. */
  anonymize: boolean;
  /**
   * Seconds between pings (absent: the default, 15 s): a wallboard behind a
   * proxy or NAT that drops idle connections silently notices sooner with a
   * shorter period.
   */
  ping?: number;
}

/** Defaults: the server's default view, on the map, coloured by country. */
export const DEFAULT_PAGE_STATE: Readonly<PageState> = Object.freeze({
  config: DEFAULT_VIEW_CONFIG as ViewConfig, layout: 'geo', color: 'country', embed: false, anonymize: false,
});

/** URL parameter of each form field (the URL uses `window` for the activity window). */
const PARAMS: Record<Exclude<keyof FilterForm, 'probes'>, string> = {
  include: 'include', exclude: 'exclude', protocols: 'protocols', ports: 'ports', minBytes: 'minBytes', minBps: 'minBps',
  windowS: 'window', maxNodes: 'maxNodes', maxEdges: 'maxEdges', grouping: 'grouping', links: 'links', paths: 'paths',
};

const LAYOUTS: readonly Layout[] = ['geo', 'force'];
const COLORS: readonly ColorMode[] = ['country', 'probe', 'role'];
/** Ping periods a URL may ask for, in seconds. */
const PING_RANGE = { min: 1, max: 600 } as const;
const flag = (v: string | null): boolean => v !== null && v !== '0' && v !== 'false' && v !== 'no';

/** Reads the page state from a query string; `ignored` names the parameters that were not understood. */
export function parseUrlState(search: string): { state: PageState; ignored: string[] } {
  const q = new URLSearchParams(search);
  const ignored: string[] = [];
  let form = configToForm(DEFAULT_VIEW_CONFIG);
  let module = DEFAULT_VIEW_CONFIG.module;
  const m = q.get('module');
  if (m !== null) { if (/^\d{1,3}$/.test(m) && Number(m) <= 255) module = Number(m); else ignored.push('module'); }
  for (const [field, name] of Object.entries(PARAMS) as [keyof typeof PARAMS, string][]) {
    const v = q.get(name);
    if (v === null) continue;
    const next: FilterForm = field === 'links' || field === 'paths' ? { ...form, [field]: flag(v) } : { ...form, [field]: v };
    if (formToConfig(next, module).ok) form = next; else ignored.push(name);
  }
  const p = q.get('probes');
  if (p !== null) {
    const ids = p.split(',').filter((x) => x !== '');
    if (ids.length > 0 && ids.every((x) => /^\d{1,10}$/.test(x) && Number(x) <= 0xffffffff)) form = { ...form, probes: ids.map(Number) };
    else ignored.push('probes');
  }
  const r = formToConfig(form, module);
  const config = r.ok ? r.config : { ...DEFAULT_VIEW_CONFIG, module } as ViewConfig;
  const layout = q.get('layout');
  if (layout !== null && !LAYOUTS.includes(layout as Layout)) ignored.push('layout');
  const color = q.get('color');
  if (color !== null && !COLORS.includes(color as ColorMode)) ignored.push('color');
  const pingText = q.get('ping');
  const ping = pingText !== null && /^\d{1,3}$/.test(pingText) && Number(pingText) >= PING_RANGE.min && Number(pingText) <= PING_RANGE.max ? Number(pingText) : null;
  if (pingText !== null && ping === null) ignored.push('ping');
  return {
    state: {
      config,
      layout: LAYOUTS.includes(layout as Layout) ? (layout as Layout) : DEFAULT_PAGE_STATE.layout,
      color: COLORS.includes(color as ColorMode) ? (color as ColorMode) : DEFAULT_PAGE_STATE.color,
      embed: flag(q.get('embed')),
      anonymize: flag(q.get('anonymize')),
      ...(ping !== null ? { ping } : {}),
    },
    ignored,
  };
}

/** The query string of a page state (only what differs from the defaults, in a fixed order). */
export function formatUrlState(s: PageState): string {
  const q = new URLSearchParams();
  const d = configDelta(s.config);
  if (d.module !== undefined) q.set('module', String(d.module));
  if (d.include) q.set('include', d.include.join(','));
  if (d.exclude) q.set('exclude', d.exclude.join(','));
  if (d.probes) q.set('probes', d.probes.join(','));
  if (d.protocols) q.set('protocols', configToForm({ protocols: d.protocols }).protocols.replace(/\s/g, ''));
  if (d.ports) q.set('ports', d.ports.join(','));
  if (d.minBytes !== undefined) q.set('minBytes', formatAmount(d.minBytes));
  if (d.minBps !== undefined) q.set('minBps', formatAmount(d.minBps));
  if (d.windowS !== undefined) q.set('window', formatDuration(d.windowS));
  if (d.maxNodes !== undefined) q.set('maxNodes', String(d.maxNodes));
  if (d.maxEdges !== undefined) q.set('maxEdges', String(d.maxEdges));
  if (d.grouping !== undefined) q.set('grouping', d.grouping);
  if (d.links !== undefined) q.set('links', d.links ? '1' : '0');
  if (d.paths !== undefined) q.set('paths', d.paths ? '1' : '0');
  if (s.layout !== DEFAULT_PAGE_STATE.layout) q.set('layout', s.layout);
  if (s.color !== DEFAULT_PAGE_STATE.color) q.set('color', s.color);
  if (s.embed) q.set('embed', '1');
  if (s.anonymize) q.set('anonymize', '1');
  if (s.ping !== undefined) q.set('ping', String(s.ping));
  const text = q.toString();
  return text ? `?${text}` : '';
}
