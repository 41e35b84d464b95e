import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import type { Dataset } from '../../data/index.ts';
import { attentionSources, buildModel, loadModel, saveModel, type ModelSpec } from '../../models/index.ts';
import { textBatch } from '../../models/testing.ts';
import { featureView } from '../../train/index.ts';
import { distillHooks, transformerLayersOf } from '../job.ts';
import { loadTeacher } from '../teachers/index.ts';
import { attentionLoss } from './attention.ts';
import { createLoss } from './combine.ts';
import { HiddenTerm } from './hidden.ts';
import { expandLayerTerms, uniformLayerMap } from './layer-map.ts';

// TinyBERT's intermediate terms for text: hidden states through a projection, attention maps of
// mapped layers, and the uniform layer mapping. Values are held to plain-JS references written
// from the definitions, so a wrong mask, head grouping or mapping changes them.

await tf.setBackend('cpu');

test('uniform layer mapping: TinyBERT g(m) = floor(m N / M), and the expansion into pairs', () => {
  assert.deepEqual(uniformLayerMap(4, 12), [3, 6, 9, 12]);
  assert.deepEqual(uniformLayerMap(2, 4), [2, 4]);
  assert.deepEqual(uniformLayerMap(3, 4), [1, 2, 4]);
  assert.deepEqual(uniformLayerMap(2, 2), [1, 2]);
  assert.throws(() => uniformLayerMap(3, 2), (e: Error & { code?: string }) => e.code === 'LOSS_LAYER_MAP' && /3 student/.test(e.message));
  assert.throws(() => uniformLayerMap(2, 0), (e: Error & { code?: string; hint?: string }) => e.code === 'LOSS_LAYER_MAP' && /ONNX teacher/.test(e.hint ?? ''));
  const out = expandLayerTerms(
    [{ term: 'kd', weight: 0.5 }, { term: 'attention', weight: 1, layers: 'uniform', heads: 'map' }, { term: 'hidden', weight: 2, layers: 'uniform' }],
    { student: [1, 2], teacher: [1, 2, 3, 4] },
  );
  assert.deepEqual(out, [
    { term: 'kd', weight: 0.5 },
    { term: 'attention', weight: 1, heads: 'map', student: 'b1.attention', teacher: 'b2.attention' },
    { term: 'attention', weight: 1, heads: 'map', student: 'b2.attention', teacher: 'b4.attention' },
    { term: 'hidden', weight: 2, student: 'b0', teacher: 'b0' },
    { term: 'hidden', weight: 2, student: 'b1', teacher: 'b2' },
    { term: 'hidden', weight: 2, student: 'b2', teacher: 'b4' },
  ]);
  // either names or layers: uniform
  assert.throws(() => createLoss([{ term: 'attention', layers: 'uniform', student: 'b1.attention' }]), (e: Error & { code?: string }) => e.code === 'CONFIG_INVALID' && /layers/.test(e.message));
  const pending = createLoss([{ term: 'hidden', layers: 'uniform' }]);
  assert.equal(pending.mapsLayers, true);
  assert.equal(pending.needsTeacher, true);
  pending.dispose();
});

/** Seeded row-stochastic maps [n, h, l, l]. */
function maps(n: number, h: number, l: number, seed: number): number[][][][] {
  let s = seed;
  const r = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
  return Array.from({ length: n }, () => Array.from({ length: h }, () => Array.from({ length: l }, () => {
    const row = Array.from({ length: l }, () => r() + 0.05);
    const sum = row.reduce((a, b) => a + b, 0);
    return row.map((v) => v / sum);
  })));
}

/** The attention loss from its definition: groups of `k` consecutive student heads averaged against each teacher head, over token pairs. */
function attentionRef(s: number[][][][], t: number[][][][], mask: number[][], group: (h: number, k: number) => number[]): number {
  const hs = s[0]!.length;
  const ht = t[0]!.length;
  const k = hs / ht;
  let sum = 0;
  let count = 0;
  for (let n = 0; n < s.length; n++) {
    for (let h = 0; h < ht; h++) {
      const members = group(h, k);
      for (let i = 0; i < mask[n]!.length; i++) {
        for (let j = 0; j < mask[n]!.length; j++) {
          if (!mask[n]![i] || !mask[n]![j]) continue;
          const a = members.reduce((acc, m) => acc + s[n]![m]![i]![j]!, 0) / k;
          sum += (a - t[n]![h]![i]![j]!) ** 2;
          count++;
        }
      }
    }
  }
  return sum / count;
}

test('attention loss: matched heads (groups of consecutive heads), token pairs only, and mean over heads', () => {
  const s = maps(2, 4, 3, 7);
  const t = maps(2, 2, 3, 11);
  const mask = [[1, 1, 0], [1, 0, 0]];
  const consecutive = (h: number, k: number) => Array.from({ length: k }, (_, i) => h * k + i);
  const interleaved = (h: number, k: number) => Array.from({ length: k }, (_, i) => h + i * 2);
  const want = attentionRef(s, t, mask, consecutive);
  const got = tf.tidy(() => attentionLoss(tf.tensor4d(s), tf.tensor4d(t), 'map', tf.tensor2d(mask)).dataSync()[0]!);
  assert.ok(Math.abs(got - want) < 1e-7, `${got} vs ${want}`);
  // the reference tells the groupings and the mask apart, so the check above can fail
  assert.ok(Math.abs(attentionRef(s, t, mask, interleaved) - want) > 1e-3);
  assert.ok(Math.abs(attentionRef(s, t, [[1, 1, 1], [1, 1, 1]], consecutive) - want) > 1e-3);
  // mean: each side's heads averaged into one map
  const sMean = [s.map((x) => [x[0]!.map((row, i) => row.map((_, j) => x.reduce((a, hd) => a + hd[i]![j]!, 0) / 4))])].flat();
  const tMean = [t.map((x) => [x[0]!.map((row, i) => row.map((_, j) => x.reduce((a, hd) => a + hd[i]![j]!, 0) / 2))])].flat();
  const wantMean = attentionRef(sMean, tMean, mask, consecutive);
  const gotMean = tf.tidy(() => attentionLoss(tf.tensor4d(s), tf.tensor4d(t), 'mean', tf.tensor2d(mask)).dataSync()[0]!);
  assert.ok(Math.abs(gotMean - wantMean) < 1e-7, `${gotMean} vs ${wantMean}`);
  assert.throws(() => attentionLoss(tf.zeros([1, 3, 2, 2]) as tf.Tensor4D, tf.zeros([1, 2, 2, 2]) as tf.Tensor4D, 'map'), (e: Error & { code?: string; hint?: string }) => e.code === 'LOSS_FEATURE_SHAPE' && /heads: mean/.test(e.hint ?? ''));
});

test('hidden loss: projected student states against the teacher\'s, averaged over token positions', () => {
  const term = new HiddenTerm({ student: 's', teacher: 't', studentChannels: 2, teacherChannels: 3, seed: 3 });
  const [kernel, bias] = term.variables;
  kernel!.assign(tf.tensor2d([[1, 0, 2], [0, 1, -1]]));
  bias!.assign(tf.tensor1d([0.5, 0, 0]));
  const s = [[[1, 2], [3, 4]], [[0, 1], [9, 9]]];
  const t = [[[1, 2, 0], [3, 3, 3]], [[0, 0, 0], [0, 0, 0]]];
  const mask = [[1, 1], [1, 0]];
  let sum = 0;
  let tokens = 0;
  for (let n = 0; n < 2; n++) {
    for (let i = 0; i < 2; i++) {
      if (!mask[n]![i]) continue;
      const [a, b] = s[n]![i]!;
      const y = [a! + 0.5, b!, 2 * a! - b!];
      sum += y.reduce((acc, v, c) => acc + (v - t[n]![i]![c]!) ** 2, 0);
      tokens++;
    }
  }
  const got = tf.tidy(() => term.compute({ studentLogits: tf.zeros([2, 2]), labels: tf.tensor1d([0, 1], 'int32'), studentFeatures: { s: tf.tensor3d(s) }, teacherFeatures: { t: tf.tensor3d(t) }, tokenMask: tf.tensor2d(mask) }).dataSync()[0]!);
  assert.ok(Math.abs(got - sum / (tokens * 3)) < 1e-6, `${got} vs ${sum / (tokens * 3)}`);
  term.dispose();
});

const L = 8;
const V = 30;
const spec = (layers: number, heads: number): ModelSpec => ({
  input: { kind: 'tokens', length: L, vocabSize: V },
  blocks: [{ type: 'embedding', dim: 16 }, ...Array.from({ length: layers }, () => ({ type: 'transformer' as const, heads, ffDim: 32 })), { type: 'seqpool', mode: 'avg' }],
});

function textSet(n: number): Dataset {
  const { ids } = textBatch(n, L, V, 5);
  const texts = Array.from({ length: n }, (_, i) => `t${i}`);
  return { x: Float32Array.from(ids), y: Int32Array.from({ length: n }, (_, i) => i % 2), shape: [L], numClasses: 2, classNames: ['a', 'b'],
    text: { texts, keys: texts, tokenizer: {} as never, maxLength: L } };
}

/** The distillation loss of one batch as the trainer computes it (an online teacher's outputs first), and the hooks. */
async function batchLoss(student: LayersModel, loss: ReturnType<typeof createLoss>, teacher: Awaited<ReturnType<typeof loadTeacher>>, train: Dataset, vars: tf.Variable[] = []) {
  const hooks = await distillHooks({ loss, student, teacher, numClasses: 2, dataShape: [L] }, train);
  const n = train.y.length;
  await hooks.fit.beforeStep!({ x: train.x, y: train.y, n, indices: Int32Array.from({ length: n }, (_, i) => i), epoch: 0, step: 0 });
  const names = [...(hooks.fit.features ?? [])];
  const view = featureView(student, names);
  const run = () => {
    const x = tf.tensor2d(train.x, [n, L]);
    const outs = view.apply(x, { training: true }) as tf.Tensor[];
    const features = Object.fromEntries(names.map((name, i) => [name, outs[i + 1]!]));
    return hooks.fit.loss!(outs[0] as tf.Tensor2D, tf.tensor1d(train.y, 'int32'), { x: train.x, y: train.y, n, indices: new Int32Array(n), input: x, epoch: 0, step: 0, features });
  };
  const value = tf.tidy(() => run().dataSync()[0]!);
  const grads = vars.length > 0 ? tf.variableGrads(run as () => tf.Scalar, vars) : undefined;
  const norms = grads ? vars.map((v) => tf.tidy(() => tf.norm(grads.grads[v.name]!).dataSync()[0]!)) : [];
  if (grads) { grads.value.dispose(); tf.dispose(Object.values(grads.grads)); }
  hooks.dispose();
  return { value, norms, hooks };
}

test('through distillHooks and a TF.js teacher: zero for a copy of the teacher, mapped pairs, gradients into the projection and the student', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'distillery-tinybert-'));
  try {
    const teacherModel = buildModel(spec(4, 4), { numClasses: 2, seed: 3 });
    await saveModel(teacherModel, join(dir, 't4'));
    const copyOf4 = await loadModel(join(dir, 't4'));
    const train = textSet(6);
    const ctx = { baseDir: dir, dataShape: [L], numClasses: 2, normalization: { kind: 'none' as const, mean: [0], std: [1] }, classNames: ['a', 'b'], text: { maxLength: L } };
    const teacher = await loadTeacher({ type: 'tfjs', path: join(dir, 't4') }, ctx);
    assert.deepEqual(transformerLayersOf(copyOf4, teacher), { student: [1, 2, 3, 4], teacher: [1, 2, 3, 4] });
    assert.ok(teacher.featureNames.includes('b4.attention'));

    // student = the teacher's copy, projections set to the identity: every term is 0
    const terms = [{ term: 'hidden', weight: 1, layers: 'uniform' }, { term: 'attention', weight: 1, layers: 'uniform' }];
    const same = createLoss(terms, 'loss', { seed: 1, layers: transformerLayersOf(copyOf4, teacher) });
    assert.deepEqual(same.terms.map((t) => `${t.term.features!.student}>${t.term.features!.teacher}`), ['b0>b0', 'b1>b1', 'b2>b2', 'b3>b3', 'b4>b4', 'b1.attention>b1.attention', 'b2.attention>b2.attention', 'b3.attention>b3.attention', 'b4.attention>b4.attention']);
    for (const t of same.terms) {
      if (!(t.term instanceof HiddenTerm)) continue;
      t.term.build(16, 16);
      t.term.variables[0]!.assign(tf.eye(16));
    }
    const zero = await batchLoss(copyOf4, same, teacher, train);
    assert.ok(Math.abs(zero.value) < 1e-9, `copy: ${zero.value}`);
    same.dispose();

    // a 2-layer student with 2 heads against the 4-layer, 4-head teacher: layers 1, 2 learn from 2, 4
    const student = buildModel(spec(2, 2), { numClasses: 2, seed: 9 });
    const layers = transformerLayersOf(student, teacher);
    const uniform = createLoss([{ term: 'attention', weight: 1, layers: 'uniform' }], 'loss', { layers });
    const named = createLoss([{ term: 'attention', weight: 1, student: 'b1.attention', teacher: 'b2.attention' }, { term: 'attention', weight: 1, student: 'b2.attention', teacher: 'b4.attention' }]);
    const wrong = createLoss([{ term: 'attention', weight: 1, student: 'b1.attention', teacher: 'b1.attention' }, { term: 'attention', weight: 1, student: 'b2.attention', teacher: 'b2.attention' }]);
    const u = (await batchLoss(student, uniform, teacher, train)).value;
    assert.equal(u, (await batchLoss(student, named, teacher, train)).value);
    const w = (await batchLoss(student, wrong, teacher, train)).value;
    assert.ok(u > 0 && Math.abs(u - w) > 1e-4 * u, `uniform ${u} vs layer-by-layer ${w}`);

    // gradients reach the student's attention weights, the embedding and the hidden projection
    const hidden = createLoss([{ term: 'hidden', weight: 1, layers: 'uniform' }, { term: 'attention', weight: 1, layers: 'uniform' }], 'loss', { seed: 2, layers });
    await distillHooks({ loss: hidden, student, teacher, numClasses: 2, dataShape: [L] }, train); // builds the projections
    const qKernel = student.getLayer('b1_transformer').trainableWeights[0]!.read() as tf.Variable // q_kernel;
    const embed = student.getLayer('b0_embed').trainableWeights[0]!.read() as tf.Variable;
    const g = await batchLoss(student, hidden, teacher, train, [qKernel, embed, hidden.variables[0]!]);
    assert.equal(hidden.variables.length, 6); // three projections, kernel and bias each
    for (const n of g.norms) assert.ok(n > 1e-6, `gradient norms ${g.norms.join(', ')}`);
    // attention maps of the student: rows sum to 1 over the keys, padding keys get nothing
    const src = attentionSources(student).get('b1.attention')!;
    assert.equal(src.input, 'b0_pos');
    for (const l of [uniform, named, wrong, hidden]) l.dispose();
    teacher.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
