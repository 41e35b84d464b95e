import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSchedule } from './schedules.ts';

const run = { baseLr: 0.1, epochs: 4, stepsPerEpoch: 10 };
const near = (a: number, b: number, msg?: string) => assert.ok(Math.abs(a - b) < 1e-12, msg ?? `${a} vs ${b}`);

test('constant', () => {
  const lr = createSchedule({ type: 'constant' }, run);
  assert.equal(lr(0), 0.1);
  assert.equal(lr(39), 0.1);
});

test('step: x gamma every stepEpochs epochs, by step', () => {
  const lr = createSchedule({ type: 'step', stepEpochs: 2, gamma: 0.5 }, run);
  assert.equal(lr(0), 0.1);
  assert.equal(lr(19), 0.1); // last step of epoch 2
  assert.equal(lr(20), 0.05); // first step of epoch 3
  assert.equal(lr(39), 0.05);
  assert.equal(lr(40), 0.025);
});

test('cosine: from base to minLr over the run, per step', () => {
  const lr = createSchedule({ type: 'cosine', minLr: 0.01 }, run);
  near(lr(0), 0.1);
  // half way: min + (base - min) / 2
  near(lr(20), 0.055);
  // a quarter: 0.01 + 0.09 * (1 + cos(pi/4)) / 2 = 0.01 + 0.09 * 0.853553390593...
  near(lr(10), 0.01 + 0.09 * 0.8535533905932737);
  near(lr(40), 0.01);
});

test('warm-up ramps linearly, then hands over to the schedule', () => {
  const lr = createSchedule({ type: 'cosine', minLr: 0, warmupEpochs: 1 }, run);
  // 10 warm-up steps: 0.01, 0.02, ..., 0.1
  near(lr(0), 0.01);
  near(lr(4), 0.05);
  near(lr(9), 0.1);
  // cosine over the remaining 30 steps: at step 25 it is half way
  near(lr(10), 0.1);
  near(lr(25), 0.05);
  const steps = createSchedule({ type: 'constant', warmupSteps: 4 }, run);
  [0.025, 0.05, 0.075, 0.1, 0.1].forEach((v, i) => near(steps(i), v, `step ${i}`));
  const stepped = createSchedule({ type: 'step', stepEpochs: 1, gamma: 0.1, warmupSteps: 5 }, run);
  near(stepped(4), 0.1);
  near(stepped(10), 0.01);
});

test('bad schedules are DistilleryErrors', () => {
  assert.throws(() => createSchedule({ type: 'step', stepEpochs: 0 }, run), /stepEpochs >= 1/);
  assert.throws(() => createSchedule({ type: 'linear' } as never, run), (e: Error & { code?: string }) => e.code === 'UNKNOWN_SCHEDULE');
});
