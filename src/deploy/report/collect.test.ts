import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDistilleryError } from '../../core/errors.ts';
import { initEngine } from '../../engine/index.ts';
import { loadData, loadMnist, normalize } from '../../data/index.ts';
import { buildModel, saveModel } from '../../models/index.ts';
import { evaluate, fit, trainConfigSchema } from '../../train/index.ts';
import { writeOnnx } from '../../onnx/index.ts';
import { collectReport } from './collect.ts';
import { classifyInput } from './inputs.ts';

const root = mkdtempSync(join(tmpdir(), 'distillery-report-'));
const data = { source: 'mnist', limit: 600, testLimit: 300, normalize: 'scale' };

async function run(name: string, units: number, epochs: number): Promise<string> {
  const loaded = await loadData(data as never, { baseDir: '.', seed: 1 });
  const spec = { name: `mlp-${units}`, blocks: [{ type: 'flatten' }, { type: 'dense', units, activation: 'relu' }, { type: 'dense', units: 10 }] };
  const model = buildModel(spec as never, { inputShape: [28, 28, 1], numClasses: 10, seed: 1 });
  if (epochs > 0) await fit(model, loaded.train, { ...trainConfigSchema.parse({ epochs, batchSize: 50, optimizer: { type: 'adam', lr: 0.003 } }), seed: 1 });
  const dir = join(root, 'runs', name);
  mkdirSync(dir, { recursive: true });
  await saveModel(model, join(dir, 'model'), { distillery: { spec, normalization: loaded.normalization } });
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ name, data }));
  model.dispose();
  return dir;
}

test('a folder of runs: teacher by name, accuracy re-evaluated with each model\'s normalisation or taken from the run, latency, exported files', async () => {
  await initEngine({ backend: 'wasm', threads: 1 });
  const teacherDir = await run('teacher', 64, 2);
  const studentDir = await run('student', 8, 1);
  // the student's run logged its test scores: the report takes them as they are
  writeFileSync(join(studentDir, 'metrics.jsonl'), `${JSON.stringify({ event: 'epoch', epoch: 1 })}\n${JSON.stringify({ event: 'test', accuracy: 0.8, errors: 60, n: 300, evaluatedOn: 'test' })}\n`);
  mkdirSync(join(teacherDir, 'export'));
  const { loadModel } = await import('../../models/index.ts');
  const t = await loadModel(join(teacherDir, 'model'));
  const onnxBytes = await writeOnnx(t, join(teacherDir, 'export', 'model.onnx'));
  const loaded = await loadData(data as never, { baseDir: '.', seed: 1 });
  const expected = evaluate(t, normalize(loadMnist('test', 300), loaded.normalization));
  t.dispose();

  const r = await collectReport([join(root, 'runs')], { runtimes: ['onnx'], warmup: 1, iterations: 3 });
  assert.deepEqual(r.models.map((m) => [m.label, m.role]), [['teacher', 'teacher'], ['student', 'student']]);
  const [teacher, student] = r.models as [typeof r.models[0], typeof r.models[0]];
  assert.deepEqual(student.accuracy, { value: 0.8, errors: 60, samples: 300, on: 'test', from: 'run metrics' });
  assert.equal(teacher.accuracy!.from, 're-evaluated');
  assert.equal(teacher.accuracy!.samples, 300);
  assert.equal(teacher.accuracy!.errors, expected.errors, 'scored on the test split, normalised as in training');
  assert.ok(teacher.accuracy!.value > 0.6, `2 epochs on 600 images: ${teacher.accuracy!.value}`);
  assert.equal(teacher.arch, 'mlp-64');
  assert.equal(teacher.params, 784 * 64 + 64 + 64 * 10 + 10);
  assert.equal(teacher.bytes!.fp32, 4 * teacher.params!);
  assert.deepEqual(teacher.files, [{ name: 'model.onnx', bytes: onnxBytes }]);
  assert.equal(statSync(join(teacherDir, 'export', 'model.onnx')).size, onnxBytes);
  for (const m of r.models) {
    assert.ok(m.latency.onnx!.p50Ms > 0 && m.latency.onnx!.p50Ms <= m.latency.onnx!.p95Ms, `${m.label} latency`);
    assert.equal(m.latency['tfjs-wasm'], undefined);
  }
  assert.equal(student.front, true, 'the only student is on the front');
  assert.equal(r.summary!.student, 'student');
  assert.ok(Math.abs(r.summary!.accuracyKept! - 0.8 / teacher.accuracy!.value) < 1e-12);

  // --test-limit: every model re-evaluated, the logged scores set aside; no latency
  const again = await collectReport([join(studentDir, 'model')], { latency: false, testLimit: 100, teacher: teacherDir });
  assert.deepEqual(again.models.map((m) => [m.label, m.role, m.accuracy!.from, m.accuracy!.samples]), [['teacher', 'teacher', 're-evaluated', 100], ['student', 'student', 're-evaluated', 100]]);
  assert.deepEqual(again.models[1]!.latency, {});
  assert.equal(again.latency, undefined);
});

test('bad input: REPORT_INPUT naming the path and what is accepted; an unknown runtime before any work', async () => {
  const text = join(root, 'notes.txt');
  writeFileSync(text, 'hello');
  const empty = join(root, 'empty');
  mkdirSync(empty);
  for (const p of [text, empty, join(root, 'missing')]) {
    assert.throws(() => classifyInput(p), (e) => isDistilleryError(e) && e.code === 'REPORT_INPUT' && e.message.startsWith(p) && /study store.*model folder.*run folder/.test(e.message));
    await assert.rejects(collectReport([p], { latency: false }), (e) => isDistilleryError(e) && e.code === 'REPORT_INPUT');
  }
  await assert.rejects(collectReport([empty], { runtimes: ['tflite'] }), (e) => isDistilleryError(e) && e.code === 'BENCH_RUNTIME' && /known: onnx, tfjs-wasm/.test(e.message));
});
