import test from 'node:test';
import assert from 'node:assert/strict';
import { DistilleryError } from '../core/errors.ts';
import { parseModelSpec, resolveSpec } from './spec.ts';

function code(fn: () => unknown): DistilleryError {
  try {
    fn();
  } catch (e) {
    if (e instanceof DistilleryError) return e;
    throw e;
  }
  assert.fail('expected a DistilleryError');
}

test('unknown keys, wrong types and unknown block types are errors naming the key path', () => {
  const a = code(() => parseModelSpec({ blocks: [{ type: 'flatten' }, { type: 'conv2d', filtres: 8, filters: 8 }] }));
  assert.equal(a.code, 'MODEL_SPEC');
  assert.equal(a.where, 'model.blocks[1].filtres');
  const b = code(() => parseModelSpec({ blocks: [{ type: 'dense', units: 2.5 }] }));
  assert.equal(b.where, 'model.blocks[0].units');
  const c = code(() => parseModelSpec({ blocks: [{ type: 'lstm' }] }));
  assert.equal(c.where, 'model.blocks[0].type');
  assert.match(c.hint ?? '', /mbconv/);
  const d = code(() => parseModelSpec({ blocks: [], extra: 1 }, 'student'));
  assert.equal(d.where, 'student.extra');
  const e = code(() => parseModelSpec({ blocks: [{ type: 'dropout', rate: 1 }] }));
  assert.equal(e.where, 'model.blocks[0].rate');
});

test('defaults are filled per block type', () => {
  const r = resolveSpec(
    {
      blocks: [
        { type: 'conv2d', filters: 4 },
        { type: 'conv2d', filters: 4, batchNorm: true },
        { type: 'sepconv', filters: 4 },
        { type: 'mbconv', filters: 4 },
        { type: 'maxpool', size: 3 },
        { type: 'avgpool' },
        { type: 'dense', units: 3 },
      ],
    },
    { inputShape: [8, 8, 1] },
  );
  assert.deepEqual(r.input, [8, 8, 1]);
  assert.deepEqual(r.blocks, [
    { type: 'conv2d', filters: 4, kernel: 3, stride: 1, padding: 'same', activation: 'relu', batchNorm: false, bias: true },
    { type: 'conv2d', filters: 4, kernel: 3, stride: 1, padding: 'same', activation: 'relu', batchNorm: true, bias: false },
    { type: 'sepconv', filters: 4, kernel: 3, stride: 1, padding: 'same', activation: 'relu', batchNorm: true, bias: false },
    { type: 'mbconv', filters: 4, expansion: 6, kernel: 3, stride: 1, se: 0, activation: 'relu6' },
    { type: 'maxpool', size: 3, stride: 3, padding: 'valid' },
    { type: 'avgpool', size: 2, stride: 2, padding: 'valid' },
    { type: 'dense', units: 3, activation: 'linear', bias: true },
  ]);
});

test('numClasses appends a linear head, or must match the final dense', () => {
  const r = resolveSpec({ input: [10], blocks: [{ type: 'dense', units: 5, activation: 'relu' }, { type: 'dropout', rate: 0.1 }] }, { numClasses: 3 });
  assert.equal(r.blocks.length, 3);
  assert.deepEqual(r.blocks[2], { type: 'dense', units: 3, activation: 'linear', bias: true });
  const kept = resolveSpec({ input: [10], blocks: [{ type: 'dense', units: 3 }] }, { numClasses: 3 });
  assert.equal(kept.blocks.length, 1);
  const e = code(() => resolveSpec({ input: [10], blocks: [{ type: 'dense', units: 4 }] }, { numClasses: 3 }));
  assert.equal(e.code, 'MODEL_NUM_CLASSES');
  assert.equal(e.where, 'model.blocks[0].units');
  // a logistic regression: no blocks at all, only the appended head
  assert.equal(resolveSpec({ input: [10], blocks: [] }, { numClasses: 2 }).blocks.length, 1);
  assert.equal(code(() => resolveSpec({ input: [10], blocks: [] })).code, 'MODEL_EMPTY');
});

test('the input shape comes from the spec or the data, and they must agree', () => {
  assert.deepEqual(resolveSpec({ blocks: [{ type: 'flatten' }] }, { inputShape: [4, 4, 2] }).input, [4, 4, 2]);
  assert.deepEqual(resolveSpec({ input: [4, 4, 2], blocks: [{ type: 'flatten' }] }).input, [4, 4, 2]);
  assert.equal(code(() => resolveSpec({ input: [4, 4, 2], blocks: [{ type: 'flatten' }] }, { inputShape: [4, 4, 1] })).code, 'MODEL_INPUT_MISMATCH');
  assert.equal(code(() => resolveSpec({ blocks: [{ type: 'flatten' }] })).code, 'MODEL_INPUT_MISSING');
});
