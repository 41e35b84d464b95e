import type { TrialView } from './api.ts';
import { fmt, h, replace, text } from './dom.ts';

/** One column of the trials table: its header and how a trial fills it. */
export interface Column {
  key: string;
  label: string;
  value(t: TrialView): unknown;
}

/** Sorting and filtering the user chose (kept across live redraws). */
export interface TableState {
  sortKey: string;
  descending: boolean;
  state: string;
  text: string;
  selected: Set<number>;
}

/**
 * The trials table's columns for a study: number, state, each objective and parameter, time, reason.
 *
 * @example
 * columnsFor(trials, ['accuracy', 'macs']).map((c) => c.label);
 */
export function columnsFor(trials: TrialView[], objectives: string[]): Column[] {
  const params = [...new Set(trials.flatMap((t) => Object.keys(t.params)))].sort();
  return [
    { key: 'number', label: '#', value: (t) => t.number },
    { key: 'state', label: 'state', value: (t) => t.state },
    ...objectives.map((o) => ({ key: `o:${o}`, label: o, value: (t: TrialView) => t.objectives?.[o] ?? t.values[o] })),
    ...params.map((p) => ({ key: `p:${p}`, label: p, value: (t: TrialView) => t.params[p] })),
    { key: 'duration', label: 'seconds', value: (t) => t.duration },
    { key: 'reason', label: 'reason', value: (t) => t.reason },
  ];
}

function compare(a: unknown, b: unknown): number {
  const missing = (v: unknown) => v === undefined || v === null || (typeof v === 'number' && !Number.isFinite(v));
  if (missing(a) || missing(b)) return missing(a) === missing(b) ? 0 : missing(a) ? 1 : -1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return text(a).localeCompare(text(b));
}

/**
 * The rows the filters let through, sorted.
 *
 * @example
 * visibleRows(trials, cols, { sortKey: 'o:accuracy', descending: true, state: 'complete', text: '', selected: new Set() });
 */
export function visibleRows(trials: TrialView[], cols: Column[], st: TableState): TrialView[] {
  const col = cols.find((c) => c.key === st.sortKey) ?? cols[0]!;
  const needle = st.text.trim().toLowerCase();
  return trials
    .filter((t) => st.state === 'all' || t.state === st.state)
    .filter((t) => needle === '' || cols.some((c) => text(c.value(t)).toLowerCase().includes(needle)))
    .sort((a, b) => (st.descending ? -1 : 1) * compare(col.value(a), col.value(b)) || a.number - b.number);
}

/**
 * Draws the trials table into `el`: a checkbox per row (trials for the learning curves), a
 * header per column (click to sort, again to reverse), the trial number linking to its page.
 *
 * @example
 * renderTable(el, trials, columnsFor(trials, ['accuracy']), state, redraw);
 */
export function renderTable(el: HTMLElement, trials: TrialView[], cols: Column[], st: TableState, changed: (what: 'sort' | 'select') => void): void {
  const head = h('tr', {}, h('th', { class: 'sel' }, '✓'));
  for (const c of cols) {
    const arrow = st.sortKey === c.key ? (st.descending ? ' ▼' : ' ▲') : '';
    const th = h('th', { 'data-key': c.key, tabindex: 0, title: 'sort' }, c.label + arrow);
    th.addEventListener('click', () => {
      st.descending = st.sortKey === c.key ? !st.descending : false;
      st.sortKey = c.key;
      changed('sort');
    });
    head.appendChild(th);
  }
  const body = h('tbody');
  for (const t of visibleRows(trials, cols, st)) {
    const box = h('input', { type: 'checkbox', 'aria-label': `show trial ${t.number} in the learning curves`, checked: st.selected.has(t.id) });
    box.addEventListener('change', () => {
      if (box.checked) st.selected.add(t.id);
      else st.selected.delete(t.id);
      changed('select');
    });
    const tr = h('tr', { 'data-trial': t.id, class: `state-${t.state}` }, h('td', { class: 'sel' }, box));
    for (const c of cols) {
      const v = c.value(t);
      if (c.key === 'number') tr.appendChild(h('td', {}, h('a', { href: `#/trial/${t.id}` }, String(t.number))));
      else if (c.key === 'state') tr.appendChild(h('td', {}, h('span', { class: `badge ${t.state}` }, t.state)));
      else if (c.key === 'reason') tr.appendChild(h('td', { class: 'reason', title: text(v) }, text(v).slice(0, 90)));
      else tr.appendChild(h('td', { class: typeof v === 'number' ? 'num' : '' }, typeof v === 'number' ? fmt(v) : text(v)));
    }
    body.appendChild(tr);
  }
  replace(el, h('table', { class: 'trials' }, h('thead', {}, head), body));
}
