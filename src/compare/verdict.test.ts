import { test } from 'node:test';
import assert from 'node:assert/strict';
import { difference, spread, verdict } from './verdict.ts';
import type { ArmFigures } from './verdict.ts';

const arm = (name: ArmFigures['arm'], accs: number[], cost = 100, macs = 1e9): ArmFigures => ({ arm: name, accuracy: spread(accs), cost: spread([cost]), trainingMacs: spread([macs]), seconds: 10, withinLimits: true });

test('spread: mean and sample standard deviation', () => {
  const s = spread([0.97, 0.98, 0.99]);
  assert.ok(Math.abs(s.mean - 0.98) < 1e-12);
  assert.ok(Math.abs(s.std - 0.01) < 1e-12);
  assert.equal(spread([0.5]).std, 0);
});

test('a difference is a win only beyond the seeds spread (sum of both standard deviations)', () => {
  const a = arm('search', [0.980, 0.981, 0.982]); // std 0.1 points
  const b = arm('student', [0.970, 0.971, 0.972]);
  const d = difference(a, b);
  assert.equal(d.better, 'search');
  assert.ok(Math.abs(d.points - 1) < 1e-9);
  assert.ok(Math.abs(d.spreadPoints - 0.2) < 1e-9);
  assert.equal(d.win, true);
  const noisy = difference(arm('search', [0.96, 0.98, 1.0]), b); // +0.9 points, spread 2.1
  assert.equal(noisy.win, false);
});

test('the verdict names the best arm, calls a win only beyond the spread, and flags arms more than 5% apart in compute', () => {
  const arms = [arm('student', [0.970, 0.971, 0.972]), arm('distilled', [0.970, 0.9715, 0.973]), arm('search', [0.960, 0.961, 0.962], 50), arm('search-distilled', [0.980, 0.981, 0.982], 60)];
  const v = verdict(arms, { metric: 'macs', limits: ['macs<=100'], seeds: 3 });
  assert.match(v, /^Best model within macs<=100: the search-distilled arm, 98\.10% ± 0\.10/);
  assert.match(v, /runner-up, distilled \(97\.15% ± 0\.15\), by 0\.95 points, more than the seeds' spread \(0\.25\): the win holds/);
  assert.match(v, /hand student trained on labels alone \(97\.10% ± 0\.10 at 100 macs\): \+1\.00 points, beyond the spread \(0\.20\)/);
  assert.match(v, /Distilling the hand student at equal compute: \+0\.05 points \(within the spread, no difference\)/);
  assert.doesNotMatch(v, /cheaper/, 'every other arm is significantly less accurate');
  // Two arms level within the spread: the cheaper one is named.
  const level = verdict([arm('student', [0.97, 0.971, 0.972], 100), arm('search', [0.969, 0.971, 0.973], 40)], { metric: 'macs', limits: [], seeds: 3 });
  assert.match(level, /the search arm is cheaper: 40 macs against 100 \(0\.40×\)/);
  assert.match(v, /0\.0% apart\)/);
  const uneven = verdict([arm('student', [0.9, 0.9, 0.9], 100, 1e9), arm('search', [0.8, 0.8, 0.8], 100, 0.9e9)], { metric: 'macs', limits: [], seeds: 3, budgetEpochs: 8 });
  assert.match(uneven, /10\.0% apart: more than 5%, because an arm leaves up to one epoch of its final model unspent and the budget pays for only 8\.0 epochs of the hand student/);
  assert.match(verdict([{ ...arm('student', [0.9, 0.9, 0.9]), withinLimits: false }], { metric: 'macs', limits: ['macs<=1'], seeds: 3 }), /No arm's chosen models/);
});
