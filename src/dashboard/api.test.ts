import { test } from 'node:test';
import assert from 'node:assert/strict';
import { architectureOf, teacherOf } from './index.ts';

test('teacher info from the frozen config: type and files always, values only where recorded', () => {
  assert.equal(teacherOf({ data: { source: 'mnist' } }), null, 'plain training has no teacher');
  assert.deepEqual(teacherOf({ teacher: { type: 'onnx', path: 'a.onnx' } }), { type: 'onnx', paths: ['a.onnx'], values: {} });
  const ens = { teacher: { type: 'ensemble', members: [{ type: 'onnx', path: 'a.onnx' }, { type: 'tfjs', path: 'b' }] } };
  assert.deepEqual(teacherOf(ens)!.paths, ['a.onnx', 'b']);
  const frozen = { baseDir: '/x', config: ens, teacherMetrics: { accuracy: 0.9913, params: 206922, note: 'text is dropped' } };
  assert.deepEqual(teacherOf(ens, frozen)!.values, { accuracy: 0.9913, params: 206922 });
});

test('architecture: sizes per block on MNIST, the blocks as written when the input shape is unknown', () => {
  const spec = { model: { blocks: [{ type: 'conv2d', filters: 4, kernel: 3, stride: 2 }, { type: 'flatten' }, { type: 'dense', units: 10 }] } };
  const known = architectureOf(spec, { data: { source: 'mnist' } })!;
  assert.deepEqual(known.blocks.map((b) => b.outputShape), [[14, 14, 4], [784], [10]]);
  assert.equal(known.total!.params, 3 * 3 * 1 * 4 + 4 + 784 * 10 + 10);
  const unknown = architectureOf(spec, { data: { source: 'csv', path: 'x.csv' } })!;
  assert.equal(unknown.total, null);
  assert.deepEqual(unknown.blocks.map((b) => b.block), ['conv2d filters=4 kernel=3 stride=2', 'flatten', 'dense units=10']);
  assert.match(unknown.note!, /^sizes per block unknown/);
  assert.equal(architectureOf({ train: { lr: 0.1 } }, {}), null, 'a spec without a model');
});
