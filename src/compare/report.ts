import { dirname, join } from 'node:path';
import { writeFileAtomic } from '../core/fs.ts';
import { escapeHtml, escapeMarkdown, formatMetric, metricLabel, scatterSvg } from '../deploy/report/index.ts';
import { wantsLog } from '../deploy/report/axis.ts';
import type { Scatter, ScatterPoint } from '../deploy/report/index.ts';
import { ARMS } from './config.ts';
import type { CompareConfig } from './config.ts';
import type { ArmResult } from './result.ts';
import type { ComparePlan } from './plan.ts';

/** Everything the comparison's report shows. */
export interface CompareReportData {
  title: string;
  config: CompareConfig;
  plan: ComparePlan;
  teacher: { valAccuracy: number; testAccuracy: number; macs: number; cost?: number };
  arms: Record<(typeof ARMS)[number], ArmResult>;
  verdict: string;
}

const CSS = `body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1100px;padding:0 16px;color:#1d2330}
h1{font-size:22px}h2{font-size:17px;margin:28px 0 8px}.summary{font-size:15px;background:#eef4ff;border-left:4px solid #2f6fd6;padding:10px 14px}
table{border-collapse:collapse;font-size:12.5px}th,td{border:1px solid #d6dbe4;padding:4px 7px;text-align:right}th{background:#f3f5f9}td:first-child{text-align:left}
.meta{color:#5a6478;font-size:12px}.plot{display:block;border:1px solid #e2e6ee;max-width:100%;height:auto}
.frame{fill:none;stroke:#b9c0cc}.grid{stroke:#edf0f5}.tick{font-size:11px;fill:#4a5366}.axis{font-size:12px}
.mark.front{fill:#2f6fd6;stroke:#173a73}.mark.dominated{fill:#9aa6ba;fill-opacity:.45}.mark.teacher{fill:#e08a00;stroke:#7a4a00}.mark-label{font-size:11px}
.limit{stroke:#c0392b;stroke-dasharray:6 4}.limit-text{font-size:11px;fill:#c0392b}`;

const pm = (m: number, s: number) => `${(100 * m).toFixed(2)}% ± ${(100 * s).toFixed(2)}`;
const macs = (x: number) => x.toExponential(2).replace('e+', 'e');

/** The table of arms as plain cells: accuracy, cost, training MACs (and share of the budget), wall time, what each seed chose. */
export function armRows(d: CompareReportData): { head: string[]; rows: string[][] } {
  const head = ['arm', 'test accuracy (mean ± std)', 'validation accuracy', d.plan.metric, 'within limits', 'training MACs / seed', 'of budget', 'wall time', 'chosen (per seed)'];
  const rows = ARMS.map((arm) => {
    const a = d.arms[arm];
    const val = a.seeds.map((s) => s.valAccuracy);
    const vm = val.reduce((x, y) => x + y, 0) / val.length;
    return [arm, pm(a.best.accuracy.mean, a.best.accuracy.std), `${(100 * vm).toFixed(2)}%`, formatMetric(d.plan.metric, a.best.cost.mean), a.best.withinLimits ? 'yes' : 'no', macs(a.trainingMacs), `${((100 * a.trainingMacs) / d.plan.budget).toFixed(1)}%`, `${Math.round(a.best.seconds)} s`, a.seeds.map((s) => `s${s.seed}: ${s.chosen.source}${s.chosen.source.startsWith('trial') ? ` (${s.chosen.arch})` : ''}, ${s.chosen.epochs} ep`).join('; ')];
  });
  rows.push(['teacher (reference)', `${(100 * d.teacher.testAccuracy).toFixed(2)}%`, `${(100 * d.teacher.valAccuracy).toFixed(2)}%`, d.teacher.cost !== undefined ? formatMetric(d.plan.metric, d.teacher.cost) : '-', '-', '-', '-', '-', '-']);
  return { head, rows };
}

/** One arm's plot: its trials (grey), each seed's chosen model (blue), the teacher (orange), all on validation accuracy against the cost metric. */
export function armScatter(d: CompareReportData, arm: (typeof ARMS)[number]): Scatter {
  const a = d.arms[arm];
  const points: ScatterPoint[] = [];
  for (const s of a.seeds) for (const t of s.trials) if (t.accuracy !== undefined && t.cost !== undefined && t.state === 'complete') points.push({ label: `s${s.seed} trial ${t.number}`, x: t.cost, y: t.accuracy, kind: 'dominated' });
  for (const s of a.seeds) points.push({ label: `seed ${s.seed}`, x: s.cost, y: s.valAccuracy, kind: 'front' });
  if (d.teacher.cost !== undefined) points.push({ label: 'teacher', x: d.teacher.cost, y: d.teacher.valAccuracy, kind: 'teacher' });
  return scatterFor(d, `${arm}: validation accuracy against ${d.plan.metric}`, points);
}

/** All arms' chosen models on test accuracy against the cost metric, with the teacher. */
export function overallScatter(d: CompareReportData): Scatter {
  const points: ScatterPoint[] = [];
  for (const arm of ARMS) for (const s of d.arms[arm].seeds) points.push({ label: `${arm} s${s.seed}`, x: s.cost, y: s.testAccuracy!, kind: d.arms[arm].front.some((f) => f.seed === s.seed) ? 'front' : 'dominated' });
  if (d.teacher.cost !== undefined) points.push({ label: 'teacher', x: d.teacher.cost, y: d.teacher.testAccuracy, kind: 'teacher' });
  return scatterFor(d, `Chosen models of every arm: test accuracy against ${d.plan.metric}`, points);
}

function scatterFor(d: CompareReportData, title: string, points: ScatterPoint[]): Scatter {
  const limits = d.plan.limits.filter((l) => l.metric === d.plan.metric).map((l) => ({ axis: 'x' as const, value: l.value, text: `${l.metric} ${l.op} ${l.value}` }));
  const xs = [...points.map((p) => p.x), ...limits.map((l) => l.value)];
  // A teacher ten times the students' cost already squashes them into one corner on a linear axis.
  const log = wantsLog(xs) || (xs.every((x) => x > 0) && Math.max(...xs) / Math.min(...xs) > 10);
  return { title, x: { metric: d.plan.metric, label: metricLabel(d.plan.metric), direction: 'min', log }, y: { metric: 'accuracy', label: metricLabel('accuracy'), direction: 'max', log: false }, points, limits, notes: [] };
}

function budgetRows(d: CompareReportData): string[][] {
  return ARMS.flatMap((arm) => d.arms[arm].seeds.map((s) => [arm, String(s.seed), macs(s.trainingMacs), s.charges.map((c) => `${c.what} ${macs(c.macs)}`).join('; ')]));
}

/**
 * Writes `report.html` (self-contained: inline CSS and SVG) and `report.md` beside it.
 *
 * @example
 * writeCompareReport(data, 'runs/compare/report.html');
 */
export function writeCompareReport(d: CompareReportData, htmlPath: string): { html: string; markdown: string } {
  const t = armRows(d);
  const h: string[] = [`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(d.title)}</title><style>${CSS}</style></head><body>`];
  h.push(`<h1>${escapeHtml(d.title)}</h1>`, `<p class="summary" id="verdict">${escapeHtml(d.verdict)}</p>`);
  h.push('<h2>Arms</h2>', `<table id="arms"><thead><tr>${t.head.map((c) => `<th>${escapeHtml(c)}</th>`).join('')}</tr></thead><tbody>${t.rows.map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`).join('')}</tbody></table>`);
  h.push(`<p class="meta">${escapeHtml(budgetNote(d))}</p>`);
  h.push('<h2>Fronts</h2>', `<figure>${scatterSvg(overallScatter(d), 'front-all')}<figcaption class="meta">Blue: non-dominated within its arm; grey: dominated; orange: the teacher (reference).</figcaption></figure>`);
  for (const arm of ARMS) h.push(`<h3>${escapeHtml(arm)}</h3><figure>${scatterSvg(armScatter(d, arm), `front-${arm}`)}<figcaption class="meta">Grey: tuning or search trials; blue: each seed's chosen model; orange: the teacher. Accuracy on the validation split, the one every selection used.</figcaption></figure>`);
  h.push('<h2>Budget</h2>', `<table id="budget"><thead><tr><th>arm</th><th>seed</th><th>training MACs</th><th>charges</th></tr></thead><tbody>${budgetRows(d).map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`).join('')}</tbody></table>`);
  h.push('</body></html>\n');
  const md: string[] = [`# ${escapeMarkdown(d.title)}`, '', `**${escapeMarkdown(d.verdict)}**`, '', '## Arms', '', mdTable(t.head, t.rows), '', budgetNote(d), ''];
  md.push('## Fronts', '', mdTable(['point', 'kind', d.plan.metric, 'test accuracy'], overallScatter(d).points.map((p) => [p.label, p.kind, formatMetric(d.plan.metric, p.x), formatMetric('accuracy', p.y)])), '');
  md.push('## Budget', '', mdTable(['arm', 'seed', 'training MACs', 'charges'], budgetRows(d)), '');
  const markdown = join(dirname(htmlPath), 'report.md');
  writeFileAtomic(htmlPath, h.join('\n'));
  writeFileAtomic(markdown, md.join('\n'));
  return { html: htmlPath, markdown };
}

function budgetNote(d: CompareReportData): string {
  return `Budget: ${macs(d.plan.budget)} training MACs per arm and seed (3 × forward MACs per sample seen: forward + backward; the teacher's forward pass over the ${d.plan.samples} training samples charged once to each distilled arm and seed, its logits being cached). Validation passes are not training and are not charged. Seeds: ${d.plan.seeds.join(', ')}.`;
}

function mdTable(head: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.map(escapeMarkdown).join(' | ')} |`;
  return [line(head), `|${head.map(() => ' --- ').join('|')}|`, ...rows.map(line)].join('\n');
}
