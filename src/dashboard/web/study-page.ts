import { getJson, studyEvents } from './api.ts';
import type { StudyMetrics, StudyView, TrialView } from './api.ts';
import { CurveChart } from './curves.ts';
import type { Curve } from './curves.ts';
import { fmt, h, replace } from './dom.ts';
import { axisKeys, axisValue, frontIds } from './pareto.ts';
import { Scatter, scatterKey } from './scatter.ts';
import { columnsFor, renderTable } from './table.ts';
import type { TableState } from './table.ts';

const STATES = ['all', 'running', 'complete', 'pruned', 'failed', 'infeasible'];

/**
 * A study's page: summary, trials table, Pareto scatter and learning curves, kept live by the
 * study's event feed. Returns a function that closes the feed and the plots.
 *
 * @example
 * const leave = studyPage(document.getElementById('app')!, 1, (s) => (live.textContent = s));
 */
export function studyPage(root: HTMLElement, studyId: number, setLive: (s: string) => void): () => void {
  let study: StudyView | undefined;
  const trials = new Map<number, TrialView>();
  const metrics = new Map<number, Map<number, Record<string, number>>>();
  const st: TableState = { sortKey: 'number', descending: false, state: 'all', text: '', selected: new Set() };
  let userSelected = false;
  let xKey = '';
  let yKey = '';

  const summary = h('section', { id: 'summary' }, 'loading…');
  const stateSel = h('select', { id: 'state-filter', 'aria-label': 'filter by state' });
  for (const s of STATES) stateSel.appendChild(h('option', { value: s }, s));
  const textIn = h('input', { id: 'text-filter', type: 'search', placeholder: 'filter rows…', 'aria-label': 'filter rows by text' });
  const tableEl = h('div', { id: 'trials', class: 'scroll' });
  const xSel = h('select', { id: 'x-axis', 'aria-label': 'x axis' });
  const ySel = h('select', { id: 'y-axis', 'aria-label': 'y axis' });
  const plotEl = h('div', { id: 'scatter', class: 'plot' });
  const keyEl = h('div', { id: 'scatter-key' });
  const lossEl = h('div', { id: 'curve-loss', class: 'plot' });
  const accEl = h('div', { id: 'curve-accuracy', class: 'plot' });
  replace(
    root,
    summary,
    h('section', {}, h('h2', {}, 'Trials'), h('div', { class: 'controls' }, h('label', {}, 'state ', stateSel), h('label', {}, 'text ', textIn)), tableEl),
    h('section', { class: 'row' },
      h('div', { class: 'panel' }, h('h2', {}, 'Pareto front'), h('div', { class: 'controls' }, h('label', {}, 'x ', xSel), h('label', {}, 'y ', ySel)), plotEl, keyEl),
      h('div', { class: 'panel' }, h('h2', {}, 'Learning curves'), h('p', { class: 'hint' }, 'tick trials in the table to compare them (default: the front and running trials)'), lossEl, accEl)),
  );
  const scatter = new Scatter(plotEl, (id) => (location.hash = `#/trial/${id}`));
  const loss = new CurveChart(lossEl, 'training loss');
  const acc = new CurveChart(accEl, 'validation accuracy');

  const list = () => [...trials.values()].sort((a, b) => a.number - b.number);

  function drawSummary(): void {
    if (!study) return;
    const c = { running: 0, complete: 0, pruned: 0, failed: 0, infeasible: 0 } as Record<string, number>;
    for (const t of trials.values()) c[t.state] = (c[t.state] ?? 0) + 1;
    const teacher = study.teacher;
    replace(
      summary,
      h('h1', {}, study.name),
      h('dl', { class: 'facts' },
        h('dt', {}, 'objectives'), h('dd', {}, study.objectives.map((o) => `${o.name} (${o.direction})`).join(', ')),
        h('dt', {}, 'limits'), h('dd', {}, study.limits.length ? study.limits.map((l) => `${l.metric} ${l.op} ${fmt(l.value)}`).join(', ') : 'none'),
        h('dt', {}, 'trials'), h('dd', { id: 'counts' }, `${trials.size} (${c['complete']} complete, ${c['pruned']} pruned, ${c['failed']} failed, ${c['infeasible']} infeasible, ${c['running']} running)`),
        h('dt', {}, 'front'), h('dd', {}, `${frontIds(list(), study).size} trials, hypervolume ${fmt(study.hypervolume)}`),
        h('dt', {}, 'strategy'), h('dd', {}, study.strategy ?? '–'),
        h('dt', {}, 'teacher'), h('dd', {}, teacher ? `${teacher.type} ${teacher.paths.join(', ')}${Object.keys(teacher.values).length ? ` — ${Object.entries(teacher.values).map(([k, v]) => `${k} ${fmt(v)}`).join(', ')}` : ' (its accuracy and cost are not stored with the study)'}` : 'none (plain training)')),
    );
  }

  function drawTable(): void {
    if (!study) return;
    if (!userSelected) {
      const front = frontIds(list(), study);
      st.selected = new Set(list().filter((t) => front.has(t.id) || t.state === 'running').slice(-8).map((t) => t.id));
    }
    renderTable(tableEl, list(), columnsFor(list(), study.objectives.map((o) => o.name)), st, (what) => {
      if (what === 'select') userSelected = true;
      drawTable();
      if (what === 'select') drawCurves();
    });
  }

  function fillAxes(): void {
    if (!study) return;
    const keys = axisKeys(list(), study.objectives.map((o) => o.name));
    const objs = study.objectives.map((o) => o.name);
    if (!xKey) xKey = objs[1] ?? (keys.includes('params') ? 'params' : 'duration');
    if (!yKey) yKey = objs[0]!;
    for (const [sel, cur] of [[xSel, xKey], [ySel, yKey]] as const) {
      replace(sel, ...keys.map((k) => h('option', { value: k, selected: k === cur }, k)));
      sel.value = cur;
    }
  }

  function drawScatter(): void {
    if (!study) return;
    const front = frontIds(list(), study);
    const points = list()
      .filter((t) => t.state === 'complete')
      .map((t) => ({ id: t.id, x: axisValue(t, xKey), y: axisValue(t, yKey), front: front.has(t.id) }))
      .filter((p): p is { id: number; x: number; y: number; front: boolean } => p.x !== undefined && p.y !== undefined);
    const on = (k: string) => study!.limits.filter((l) => l.metric === k).map((l) => l.value);
    const tv = study.teacher?.values ?? {};
    const teacher = tv[xKey] !== undefined && tv[yKey] !== undefined ? { x: tv[xKey]!, y: tv[yKey]! } : null;
    scatter.draw({ points, xLabel: xKey, yLabel: yKey, xLimits: on(xKey), yLimits: on(yKey), teacher });
    const note = study.teacher ? (teacher ? ' teacher' : ' teacher: not drawn (its values on these axes are not stored)') : ' no teacher in this study';
    replace(keyEl, scatterKey(study.limits.length > 0, note));
  }

  function drawCurves(): void {
    const chosen = list().filter((t) => st.selected.has(t.id));
    const curve = (pick: (v: Record<string, number>) => number | undefined): Curve[] =>
      chosen.map((t) => {
        const pts = new Map<number, number>();
        for (const [step, v] of metrics.get(t.id) ?? []) {
          const y = pick(v);
          if (y !== undefined && Number.isFinite(y)) pts.set(step + 1, y);
        }
        return { label: `#${t.number}`, points: pts };
      });
    loss.draw(curve((v) => v['loss']), null);
    acc.draw(curve((v) => v['valAccuracy'] ?? v['accuracy']), study?.teacher?.values['accuracy'] ?? null);
  }

  const drawAll = () => {
    drawSummary();
    drawTable();
    fillAxes();
    drawScatter();
    drawCurves();
  };

  async function load(): Promise<void> {
    const [s, ts, ms] = await Promise.all([getJson<StudyView>(`/api/studies/${studyId}`), getJson<TrialView[]>(`/api/studies/${studyId}/trials`), getJson<StudyMetrics>(`/api/studies/${studyId}/metrics`)]);
    study = s;
    trials.clear();
    for (const t of ts) trials.set(t.id, t);
    metrics.clear();
    for (const [id, rows] of Object.entries(ms)) metrics.set(Number(id), new Map(rows.map((r) => [r.step, r.values])));
    drawAll();
  }

  // the hypervolume is the server's: fetch it again once a burst of live changes settles
  let refresh: ReturnType<typeof setTimeout> | undefined;
  const refreshStudy = () => {
    clearTimeout(refresh);
    refresh = setTimeout(() => {
      getJson<StudyView>(`/api/studies/${studyId}`).then((s) => {
        study = s;
        drawSummary();
      }, () => undefined);
    }, 400);
  };

  stateSel.addEventListener('change', () => {
    st.state = stateSel.value;
    drawTable();
  });
  textIn.addEventListener('input', () => {
    st.text = textIn.value;
    drawTable();
  });
  xSel.addEventListener('change', () => {
    xKey = xSel.value;
    drawScatter();
  });
  ySel.addEventListener('change', () => {
    yKey = ySel.value;
    drawScatter();
  });

  const showError = (e: unknown) => {
    scatter.destroy();
    replace(root, h('p', { class: 'error' }, (e as Error).message));
  };
  const es = studyEvents(studyId);
  es.addEventListener('open', () => setLive('live'));
  es.addEventListener('error', () => {
    setLive('reconnecting…');
    // a refused feed (no such study, a wrong token) is not retried by the browser: say why
    if (es.readyState === EventSource.CLOSED) {
      setLive('offline');
      load().catch(showError);
    }
  });
  // `ready` comes first on every (re)connection: what happened before it is in the fetch
  es.addEventListener('ready', () => {
    setLive('live');
    load().catch(showError);
  });
  es.addEventListener('trial', (e) => {
    const t = JSON.parse((e as MessageEvent<string>).data) as TrialView;
    const before = trials.get(t.id);
    if (before && before.attempts !== t.attempts) metrics.delete(t.id);
    trials.set(t.id, t);
    if (!study) return;
    drawSummary();
    drawTable();
    fillAxes();
    drawScatter();
    drawCurves();
    refreshStudy();
  });
  es.addEventListener('metrics', (e) => {
    const m = JSON.parse((e as MessageEvent<string>).data) as { trialId: number; step: number; values: Record<string, number> };
    let rows = metrics.get(m.trialId);
    if (!rows) metrics.set(m.trialId, (rows = new Map()));
    rows.set(m.step, m.values);
    if (study && st.selected.has(m.trialId)) drawCurves();
  });

  return () => {
    es.close();
    clearTimeout(refresh);
    scatter.destroy();
    loss.destroy();
    acc.destroy();
    setLive('offline');
  };
}
