import { nonDominatedSort } from '../../search/index.ts';
import type { Direction } from '../../search/types.ts';
import { makeScale, tickText, wantsLog } from './axis.ts';
import { escapeHtml, metricLabel } from './format.ts';
import type { ReportData, ReportModel } from './types.ts';

/** One mark of the scatter plot. */
export interface ScatterPoint {
  label: string;
  x: number;
  y: number;
  /** `front`: non-dominated; `dominated`: faded; `teacher`: the reference point. */
  kind: 'front' | 'dominated' | 'teacher';
}

/** What the Pareto scatter shows, before it is drawn. */
export interface Scatter {
  title: string;
  x: { metric: string; label: string; direction: Direction; log: boolean };
  y: { metric: string; label: string; direction: Direction; log: boolean };
  points: ScatterPoint[];
  /** Limits on a plotted metric, drawn as dashed lines. */
  limits: { axis: 'x' | 'y'; value: number; text: string }[];
  notes: string[];
}

/**
 * A model's value of a metric: accuracy, costs, p50 latency on `runtime`, or a study objective.
 *
 * @example
 * metricOf(model, 'bytesInt8', 'onnx'); // model.bytes.int8
 */
export function metricOf(m: ReportModel, metric: string, runtime: string | undefined): number | undefined {
  switch (metric) {
    case 'accuracy': return m.accuracy?.value;
    case 'params': return m.params;
    case 'macs': return m.macs;
    case 'bytesFp32': return m.bytes?.fp32;
    case 'bytesFp16': return m.bytes?.fp16;
    case 'bytesInt8': return m.bytes?.int8;
    case 'latencyMs': return runtime ? m.latency[runtime as keyof ReportModel['latency']]?.p50Ms : undefined;
    default: return m.objectives?.[metric];
  }
}

/**
 * The students on the accuracy-against-cost front, where cost is p50 latency on `runtime` when
 * every student has it, else MACs. Used for reports without a study.
 *
 * @example
 * const { metric, front } = frontOf(models, 'onnx');
 * for (const m of models) if (m.role === 'student') m.front = front.has(m);
 */
export function frontOf(models: readonly ReportModel[], runtime: string | undefined): { metric: string; front: Set<ReportModel> } {
  const students = models.filter((m) => m.role === 'student' && m.accuracy);
  const metric = runtime && students.length > 0 && students.every((m) => metricOf(m, 'latencyMs', runtime) !== undefined) ? 'latencyMs' : 'macs';
  const usable = students.filter((m) => metricOf(m, metric, runtime) !== undefined);
  const pts = usable.map((m) => [-m.accuracy!.value, metricOf(m, metric, runtime)!]);
  const idx = pts.length ? nonDominatedSort(pts)[0]! : [];
  return { metric, front: new Set(idx.map((i) => usable[i]!)) };
}

function axisOf(metric: string, direction: Direction, values: number[]) {
  return { metric, label: metricLabel(metric), direction, log: wantsLog(values) };
}

/**
 * The scatter of a report: a study's trials on its first two objectives (the cost-like one,
 * minimised, across; the other up), front points highlighted and dominated ones faded; without a
 * study, the students' accuracy against latency (or MACs). The teacher is the reference point.
 * Undefined when there is nothing to plot.
 *
 * @example
 * const s = scatterOf(data);
 * s?.points.length; // number of marks drawn
 */
export function scatterOf(data: ReportData): Scatter | undefined {
  const runtime = data.runtimes.find((r) => data.models.some((m) => m.latency[r]));
  const teacher = data.models.find((m) => m.role === 'teacher');
  const notes: string[] = [];
  let xm: string;
  let ym: string;
  let xd: Direction;
  let yd: Direction;
  const points: ScatterPoint[] = [];
  const limits: Scatter['limits'] = [];
  let title: string;
  const st = data.study;
  if (st && st.points.length > 0) {
    const obj = st.objectives;
    let xi = 0;
    let yi = obj.length > 1 ? 1 : -1;
    if (yi === 1 && obj[0]!.direction === 'max' && obj[1]!.direction === 'min') [xi, yi] = [1, 0];
    if (yi === -1) {
      // one objective: plot it against MACs, from the trials' models
      xm = 'macs';
      xd = 'min';
      ym = obj[0]!.name;
      yd = obj[0]!.direction;
      const byTrial = new Map(data.models.filter((m) => m.trial !== undefined).map((m) => [m.trial!, m]));
      for (const p of st.points) {
        const mac = byTrial.get(p.trial)?.macs;
        if (mac !== undefined) points.push({ label: `trial ${p.trial}`, x: mac, y: p.values[0]!, kind: p.front ? 'front' : 'dominated' });
      }
    } else {
      xm = obj[xi]!.name;
      ym = obj[yi]!.name;
      xd = obj[xi]!.direction;
      yd = obj[yi]!.direction;
      for (const p of st.points) points.push({ label: `trial ${p.trial}`, x: p.values[xi]!, y: p.values[yi]!, kind: p.front ? 'front' : 'dominated' });
    }
    for (const l of st.limits) {
      if (l.metric === xm) limits.push({ axis: 'x', value: l.value, text: `${l.metric} ${l.op} ${l.value}` });
      if (l.metric === ym) limits.push({ axis: 'y', value: l.value, text: `${l.metric} ${l.op} ${l.value}` });
    }
    title = `Study ${st.name}: ${ym} against ${xm}`;
    if (ym === 'accuracy' || xm === 'accuracy') notes.push("trials' accuracy is their validation accuracy (the objective the search ranked on); the teacher's is its test accuracy");
  } else {
    ym = 'accuracy';
    yd = 'max';
    const f = frontOf(data.models, runtime);
    xm = f.metric;
    xd = 'min';
    for (const m of data.models) {
      if (m.role !== 'student' || !m.accuracy) continue;
      const x = metricOf(m, xm, runtime);
      if (x !== undefined) points.push({ label: m.label, x, y: m.accuracy.value, kind: f.front.has(m) ? 'front' : 'dominated' });
    }
    title = `Accuracy against ${xm === 'latencyMs' ? `latency on ${runtime}` : 'MACs'}`;
  }
  if (teacher) {
    const x = metricOf(teacher, xm, runtime);
    const y = metricOf(teacher, ym, runtime);
    if (x !== undefined && y !== undefined) points.push({ label: teacher.label, x, y, kind: 'teacher' });
    else notes.push(`the teacher has no ${x === undefined ? xm : ym} value, so it is not drawn`);
  }
  if (points.length === 0) return undefined;
  if (xm === 'latencyMs' && runtime) notes.push(`latency measured on ${runtime}`);
  return {
    title,
    x: axisOf(xm, xd, [...points.map((p) => p.x), ...limits.filter((l) => l.axis === 'x').map((l) => l.value)]),
    y: axisOf(ym, yd, [...points.map((p) => p.y), ...limits.filter((l) => l.axis === 'y').map((l) => l.value)]),
    points,
    limits,
    notes,
  };
}

const W = 640;
const H = 400;
const M = { l: 78, r: 24, t: 16, b: 56 };

// A mark's label on its right, or on its left in the right third, so that it stays inside.
function label(text: string, x: number, y: number, dx: number): string {
  const left = x > M.l + (2 * (W - M.l - M.r)) / 3;
  return `<text class="mark-label" x="${(left ? x - dx : x + dx).toFixed(1)}" y="${y.toFixed(1)}"${left ? ' text-anchor="end"' : ''}>${escapeHtml(text)}</text>`;
}

/**
 * The scatter as an inline SVG. Every mark has class `mark` (and `front`, `dominated` or
 * `teacher`); the element carries `id` and `data-points` (the number of marks) for tests.
 *
 * @example
 * const svg = scatterSvg(scatterOf(data)!, 'pareto');
 */
export function scatterSvg(s: Scatter, id: string): string {
  const xs = makeScale([...s.points.map((p) => p.x), ...s.limits.filter((l) => l.axis === 'x').map((l) => l.value)], M.l, W - M.r, s.x.log);
  const ys = makeScale([...s.points.map((p) => p.y), ...s.limits.filter((l) => l.axis === 'y').map((l) => l.value)], H - M.b, M.t, s.y.log);
  const out: string[] = [];
  out.push(`<svg id="${escapeHtml(id)}" class="plot" data-points="${s.points.length}" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${escapeHtml(s.title)}" xmlns="http://www.w3.org/2000/svg">`);
  out.push(`<rect x="${M.l}" y="${M.t}" width="${W - M.l - M.r}" height="${H - M.t - M.b}" class="frame"/>`);
  for (const t of xs.ticks) {
    const x = xs.at(t).toFixed(1);
    out.push(`<line class="grid" x1="${x}" x2="${x}" y1="${M.t}" y2="${H - M.b}"/><text class="tick" x="${x}" y="${H - M.b + 16}" text-anchor="middle">${escapeHtml(tickText(s.x.metric, t))}</text>`);
  }
  for (const t of ys.ticks) {
    const y = ys.at(t).toFixed(1);
    out.push(`<line class="grid" x1="${M.l}" x2="${W - M.r}" y1="${y}" y2="${y}"/><text class="tick" x="${M.l - 6}" y="${y}" dy="4" text-anchor="end">${escapeHtml(tickText(s.y.metric, t))}</text>`);
  }
  const arrow = (d: Direction) => (d === 'min' ? 'lower is better' : 'higher is better');
  out.push(`<text class="axis" x="${(M.l + W - M.r) / 2}" y="${H - 12}" text-anchor="middle">${escapeHtml(`${s.x.label}${s.x.log ? ', log scale' : ''} (${arrow(s.x.direction)})`)}</text>`);
  out.push(`<text class="axis" transform="translate(16 ${(M.t + H - M.b) / 2}) rotate(-90)" text-anchor="middle">${escapeHtml(`${s.y.label}${s.y.log ? ', log scale' : ''} (${arrow(s.y.direction)})`)}</text>`);
  for (const l of s.limits) {
    if (l.axis === 'x') {
      const x = xs.at(l.value).toFixed(1);
      out.push(`<line class="limit" x1="${x}" x2="${x}" y1="${M.t}" y2="${H - M.b}"/><text class="limit-text" x="${x}" y="${M.t + 12}" dx="4">${escapeHtml(l.text)}</text>`);
    } else {
      const y = ys.at(l.value).toFixed(1);
      out.push(`<line class="limit" x1="${M.l}" x2="${W - M.r}" y1="${y}" y2="${y}"/><text class="limit-text" x="${W - M.r - 4}" y="${y}" dy="-4" text-anchor="end">${escapeHtml(l.text)}</text>`);
    }
  }
  // dominated first, so that front points and the teacher are drawn over them
  const order = { dominated: 0, front: 1, teacher: 2 } as const;
  for (const p of [...s.points].sort((a, b) => order[a.kind] - order[b.kind])) {
    const x = xs.at(p.x);
    const y = ys.at(p.y);
    const title = `<title>${escapeHtml(`${p.label}: ${s.x.metric} ${p.x}, ${s.y.metric} ${p.y}`)}</title>`;
    if (p.kind === 'teacher') {
      out.push(`<path class="mark teacher" d="M${x.toFixed(1)} ${(y - 8).toFixed(1)}l8 8l-8 8l-8 -8z" data-label="${escapeHtml(p.label)}">${title}</path>`);
      out.push(label(p.label, x, y + 4, 10));
    } else {
      out.push(`<circle class="mark ${p.kind}" cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="${p.kind === 'front' ? 6 : 4.5}" data-label="${escapeHtml(p.label)}">${title}</circle>`);
      if (p.kind === 'front') out.push(label(p.label, x, y - 7, 9));
    }
  }
  out.push('</svg>');
  return out.join('\n');
}
