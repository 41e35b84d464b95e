import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { disposeEngine, initEngine } from '../index.ts';
import { loadNativeAddon } from './addon.ts';
import { nativeSkip } from './testing.ts';
import { convImplementation } from './conv.ts';
import { nativeVsCpu, randomInputs, runOn, spyOn } from './compare.ts';

const addon = loadNativeAddon();
const skip = nativeSkip();

type Shape4 = [number, number, number, number];
type Pad = 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]];
type Pair = number | [number, number];

/** Sums of up to ~300 products in float32: oneDNN's summation order differs from the JS loops. */
const TOL = 2e-4;

before(async () => { if (addon) await initEngine({ backend: 'native', threads: 2 }); });
after(async () => { if (addon) await disposeEngine(); });

/** [y, dL/dx, dL/dw] for L = sum(op(x, w) * g): a random g weights every output position. */
function valueAndGrads(op: (x: tf.Tensor4D, w: tf.Tensor4D) => tf.Tensor4D) {
  return (x: tf.Tensor, w: tf.Tensor, g: tf.Tensor): tf.Tensor[] => {
    const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(op(a as tf.Tensor4D, b as tf.Tensor4D), g)))([x, w]);
    return [op(x as tf.Tensor4D, w as tf.Tensor4D), dx!, dw!];
  };
}

function outShape(x: Shape4, w: Shape4, s: Pair, pad: Pad, depthwise: boolean, d: Pair = 1): number[] {
  return tf.backend_util.computeConv2DInfo(x, w, s, d, pad, undefined, depthwise).outShape;
}

describe('native conv2d matches cpu (values and both gradients)', { skip }, () => {
  const cases: { x: Shape4; w: Shape4; s: Pair; pad: Pad }[] = [
    { x: [2, 7, 9, 3], w: [3, 3, 3, 5], s: 1, pad: 'same' },
    { x: [2, 7, 9, 3], w: [3, 3, 3, 5], s: 2, pad: 'same' },
    { x: [2, 8, 8, 3], w: [2, 2, 3, 4], s: 2, pad: 'same' }, // even kernel: TF pads bottom/right only
    { x: [2, 9, 8, 3], w: [4, 3, 3, 4], s: 3, pad: 'valid' },
    { x: [1, 8, 6, 2], w: [2, 3, 2, 5], s: [2, 1], pad: 'same' },
    { x: [3, 5, 5, 4], w: [1, 1, 4, 6], s: 1, pad: 'valid' },
    { x: [1, 7, 7, 2], w: [3, 3, 2, 3], s: 1, pad: [[0, 0], [1, 2], [0, 1], [0, 0]] },
    { x: [4, 12, 12, 17], w: [3, 3, 17, 33], s: 1, pad: 'valid' },
  ];
  for (const c of cases) {
    test(`x ${c.x} w ${c.w} stride ${c.s} pad ${JSON.stringify(c.pad)}`, async () => {
      const inputs = randomInputs(11, [c.x, c.w, outShape(c.x, c.w, c.s, c.pad, false)]);
      const spy = spyOn(addon!, ['conv2d', 'conv2dBackwardData', 'conv2dBackwardFilter']);
      const err = await nativeVsCpu(inputs, valueAndGrads((x, w) => tf.conv2d(x, w, c.s, c.pad)));
      spy.restore();
      assert.ok(err < TOL, `worst relative error ${err}`);
      // the comparison means something only if the native kernels ran rather than the stock ones
      assert.ok(spy.calls['conv2d']! >= 1 && spy.calls['conv2dBackwardData']! >= 1 && spy.calls['conv2dBackwardFilter']! >= 1,
        JSON.stringify(spy.calls));
    });
  }

  test('dilated forward (TF.js has no gradient for it)', async () => {
    const inputs = randomInputs(3, [[2, 11, 10, 3], [3, 3, 3, 4]]);
    const err = await nativeVsCpu(inputs, (x, w) => [tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same', 'NHWC', 2)]);
    assert.ok(err < TOL, `worst relative error ${err}`);
  });

  test("dimRoundingMode 'ceil' with a numeric pad (one more output row than floor)", async () => {
    const inputs = randomInputs(4, [[1, 8, 8, 2], [3, 3, 2, 3]]);
    const err = await nativeVsCpu(inputs, (x, w) => [tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 2, 1, 'NHWC', 1, 'ceil')]);
    assert.ok(err < TOL, `worst relative error ${err}`);
  });
});

describe('native fused conv2d (bias + activation) matches cpu', { skip }, () => {
  for (const activation of ['linear', 'relu', 'relu6', 'elu'] as const) {
    test(`bias + ${activation}${activation === 'elu' ? ' (stock fallback)' : ''}`, async () => {
      const inputs = randomInputs(5, [[2, 9, 9, 4], [3, 3, 4, 6], [6]], 2);
      const err = await nativeVsCpu(inputs, (x, w, b) => [tf.fused.conv2d({ x: x as tf.Tensor4D, filter: w as tf.Tensor4D,
        strides: 1, pad: 'same', bias: b, activation })]);
      assert.ok(err < TOL, `worst relative error ${err}`);
    });
  }
  test('depthwise with bias + relu6, and a scalar bias', async () => {
    const inputs = randomInputs(6, [[2, 9, 9, 4], [3, 3, 4, 1], [4], [1]], 2);
    const err = await nativeVsCpu(inputs, (x, w, b, s) => [
      tf.fused.depthwiseConv2d({ x: x as tf.Tensor4D, filter: w as tf.Tensor4D, strides: 2, pad: 'same', bias: b, activation: 'relu6' }),
      tf.fused.conv2d({ x: x as tf.Tensor4D, filter: tf.reshape(w, [3, 3, 4, 1]) as tf.Tensor4D, strides: 1, pad: 'valid', bias: s }),
    ]);
    assert.ok(err < TOL, `worst relative error ${err}`);
  });
  test('gradients through a linear fused conv with bias (the path tfjs-layers trains)', async () => {
    const inputs = randomInputs(8, [[2, 6, 6, 3], [3, 3, 3, 4], [4], [2, 6, 6, 4]]);
    const err = await nativeVsCpu(inputs, (x, w, b, g) => tf.grads((a: tf.Tensor, k: tf.Tensor, c: tf.Tensor) =>
      tf.sum(tf.mul(tf.fused.conv2d({ x: a as tf.Tensor4D, filter: k as tf.Tensor4D, strides: 1, pad: 'same', bias: c }), g)))([x, w, b]));
    assert.ok(err < TOL, `worst relative error ${err}`);
  });
});

describe('native depthwise conv matches cpu (values and both gradients)', { skip }, () => {
  const cases: { x: Shape4; w: Shape4; s: Pair; pad: Pad }[] = [
    { x: [2, 7, 9, 6], w: [3, 3, 6, 1], s: 1, pad: 'same' },
    { x: [2, 8, 8, 5], w: [3, 3, 5, 1], s: 2, pad: 'same' },
    { x: [2, 7, 9, 4], w: [3, 3, 4, 2], s: 2, pad: 'valid' }, // channel multiplier 2
    { x: [1, 6, 7, 3], w: [2, 2, 3, 1], s: 2, pad: 'same' },
    { x: [3, 10, 10, 19], w: [5, 5, 19, 1], s: 1, pad: 'same' },
  ];
  for (const c of cases) {
    test(`x ${c.x} w ${c.w} stride ${c.s} pad ${c.pad}`, async () => {
      const inputs = randomInputs(21, [c.x, c.w, outShape(c.x, c.w, c.s, c.pad, true)]);
      const spy = spyOn(addon!, ['conv2d', 'conv2dBackwardData', 'conv2dBackwardFilter']);
      const err = await nativeVsCpu(inputs, valueAndGrads((x, w) => tf.depthwiseConv2d(x, w, c.s, c.pad as 'same' | 'valid')));
      spy.restore();
      assert.ok(err < TOL, `worst relative error ${err}`);
      assert.ok(spy.calls['conv2d']! >= 1 && spy.calls['conv2dBackwardData']! >= 1 && spy.calls['conv2dBackwardFilter']! >= 1,
        JSON.stringify(spy.calls));
    });
  }
  test('dilated depthwise: forward matches cpu, backprop kernels are its adjoints', async () => {
    // the stock backprop kernels ignore dilation (TF.js has no dilated gradient), so the check is
    // <dw(x, w), dy> = <x, backpropInput(dy, w)> = <w, backpropFilter(x, dy)>
    const x: Shape4 = [2, 9, 9, 3];
    const w: Shape4 = [3, 3, 3, 1];
    const inputs = randomInputs(22, [x, w, outShape(x, w, 1, 'same', true, 2)]);
    const err = await nativeVsCpu(inputs, (a, k) => [tf.depthwiseConv2d(a as tf.Tensor4D, k as tf.Tensor4D, 1, 'same', 'NHWC', 2)]);
    assert.ok(err < TOL, `worst relative error ${err}`);
    const attrs = { strides: 1, pad: 'same', dilations: 2 };
    const [a, b, c] = await runOn('native', inputs, (xs, k, dy) => {
      const dx = tf.engine().runKernel('DepthwiseConv2dNativeBackpropInput', { dy: dy!, filter: k! }, { ...attrs, inputShape: x }) as tf.Tensor;
      const dk = tf.engine().runKernel('DepthwiseConv2dNativeBackpropFilter', { x: xs!, dy: dy! }, { ...attrs, filterShape: w }) as tf.Tensor;
      return [tf.sum(tf.mul(tf.depthwiseConv2d(xs as tf.Tensor4D, k as tf.Tensor4D, 1, 'same', 'NHWC', 2), dy!)), tf.sum(tf.mul(xs!, dx)),
        tf.sum(tf.mul(k!, dk))];
    });
    const ref = a![0]!;
    assert.ok(Math.abs(b![0]! - ref) < 1e-4 * Math.abs(ref) + 1e-3, `${b![0]} vs ${ref}`);
    assert.ok(Math.abs(c![0]! - ref) < 1e-4 * Math.abs(ref) + 1e-3, `${c![0]} vs ${ref}`);
  });
});

describe('native conv plumbing', { skip }, () => {
  test('the addon refuses arrays that do not match the geometry instead of overrunning them', () => {
    const geo = Int32Array.of(1, 4, 4, 2, 3, 3, 3, 2, 2, 1, 1, 1, 1, 0, 0, 0, 0, 1, 0, 0);
    const conv = (addon as unknown as Record<string, (...a: unknown[]) => void>);
    assert.throws(() => conv['conv2d']!(new Float32Array(32), new Float32Array(54), new Float32Array(11), geo), /sizes do not match/);
    conv['conv2d']!(new Float32Array(32), new Float32Array(54), new Float32Array(12), geo); // the right sizes pass
    assert.throws(() => conv['maxPool']!(new Float32Array(31), new Float32Array(8), Int32Array.of(1, 4, 4, 2, 2, 2, 2, 2, 2, 2, 0, 0)),
      /sizes do not match/);
  });

  test('NCHW data runs the stock kernel and still matches', async () => {
    const inputs = randomInputs(9, [[2, 3, 7, 7], [3, 3, 3, 4]]);
    const spy = spyOn(addon!, ['conv2d']);
    const err = await nativeVsCpu(inputs, (x, w) => [tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same', 'NCHW')]);
    spy.restore();
    assert.ok(err < TOL, `worst relative error ${err}`);
    assert.equal(spy.calls['conv2d'], 0);
  });

  test('oneDNN serves the conv net shapes with its jit kernels, not a reference loop', () => {
    for (const kind of [0, 1, 2] as const) {
      const impl = convImplementation(addon!, [8, 26, 26, 32], [3, 3, 32, 64], 1, 'valid', kind);
      assert.match(impl, /jit|brg/, impl);
      assert.doesNotMatch(impl, /ref/, impl);
    }
  });

  test('no tensor leaks over training steps of a conv + depthwise model', async () => {
    await tf.setBackend('native');
    const [xv, wv, dv] = randomInputs(10, [[4, 8, 8, 3], [3, 3, 3, 8], [3, 3, 8, 1]]);
    const x = tf.tensor(xv!.values, xv!.shape);
    const w = tf.variable(tf.tensor(wv!.values, wv!.shape));
    const d = tf.variable(tf.tensor(dv!.values, dv!.shape));
    const opt = tf.train.sgd(0.01);
    const step = (): void => {
      const loss = opt.minimize(() => tf.mean(tf.square(tf.depthwiseConv2d(tf.relu(tf.conv2d(x as tf.Tensor4D,
        w as unknown as tf.Tensor4D, 1, 'same')), d as unknown as tf.Tensor4D, 2, 'same'))), false);
      loss?.dispose();
    };
    step();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) step();
    assert.equal(tf.memory().numTensors, before);
    tf.dispose([x, w, d]);
    opt.dispose();
  });
});
