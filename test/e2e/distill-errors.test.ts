import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, runCli, startCli, tempDir, writeConfig } from '../helpers/cli.ts';

const TEACHER_ONNX = join(ROOT, 'examples/teachers/mnist-cnn.onnx');
const FIXTURES = join(ROOT, 'test/fixtures');
const onnxTeacher = (path: string) => ({ type: 'onnx', path, normalize: { mean: 33.3285, std: 78.5655 } });

function config(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'tiny',
    seed: 2,
    data: { source: 'mnist', limit: 1000, testLimit: 500, normalize: 'scale' },
    model: { blocks: [{ type: 'flatten' }, { type: 'dense', units: 32, activation: 'relu' }, { type: 'dense', units: 10 }] },
    train: { epochs: 1, batchSize: 100, optimizer: { type: 'adam', lr: 0.003 } },
    teacher: onnxTeacher(TEACHER_ONNX),
    cache: { enabled: false },
    ...overrides,
  };
}

test('distill bad input: one line with a code, exit 2, and no output folder', () => {
  const dir = tempDir();
  const cases: [Record<string, unknown>, string, RegExp][] = [
    [config({ teacher: onnxTeacher(join(FIXTURES, 'mnist-5class.onnx')) }), 'TEACHER_CLASSES', /expected 10, got 5/],
    [config({ teacher: onnxTeacher(join(FIXTURES, 'rgb-32x32.onnx')) }), 'TEACHER_INPUT_SHAPE', /\[N, 3, 32, 32\]/],
    [config({ teacher: onnxTeacher(join(FIXTURES, 'not-a-model.onnx')) }), 'TEACHER_FORMAT', /not-a-model\.onnx/],
    [config({ teacher: onnxTeacher(join(dir, 'missing.onnx')) }), 'TEACHER_NOT_FOUND', /missing\.onnx/],
    [config({ teacher: { type: 'tfjs', path: dir } }), 'TEACHER_NOT_FOUND', /model\.json/],
    [config({ loss: [{ term: 'kdd', weight: 1 }] }), 'CONFIG_INVALID', /loss\[0\]\.term: unknown loss 'kdd'; known: .*kd/],
    [config({ loss: [{ term: 'kd', weight: 1, temperature: 4 }] }), 'CONFIG_INVALID', /loss\[0\]\.temperature: unknown option 'temperature' of loss 'kd'/],
    [config({ loss: [{ term: 'hint', student: 'b9', teacher: 'features' }] }), 'DISTILL_STUDENT_FEATURE', /'b9'/],
    [config({ loss: [{ term: 'hint', student: 'b1', teacher: 'logitz' }] }), 'TEACHER_FEATURE', /'logitz'.*use one of: features/],
    [config({ teacher: undefined }), 'CONFIG_INVALID', /teacher/],
  ];
  for (const [i, [cfg, code, message]] of cases.entries()) {
    const file = writeConfig(dir, `bad${i}.json`, cfg);
    const out = join(dir, `out${i}`);
    const r = runCli(['distill', '--config', file, '--out', out]);
    assert.equal(r.code, 2, `case ${i}: ${r.stderr}`);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, `case ${i}: ${r.stderr}`);
    assert.match(lines[0]!, new RegExp(`^error ${code}: `), `case ${i}: ${lines[0]}`);
    assert.match(lines[0]!, message, `case ${i}`);
    assert.match(lines[0]!, /\(hint: .+\)$/, `case ${i} says what to do`);
    assert.equal(existsSync(out), false, `case ${i} left ${out}`);
  }
});

/**
 * A tiny CNN student with a FitNets hint from the teacher's conv features (7x7x32 onto the
 * student's 7x7x8 block through a learned 1x1 adapter) and ±2-pixel jitter: the teacher runs
 * online on each jittered batch, and the adapter is an extra trained variable.
 */
const online = config({
  data: { source: 'mnist', limit: 2000, testLimit: 500, normalize: 'scale', augment: { shift: 2 } },
  model: { blocks: [{ type: 'conv2d', filters: 8, stride: 2 }, { type: 'maxpool' }, { type: 'flatten' }, { type: 'dense', units: 10 }] },
  train: { epochs: 3, batchSize: 100, optimizer: { type: 'adam', lr: 0.003 } },
  loss: [{ term: 'kd', weight: 0.5, T: 4 }, { term: 'ce', weight: 0.5 }, { term: 'hint', weight: 0.1, student: 'b1', teacher: 'features' }],
});

test('distill with an online teacher, a hint adapter and jitter: kill -9 then --resume ends like an unbroken run', async () => {
  const dir = tempDir();
  const cfg = writeConfig(dir, 'online.json', online);
  const whole = runCli(['distill', '--config', cfg, '--out', join(dir, 'whole'), '--json']);
  assert.equal(whole.code, 0, whole.stderr);
  const wholeDone = whole.events.at(-1)!;
  assert.equal(wholeDone['teacherLogits'], 'online');
  const wholeStudent = wholeDone['student'] as Record<string, number>;
  assert.ok(wholeStudent['testAccuracy']! > 0.7, `accuracy ${wholeStudent['testAccuracy']}`);

  const out = join(dir, 'run');
  const child = startCli(['distill', '--config', cfg, '--out', out, '--json']);
  let seen = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      if (seen.split('\n').some((l) => l.includes('"epoch_start"') && l.includes('"epoch":2'))) child.kill('SIGKILL');
    });
    child.on('exit', () => resolve());
    child.on('error', reject);
  });
  assert.ok(!seen.includes('"event":"done"'), 'killed before it finished');
  const saved = JSON.parse(readFileSync(join(out, 'checkpoint', 'manifest.json'), 'utf8')) as { epoch: number; weights: { name: string }[] };
  assert.ok(saved.epoch >= 1 && saved.epoch < 3, `checkpoint after epoch ${saved.epoch}`);
  // the hint adapter's kernel and bias ride in the checkpoint after the student's weights
  assert.ok(saved.weights.length > 4, `${saved.weights.length} weights checkpointed`);

  const r = runCli(['distill', '--config', cfg, '--out', out, '--json', '--resume']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.events.filter((e) => e['event'] === 'epoch').map((e) => e['epoch']), Array.from({ length: 3 - saved.epoch }, (_, i) => saved.epoch + 1 + i));
  const student = r.events.at(-1)!['student'] as Record<string, number>;
  assert.equal(student['testErrors'], wholeStudent['testErrors'], 'same student as the unbroken run');
  assert.equal(student['testLoss'], wholeStudent['testLoss']);
  const lines = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { event: string; epoch?: number });
  assert.deepEqual(lines.filter((l) => l.event === 'epoch').map((l) => l.epoch), [1, 2, 3]);
});
