import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { DistilleryError } from '../../core/errors.ts';
import type { LossContext } from '../types.ts';
import { assertClose, featureResult, loadGolden, onEachBackend, tensorOf, termOf } from './golden.test-util.ts';
import { hintTerm } from './hint.ts';

function ctxWith(student: Record<string, tf.Tensor>, teacher: Record<string, tf.Tensor>): LossContext {
  const n = Object.values(student)[0].shape[0];
  const logits = tf.zeros([n, 3]) as tf.Tensor2D;
  return { studentLogits: logits, teacherLogits: logits, labels: tf.zeros([n], 'int32') as tf.Tensor1D, studentFeatures: student, teacherFeatures: teacher };
}

function codeAndMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof DistilleryError, String(e));
    assert.ok(e.hint, 'every user error has a hint');
    return `${e.code}: ${e.message}`;
  }
  return 'no error';
}

onEachBackend('feature terms match PyTorch', () => {
  for (const term of ['at', 'rkd']) {
    for (const c of loadGolden(term).filter((c) => c.inputs['studentFeature'])) {
      test(`${term}: ${c.name}`, () => {
        const before = tf.memory().numTensors;
        const r = featureResult(c, termOf(term, c));
        assert.equal(tf.memory().numTensors, before, 'no tensor leaks');
        assertClose([r.value], [c.value], `${term} value`);
        assertClose(r.grad, c.grads['studentFeature'].data, `${term} gradient`);
      });
    }
  }

  for (const c of loadGolden('hint')) {
    test(`hint: ${c.name} (gradients w.r.t. the feature and the adapter)`, () => {
      const [cs, ct] = c.inputs['adapterKernel'].shape;
      const o = c.options as { student: string; teacher: string };
      const hint = hintTerm({ ...o, studentChannels: cs, teacherChannels: ct });
      const [kernel, bias] = hint.variables;
      kernel.assign(tensorOf(c.inputs['adapterKernel']));
      bias.assign(tensorOf(c.inputs['adapterBias']));
      const s = tf.variable(tensorOf(c.inputs['studentFeature']));
      const t = tensorOf(c.inputs['teacherFeature']);
      const ctx = ctxWith({ [o.student]: s }, { [o.teacher]: t });
      const { value, grads } = tf.variableGrads(() => hint.compute(ctx), [s, kernel, bias]);
      assertClose([value.dataSync()[0]], [c.value], 'hint value');
      assertClose(grads[s.name].dataSync(), c.grads['studentFeature'].data, 'gradient w.r.t. the student feature');
      assertClose(grads[kernel.name].dataSync(), c.grads['adapterKernel'].data, 'gradient w.r.t. the adapter kernel');
      assertClose(grads[bias.name].dataSync(), c.grads['adapterBias'].data, 'gradient w.r.t. the adapter bias');
      tf.dispose([value, ...Object.values(grads), s, t, ctx.studentLogits, ctx.labels]);
      hint.dispose();
      assert.equal(hint.variables.length, 0);
    });
  }

  test('hint builds its adapter at the first batch, seeded, and trains it', () => {
    const s = tf.randomNormal([2, 3, 3, 4], 0, 1, 'float32', 1);
    const t = tf.randomNormal([2, 3, 3, 6], 0, 1, 'float32', 2);
    const ctx = ctxWith({ s }, { t });
    const a = hintTerm({ student: 's', teacher: 't', seed: 7 });
    const b = hintTerm({ student: 's', teacher: 't', seed: 7 });
    const other = hintTerm({ student: 's', teacher: 't', seed: 8 });
    assert.equal(a.variables.length, 0, 'no adapter before shapes are known');
    const first = tf.tidy(() => [a, b, other].map((h) => h.compute(ctx).dataSync()[0]));
    assert.deepEqual(a.variables.map((v) => v.shape), [[4, 6], [6]]);
    assert.deepEqual(Array.from(a.variables[0].dataSync()), Array.from(b.variables[0].dataSync()), 'same seed, same adapter');
    assert.notDeepEqual(Array.from(a.variables[0].dataSync()), Array.from(other.variables[0].dataSync()), 'another seed, another adapter');
    assert.equal(first[0], first[1]);
    // A few plain gradient steps on the adapter alone lower the loss: the variables are live.
    const opt = tf.train.sgd(0.1);
    for (let i = 0; i < 20; i++) tf.tidy(() => { opt.minimize(() => a.compute(ctx), false, [...a.variables]); });
    const after = tf.tidy(() => a.compute(ctx).dataSync()[0]);
    assert.ok(after < 0.8 * first[0], `adapter training lowered the loss ${first[0]} -> ${after}`);
    opt.dispose();
    for (const h of [a, b, other]) h.dispose();
    tf.dispose([s, t, ctx.studentLogits, ctx.labels]);
  });

  test('shape errors name both features and their shapes', () => {
    const s = tf.zeros([2, 4, 4, 3]);
    const t = tf.zeros([2, 2, 2, 5]);
    const v = tf.zeros([2, 7]);
    const ctx = ctxWith({ s, v }, { t, v });
    const at = termOf('at', { name: '', options: { student: 's', teacher: 't' }, inputs: {}, value: 0, grads: {} });
    assert.equal(codeAndMessage(() => at.compute(ctx)),
      "LOSS_FEATURE_SHAPE: loss term 'at': student feature 's' [2, 4, 4, 3] and teacher feature 't' [2, 2, 2, 5] must be NHWC maps of the same batch, height and width");
    const lazy = hintTerm({ student: 's', teacher: 't' });
    assert.match(codeAndMessage(() => lazy.compute(ctx)), /^LOSS_FEATURE_SHAPE: .*'s' \[2, 4, 4, 3\].*'t' \[2, 2, 2, 5\]/);
    assert.equal(lazy.variables.length, 0, 'no adapter built from mismatched features');
    const fixed = hintTerm({ student: 'v', teacher: 'v', studentChannels: 5, teacherChannels: 7 });
    assert.match(codeAndMessage(() => fixed.compute(ctx)), /^LOSS_FEATURE_SHAPE: .*adapter v -> v is \[5, 7\]/);
    fixed.dispose();
    assert.equal(codeAndMessage(() => at.compute(ctxWith({ x: s }, { t }))), "LOSS_FEATURE_MISSING: loss term 'at': no student feature 's' in this batch (got: x)");
    tf.dispose([s, t, v, ctx.studentLogits, ctx.labels]);
  });
});
