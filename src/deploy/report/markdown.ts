import { latencyBars, sizeBars, type BarChart } from './bars.ts';
import { escapeMarkdown, formatBytes, formatMetric, formatMs } from './format.ts';
import { scatterOf } from './scatter.ts';
import { modelTable, summaryLine } from './table.ts';
import type { ReportData } from './types.ts';

function mdTable(head: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.map(escapeMarkdown).join(' | ')} |`;
  return [line(head), `|${head.map(() => ' --- ').join('|')}|`, ...rows.map(line)].join('\n');
}

// Bars as text: a run of blocks proportional to the value, so the figure reads in a terminal too.
function textBars(c: BarChart): string {
  const max = Math.max(1e-12, ...c.groups.flatMap((g) => g.bars.map((b) => b.value)));
  // a backquote in a label could close the fence
  const clean = (t: string) => t.replace(/`/g, "'");
  const width = Math.max(...c.groups.map((g) => g.label.length), 5);
  const lines: string[] = [];
  for (const g of c.groups) {
    for (const b of g.bars) {
      const n = Math.max(1, Math.round((b.value / max) * 40));
      lines.push(clean(`${g.label.padEnd(width)}  ${b.series.padEnd(9)} ${'█'.repeat(n)} ${b.text}`));
    }
  }
  return '```text\n' + lines.join('\n') + '\n```';
}

/**
 * The report's Markdown twin: the same summary and table, the scatter as a table of its points
 * (front, dominated, teacher) and the bars drawn with text blocks. Strings are escaped for
 * table cells.
 *
 * @example
 * writeFileAtomic('report.md', renderMarkdown(data));
 */
export function renderMarkdown(data: ReportData): string {
  const out: string[] = [];
  out.push(`# ${escapeMarkdown(data.title)}`, '', `_made ${escapeMarkdown(data.created)} from ${escapeMarkdown(data.inputs.join(', '))}_`, '');
  out.push(`**${escapeMarkdown(summaryLine(data))}**`, '');
  out.push('## Teacher against students', '');
  const t = modelTable(data);
  out.push(mdTable(t.head, t.rows), '');
  if (data.latency) out.push(`Latency: batch 1, ${data.latency.warmup} warm-up runs then ${data.latency.iterations} timed, ${data.latency.threads} thread(s).`, '');
  else out.push('Latency not measured (--no-latency).', '');
  const s = scatterOf(data);
  out.push('## Pareto front', '');
  if (s) {
    out.push(`${escapeMarkdown(s.title)}: ${escapeMarkdown(s.x.label)} (${s.x.direction}) against ${escapeMarkdown(s.y.label)} (${s.y.direction}).`, '');
    const kinds = { front: 'front', dominated: 'dominated', teacher: 'teacher (reference)' } as const;
    out.push(mdTable(['point', 'kind', s.x.metric, s.y.metric], s.points.map((p) => [p.label, kinds[p.kind], formatMetric(s.x.metric, p.x), formatMetric(s.y.metric, p.y)])), '');
    if (s.limits.length) out.push(`Limits: ${s.limits.map((l) => escapeMarkdown(l.text)).join('; ')}.`, '');
    for (const n of s.notes) out.push(`_${escapeMarkdown(n)}_`, '');
  } else {
    out.push('Nothing to plot: no model with a known accuracy.', '');
  }
  const sizes = sizeBars(data, formatBytes);
  if (sizes.groups.length) out.push('## Size', '', textBars(sizes), '');
  const lat = latencyBars(data, formatMs);
  if (lat.groups.length) out.push('## Latency', '', `${lat.title}`, '', textBars(lat), '');
  const notes = [...data.notes, ...data.models.flatMap((m) => m.notes.map((n) => `${m.label}: ${n}`))];
  if (notes.length) out.push('## Notes', '', ...notes.map((n) => `- ${escapeMarkdown(n)}`), '');
  return out.join('\n');
}
