import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { disposeEngine, initEngine } from '../index.ts';
import { loadNativeAddon } from './addon.ts';
import { nativeSkip } from './testing.ts';
import { recyclerStats } from './memory.ts';

const addon = loadNativeAddon();
const skip = nativeSkip();

before(async () => { if (addon) await initEngine({ backend: 'native', threads: 2 }); });
after(async () => { if (addon) await disposeEngine(); });

const N = 4096;
const ramp = (k: number): tf.Tensor => tf.tensor1d(Float32Array.from({ length: N }, (_, i) => i * k));

describe('native output memory is recycled, never shared', { skip }, () => {
  test('a disposed output is reused by the next output of its length', () => {
    const a = ramp(1);
    const y1 = tf.relu(a);
    const before = recyclerStats();
    y1.dispose();
    const y2 = tf.neg(a);
    const stats = recyclerStats();
    assert.equal(stats.released - before.released, 1);
    assert.equal(stats.reused - before.reused, 1);
    assert.equal(y2.dataSync()[5], -5);
    tf.dispose([a, y2]);
  });

  test('dataSync hands out a copy: writing to it changes nothing, and a recycled array cannot change it', () => {
    const a = ramp(2);
    const y = tf.relu(a);
    const read = y.dataSync() as Float32Array;
    read[3] = -1;
    assert.equal(y.dataSync()[3], 6);
    y.dispose();
    const z = tf.neg(a); // takes y's array
    assert.equal(read[4], 8, 'the copy read earlier stays as it was');
    assert.equal(z.dataSync()[4], -8);
    tf.dispose([a, z]);
  });

  test('an array shared by a reshape returns only when the last reference goes', () => {
    const a = ramp(3);
    const y = tf.relu(a);
    const r = tf.reshape(y, [64, 64]);
    y.dispose();
    const before = recyclerStats();
    const z = tf.neg(a); // must not take the array r still shows
    assert.equal(recyclerStats().reused, before.reused);
    assert.equal(r.dataSync()[7], 21);
    r.dispose();
    assert.equal(recyclerStats().released - before.released, 1);
    tf.dispose([a, z]);
  });

  test('a training loop: same values every step, no tensor leaks, outputs served from the free list', () => {
    const w = tf.variable(tf.randomNormal([64, 128], 0, 0.1, 'float32', 1));
    const x = tf.randomNormal([256, 64], 0, 1, 'float32', 2);
    const losses: number[] = [];
    let tensors = 0;
    const start = recyclerStats();
    for (let step = 0; step < 6; step++) {
      const loss = tf.tidy(() => {
        const { value, grads } = tf.variableGrads(() => tf.mean(tf.square(tf.clipByValue(tf.relu(tf.matMul(x, w)), 0, 6))) as tf.Scalar, [w]);
        return tf.keep(tf.add(value, tf.mul(tf.sum(grads[w.name]!), 0)));
      });
      losses.push(loss.dataSync()[0]!);
      loss.dispose();
      if (step === 1) tensors = tf.memory().numTensors;
    }
    assert.equal(tf.memory().numTensors, tensors, 'no tensors leak');
    assert.ok(losses.every((l) => l === losses[0]), `w does not change, so neither does the loss: ${losses}`);
    const s = recyclerStats();
    assert.ok(s.reused - start.reused >= 5 * 4, `outputs reused: ${s.reused - start.reused}`);
    tf.dispose([w, x]);
  });
});
