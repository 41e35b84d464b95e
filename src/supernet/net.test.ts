import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { Rng } from '../core/rng.ts';
import type { Dataset } from '../data/index.ts';
import { modelCost } from '../models/index.ts';
import { extractSubnet } from './extract.ts';
import { Supernet } from './net.ts';
import { imageBatch, recalibrate, subnetLogits } from './score.ts';
import { largestArch, randomArch, smallestArch, subnetSpec } from './space.ts';
import { sandwichStep } from './train.ts';
import { TINY_SPACE } from './fixtures.test-util.ts';

await tf.setBackend('cpu');

const SHAPE = [12, 12, 1];

function randomData(n: number, seed: number): Dataset {
  const rng = new Rng(seed);
  const x = new Float32Array(n * 144).map(() => rng.next());
  const y = new Int32Array(n).map(() => rng.int(0, 9));
  return { x, y, shape: SHAPE, numClasses: 10, classNames: Array.from({ length: 10 }, (_, i) => String(i)) };
}

/** A supernet whose every weight is random, kernel transforms and BN scales included (not the identity / ones of a fresh one). */
function scrambled(seed: number): Supernet {
  const net = new Supernet(TINY_SPACE, SHAPE, 10, seed);
  const rng = new Rng(seed + 1);
  net.write(net.weights.map((w) => new Float32Array(w.variable.size).map(() => (w.name.endsWith('_gamma') ? 0.5 + rng.next() : rng.normal() * (w.name.includes('_t') ? 0.3 : 0.4)))));
  return net;
}

test('an extracted subnet computes what it computes inside the supernet (<= 1e-5), with the params its spec says', () => {
  const net = scrambled(5);
  const data = randomData(96, 2);
  const rng = new Rng(9);
  const before = tf.memory().numTensors;
  try {
    for (const arch of [largestArch(TINY_SPACE), smallestArch(TINY_SPACE), randomArch(TINY_SPACE, rng), randomArch(TINY_SPACE, rng)]) {
      const stats = recalibrate(net, arch, data, { samples: 64, batchSize: 32 });
      const inside = subnetLogits(net, arch, stats, data);
      const model = extractSubnet(net, arch, stats);
      const x = imageBatch(data, 0, 96);
      const out = model.predict(x) as tf.Tensor;
      const got = out.dataSync();
      let max = 0;
      for (let i = 0; i < got.length; i++) max = Math.max(max, Math.abs(got[i]! - inside[i]!));
      assert.ok(max <= 1e-5, `max |extracted - inside| = ${max}`);
      assert.ok(Math.max(...inside.map(Math.abs)) > 0.1, 'the logits are not all ~0');
      assert.equal(model.countParams(), modelCost(subnetSpec(TINY_SPACE, arch), SHAPE, 10).params);
      x.dispose();
      out.dispose();
      model.dispose();
    }
    assert.equal(tf.memory().numTensors, before, 'no tensor leaks out of recalibration, scoring and extraction');
  } finally {
    net.dispose();
  }
});

test('a smaller kernel is the transformed centre of the larger one, and kernel-3 subnets train the 5->3 transform', () => {
  const net = scrambled(7);
  try {
    const b = net.blocks.find((g) => g.name === 's1b0')!;
    // 7 -> 5 -> 3: the 3x3 kernel passes two transforms, so it differs from the plain centre crop
    const k3 = net.depthwiseKernel(b, 3, 8);
    const crop = tf.slice(net.get('s1b0_dw'), [2, 2, 0, 0], [3, 3, 8, 1]);
    assert.ok(tf.max(tf.abs(tf.sub(k3, crop))).dataSync()[0]! > 0.01);
    tf.dispose([k3, crop]);
    const data = randomData(16, 3);
    const order = Int32Array.from({ length: 16 }, (_, i) => i);
    const vars = net.variables;
    const onlyLargest = sandwichStep(net, vars, data, order, 0, 16, largestArch(TINY_SPACE), [], 1, undefined, undefined);
    const withSmallest = sandwichStep(net, vars, data, order, 0, 16, largestArch(TINY_SPACE), [smallestArch(TINY_SPACE)], 1, undefined, undefined);
    const t3 = net.get('s1b0_dw_t3').name;
    assert.equal(onlyLargest.grads[t3], undefined, 'the largest subnet (kernel 7) does not use the 5->3 transform');
    assert.ok(withSmallest.grads[t3] && tf.max(tf.abs(withSmallest.grads[t3]!)).dataSync()[0]! > 0, 'the smallest one does');
    assert.ok(withSmallest.distill > 0 && Number.isFinite(withSmallest.loss));
    tf.dispose([...Object.values(onlyLargest.grads), ...Object.values(withSmallest.grads)]);
  } finally {
    net.dispose();
  }
});

test('recalibration gives each BN layer the population statistics of its input, whatever the batch size', () => {
  const net = scrambled(11);
  const data = randomData(60, 4);
  try {
    const arch = randomArch(TINY_SPACE, new Rng(1));
    const a = recalibrate(net, arch, data, { samples: 60, batchSize: 60 });
    const b = recalibrate(net, arch, data, { samples: 60, batchSize: 20 });
    // the stem's BN sees conv(x) directly: its statistics are the moments of that over all 60 samples
    const { mean, variance } = tf.tidy(() => tf.moments(tf.conv2d(imageBatch(data, 0, 60), net.get('stem_conv') as tf.Tensor4D, 2, 'same'), [0, 1, 2]));
    const close = (x: Float32Array, y: Float32Array | Float32Array<ArrayBufferLike>) => x.every((v, i) => Math.abs(v - y[i]!) <= 1e-4 * (1 + Math.abs(v)));
    assert.ok(close(a.get('stem_bn')!.mean, mean.dataSync() as Float32Array), 'stem mean');
    assert.ok(close(a.get('stem_bn')!.variance, variance.dataSync() as Float32Array), 'stem variance');
    assert.ok(close(b.get('stem_bn')!.variance, variance.dataSync() as Float32Array), 'stem variance from three batches of 20');
    tf.dispose([mean, variance]);
    // every BN layer the subnet uses has statistics of its width, and no other layer has any
    const used = 1 + 3 * (arch.depth[0]! + arch.depth[1]!); // the stem, then expand, depthwise and project per block
    assert.equal(a.size, used);
    assert.equal(a.get('s0b0_expand_bn')!.mean.length, 4 * arch.expansion[0]![0]!);
  } finally {
    net.dispose();
  }
});
