import { barsSvg, latencyBars, sizeBars } from './bars.ts';
import { escapeHtml, formatBytes, formatMs } from './format.ts';
import { scatterOf, scatterSvg } from './scatter.ts';
import { modelTable, summaryLine } from './table.ts';
import type { ReportData } from './types.ts';

// Inline, so the file opens offline; colours chosen to stay apart for common colour blindness.
const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px auto;max-width:1100px;padding:0 16px;color:#1d2330}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}
.meta{color:#5a6478;font-size:12px}.summary{font-size:15px;background:#eef4ff;border-left:4px solid #2f6fd6;padding:10px 14px;margin:16px 0}
table{border-collapse:collapse;font-size:12.5px;display:block;overflow-x:auto}th,td{border:1px solid #d6dbe4;padding:4px 7px;text-align:right;white-space:nowrap}
th{background:#f3f5f9}td:first-child,td:nth-child(2),td:nth-child(3),td:nth-child(6),td:last-child{text-align:left}
tr.teacher td{background:#fff7e6}figure{margin:12px 0}figcaption{color:#5a6478;font-size:12px;max-width:640px}
.plot{display:block;background:#fff;border:1px solid #e2e6ee;max-width:100%;height:auto}
.frame{fill:none;stroke:#b9c0cc}.grid{stroke:#edf0f5}.tick{font-size:11px;fill:#4a5366}.axis{font-size:12px;fill:#1d2330}
.mark.front{fill:#2f6fd6;stroke:#173a73;stroke-width:1}.mark.dominated{fill:#9aa6ba;fill-opacity:.45;stroke:#7d889b;stroke-opacity:.5}
.mark.teacher{fill:#e08a00;stroke:#7a4a00}.mark-label{font-size:11px;fill:#1d2330}
.limit{stroke:#c0392b;stroke-dasharray:6 4;stroke-width:1.5}.limit-text{font-size:11px;fill:#c0392b}
.s0{fill:#2f6fd6}.s1{fill:#e08a00}.s2{fill:#2a9d58}.s3{fill:#8e44ad}.whisker{stroke:#1d2330;stroke-width:1.5}.whisker-cut{fill:#1d2330}.value{font-size:11px;fill:#4a5366}
ul.notes{color:#5a6478;font-size:12px}
`;

function table(data: ReportData): string {
  const t = modelTable(data);
  const head = `<tr>${t.head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr>`;
  const roles = t.rows.map((r) => r[1]);
  const body = t.rows.map((r, i) => `<tr class="${roles[i] === 'teacher' ? 'teacher' : 'student'}">${r.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`).join('\n');
  return `<table id="models" data-rows="${t.rows.length}"><thead>${head}</thead><tbody>\n${body}\n</tbody></table>`;
}

/**
 * The report as one self-contained HTML page: inline CSS and SVG, no script and no external
 * resource, every string from a store or model escaped. Plots carry `id` (`pareto`, `sizes`,
 * `latency`) and `data-points`; the table is `#models` with one body row per model.
 *
 * @example
 * writeFileAtomic('report.html', renderHtml(await collectReport(['runs/quickstart'])));
 */
export function renderHtml(data: ReportData): string {
  const scatter = scatterOf(data);
  const sizes = sizeBars(data, formatBytes);
  const lat = latencyBars(data, formatMs);
  const parts: string[] = [];
  parts.push(`<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">`);
  parts.push(`<title>${escapeHtml(data.title)}</title><style>${CSS}</style></head><body>`);
  parts.push(`<h1>${escapeHtml(data.title)}</h1>`);
  parts.push(`<div class="meta">${escapeHtml(`made ${data.created} from ${data.inputs.join(', ')}`)}</div>`);
  parts.push(`<p class="summary" id="summary">${escapeHtml(summaryLine(data))}</p>`);
  parts.push('<h2>Teacher against students</h2>');
  parts.push(table(data));
  const how = data.latency
    ? `Latency: batch 1, ${data.latency.warmup} warm-up runs then ${data.latency.iterations} timed, ${data.latency.threads} thread(s), measured when the report was made (onnx: the fp32 ONNX export in onnxruntime-node; tfjs-wasm: TF.js on the wasm backend; browser: TF.js wasm inside headless Chromium).`
    : 'Latency not measured (--no-latency).';
  parts.push(`<p class="meta">${escapeHtml(`Sizes: weights from each model's spec (int8: one byte per conv/dense weight, biases and others at 4). ${how}`)}</p>`);
  if (data.study) {
    const c = data.study.counts;
    parts.push(`<p class="meta">${escapeHtml(`Study ${data.study.name} (${data.study.store}): ${c.total} trials, ${c.complete} complete, ${c.pruned} pruned, ${c.failed} failed, ${c.infeasible} infeasible; ${data.study.points.length} complete within the limits, ${data.study.points.filter((p) => p.front).length} on the front.`)}</p>`);
  }
  parts.push('<h2>Pareto front</h2>');
  if (scatter) {
    const cap = ['Filled blue: on the front; faded grey: dominated; orange diamond: the teacher (reference); dashed red: limits.', ...scatter.notes].join(' ');
    parts.push(`<figure>${scatterSvg(scatter, 'pareto')}<figcaption>${escapeHtml(`${scatter.title}. ${cap}`)}</figcaption></figure>`);
  } else {
    parts.push('<p class="meta">Nothing to plot: no model with a known accuracy.</p>');
  }
  parts.push('<h2>Size</h2>');
  parts.push(sizes.groups.length ? `<figure>${barsSvg(sizes, 'sizes')}<figcaption>${escapeHtml(sizes.title)}</figcaption></figure>` : '<p class="meta">No model with a known spec.</p>');
  parts.push('<h2>Latency</h2>');
  parts.push(lat.groups.length ? `<figure>${barsSvg(lat, 'latency')}<figcaption>${escapeHtml(lat.title)}</figcaption></figure>` : `<p class="meta">${escapeHtml(how)}</p>`);
  const notes = [...data.notes, ...data.models.flatMap((m) => m.notes.map((n) => `${m.label}: ${n}`))];
  if (notes.length) parts.push(`<h2>Notes</h2><ul class="notes">${notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('')}</ul>`);
  parts.push('</body></html>\n');
  return parts.join('\n');
}
