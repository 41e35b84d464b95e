import { test } from 'node:test';
import assert from 'node:assert/strict';
import { reportSummary } from './collect.ts';
import { renderHtml } from './html.ts';
import { renderMarkdown } from './markdown.ts';
import { scatterOf } from './scatter.ts';
import { summaryLine } from './table.ts';
import { makeScale, wantsLog } from './axis.ts';
import type { ReportData, ReportModel } from './types.ts';

const EVIL = '<script>alert(1)</script>';

function model(label: string, role: 'teacher' | 'student', acc: number, p50: number, fp32: number, extra: Partial<ReportModel> = {}): ReportModel {
  return {
    label, role, dir: `/runs/${label}/model`, params: fp32 / 4, macs: fp32 / 4, bytes: { fp32, fp16: fp32 / 2, int8: fp32 / 4 },
    accuracy: { value: acc, errors: Math.round((1 - acc) * 1000), samples: 1000, on: 'test', from: 're-evaluated' },
    latency: { onnx: { p50Ms: p50, p95Ms: p50 * 1.2 } }, files: [], notes: [], ...extra,
  };
}

function runReport(): ReportData {
  const models = [
    model('teacher', 'teacher', 0.98, 4, 9_000_000),
    model(EVIL, 'student', 0.95, 0.1, 300_000, { arch: `${EVIL}|arch` }),
    model('b', 'student', 0.97, 0.2, 600_000),
    model('c', 'student', 0.94, 0.3, 900_000),
  ];
  return { title: 'Deployment report', created: '2026-01-01T00:00:00Z', inputs: ['runs/q'], runtimes: ['onnx'], latency: { batch: 1, warmup: 1, iterations: 5, threads: 1 }, models, notes: [] };
}

test('strings from models are escaped in HTML and Markdown; no script, no external resource', () => {
  const d = runReport();
  const html = renderHtml(d);
  assert.ok(!html.includes(EVIL), 'the raw name must not reach the page');
  assert.ok(html.includes('&lt;script&gt;alert(1)&lt;/script&gt;'));
  assert.ok(!/<script|src=|href=|@import|url\(/i.test(html), 'self-contained: no script, no link, no import');
  const md = renderMarkdown(d);
  const tableLines = md.split('\n').filter((l) => l.startsWith('| '));
  assert.ok(tableLines.every((l) => !l.includes(EVIL)), 'table cells are escaped');
  assert.ok(md.includes('&lt;script&gt;alert(1)&lt;/script&gt; \\| arch'.replace(' \\| arch', '\\|arch')), 'pipes escaped in cells');
});

test('the accuracy-vs-latency front: dominated students faded, teacher as the reference mark', () => {
  const d = runReport();
  const s = scatterOf(d)!;
  assert.equal(s.x.metric, 'latencyMs');
  assert.equal(s.y.metric, 'accuracy');
  const kind = Object.fromEntries(s.points.map((p) => [p.label, p.kind]));
  // c (0.94 at 0.3 ms) is beaten by the evil-named one (0.95 at 0.1 ms); b is the most accurate
  assert.deepEqual(kind, { [EVIL]: 'front', b: 'front', c: 'dominated', teacher: 'teacher' });
  assert.equal(s.x.log, true, 'teacher 40x slower: log axis');
  const html = renderHtml(d);
  const svg = /<svg id="pareto"[^>]*data-points="(\d+)"[\s\S]*?<\/svg>/.exec(html)!;
  assert.equal(Number(svg[1]), 4);
  assert.equal((svg[0].match(/class="mark /g) ?? []).length, 4);
  assert.equal((svg[0].match(/class="mark dominated"/g) ?? []).length, 1);
  const sizes = /<svg id="sizes"[^>]*data-points="(\d+)"/.exec(html)!;
  assert.equal(Number(sizes[1]), 8, 'fp32 and int8 bars for 4 models');
  const lat = /<svg id="latency"[^>]*data-points="(\d+)"/.exec(html)!;
  assert.equal(Number(lat[1]), 4, 'one onnx bar per model');
});

test('one table row per model, teacher first, in HTML and Markdown', () => {
  const d = runReport();
  d.models.reverse();
  const html = renderHtml(d);
  const body = /<tbody>([\s\S]*?)<\/tbody>/.exec(html)![1]!;
  const rows = body.match(/<tr class="(teacher|student)">/g)!;
  assert.deepEqual(rows.map((r) => r.includes('teacher')), [true, false, false, false]);
  const md = renderMarkdown(d);
  const section = md.split('## Teacher against students')[1]!.split('\n## ')[0]!;
  const lines = section.split('\n').filter((l) => l.startsWith('|'));
  assert.equal(lines.length, 2 + 4, 'head, rule and 4 rows');
  assert.match(lines[2]!, /^\| teacher \| teacher \|/);
  assert.match(lines[3]!, /^\| c \| student \| - \| 94\.00% \| 60 \/ 1000 \| re-evaluated \| 225\.0k \| 225\.0k \| 900\.0 KB \| 225\.0 KB \| 0\.300 \/ 0\.360 \|/, 'c: accuracy, errors, costs, latency');
});

test('summary: best student against the teacher, with ratios and speed-up', () => {
  const d = runReport();
  const s = reportSummary(d.models, ['onnx'])!;
  assert.equal(s.student, 'b');
  assert.ok(Math.abs(s.accuracyKept! - 0.97 / 0.98) < 1e-12);
  assert.ok(Math.abs(s.accuracyDelta! + 1) < 1e-9);
  assert.equal(s.sizeRatioFp32, 600_000 / 9_000_000);
  assert.equal(s.sizeRatioInt8, 150_000 / 9_000_000);
  assert.equal(s.speedup.onnx, 4 / 0.2);
  d.summary = s;
  assert.match(summaryLine(d), /^Best student: b, which keeps 99\.0% of teacher's accuracy \(97\.00% against 98\.00%, -1\.00 points\), at 6\.7% of its size in fp32 \(1\.7% once quantized to int8\), 20\.0x faster on onnx\.$/);
});

test('a study: trials on its two objectives, limits drawn, teacher placed by its cost', () => {
  const d = runReport();
  d.models = [model('teacher', 'teacher', 0.98, 4, 9_000_000), model('trial 2', 'student', 0.96, 0.1, 300_000, { trial: 2, front: true })];
  d.study = {
    name: 's', store: '/x/s.db', objectives: [{ name: 'accuracy', direction: 'max' }, { name: 'macs', direction: 'min' }],
    limits: [{ metric: 'macs', op: '<=', value: 200_000 }],
    points: [{ trial: 0, values: [0.9, 150_000], front: false }, { trial: 1, values: [0.93, 90_000], front: true }, { trial: 2, values: [0.96, 75_000], front: true }],
    counts: { total: 4, complete: 3, pruned: 0, failed: 0, infeasible: 1 },
  };
  const s = scatterOf(d)!;
  assert.equal(s.x.metric, 'macs', 'the minimised objective goes across');
  assert.equal(s.points.length, 4);
  assert.deepEqual(s.points.at(-1), { label: 'teacher', x: 2_250_000, y: 0.98, kind: 'teacher' });
  const html = renderHtml(d);
  const svg = /<svg id="pareto"[\s\S]*?<\/svg>/.exec(html)![0];
  assert.equal((svg.match(/class="mark /g) ?? []).length, 4);
  assert.equal((svg.match(/class="limit"/g) ?? []).length, 1);
  assert.match(svg, /macs &lt;= 200000/);
  const md = renderMarkdown(d);
  assert.match(md, /\| trial 0 \| dominated \| 150\.0k \| 90\.00% \|/);
});

test('scales: log only for positive values spanning more than 30x; higher values drawn higher', () => {
  assert.equal(wantsLog([1, 29]), false);
  assert.equal(wantsLog([1, 31]), true);
  assert.equal(wantsLog([0, 100]), false);
  const y = makeScale([0.9, 0.98], 380, 20, false);
  assert.ok(y.at(0.98) < y.at(0.9));
  assert.ok(y.ticks.length >= 3 && y.ticks.every((t) => t >= y.lo && t <= y.hi));
  const x = makeScale([1e4, 1e6], 0, 100, true);
  assert.deepEqual(x.ticks, [1e4, 1e5, 1e6]);
  assert.ok(Math.abs(x.at(1e5) - 50) < 1e-9, 'a decade is the same width everywhere');
});
