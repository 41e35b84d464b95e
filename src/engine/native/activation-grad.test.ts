import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { disposeEngine, initEngine } from '../index.ts';
import { loadNativeAddon } from './addon.ts';
import { nativeSkip } from './testing.ts';
import { nativeVsCpu, randomInputs, spyOn } from './compare.ts';
import type { HostInputs } from './compare.ts';

const addon = loadNativeAddon();
const skip = nativeSkip();

before(async () => { if (addon) await initEngine({ backend: 'native', threads: 2 }); });
after(async () => { if (addon) await disposeEngine(); });

/** Inputs spread over [-9, 9] with the clipping edges (0, 6, the clip bounds) hit exactly. */
function edgy(seed: number, shape: number[]): HostInputs {
  const [x, dy] = randomInputs(seed, [shape, shape], 4);
  const edges = [0, 6, -1.5, 2.5, -0, 6.000001, -1e-7];
  for (let i = 0; i < edges.length; i++) x!.values[i * 3] = edges[i]!;
  return [x!, dy!];
}

describe('native activation gradients match cpu', { skip }, () => {
  test('clipByValue, relu and relu6: dx for odd and large shapes, exact at the edges', async () => {
    for (const shape of [[3, 5, 7], [128, 9, 9, 24]]) {
      const spy = spyOn(addon!, ['actGrad']);
      const err = await nativeVsCpu(edgy(shape.length, shape), (x, dy) => [
        tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.clipByValue(a, -1.5, 2.5), dy!)))(x!),
        tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.relu(a), dy!)))(x!),
        tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.relu6(a), dy!)))(x!),
        // tfjs-layers' ReLU(maxValue 6): clip over relu, both gradients chained
        tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.clipByValue(tf.relu(a), 0, 6), dy!)))(x!),
      ]);
      spy.restore();
      assert.equal(err, 0, `shape ${shape}: worst relative error ${err}`);
      assert.equal(spy.calls['actGrad'], 5, 'each gradient ran natively');
    }
  });

  test('minimum / maximum against a scalar bound (tfjs-layers relu6 is minimum(6, relu(x))): both operand orders', async () => {
    const spy = spyOn(addon!, ['actGrad']);
    const err = await nativeVsCpu(edgy(7, [5, 9, 13]), (x, dy) => {
      const six = tf.scalar(6);
      const lo = tf.scalar(-1.5);
      return [
        tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.minimum(six, tf.relu(a)), dy!)))(x!),
        tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.minimum(a, six), dy!)))(x!),
        tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.maximum(lo, a), dy!)))(x!),
        tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.maximum(a, lo), dy!)))(x!),
        // tensor-tensor cases keep TF.js's formula (and the bound's own gradient: TF.js's fails
        // its shape check there, on every backend)
        ...tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.maximum(a, b)))([x!, dy!]),
      ];
    });
    spy.restore();
    assert.equal(err, 0, `worst relative error ${err}`);
    assert.equal(spy.calls['actGrad'], 5, 'relu, and the four tensor operands against a bound');
  });

  test('NaN inputs: relu and relu6 pass NaN on (Step), clipByValue gives 0, as TF.js does', async () => {
    const x = { values: new Float32Array([NaN, 1, -1, 7]), shape: [4] };
    const got = await nativeVsCpu([x], (a) => [
      tf.grad((t: tf.Tensor) => tf.sum(tf.relu(t)))(a!),
      tf.grad((t: tf.Tensor) => tf.sum(tf.relu6(t)))(a!),
      tf.grad((t: tf.Tensor) => tf.sum(tf.clipByValue(t, -2, 2)))(a!),
    ]);
    assert.equal(got, 0);
    const native = tf.tidy(() => tf.grad((t: tf.Tensor) => tf.sum(tf.clipByValue(t, -2, 2)))(tf.tensor(x.values)).dataSync());
    assert.deepEqual([...native], [0, 1, 1, 0]);
  });

  test('other backends keep TF.js gradient (the override is only taken on native)', async () => {
    await tf.setBackend('cpu');
    const spy = spyOn(addon!, ['actGrad']);
    const g = tf.tidy(() => tf.grad((t: tf.Tensor) => tf.sum(tf.clipByValue(t, 0, 1)))(tf.tensor([-1, 0.5, 2])).dataSync());
    spy.restore();
    await tf.setBackend('native');
    assert.deepEqual([...g], [0, 1, 0]);
    assert.equal(spy.calls['actGrad'], 0);
  });
});
