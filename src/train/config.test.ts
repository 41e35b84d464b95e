import { test } from 'node:test';
import assert from 'node:assert/strict';
import { trainConfigSchema } from './config.ts';

test('an empty train section gets the documented defaults', () => {
  assert.deepEqual(trainConfigSchema.parse({}), {
    epochs: 10,
    batchSize: 128,
    optimizer: { type: 'sgd', lr: 0.01, momentum: 0.9, nesterov: false, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0 },
    schedule: { type: 'constant', warmupEpochs: 0, warmupSteps: 0 },
    labelSmoothing: 0,
    evalBatchSize: 1000,
  });
});

test('schedules and early stopping fill their own defaults', () => {
  const c = trainConfigSchema.parse({ schedule: { type: 'step', stepEpochs: 3 }, earlyStopping: { patience: 2 } });
  assert.deepEqual(c.schedule, { type: 'step', stepEpochs: 3, gamma: 0.1, warmupEpochs: 0, warmupSteps: 0 });
  assert.deepEqual(c.earlyStopping, { metric: 'valLoss', patience: 2, minDelta: 0, restoreBest: true });
});

test('unknown keys and bad values are rejected with their path', () => {
  const paths = (v: unknown) => {
    const r = trainConfigSchema.safeParse(v);
    assert.equal(r.success, false);
    return r.error!.issues.map((i) => `${i.path.join('.')}:${i.code}`);
  };
  assert.deepEqual(paths({ optimizer: { type: 'adam', lrr: 0.1 } }), ['optimizer:unrecognized_keys']);
  assert.deepEqual(paths({ epochs: 'two' }), ['epochs:invalid_type']);
  assert.deepEqual(paths({ schedule: { type: 'cosine', stepEpochs: 2 } }), ['schedule:unrecognized_keys']);
  assert.deepEqual(paths({ schedule: { type: 'linear' } }), ['schedule.type:invalid_union']);
  assert.deepEqual(paths({ optimizer: { lr: -1 } }), ['optimizer.lr:too_small']);
  assert.deepEqual(paths({ batchsize: 3 }), [':unrecognized_keys']);
});
