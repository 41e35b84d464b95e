import { test } from 'node:test';
import assert from 'node:assert/strict';
import { anchorScale, driftCorrected } from './drift.ts';

test('drift: a round the whole machine ran slower in no longer moves any model, and what differs between models stays', () => {
  // 12 models of costs 1..12, 4 rounds; round 2 ran 1.8x slower for everyone, and model 5 alone
  // had one slow round (its own noise, which a correction must not hide in its neighbours)
  const cost = Array.from({ length: 12 }, (_, i) => i + 1);
  const speed = [1, 1.8, 1, 1];
  const per = cost.map((c, i) => speed.map((f, r) => c * f * (i === 5 && r === 3 ? 1.5 : 1)));
  const fixed = driftCorrected(per);
  for (const [i, v] of fixed.entries()) {
    for (const [r, x] of v.entries()) assert.ok(Math.abs(x - cost[i]! * (i === 5 && r === 3 ? 1.5 : 1)) < 1e-9, `model ${i} round ${r}: ${x}`);
  }
  // a drift over the round's length (the machine slows down as the round goes on) is local: read from neighbours
  // (60 models, the second round 0-60% slower from first to last; a global factor would leave ±30%)
  const ramp = Array.from({ length: 60 }, (_, i) => [1 + i, (1 + i) * (1 + i / 100), 1 + i]);
  const rampFixed = driftCorrected(ramp);
  for (let i = 15; i < 45; i++) assert.ok(Math.abs(rampFixed[i]![1]! / rampFixed[i]![0]! - 1) < 0.01, `model ${i}: ${rampFixed[i]}`);
  // too little to read the machine from: unchanged
  assert.deepEqual(driftCorrected([[1, 2]]), [[1, 2]]);
  assert.deepEqual(driftCorrected([[1], [2]]), [[1], [2]]);
});

test('anchors: the median ratio of reference to now, so one odd anchor does not set the scale', () => {
  assert.ok(Math.abs(anchorScale([1.2, 2.4, 3.6], [1, 2, 3]) - 1 / 1.2) < 1e-12);
  assert.ok(Math.abs(anchorScale([1.2, 2.4, 3.6, 40], [1, 2, 3, 4]) - 1 / 1.2) < 1e-12);
  assert.equal(anchorScale([], []), 1);
});
