import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { assertClose, loadGolden, logitsResult, onEachBackend, RTOL, termOf, worstError } from './golden.test-util.ts';
import { kdLoss } from './kd.ts';

// ce, kd, dkd and rkd-on-logits against PyTorch's values and gradients (fixtures from
// scripts/golden/distill_losses.py).
onEachBackend('logit terms match PyTorch', () => {
  for (const term of ['ce', 'kd', 'dkd', 'rkd']) {
    for (const c of loadGolden(term).filter((c) => c.inputs['studentLogits'])) {
      test(`${term}: ${c.name}`, () => {
        const loss = termOf(term, c);
        const before = tf.memory().numTensors;
        const r = logitsResult(c, (ctx) => loss.compute(ctx));
        assert.equal(tf.memory().numTensors, before, 'no tensor leaks');
        assertClose([r.value], [c.value], `${term} value`);
        assertClose(r.grad, c.grads['studentLogits'].data, `${term} gradient`);
      });
    }
  }
});

// The two classic KD bugs must not pass the golden test: a fixture too symmetric, or at T = 1,
// would let them through.
onEachBackend('kd fixtures catch the known bugs', () => {
  const cases = loadGolden('kd');

  test('teacher and student swapped: value and gradient both miss the golden numbers', () => {
    for (const c of cases) {
      const T = (c.options as { T: number }).T;
      const swapped = logitsResult(c, (ctx) => kdLoss(ctx.teacherLogits!, ctx.studentLogits, T));
      assert.ok(worstError([swapped.value], [c.value]) > 100 * RTOL, `${c.name}: swapped value ${swapped.value} too close to ${c.value}`);
      assert.ok(worstError(swapped.grad, c.grads['studentLogits'].data) > 100 * RTOL, `${c.name}: swapped gradient too close`);
    }
  });

  test('T^2 left out: value and gradient both miss the golden numbers', () => {
    for (const c of cases) {
      const T = (c.options as { T: number }).T;
      assert.ok(Math.abs(T - 1) > 0.5, 'a fixture at T = 1 cannot tell');
      const noT2 = logitsResult(c, (ctx) => tf.div(kdLoss(ctx.studentLogits, ctx.teacherLogits!, T), T * T) as tf.Scalar);
      assert.ok(worstError([noT2.value], [c.value]) > 100 * RTOL, `${c.name}: value without T^2 too close`);
      assert.ok(worstError(noT2.grad, c.grads['studentLogits'].data) > 100 * RTOL, `${c.name}: gradient without T^2 too close`);
    }
  });
});
