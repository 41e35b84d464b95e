import test from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { DistilleryError } from '../core/errors.ts';
import { buildModel } from './build.ts';
import { modelCost } from './cost.ts';
import type { ModelSpec } from './spec.ts';
import { everyBlock } from './testing.ts';

test('a small CNN against hand counts', () => {
  const c = modelCost(
    { blocks: [{ type: 'conv2d', filters: 4, kernel: 3 }, { type: 'maxpool' }, { type: 'flatten' }, { type: 'dense', units: 10 }] },
    [8, 8, 3],
  );
  // conv: 3*3*3*4 weights + 4 biases = 112; MACs 8*8 positions * 108 = 6912
  // maxpool 2/2 -> [4, 4, 4]; flatten -> 64; dense 64*10 + 10 = 650 params, 640 MACs
  assert.deepEqual(c.layers.map((l) => l.outputShape), [[8, 8, 4], [4, 4, 4], [64], [10]]);
  assert.deepEqual(c.layers.map((l) => l.params), [112, 0, 0, 650]);
  assert.deepEqual(c.layers.map((l) => l.macs), [6912, 0, 0, 640]);
  assert.equal(c.params, 762);
  assert.equal(c.macs, 7552);
  // int8: 108 + 640 kernel weights at 1 byte, 14 biases at 4 bytes
  assert.deepEqual(c.bytes, { fp32: 3048, fp16: 1524, int8: 748 + 56 });
  assert.equal(c.layers[3]!.path, 'model.blocks[3]');
});

test('mbconv with squeeze-excite and sepconv against hand counts', () => {
  const m = modelCost({ blocks: [{ type: 'mbconv', filters: 4, expansion: 2, se: 0.5 }] }, [6, 6, 4]);
  // e = 8. expand 4*8 = 32 (MACs 36*32 = 1152), BN 4*8; dw 9*8 = 72 (MACs 36*72 = 2592), BN 4*8;
  // SE r = 4: 8*4+4 and 4*8+8 (MACs 32+32); project 8*4 = 32 (MACs 1152), BN 4*4
  assert.equal(m.params, 32 + 32 + 72 + 32 + 36 + 40 + 32 + 16);
  assert.equal(m.macs, 1152 + 2592 + 64 + 1152);
  assert.deepEqual(m.outputShape, [6, 6, 4]);
  const s = modelCost({ blocks: [{ type: 'sepconv', filters: 3, stride: 2 }] }, [5, 5, 2]);
  // same padding: ceil(5/2) = 3. dw 3*3*2 = 18 + BN 8; pw 2*3 = 6 + BN 12; MACs 9 * (18 + 6)
  assert.deepEqual(s.outputShape, [3, 3, 3]);
  assert.equal(s.params, 44);
  assert.equal(s.macs, 216);
  const v = modelCost({ blocks: [{ type: 'conv2d', filters: 1, stride: 2, padding: 'valid' }, { type: 'globalavgpool' }] }, [5, 5, 1]);
  // valid: floor((5 - 3) / 2) + 1 = 2
  assert.deepEqual(v.layers[0]!.outputShape, [2, 2, 1]);
  assert.equal(v.layers[0]!.macs, 4 * 9);
});

function shapeError(spec: ModelSpec, input: number[]): DistilleryError {
  try {
    modelCost(spec, input);
  } catch (e) {
    if (e instanceof DistilleryError) return e;
    throw e;
  }
  assert.fail('expected MODEL_SHAPE');
}

test('blocks that cannot take their input are MODEL_SHAPE errors naming the block', () => {
  const a = shapeError({ blocks: [{ type: 'conv2d', filters: 2 }, { type: 'dense', units: 3 }] }, [4, 4, 1]);
  assert.equal(a.code, 'MODEL_SHAPE');
  assert.equal(a.where, 'model.blocks[1]');
  assert.match(a.hint ?? '', /flatten/);
  assert.equal(shapeError({ blocks: [{ type: 'flatten' }, { type: 'conv2d', filters: 2 }] }, [4, 4, 1]).where, 'model.blocks[1]');
  const k = shapeError({ blocks: [{ type: 'maxpool' }, { type: 'conv2d', filters: 2, kernel: 3, padding: 'valid' }] }, [4, 4, 1]);
  assert.equal(k.where, 'model.blocks[1]');
  assert.match(k.message, /3x3 is bigger than its 2x2 input/);
  assert.equal(shapeError({ blocks: [{ type: 'maxpool', size: 5 }] }, [4, 4, 1]).where, 'model.blocks[0]');
  assert.equal(shapeError({ blocks: [{ type: 'globalavgpool' }] }, [16]).where, 'model.blocks[0]');
});

test('params equal tf.LayersModel.countParams() block by block, for every block type', async () => {
  await tf.setBackend('cpu');
  const c = modelCost(everyBlock);
  const model = buildModel(everyBlock);
  assert.equal(c.params, model.countParams());
  const byBlock = new Map<string, number>();
  for (const l of model.layers) {
    const b = l.name.split('_')[0]!;
    byBlock.set(b, (byBlock.get(b) ?? 0) + l.countParams());
  }
  for (const l of c.layers) assert.equal(l.params, byBlock.get(l.name) ?? 0, l.path);
  // and shapes agree with what tfjs-layers infers
  const names = new Set(model.layers.map((l) => l.name));
  assert.ok(names.has('b4_se') && names.has('b4_add') && !names.has('b5_expand') && !names.has('b5_add'));
  assert.deepEqual(model.outputs[0]!.shape, [null, ...c.outputShape]);
  model.dispose();
});

test('MobileNetV2 1.0 at 224: the published parameter count and ~300M multiply-adds', () => {
  // Sandler et al. 2018, Table 2: t, c, n, s per stage
  const blocks: ModelSpec['blocks'] = [{ type: 'conv2d', filters: 32, stride: 2, batchNorm: true, activation: 'relu6' }, { type: 'mbconv', filters: 16, expansion: 1 }];
  for (const [t, c, n, s] of [[6, 24, 2, 2], [6, 32, 3, 2], [6, 64, 4, 2], [6, 96, 3, 1], [6, 160, 3, 2], [6, 320, 1, 1]] as const) {
    for (let i = 0; i < n; i++) blocks.push({ type: 'mbconv', filters: c, expansion: t, stride: i === 0 ? s : 1 });
  }
  blocks.push({ type: 'conv2d', filters: 1280, kernel: 1, batchNorm: true, activation: 'relu6' }, { type: 'globalavgpool' });
  const c = modelCost({ blocks }, [224, 224, 3], 1000);
  // Keras' MobileNetV2(weights=None).summary(): Total params 3,538,984 (BN statistics included)
  assert.equal(c.params, 3_538_984);
  // the paper's "300M" multiply-adds
  assert.equal(Math.round(c.macs / 1e6), 301);
  assert.deepEqual(c.layers.at(-2)!.outputShape, [1280]);
});
