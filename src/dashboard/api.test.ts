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

test('architecture of a text trial: the token length from the spec, the tokenizer from the study\'s data config, sizes per block', () => {
  const spec = { model: { input: { kind: 'tokens', length: 32, vocabSize: 2000 }, blocks: [{ type: 'embedding', dim: 16 }, { type: 'conv1d', filters: 8, kernel: 3 }, { type: 'seqpool', mode: 'max' }] } };
  const config = { data: { source: 'spam', text: { maxLength: 64, tokenizer: { kind: 'word', vocabSize: 3000 } } } };
  const a = architectureOf(spec, config)!;
  assert.deepEqual(a.text, { maxLength: 32, tokenizer: 'word', vocabSize: 2000 });
  assert.deepEqual(a.inputShape, [32]);
  assert.equal(a.total!.params, 2000 * 16 + 32 * 16 + 3 * 16 * 8 + 8); // no head: the class count is not in the config
  // no token input in the spec: the data config's length and vocabulary, a given tokenizer file
  const plain = architectureOf({ model: { blocks: [{ type: 'embedding', dim: 8, vocabSize: 500 }, { type: 'seqpool' }] } }, { data: { source: 'spam', text: { maxLength: 48, tokenizer: { path: 'tok.json' } } } })!;
  assert.deepEqual(plain.text, { maxLength: 48, tokenizer: 'tokenizer.json', vocabSize: 500 });
  assert.equal(architectureOf({ model: { blocks: [{ type: 'flatten' }] } }, { data: { source: 'mnist' } })!.text, null);
});
