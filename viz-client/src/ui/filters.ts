/**
 * The filter panel: edits the view configuration of the viz protocol. Each
 * change is checked here first (the field in error is marked, with why),
 * then sent; the server's answer changes the graph at once, and its
 * canonical configuration (or its refusal) comes back to the form.
 */
import { DEFAULT_VIEW_CONFIG, type ViewConfig } from '../protocol/messages.js';
import { byId, fill, h } from './dom.js';
import { configToForm, type FilterForm, formToConfig } from './filter-config.js';

const TEXT_FIELDS = ['include', 'exclude', 'protocols', 'ports', 'minBytes', 'minBps', 'windowS', 'maxNodes', 'maxEdges', 'grouping'] as const;

/** The filter drawer. */
export class FiltersView {
  private readonly root = byId('filters');
  private readonly form = byId<HTMLFormElement>('filter-form');
  private readonly probesBox = byId('filter-probes');
  private readonly error = byId('filter-error');
  private readonly state = byId('filter-state');
  private probeIds: number[] = [];
  private checked: number[] | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private module = DEFAULT_VIEW_CONFIG.module;

  constructor(private readonly onConfig: (c: ViewConfig) => void) {
    this.form.addEventListener('input', () => this.changed(350));
    this.form.addEventListener('change', () => this.changed(0));
    this.form.addEventListener('submit', (ev) => { ev.preventDefault(); this.changed(0); });
    byId('filter-reset').addEventListener('click', () => { this.set(DEFAULT_VIEW_CONFIG as ViewConfig); this.changed(0); });
    const toggle = byId('filters-toggle');
    toggle.addEventListener('click', () => {
      this.root.hidden = !this.root.hidden;
      toggle.setAttribute('aria-expanded', String(!this.root.hidden));
    });
  }

  private field(name: string): HTMLInputElement | HTMLSelectElement {
    return this.form.elements.namedItem(name) as HTMLInputElement | HTMLSelectElement;
  }

  /** The form's values. */
  read(): FilterForm {
    const f = {} as Record<string, unknown>;
    for (const k of TEXT_FIELDS) f[k] = this.field(k).value;
    f.links = (this.field('links') as HTMLInputElement).checked;
    f.paths = (this.field('paths') as HTMLInputElement).checked;
    const boxes = [...this.probesBox.querySelectorAll<HTMLInputElement>('input[type=checkbox]')];
    const on = boxes.filter((b) => b.checked).map((b) => Number(b.value));
    f.probes = on.length === 0 || on.length === boxes.length ? null : on;
    return f as unknown as FilterForm;
  }

  /** Shows a configuration (the server's canonical echo, or the URL's). */
  set(c: Partial<ViewConfig>): void {
    const f = configToForm(c);
    this.module = c.module ?? this.module;
    for (const k of TEXT_FIELDS) {
      const e = this.field(k);
      if (document.activeElement !== e) e.value = f[k];
      e.classList.remove('bad');
    }
    (this.field('links') as HTMLInputElement).checked = f.links;
    (this.field('paths') as HTMLInputElement).checked = f.paths;
    this.checked = f.probes;
    this.drawProbes();
    this.error.hidden = true;
  }

  /** The probes that can be chosen (from the server's probe health). */
  setProbes(probes: { id: number; name: string }[]): void {
    const ids = probes.map((p) => p.id).sort((a, b) => a - b);
    if (ids.join() === this.probeIds.join()) return;
    this.probeIds = ids;
    this.drawProbes(probes);
  }

  private drawProbes(probes?: { id: number; name: string }[]): void {
    const names = new Map((probes ?? []).map((p) => [p.id, p.name]));
    const old = new Map([...this.probesBox.querySelectorAll<HTMLInputElement>('input')].map((b) => [Number(b.value), b.parentElement?.textContent ?? '']));
    const ids = [...new Set([...this.probeIds, ...(this.checked ?? [])])].sort((a, b) => a - b);
    fill(this.probesBox, h('legend', {}, 'Probes'), ids.length === 0 ? h('span', { class: 'dim' }, 'all') : null, ...ids.map((id) => {
      const box = h('input', { type: 'checkbox', value: String(id) });
      box.checked = this.checked === null || this.checked.includes(id);
      return h('label', {}, box, names.get(id) ? ` #${id} ${names.get(id)}` : old.get(id) || ` #${id}`);
    }));
  }

  /** The server refused the configuration. */
  refused(code: string, detail: string): void {
    this.error.hidden = false;
    this.error.dataset.code = code;
    this.error.textContent = `The server refused this view: ${detail}`;
    this.state.textContent = '';
  }

  /** The server applied a configuration. */
  applied(): void {
    this.state.textContent = 'applied';
    this.error.hidden = true;
  }

  private changed(delayMs: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      const f = this.read();
      for (const k of TEXT_FIELDS) this.field(k).classList.remove('bad');
      const r = formToConfig(f, this.module);
      if (!r.ok) {
        if (r.field !== 'probes') this.field(r.field).classList.add('bad');
        this.error.hidden = false;
        this.error.dataset.code = r.code;
        this.error.textContent = r.detail;
        return;
      }
      this.error.hidden = true;
      this.checked = r.config.probes;
      this.state.textContent = 'applying…';
      this.onConfig(r.config);
    }, delayMs);
  }
}
