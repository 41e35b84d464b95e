import { test } from 'node:test';
import assert from 'node:assert/strict';
import { accuracyMacsHv, kendall, meanStd, pearson, ranks, spearman } from './search.ts';

test('ranks average their ties', () => {
  assert.deepEqual(ranks([10, 20, 20, 5]), [2, 3.5, 3.5, 1]);
  assert.deepEqual(ranks([3, 3, 3]), [2, 2, 2]);
  // NASWOT's -Infinity (a singular kernel) ranks last, tied with its kind
  assert.deepEqual(ranks([-Infinity, 1, -Infinity, 0]), [1.5, 4, 1.5, 3]);
});

test('Spearman and Kendall against values worked by hand', () => {
  // one swapped pair among 4: d² = 1 + 1, rho = 1 - 6·2 / (4·15) = 0.8; 5 concordant, 1 discordant pair
  assert.ok(Math.abs(spearman([1, 2, 3, 4], [10, 30, 20, 40]) - 0.8) < 1e-12);
  assert.ok(Math.abs(kendall([1, 2, 3, 4], [10, 30, 20, 40]) - 4 / 6) < 1e-12);
  // monotone but not linear: rank correlations are 1, Pearson is not
  const x = [1, 2, 3, 4, 5];
  const y = x.map((v) => Math.exp(v));
  assert.equal(spearman(x, y), 1);
  assert.equal(kendall(x, y), 1);
  assert.ok(pearson(x, y) < 0.95);
  assert.equal(spearman(x, [...y].reverse()), -1);
  // tau-b with ties: x = [1,1,2,3], y = [1,2,2,3]: 4 concordant, 0 discordant, 5 untied pairs each side
  assert.ok(Math.abs(kendall([1, 1, 2, 3], [1, 2, 2, 3]) - 4 / 5) < 1e-12);
  // a constant side has no rank order
  assert.ok(Number.isNaN(spearman([1, 1, 1], [1, 2, 3])));
});

test('meanStd uses the sample standard deviation', () => {
  assert.deepEqual(meanStd([1, 2, 3]), { mean: 2, std: 1 });
  assert.deepEqual(meanStd([5]), { mean: 5, std: 0 });
});

test('the accuracy-MACs hypervolume is the dominated share of the unit box', () => {
  assert.ok(Math.abs(accuracyMacsHv([{ accuracy: 0.9, macs: 50 }], 100) - 0.45) < 1e-12);
  // a staircase of two points: 0.9·0.5 + (0.95 - 0.9)·(1 - 0.8)
  assert.ok(Math.abs(accuracyMacsHv([{ accuracy: 0.9, macs: 50 }, { accuracy: 0.95, macs: 80 }], 100) - (0.45 + 0.05 * 0.2)) < 1e-12);
  // over the limit adds nothing; a dominated point adds nothing
  assert.equal(accuracyMacsHv([{ accuracy: 0.99, macs: 120 }], 100), 0);
  assert.ok(Math.abs(accuracyMacsHv([{ accuracy: 0.9, macs: 50 }, { accuracy: 0.8, macs: 60 }], 100) - 0.45) < 1e-12);
});
