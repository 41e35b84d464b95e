import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { initEngine } from '../engine/index.ts';
import { buildModel, type ModelSpec } from '../models/index.ts';
import { speechBatch } from '../models/testing.ts';
import { openOnnx } from '../runtime/index.ts';
import { decodeOnnx, exportOnnx } from './index.ts';
import { onnxChecker } from './testing.ts';

before(async () => {
  await initEngine({ backend: 'wasm', threads: 1 });
});

// Raw audio in, logits out: the front-end block exported as ONNX ops, against TF.js. Two
// geometries: the default (window 1.5 hops: two rows per frame, the signal cut to whole hops)
// and an MFCC front-end whose window is 2.5 hops and whose frames run past a clip that is not a
// whole number of hops (the zero-padded path).
const specs: Record<string, { spec: ModelSpec; samples: number }> = {
  'logmel 40 (defaults) + batchnorm + conv + sepconv': {
    samples: 16000,
    spec: { blocks: [{ type: 'logmel' }, { type: 'batchnorm' }, { type: 'conv2d', filters: 8, stride: 2, batchNorm: true }, { type: 'sepconv', filters: 8 }, { type: 'globalavgpool' }] },
  },
  'mfcc 10 of 20, htk, window 2.5 hops, ragged clip': {
    samples: 3950,
    spec: { blocks: [{ type: 'mfcc', coefficients: 10, melBins: 20, windowLength: 400, hopLength: 160, melScale: 'htk', melNorm: 'none', sampleRate: 8000, fmax: 3800 }, { type: 'conv2d', filters: 4, kernel: 3 }, { type: 'maxpool' }, { type: 'flatten' }] },
  },
};

for (const [name, { spec, samples }] of Object.entries(specs)) {
  test(`speech export (${name}): raw audio [batch, samples] in, onnx.checker, parity with TF.js <= 1e-4`, async (t) => {
    const model = buildModel(spec, { inputShape: [samples], numClasses: 4, seed: 3 });
    model.setWeights(model.getWeights().map((w, i) => tf.tidy(() => tf.add(w, tf.randomNormal(w.shape, 0, 0.2, 'float32', i + 1)))));
    const n = 6;
    const waves = speechBatch(n, samples, 5);
    const want = tf.tidy(() => (model.predict(tf.tensor2d(waves, [n, samples])) as tf.Tensor).dataSync() as Float32Array);
    const bytes = await exportOnnx(model);
    model.dispose();
    const m = decodeOnnx(bytes);
    const input = m.graph!.input![0]!;
    assert.equal(input.type!.tensorType!.elemType, 1, 'input is float32');
    assert.deepEqual(input.type!.tensorType!.shape!.dim!.slice(1).map((d) => Number(d.dimValue)), [samples], 'input is [batch, samples]');
    const ops = new Set(m.graph!.node!.map((x) => x.opType));
    for (const op of ['Slice', 'MatMul', 'ReduceSum', 'Log', 'Conv']) assert.ok(ops.has(op), `${op} in ${[...ops].join(' ')}`);
    assert.ok(!ops.has('DFT') && !ops.has('STFT'));
    // the DFT basis and mel filters are built in the graph, not stored: the file stays small
    assert.ok(bytes.length < 30_000, `${bytes.length} bytes`);
    const check = onnxChecker(bytes, 'speech.onnx');
    if ('skip' in check) t.diagnostic(check.skip);
    else assert.ok(check.ok, 'error' in check ? check.error : '');
    const s = await openOnnx('speech.onnx', { bytes, threads: 1 });
    const out = await s.run({ input: { data: waves, dims: [n, samples] } });
    await s.release();
    const got = out['logits']!.data;
    assert.equal(got.length, want.length);
    let diff = 0;
    for (let i = 0; i < got.length; i++) diff = Math.max(diff, Math.abs(got[i]! - want[i]!));
    t.diagnostic(`max |onnx - tfjs| = ${diff.toExponential(2)}`);
    assert.ok(diff <= 1e-4, `max |onnx - tfjs| = ${diff}`);
    assert.ok(Math.max(...Array.from(want).map(Math.abs)) > 0.05, 'logits are not all near zero');
  });
}
