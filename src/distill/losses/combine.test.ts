import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { validateConfig } from '../../config/load.ts';
import { DistilleryError } from '../../core/errors.ts';
import { disposeEngine, initEngine } from '../../engine/index.ts';
import { createLoss, lossConfigSchema } from './combine.ts';
import { assertClose, loadGolden, logitsResult, tensorOf } from './golden.test-util.ts';
import { lossTerms } from './registry.ts';

before(async () => { await initEngine({ backend: 'cpu' }); });
after(async () => { await disposeEngine(); });

function failure(fn: () => unknown): DistilleryError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof DistilleryError, String(e));
    return e;
  }
  assert.fail('expected a DistilleryError');
}

describe('loss registry and config validation', () => {
  test('an unknown term names the known ones', () => {
    const e = failure(() => lossTerms.get('kdd'));
    assert.equal(e.code, 'UNKNOWN_LOSS');
    assert.equal(e.message, "unknown loss 'kdd'; known: ce, kd, dkd, hint, at, rkd, hidden, attention");
    const e2 = failure(() => createLoss([{ term: 'ce', weight: 0.1 }, { term: 'kdd', weight: 0.9 }]));
    assert.equal(e2.code, 'UNKNOWN_LOSS');
    assert.equal(e2.where, 'loss[1].term');
    assert.match(e2.message, /unknown loss 'kdd' at loss\[1\]\.term; known: ce, kd, dkd, hint, at, rkd/);
  });

  test('bad and unknown options name their path', () => {
    const cases: [unknown[], string, RegExp][] = [
      [[{ term: 'kd', T: 'hot' }], 'loss[0].T', /expected number/],
      [[{ term: 'ce' }, { term: 'kd', T: -1 }], 'loss[1].T', /> ?0|positive|greater/i],
      [[{ term: 'ce' }, { term: 'kd', TT: 4 }], 'loss[1].TT', /unknown option 'TT' of loss 'kd'; known: term, weight, T$/],
      [[{ term: 'dkd', weight: -1 }], 'loss[0].weight', />=? ?0|greater/i],
      [[{ weight: 1 }], 'loss[0].term', /expected string/],
      [[{ term: 'hint', student: 'b1', teacher: 't1', studentChannels: 8 }], 'loss[0].teacherChannels', /both studentChannels and teacherChannels/],
      [[{ term: 'rkd', student: 'b1' }], 'loss[0].teacher', /both student and teacher/],
      [[{ term: 'at', teacher: 't1' }], 'loss[0].student', /expected string/],
      [[], 'loss', /at least one loss term/],
    ];
    for (const [cfg, where, message] of cases) {
      const e = failure(() => createLoss(cfg));
      assert.equal(e.code, 'CONFIG_INVALID', JSON.stringify(cfg));
      assert.equal(e.where, where, JSON.stringify(cfg));
      assert.match(e.message, message);
      assert.ok(e.message.startsWith(`${where}: `), e.message);
      assert.ok(e.hint);
    }
  });

  test('inside a job schema, validateConfig reports the full path', () => {
    const job = z.object({ distill: z.object({ loss: lossConfigSchema }).strict() }).strict();
    const bad = (loss: unknown[]) => failure(() => validateConfig(job, { distill: { loss } }, 'kd.yaml'));
    const e = bad([{ term: 'ce' }, { term: 'kd', T: 'x' }]);
    assert.equal(e.code, 'CONFIG_INVALID');
    assert.equal(e.where, 'distill.loss[1].T');
    assert.match(e.message, /^kd\.yaml: distill\.loss\[1\]\.T: expected number/);
    const e2 = bad([{ term: 'kdd' }]);
    assert.equal(e2.where, 'distill.loss[0].term');
    assert.match(e2.message, /unknown loss 'kdd'; known: ce, kd, dkd, hint, at, rkd/);
    assert.equal(bad([{ term: 'at', student: 'a', teacher: 'b', gamma: 2 }]).where, 'distill.loss[0].gamma');
  });

  test('defaults are filled in, and validated output validates again unchanged', () => {
    const once = lossConfigSchema.parse([{ term: 'kd' }, { term: 'dkd', weight: 2 }, { term: 'at', student: 's', teacher: 't' }, { term: 'rkd' }, { term: 'ce' }]);
    assert.deepEqual(once, [
      { term: 'kd', weight: 1, T: 4 },
      { term: 'dkd', weight: 2, alpha: 1, beta: 8, T: 4 },
      { term: 'at', weight: 1, student: 's', teacher: 't', p: 2, beta: 1000 },
      { term: 'rkd', weight: 1, distance: 25, angle: 50 },
      { term: 'ce', weight: 1, labelSmoothing: 0 },
    ]);
    assert.deepEqual(lossConfigSchema.parse(once), once);
  });
});

describe('createLoss', () => {
  const c = loadGolden('kd')[0];
  const T = (c.options as { T: number }).T;

  test('the value and gradient are the weighted sum of the terms', () => {
    const loss = createLoss([{ term: 'ce', weight: 0.5 }, { term: 'kd', weight: 2, T }, { term: 'dkd', weight: 0 }]);
    const ce = logitsResult(c, (ctx) => loss.terms[0].term.compute(ctx));
    const sum = logitsResult(c, (ctx) => loss.compute(ctx));
    // kd against its golden numbers; ce as the term computes it (checked against its own fixture).
    assertClose([sum.value], [0.5 * ce.value + 2 * c.value], 'weighted value');
    const want = c.grads['studentLogits'].data.map((g, i) => 0.5 * ce.grad[i] + 2 * g);
    assertClose(sum.grad, want, 'weighted gradient');
    const parts = tf.tidy(() => {
      const ctx = { studentLogits: tensorOf(c.inputs['studentLogits']) as tf.Tensor2D, teacherLogits: tensorOf(c.inputs['teacherLogits']) as tf.Tensor2D,
        labels: tensorOf(c.inputs['labels'], 'int32') as tf.Tensor1D };
      const r = loss.computeParts(ctx);
      return { total: r.total.dataSync()[0], parts: Object.fromEntries(Object.entries(r.parts).map(([k, v]) => [k, v.dataSync()[0]])) };
    });
    assert.deepEqual(Object.keys(parts.parts), ['ce', 'kd'], 'a zero-weight term is not computed');
    assertClose([parts.parts['kd']], [c.value], 'kd part');
    assertClose([parts.total], [sum.value], 'total');
    loss.dispose();
  });

  test('teacher needs, wanted features and labels are gathered from the terms', () => {
    assert.equal(createLoss([{ term: 'ce' }]).needsTeacher, false);
    const loss = createLoss([
      { term: 'ce', weight: 0.1 },
      { term: 'at', weight: 1, student: 'b1', teacher: 'layer1' },
      { term: 'hint', weight: 1, student: 'b1', teacher: 'layer2' },
      { term: 'at', weight: 1, student: 'b2', teacher: 'layer1' },
      { term: 'rkd', weight: 1 },
    ]);
    assert.equal(loss.needsTeacher, true);
    assert.deepEqual(loss.features, { student: ['b1', 'b2'], teacher: ['layer1', 'layer2'] });
    assert.deepEqual(loss.terms.map((t) => t.label), ['ce', 'at', 'hint', 'at#2', 'rkd']);
    assert.equal(loss.variables.length, 0, 'the adapter waits for the first batch');
    loss.dispose();
  });

  test('adapters are seeded from the loss seed and their position, and freed by dispose', () => {
    const make = (seed: number) => createLoss([{ term: 'ce' }, { term: 'hint', student: 's', teacher: 't', studentChannels: 3, teacherChannels: 4 }], 'loss', { seed });
    const before = tf.memory().numTensors;
    const [a, b, other] = [make(1), make(1), make(2)];
    const kernel = (l: ReturnType<typeof make>) => Array.from(l.variables[0].dataSync());
    assert.equal(a.variables.length, 2);
    assert.deepEqual(kernel(a), kernel(b));
    assert.notDeepEqual(kernel(a), kernel(other));
    const pinned = createLoss([{ term: 'hint', student: 's', teacher: 't', studentChannels: 3, teacherChannels: 4, seed: 5 }], 'loss', { seed: 9 });
    const pinned2 = createLoss([{ term: 'hint', student: 's', teacher: 't', studentChannels: 3, teacherChannels: 4, seed: 5 }], 'loss', { seed: 10 });
    assert.deepEqual(kernel(pinned), kernel(pinned2), 'an explicit seed wins');
    for (const l of [a, b, other, pinned, pinned2]) l.dispose();
    assert.equal(tf.memory().numTensors, before);
  });

  test('a teacher term without a teacher says so', () => {
    const loss = createLoss([{ term: 'ce' }, { term: 'kd' }]);
    const e = failure(() => tf.tidy(() => loss.compute({ studentLogits: tf.zeros([2, 3]) as tf.Tensor2D, labels: tf.tensor1d([0, 1], 'int32') })));
    assert.equal(e.code, 'LOSS_NEEDS_TEACHER');
    assert.match(e.message, /'kd' needs teacher logits/);
  });
});
