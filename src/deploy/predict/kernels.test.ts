import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initEngine } from '../../engine/index.ts';
import { buildResolved, costOfResolved, resolveSpec, type ResolvedModelSpec } from '../../models/index.ts';
import { openOnnx } from '../../runtime/index.ts';
import { decodeOnnx, exportOnnx } from '../../onnx/index.ts';
import { fitKernelModel, fitNonNegative, kernelFeatureNames, kernelFeatures, kernelsOf, predictKernelMs, whereWorst } from '../../models/latency/index.ts';
import { randomMlpSpecs, randomSpecs } from './sources.ts';
import { asLoaded } from './profile.ts';
import { summarizeErrors } from './compare.ts';
import { Rng } from '../../core/rng.ts';

// Layout and no-op kernels each runtime adds that carry no work of their own.
const ORT_LAYOUT = new Set(['ReorderInput', 'ReorderOutput', 'Flatten', 'Reshape']);
const TFJS_NOOP = new Set(['Reshape', 'Identity', 'Slice', 'Cast']);

test('the kernels we predict from are the ones each runtime reports it runs (onnxruntime\'s optimised graph, tf.profile)', async () => {
  await initEngine({ backend: 'wasm', threads: 1 });
  const dir = mkdtempSync(join(tmpdir(), 'distillery-kernels-'));
  const specs = [...randomSpecs(8, 9), ...randomSpecs(8, 19), ...randomMlpSpecs(6, 9)];
  for (const [i, spec] of specs.entries()) {
    const m = buildResolved(spec, 1);
    try {
      const path = join(dir, `m${i}.onnx`);
      const s = await openOnnx(`m${i}`, { bytes: await exportOnnx(m), threads: 1, optimizedModelPath: path });
      await s.release();
      const ort = decodeOnnx(new Uint8Array(readFileSync(path))).graph!.node!.map((n) => n.opType!).filter((o) => !ORT_LAYOUT.has(o));
      const ours = kernelsOf(spec, 'onnx').filter((k) => k.op !== 'reshape');
      const what = spec.blocks.map((b) => b.type).join(' ');
      assert.equal(ours.length, ort.length, `onnx, ${what}: ours ${ours.map((k) => k.op).join(',')} vs ${ort.join(',')}`);
      // the heavy kernels line up one to one: conv/dwconv ↔ Conv/FusedConv, matmul ↔ Gemm/FusedGemm
      assert.equal(ours.filter((k) => k.op === 'conv' || k.op === 'dwconv').length, ort.filter((o) => /Conv$/.test(o)).length - ours.filter((k) => k.op === 'bn').length + ort.filter((o) => o === 'BatchNormalization').length, what);
      assert.equal(ours.filter((k) => k.op === 'matmul').length, ort.filter((o) => /Gemm$/.test(o)).length, what);
      // TF.js: the model as loaded from its saved files, as bench and profile-device run it
      const loaded = await asLoaded(m);
      const x = tf.zeros([1, ...spec.input]);
      const prof = await tf.profile(() => {
        const y = loaded.predict(x) as tf.Tensor;
        y.dataSync();
        y.dispose();
      });
      x.dispose();
      loaded.dispose();
      const tfk = prof.kernels.map((k) => k.name).filter((k) => !TFJS_NOOP.has(k) && !k.endsWith('__op'));
      const tfours = kernelsOf(spec, 'tfjs-wasm').filter((k) => k.op !== 'reshape');
      assert.equal(tfours.length, tfk.length, `tfjs, ${what}: ours ${tfours.map((k) => k.op).join(',')} vs ${tfk.join(',')}`);
      assert.equal(tfours.filter((k) => k.op === 'bn').length, tfk.filter((k) => k === 'FusedBatchNorm').length, what);
    } finally {
      m.dispose();
    }
  }
});

test('fusions: BN folded and relu fused on onnx; on TF.js BN and hswish are kernels of their own', () => {
  const spec: ResolvedModelSpec = { input: [8, 8, 1], blocks: [
    { type: 'conv2d', filters: 4, kernel: 3, stride: 1, padding: 'same', activation: 'relu', batchNorm: true, bias: false },
    { type: 'conv2d', filters: 4, kernel: 3, stride: 1, padding: 'same', activation: 'hswish', batchNorm: false, bias: true },
    { type: 'flatten' },
    { type: 'dense', units: 10, activation: 'linear', bias: true },
  ] } as ResolvedModelSpec;
  assert.deepEqual(kernelsOf(spec, 'onnx').map((k) => k.op), ['conv', 'conv', 'reshape', 'matmul']);
  assert.deepEqual(kernelsOf(spec, 'tfjs-wasm').map((k) => k.op), ['conv', 'bn', 'act', 'conv', 'act', 'act', 'act', 'act', 'act', 'reshape', 'matmul']);
  // the MACs of the kernels are the model's MACs
  for (const rt of ['onnx', 'tfjs-wasm'] as const) assert.equal(kernelsOf(spec, rt).reduce((s, k) => s + k.macs, 0), costOfResolved(spec).macs);
  for (const s of [...randomSpecs(10, 4), ...randomMlpSpecs(5, 4)]) {
    const macs = costOfResolved(s).macs;
    const ours = kernelsOf(s, 'onnx').reduce((a, k) => a + k.macs, 0);
    assert.ok(Math.abs(ours - macs) <= 0.02 * macs, `${ours} vs ${macs}`);
  }
});

test('fused activations and what follows them: marked per runtime, and counted apart in the features', () => {
  const spec = resolveSpec({ input: [8, 8, 1], blocks: [
    { type: 'conv2d', filters: 4, kernel: 3, activation: 'relu' },
    { type: 'batchnorm' },
    { type: 'maxpool' },
    { type: 'conv2d', filters: 4, kernel: 3, activation: 'swish' },
    { type: 'maxpool' },
    { type: 'flatten' },
  ] }, { numClasses: 10 });
  const onnx = kernelsOf(spec, 'onnx');
  // relu runs inside the conv; the BN after it cannot fold and reads an activation's output;
  // swish is a QuickGelu of its own (an exponential), and the pool after it reads its output
  assert.deepEqual(onnx.map((k) => `${k.op}${k.fused ? `+${k.fused}` : ''}${k.heavy ? '!' : ''}${k.afterAct ? '^' : ''}`), ['conv+relu', 'bn^', 'pool', 'conv', 'act!', 'pool^', 'reshape', 'matmul']);
  const tfjs = kernelsOf(spec, 'tfjs-wasm');
  // TF.js: relu inside FusedConv2D too; swish is Multiply, Sigmoid, Multiply
  assert.deepEqual(tfjs.map((k) => `${k.op}${k.fused ? `+${k.fused}` : ''}${k.heavy ? '!' : ''}${k.afterAct ? '^' : ''}`), ['conv+relu', 'bn^', 'pool', 'conv', 'act', 'act!', 'act', 'pool^', 'reshape', 'matmul']);
  const names = kernelFeatureNames();
  const f = Object.fromEntries(kernelFeatures(spec, 'onnx').map((v, i) => [names[i]!, v]));
  assert.equal(f['fused.elems'], 8 * 8 * 4, 'the relu conv\'s output');
  assert.equal(f['fused.heavyElems'], 0);
  assert.equal(f['bn.count'], 0);
  assert.equal(f['bn.afterAct.count'], 1);
  assert.equal(f['pool.count'], 1);
  assert.equal(f['pool.afterAct.count'], 1);
  assert.equal(f['act.count'], 0);
  assert.equal(f['act.heavy.count'], 1);
  // an MLP's sigmoid dense: fused into the Gemm on onnx (an exponential inside it)
  const mlp = resolveSpec({ input: [16], blocks: [{ type: 'flatten' }, { type: 'dense', units: 32, activation: 'sigmoid' }, { type: 'dense', units: 10 }] }, { numClasses: 10 });
  const g = Object.fromEntries(kernelFeatures(mlp, 'onnx').map((v, i) => [names[i]!, v]));
  assert.equal(g['fused.heavyElems'], 32);
});

test('fitNonNegative recovers a non-negative linear cost exactly and never returns a negative one', () => {
  const w = fitNonNegative([[1, 2], [1, 4], [1, 8]], [3, 5, 9]);
  assert.ok(Math.abs(w[0]! - 1) < 1e-3 && Math.abs(w[1]! - 1) < 1e-3, JSON.stringify(w));
  // y falls with x: the slope is clamped at 0 and the constant takes the rest
  const c = fitNonNegative([[1, 1], [1, 2], [1, 3]], [3, 2, 1]);
  assert.equal(c[1], 0);
  assert.ok(c[0]! > 1 && c[0]! < 3, JSON.stringify(c));
  // signed (bench:predictor's experiment): the falling line is fitted as it is, 4 - x
  const s = fitNonNegative([[1, 1], [1, 2], [1, 3]], [3, 2, 1], 1e-9, true);
  assert.ok(Math.abs(s[0]! - 4) < 1e-3 && Math.abs(s[1]! + 1) < 1e-3, JSON.stringify(s));
});

/**
 * Synthetic timings from a known kernel cost model (a fixed cost, per-kind dispatch, per-MAC
 * and per-element costs of the order this machine shows) with 3% multiplicative noise: the fit
 * must recover the latency of held-out models from both spaces, where latency ∝ MACs cannot
 * (small models are dominated by dispatch). Deterministic: no clock involved.
 */
test('the kernel model fitted on synthetic timings predicts held-out models within the noise, and beats MACs-proportional', () => {
  const names = kernelFeatureNames();
  const truth = names.map((n) => (n === 'fixed' ? 0.02 : n.endsWith('.count') ? 0.004 + 0.002 * (n.length % 3) : n.endsWith('.macs') ? (n.startsWith('dwconv') ? 3e-8 : 1e-8) : n.endsWith('.elems') ? 2e-7 : 1e-7));
  const rng = new Rng(5);
  const timed = (spec: ResolvedModelSpec): number => kernelFeatures(spec, 'onnx').reduce((a, v, i) => a + v * truth[i]!, 0) * (1 + 0.03 * (2 * rng.next() - 1));
  const train = [...randomSpecs(60, 1), ...randomMlpSpecs(40, 2)];
  const held = [...randomSpecs(40, 3), ...randomMlpSpecs(30, 4)];
  const trainMs = train.map(timed);
  const km = fitKernelModel(train, trainMs, 'onnx');
  assert.ok(km.coef.every((c) => c >= 0));
  const meas = held.map(timed);
  const pred = summarizeErrors(held.map((s, i) => ({ errorPct: (100 * (predictKernelMs(s, km) - meas[i]!)) / meas[i]! })));
  const macs = held.map((s) => costOfResolved(s).macs);
  const [a, b] = fitNonNegative(train.map((s) => [1, costOfResolved(s).macs]), trainMs);
  const base = summarizeErrors(held.map((_, i) => ({ errorPct: (100 * (a! + b! * macs[i]! - meas[i]!)) / meas[i]! })));
  // measured when written: predictor |error| median 1.6%, p90 3.1%, 100% within ±10%; MACs-proportional median 23%
  assert.ok(pred.within10 >= 0.97, JSON.stringify(pred));
  assert.ok(pred.medianAbsPct < 3, JSON.stringify(pred));
  assert.ok(base.medianAbsPct > 5 * pred.medianAbsPct, `MACs baseline ${JSON.stringify(base)} vs ${JSON.stringify(pred)}`);
  // the fixed cost of one inference comes out near the truth
  assert.ok(Math.abs(km.coef[0]! - 0.02) < 0.005, `fixed ${km.coef[0]} (0.018 when written)`);
});

test('adaptive sampling picks the unmeasured models nearest to the worst-fitted ones', () => {
  const pool = [...randomMlpSpecs(10, 8), ...randomSpecs(10, 8)];
  // the badly fitted model is the conv net with the most depthwise convs; the well fitted one an MLP
  const convNet = randomSpecs(20, 9).sort((a, b) => kernelsOf(b, 'onnx').filter((k) => k.op === 'dwconv').length - kernelsOf(a, 'onnx').filter((k) => k.op === 'dwconv').length)[0]!;
  const picks = whereWorst(pool, [randomMlpSpecs(1, 9)[0]!, convNet], [1, 50], 4, 'onnx');
  assert.equal(picks.length, 4);
  assert.equal(new Set(picks).size, 4);
  for (const i of picks) assert.ok(kernelsOf(pool[i]!, 'onnx').some((k) => k.op === 'dwconv'), JSON.stringify(pool[i]!.blocks.map((b) => b.type)));
  // with the MLP the badly fitted one, MLPs are picked
  for (const i of whereWorst(pool, [randomMlpSpecs(1, 9)[0]!, convNet], [50, 1], 3, 'onnx')) assert.ok(pool[i]!.blocks.every((b) => b.type !== 'conv2d' && b.type !== 'mbconv'));
});
