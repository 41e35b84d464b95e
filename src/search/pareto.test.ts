import test from 'node:test';
import assert from 'node:assert/strict';
import { crowdingDistance, dominates, hypervolume, nonDominatedSort, paretoRanks, rankAndCrowd, toMinimization } from './pareto.ts';

const close = (a: number, b: number, tol = 1e-12) => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

test('dominance and non-dominated sort on a known set', () => {
  assert.equal(dominates([1, 2], [1, 3]), true);
  assert.equal(dominates([1, 2], [1, 2]), false);
  assert.equal(dominates([1, 3], [2, 2]), false);
  // fronts by hand: {A(1,5), B(2,3), C(4,1)}, {D(3,4), E(5,2)}, {F(5,5)}; G duplicates B
  const pts = [[1, 5], [2, 3], [4, 1], [3, 4], [5, 2], [5, 5], [2, 3]];
  assert.deepEqual(nonDominatedSort(pts), [[0, 1, 2, 6], [3, 4], [5]]);
  assert.deepEqual(paretoRanks(pts), [0, 0, 0, 1, 1, 2, 0]);
  assert.deepEqual(nonDominatedSort([]), []);
});

test('crowding distance and the rank-then-crowding order', () => {
  assert.deepEqual(crowdingDistance([[0, 4], [1, 1], [4, 0]], [0, 1, 2]), [Infinity, 2, Infinity]);
  // inner points: the neighbours' gap in each objective over that objective's range (4)
  const pts = [[0, 4], [1, 3], [3, 1], [4, 0]];
  const cd = crowdingDistance(pts, [0, 1, 2, 3]);
  close(cd[1]!, (3 - 0) / 4 + (4 - 1) / 4);
  close(cd[2]!, (4 - 1) / 4 + (3 - 0) / 4);
  assert.deepEqual(rankAndCrowd([[1, 1], [0, 3], [3, 0], [2, 2]]), [1, 2, 0, 3]);
  assert.deepEqual(toMinimization([0.9, 5], ['max', 'min']), [-0.9, 5]);
});

test('hypervolume against hand-computed values', () => {
  // 2-D: the union of [1,3]x[2,3] and [2,3]x[1,3] is 2 + 2 - 1 = 3
  close(hypervolume([[1, 2], [2, 1]], [3, 3]), 3);
  // dominated and out-of-box points add nothing
  close(hypervolume([[1, 2], [2, 1], [2, 2], [4, 0]], [3, 3]), 3);
  close(hypervolume([], [1, 1]), 0);
  // 3-D: one box 1x2x3; two boxes 2x2x2 and 3x1x1 overlapping in 2x1x1
  close(hypervolume([[2, 1, 0]], [3, 3, 3]), 1 * 2 * 3);
  close(hypervolume([[1, 1, 1], [0, 2, 2]], [3, 3, 3]), 8 + 3 * 1 * 1 - 2 * 1 * 1);
  // 3-D: three mutually non-dominated points against inclusion-exclusion over their boxes
  const p = [[1, 2, 3], [2, 3, 1], [3, 1, 2]];
  const vol = (q: number[]) => q.reduce((s, x) => s * (4 - x), 1);
  const inter = (...qs: number[][]) => vol([0, 1, 2].map((k) => Math.max(...qs.map((q) => q[k]!))));
  const ie = vol(p[0]!) + vol(p[1]!) + vol(p[2]!) - inter(p[0]!, p[1]!) - inter(p[0]!, p[2]!) - inter(p[1]!, p[2]!) + inter(p[0]!, p[1]!, p[2]!);
  close(hypervolume(p, [4, 4, 4]), ie);
  // 4-D single box
  close(hypervolume([[0, 0, 0, 0]], [1, 2, 3, 4]), 24);
});

test("ZDT1's optimal hypervolume at (1.1, 1.1) is 0.1 + 2/3 + 0.11 = 0.87667", () => {
  // The true front f2 = 1 - sqrt(f1): integral of (1.1 - f2) over [0, 1] plus the strip f1 in [1, 1.1].
  const n = 20000;
  const front = Array.from({ length: n + 1 }, (_, i) => [i / n, 1 - Math.sqrt(i / n)]);
  close(hypervolume(front, [1.1, 1.1]), 0.1 + 2 / 3 + 0.11, 1e-4);
});
