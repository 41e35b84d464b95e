import { formatBytes, formatCount, formatMetric, formatMs, formatPercent } from './format.ts';
import type { ReportData, ReportModel } from './types.ts';

/** The teacher-against-students table as plain text cells (renderers escape them). */
export interface ModelTable {
  head: string[];
  rows: string[][];
}

function accuracyCell(m: ReportModel): string[] {
  const a = m.accuracy;
  if (!a) return ['-', '-', '-'];
  return [formatPercent(a.value), `${a.errors} / ${a.samples}`, `${a.from}${a.on === 'test' ? '' : ` (${a.on} split)`}`];
}

/**
 * One row per model (teachers first): role, (for text models: max length, tokenizer kind and
 * vocabulary size), accuracy and errors, where the accuracy came from,
 * params, MACs, bytes fp32/int8, p50/p95 per runtime, the study's objectives and exported files.
 *
 * @example
 * modelTable(data).rows.length; // data.models.length
 */
export function modelTable(data: ReportData): ModelTable {
  const runtimes = data.runtimes.filter((r) => data.models.some((m) => m.latency[r]));
  const objectives = data.study?.objectives.map((o) => o.name) ?? [];
  const head = ['model', 'role', 'architecture', 'accuracy', 'errors', 'accuracy from', 'params', 'MACs', 'bytes fp32', 'bytes int8'];
  // text models: what they read (columns only when the report has one)
  const text = data.models.some((m) => m.text);
  if (text) head.splice(3, 0, 'max length', 'tokenizer', 'vocabulary');
  for (const r of runtimes) head.push(`${r} p50 / p95 ms`);
  for (const o of objectives) head.push(`objective ${o}`);
  head.push('front', 'exported files');
  const rows = orderModels(data.models).map((m) => {
    const row = [m.label, m.role, m.arch ?? '-', ...accuracyCell(m), formatCount(m.params), formatCount(m.macs), formatBytes(m.bytes?.fp32), formatBytes(m.bytes?.int8)];
    if (text) row.splice(3, 0, m.text ? String(m.text.maxLength) : '-', m.text?.tokenizer ?? '-', m.text ? m.text.vocabSize.toLocaleString('en-US') : '-');
    for (const r of runtimes) row.push(m.latency[r] ? `${formatMs(m.latency[r].p50Ms)} / ${formatMs(m.latency[r].p95Ms)}` : '-');
    for (const o of objectives) row.push(formatMetric(o, m.objectives?.[o]));
    row.push(m.role === 'teacher' ? '-' : m.front ? 'yes' : m.front === false ? 'no' : '-');
    row.push(m.files.length ? m.files.map((f) => `${f.name} ${formatBytes(f.bytes)}`).join(', ') : '-');
    return row;
  });
  return { head, rows };
}

/**
 * Teachers first, then students in their given order.
 *
 * @example
 * orderModels(data.models)[0].role; // 'teacher' when there is one
 */
export function orderModels(models: readonly ReportModel[]): ReportModel[] {
  return [...models.filter((m) => m.role === 'teacher'), ...models.filter((m) => m.role !== 'teacher')];
}

/**
 * The headline sentence: the best student against the teacher (accuracy kept, size ratio,
 * speed-up per runtime), or why there is none.
 *
 * @example
 * summaryLine(data); // 'Best student distilled keeps 98.9% of teacher's accuracy (97.10% against 98.15%), at 3.3% of its size in fp32 (0.8% in int8), 14.2x faster on onnx.'
 */
export function summaryLine(data: ReportData): string {
  const s = data.summary;
  if (!s) {
    const students = data.models.filter((m) => m.role === 'student').length;
    return data.models.some((m) => m.role === 'teacher')
      ? `No student with a known accuracy to compare with the teacher (${students} student(s)).`
      : `No teacher in this report: ${students} student(s) compared with each other (pass --teacher DIR to compare with one).`;
  }
  const t = data.models.find((m) => m.label === s.teacher);
  const b = data.models.find((m) => m.label === s.student);
  const parts: string[] = [];
  if (s.accuracyKept !== undefined) {
    parts.push(`keeps ${(100 * s.accuracyKept).toFixed(1)}% of ${s.teacher}'s accuracy (${formatPercent(b?.accuracy?.value)} against ${formatPercent(t?.accuracy?.value)}, ${s.accuracyDelta! >= 0 ? '+' : ''}${s.accuracyDelta!.toFixed(2)} points)`);
  }
  if (s.sizeRatioFp32 !== undefined) parts.push(`at ${(100 * s.sizeRatioFp32).toFixed(1)}% of its size in fp32 (${(100 * s.sizeRatioInt8!).toFixed(1)}% once quantized to int8)`);
  const sp = Object.entries(s.speedup).map(([r, v]) => `${v!.toFixed(1)}x faster on ${r}`);
  if (sp.length) parts.push(sp.join(', '));
  return `Best student: ${s.student}, which ${parts.join(', ')}.`;
}
