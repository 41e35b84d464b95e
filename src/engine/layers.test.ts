import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { Rng } from '../core/rng.ts';
import { disposeEngine, initEngine } from './index.ts';
import { randn, testThreads } from './reference.ts';

before(async () => { await initEngine({ backend: 'wasm', threads: testThreads() }); });
after(async () => { await disposeEngine(); });

const L = tfl.layers;
const img = [8, 8, 2];
// Each model ends in a Dense so every variable gets a gradient through the block under test.
const blocks: Record<string, () => tfl.layers.Layer[]> = {
  'dense + relu': () => [L.flatten({ inputShape: img }), L.dense({ units: 6, activation: 'relu' })],
  'conv stride 1 same': () => [L.conv2d({ inputShape: img, filters: 3, kernelSize: 3, padding: 'same' }), L.flatten()],
  'conv stride 2 valid': () => [L.conv2d({ inputShape: img, filters: 3, kernelSize: 3, strides: 2 }), L.flatten()],
  'depthwise stride 1': () => [L.depthwiseConv2d({ inputShape: img, kernelSize: 3, padding: 'same' }), L.flatten()],
  'depthwise stride 2': () => [L.depthwiseConv2d({ inputShape: img, kernelSize: 3, strides: 2, padding: 'same' }), L.flatten()],
  'max pool': () => [L.conv2d({ inputShape: img, filters: 3, kernelSize: 1 }), L.maxPooling2d({ poolSize: 2 }), L.flatten()],
  'average pool': () => [L.conv2d({ inputShape: img, filters: 3, kernelSize: 1 }), L.averagePooling2d({ poolSize: 2 }), L.flatten()],
  'global average pool': () => [L.conv2d({ inputShape: img, filters: 3, kernelSize: 1 }), L.globalAveragePooling2d({})],
  'batch norm (training)': () => [L.conv2d({ inputShape: img, filters: 3, kernelSize: 1 }), L.batchNormalization(), L.flatten()],
  'relu6, sigmoid, dropout': () => [L.flatten({ inputShape: img }), L.dense({ units: 6 }), L.reLU({ maxValue: 6 }),
    L.dense({ units: 6, activation: 'sigmoid' }), L.dropout({ rate: 0.5 })],
};

describe('every block trains on wasm (forward + backward, no missing kernel)', () => {
  for (const [name, make] of Object.entries(blocks)) {
    test(name, () => {
      const model = tfl.sequential({ layers: [...make(), L.dense({ units: 3 })] });
      const rng = new Rng(2);
      tf.tidy(() => {
        const x = tf.tensor(randn(rng, 4 * 128), [4, ...img]);
        const y = tf.oneHot(tf.tensor1d([0, 1, 2, 0], 'int32'), 3);
        const { grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar);
        assert.equal(Object.keys(grads).length, model.trainableWeights.length);
        for (const g of Object.values(grads)) {
          const v = g.dataSync();
          assert.ok(v.every(Number.isFinite));
          assert.ok(v.some((e) => e !== 0), 'a gradient that is all zero');
        }
      });
      model.dispose();
    });
  }

  test('the same blocks give the cpu backend\'s gradients (same weights, same batch)', async () => {
    for (const [name, make] of Object.entries(blocks)) {
      if (name.includes('dropout')) continue; // random masks differ between backends
      let weights: Float32Array[] | undefined;
      const run = async (backend: 'cpu' | 'wasm'): Promise<Float32Array[]> => {
        await tf.setBackend(backend);
        const model = tfl.sequential({ layers: [...make(), L.dense({ units: 3 })] });
        if (weights) model.setWeights(model.getWeights().map((w, i) => tf.tensor(weights![i]!, w.shape)));
        else weights = model.getWeights().map((w) => w.dataSync() as Float32Array);
        const rng = new Rng(6);
        const out = tf.tidy(() => {
          const x = tf.tensor(randn(rng, 4 * 128), [4, ...img]);
          const y = tf.oneHot(tf.tensor1d([0, 1, 2, 0], 'int32'), 3);
          const { value, grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar);
          return [value, ...model.trainableWeights.map((w) => grads[w.originalName]!)].map((t) => t.dataSync() as Float32Array);
        });
        model.dispose();
        return out;
      };
      const ref = await run('cpu');
      const got = await run('wasm');
      for (let k = 0; k < ref.length; k++) {
        for (let i = 0; i < ref[k]!.length; i++) {
          const e = Math.abs(ref[k]![i]! - got[k]![i]!) / Math.max(1, Math.abs(ref[k]![i]!));
          assert.ok(e < 1e-4, `${name}: output ${k}[${i}] cpu ${ref[k]![i]} wasm ${got[k]![i]}`);
        }
      }
    }
  });

  test('hard-swish and squeeze-excite style broadcasting multiply', () => {
    const rng = new Rng(4);
    tf.tidy(() => {
      const x = tf.tensor(randn(rng, 2 * 4 * 4 * 3), [2, 4, 4, 3]);
      const s = tf.tensor(randn(rng, 6), [2, 1, 1, 3]);
      const hswish = (t: tf.Tensor) => tf.mul(t, tf.div(tf.relu6(tf.add(t, 3)), 6));
      const [gx, gs] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(hswish(a), tf.sigmoid(b))))([x, s]);
      assert.deepEqual(gs!.shape, [2, 1, 1, 3]);
      // d/dx hswish(x) at x = 0 is 0.5; check a point against the closed form.
      const xv = x.dataSync()[0]!;
      const sv = 1 / (1 + Math.exp(-s.dataSync()[0]!));
      const dh = xv <= -3 ? 0 : xv >= 3 ? 1 : (2 * xv + 3) / 6;
      assert.ok(Math.abs(gx!.dataSync()[0]! - dh * sv) < 1e-5);
    });
  });
});
