import { test } from 'node:test';
import assert from 'node:assert/strict';
import { anchorScale, driftCorrected, interleave } from './drift.ts';

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

test('interleave: every model once per round, rounds alternating direction from a moving start', () => {
  const order = interleave(9, 4);
  assert.equal(order.length, 36);
  for (let r = 0; r < 4; r++) assert.deepEqual(order.filter(([q]) => q === r).map(([, m]) => m).sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8]);
  assert.deepEqual(order.slice(0, 9).map(([, m]) => m), [0, 1, 2, 3, 4, 5, 6, 7, 8]);
  assert.deepEqual(order.slice(9, 18).map(([, m]) => m), [5, 4, 3, 2, 1, 0, 8, 7, 6]);
  // no model is timed first in more than one round
  const firsts = [0, 1, 2, 3].map((r) => order[r * 9]![1]);
  assert.equal(new Set(firsts).size, 4);
  assert.deepEqual(interleave(0, 3), []);
});

test('drift: with the timing order given, the machine is read from the models timed next to each one, not its list neighbours', () => {
  // 30 models, 3 rounds; round 1 timed in a scrambled order (model i at place 7i mod 30), and
  // the machine ran 1.6x slower for the first half of that round
  const n = 30;
  const cost = Array.from({ length: n }, (_, i) => 1 + (i % 7));
  const pos = cost.map((_, i) => [i, n + ((7 * i) % n), 2 * n + i]);
  const per = cost.map((c, i) => [c, c * ((7 * i) % n < n / 2 ? 1.6 : 1), c]);
  const fixed = driftCorrected(per, 5, pos);
  // away from the slow stretch's edges (in time) it is taken out, and each model's cost stays
  for (const [i, v] of fixed.entries()) {
    if (Math.abs(((7 * i) % n) - n / 2) <= 6 || (7 * i) % n <= 5) continue;
    for (const x of v) assert.ok(Math.abs(x / cost[i]! - 1) < 1e-9, `model ${i}: ${v.join(', ')}`);
  }
  // read from list neighbours instead, half of them slow and half not, it is not
  const blind = driftCorrected(per, 5);
  assert.ok(blind.some((v, i) => Math.abs(v[1]! / cost[i]! - 1) > 0.1));
});
