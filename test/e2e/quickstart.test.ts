import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, tempDir } from '../helpers/cli.ts';

type Front = { trial: number; number: number; objectives: Record<string, number>; model: string }[];

test('quickstart (small): teacher, student alone and distilled, a small search under the MACs limit, the best exported to ONNX', () => {
  const out = join(tempDir(), 'qs');
  const r = runCli(['quickstart', '--limit', '3000', '--epochs', '1', '--trials', '4', '--out', out, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const done = r.events.at(-1)!;
  assert.equal(done['event'], 'done');
  const teacher = done['teacher'] as Record<string, number>;
  const student = done['student'] as Record<string, number>;
  const distilled = done['distilled'] as Record<string, number>;
  // 784-1200-1200-10 and 784-100-10
  assert.equal(teacher['params'], 785 * 1200 + 1201 * 1200 + 1201 * 10);
  assert.equal(student['params'], 785 * 100 + 101 * 10);
  assert.ok(Math.abs((done['sizeRatio'] as number) - student['params'] / teacher['params']) < 1e-12);
  // Bounds a few points under what this seeded run reaches (the same on native and on wasm:
  // teacher 83.06%, student 77.34%, distilled 73.38%, the front's best 60.0% of 300 validation
  // images), so a pipeline that stops learning, or distils from the wrong targets, misses them.
  // one short epoch on 2,700 images: far above chance (0.1), far from converged
  for (const [m, min] of [[teacher, 0.78], [student, 0.72]] as const) {
    assert.equal(m['testSamples'], 10000);
    assert.ok(m['testAccuracy']! > min, `accuracy ${m['testAccuracy']} <= ${min}`);
  }
  // the same student, distilled: after one epoch the teacher's T = 4 targets are still nearly
  // flat (it is 83% right), so the student learns mostly from the 0.1 hard-label term
  assert.equal(distilled['params'], student['params']);
  assert.equal(distilled['testSamples'], 10000);
  assert.ok(distilled['testAccuracy']! > 0.68, `distilled accuracy ${distilled['testAccuracy']}`);
  assert.equal(done['gain'], distilled['testErrors'] - student['testErrors']);
  for (const who of ['teacher', 'student', 'distilled']) assert.ok(existsSync(join(out, who, 'model', 'model.json')), who);

  // the search: 4 trained candidates (infeasible ones are extra and untrained), all stored
  const search = done['search'] as { store: string; trials: number; counts: Record<string, number>; limit: string; pareto: Front; hypervolume: number };
  assert.equal(search.store, join(out, 'search.db'));
  assert.equal(search.limit, 'macs<=79400');
  const c = search.counts;
  assert.equal(search.trials, 4);
  assert.equal(c['complete']! + c['pruned']! + c['failed']!, 4);
  assert.equal(c['running'], 0);
  assert.equal(c['total'], c['complete']! + c['pruned']! + c['failed']! + c['infeasible']!);
  const shown = runCli(['search', 'show', '--store', search.store, '--json']);
  assert.equal(shown.code, 0, shown.stderr);
  const stored = JSON.parse(shown.stdout) as { trials: { state: string; values: Record<string, number> }[]; pareto: unknown[] };
  assert.equal(stored.trials.length, c['total']);
  // every infeasible trial breaks the limit; every trained one meets it
  for (const t of stored.trials) assert.equal(t.values['macs']! > 79400, t.state === 'infeasible', JSON.stringify(t));
  assert.equal(stored.pareto.length, search.pareto.length);
  assert.ok(search.pareto.length >= 1);
  for (const p of search.pareto) {
    assert.ok(p.objectives['macs']! <= 79400, `front member over the limit: ${JSON.stringify(p)}`);
    assert.ok(p.objectives['accuracy']! > 0 && p.objectives['accuracy']! <= 1, JSON.stringify(p));
    assert.ok(existsSync(join(p.model, 'model.json')), p.model);
  }
  // trained: the front's best (60.0% measured, one epoch on 2,700 images) is far above chance (0.1)
  assert.ok(search.pareto[0]!.objectives['accuracy']! > 0.55, JSON.stringify(search.pareto[0]));
  // the front: more accurate means more MACs, and the hypervolume is the area it dominates
  // against (accuracy 0, MACs = the limit)
  const pts = search.pareto.map((p) => [p.objectives['accuracy']!, p.objectives['macs']!] as const);
  for (let i = 1; i < pts.length; i++) assert.ok(pts[i]![0] <= pts[i - 1]![0] && pts[i]![1] <= pts[i - 1]![1]);
  let hv = 0;
  pts.forEach(([acc, macs], i) => (hv += (acc - (pts[i + 1]?.[0] ?? 0)) * (79400 - macs)));
  assert.ok(Math.abs(search.hypervolume - hv) <= 1e-6 * hv, `${search.hypervolume} vs ${hv}`);

  // the export: the better of the front's best and the distilled student on validation, as fp32 and int8 ONNX
  const x = done['export'] as { source: string; model: string; valAccuracy: number; macs: number; files: { fp32: string; int8: string }; variants: { precision: string; bytes: number; accuracy: number; sizeRatio: number; samples: number }[]; parity: { samples: number; maxAbsDiff: number; classDiffers: number; ok: boolean } };
  const best = search.pareto[0]!;
  if (x.source === 'distilled') {
    assert.equal(x.model, join(out, 'distilled', 'model'));
    assert.ok(x.valAccuracy >= best.objectives['accuracy']!);
    assert.equal(x.macs, 79400);
  } else {
    assert.equal(x.source, `trial ${best.number}`);
    assert.equal(x.model, best.model);
    assert.ok(x.valAccuracy > 0 && x.valAccuracy === best.objectives['accuracy']);
  }
  assert.deepEqual(x.files, { fp32: join(out, 'export', 'model.onnx'), int8: join(out, 'export', 'model.int8.onnx') });
  for (const f of Object.values(x.files)) assert.ok(existsSync(f), f);
  assert.equal(statSync(x.files.int8).size, x.variants[1]!.bytes);
  assert.deepEqual(x.variants.map((v) => v.precision), ['fp32', 'int8']);
  assert.ok(x.variants[1]!.sizeRatio > 3, `int8 ${x.variants[1]!.sizeRatio}x smaller`);
  assert.equal(x.variants[0]!.samples, 10000);
  // int8 stays close to fp32, and fp32 ONNX is the TF.js model: same classes on all 10,000 test images
  assert.ok(Math.abs(x.variants[0]!.accuracy - x.variants[1]!.accuracy) < 0.03, JSON.stringify(x.variants));
  assert.equal(x.parity.samples, 10000);
  assert.ok(x.parity.ok && x.parity.maxAbsDiff <= 1e-4 && x.parity.classDiffers === 0, JSON.stringify(x.parity));
  if (x.source === 'distilled') assert.equal(x.variants[0]!.accuracy, distilled['testAccuracy']);

  // the report: teacher, both students and the front's trials, one row each, HTML and Markdown
  const rep = done['report'] as { html: string; markdown: string };
  assert.equal(rep.html, join(out, 'report.html'));
  const html = readFileSync(rep.html, 'utf8');
  const md = readFileSync(rep.markdown, 'utf8');
  const front = (done['search'] as { pareto: unknown[] }).pareto.length;
  const rows = (html.match(/<tr class="model/g) ?? []).length || (html.split('<tbody>')[1]?.split('</tbody>')[0]?.match(/<tr/g) ?? []).length;
  assert.equal(rows, 3 + front, 'teacher, student alone, student distilled and each front trial');
  assert.match(html, /<svg[^>]*id="pareto"/);
  assert.match(md, /\| *teacher *\|/);
  assert.match(md, /student distilled/);
  // the search's trials are scored on the test set too: the report finds their data through the study
  const trialRows = md.split('\n').filter((l) => /^\| *trial \d+ *\| *student *\|/.test(l));
  assert.equal(trialRows.length, front);
  for (const row of trialRows) assert.match(row, /^\| *trial \d+ *\| *student *\| *dense \d+( → dense \d+)+ *\| *\d+\.\d+% *\| *\d+ \/ 10000 *\| *re-evaluated *\|/, row);
  const human = runCli(['quickstart', '--limit', '3000', '--epochs', '1', '--out', out]);
  assert.equal(human.code, 2, 'a second run into the same folder is refused, nothing overwritten');
  assert.match(human.stderr, /^error OUT_EXISTS: /);
});
