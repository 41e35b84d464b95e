import test from 'node:test';
import assert from 'node:assert/strict';
import { hyperbandBrackets, HyperbandPruner, MedianPruner, SuccessiveHalvingPruner, type Curve, type TrialId } from './pruners.ts';

// Synthetic learning curves: accuracy(t) = top - gap·0.7^t for trial i; higher `top` is better.
const curve = (top: number, steps: number): number[] => Array.from({ length: steps + 1 }, (_, t) => top - 0.3 * 0.7 ** t);

test('median pruner: stops a curve below the median of the others at the same step, after its startup', () => {
  const h = new Map<TrialId, Curve>([
    [0, curve(0.9, 5)],
    [1, curve(0.92, 5)],
    [2, curve(0.95, 5)],
    [3, curve(0.97, 5)],
  ]);
  const p = new MedianPruner({ direction: 'max', startupTrials: 3, warmupSteps: 1 });
  h.set('low', curve(0.91, 2));
  h.set('high', curve(0.96, 2));
  assert.equal(p.shouldPrune('low', 2, h), true); // below the median of 0.9, 0.92, 0.95, 0.97, 0.96 at step 2
  assert.equal(p.shouldPrune('high', 2, h), false);
  assert.equal(p.shouldPrune('low', 0, h), false); // warm-up
  assert.equal(new MedianPruner({ direction: 'max', startupTrials: 10 }).shouldPrune('low', 2, h), false);
  // minimising a loss: the same curves negated flip the decisions
  const loss = new Map([...h].map(([k, c]) => [k, (c as number[]).map((v) => -v)]));
  assert.equal(new MedianPruner({ direction: 'min', startupTrials: 3 }).shouldPrune('low', 2, loss), true);
  assert.equal(new MedianPruner({ direction: 'min', startupTrials: 3 }).shouldPrune('high', 2, loss), false);
});

test('successive halving keeps the top 1/eta at each rung', () => {
  const p = new SuccessiveHalvingPruner({ minResource: 1, eta: 3, directions: ['max'] });
  const tops = [0.8, 0.85, 0.9, 0.91, 0.93, 0.95, 0.96, 0.97, 0.99];
  const h = new Map<TrialId, Curve>(tops.map((t, i) => [i, curve(t, 9)]));
  // rung 1: 9 trials, keep 3: trials 6, 7, 8
  assert.deepEqual(tops.map((_, i) => p.shouldPrune(i, 1, h)), [true, true, true, true, true, true, false, false, false]);
  assert.equal(p.shouldPrune(0, 2, h), false); // 2 is not a rung (1, 3, 9)
  // rung 3 among the three survivors only: keep 1
  const survivors = new Map([...h].filter(([k]) => (k as number) >= 6));
  assert.deepEqual([6, 7, 8].map((i) => p.shouldPrune(i, 3, survivors)), [true, true, false]);
  // asynchronous start: the first trial at a rung is kept
  assert.equal(p.shouldPrune(0, 1, new Map([[0, curve(0.5, 1)]])), false);
});

test('multi-objective halving keeps the first non-dominated front, then the most crowded-apart', () => {
  const p = new SuccessiveHalvingPruner({ minResource: 1, eta: 2, directions: ['max', 'min'] });
  // [accuracy, latency] at step 1: A, B, C on the front; D dominated by B; E dominated by all
  const at1: Record<string, number[]> = { A: [0.9, 5], B: [0.95, 8], C: [0.99, 20], D: [0.94, 9], E: [0.5, 30] };
  const h = new Map<TrialId, Curve>(Object.entries(at1).map(([k, v]) => [k, [undefined, v]]));
  // 5 trials, keep 2: A and C are the front's boundary points (infinite crowding)
  assert.deepEqual(Object.keys(at1).map((k) => p.shouldPrune(k, 1, h)), [false, true, false, true, true]);
  // a scalar pruner would keep only the most accurate two (B, C) and lose the fast A
  const scalar = new SuccessiveHalvingPruner({ minResource: 1, eta: 2, directions: ['max'] });
  const h1 = new Map<TrialId, Curve>(Object.entries(at1).map(([k, v]) => [k, [undefined, v[0]!]]));
  assert.deepEqual(Object.keys(at1).map((k) => scalar.shouldPrune(k, 1, h1)), [true, false, false, true, true]);
});

test('hyperband: brackets as in Li et al., trials spread over them, halving within a bracket', () => {
  assert.deepEqual(hyperbandBrackets(1, 27, 3), [
    { s: 3, trials: 27, rungs: [{ trials: 27, budget: 1 }, { trials: 9, budget: 3 }, { trials: 3, budget: 9 }, { trials: 1, budget: 27 }] },
    { s: 2, trials: 12, rungs: [{ trials: 12, budget: 3 }, { trials: 4, budget: 9 }, { trials: 1, budget: 27 }] },
    { s: 1, trials: 6, rungs: [{ trials: 6, budget: 9 }, { trials: 2, budget: 27 }] },
    { s: 0, trials: 4, rungs: [{ trials: 4, budget: 27 }] },
  ]);
  const hb = new HyperbandPruner({ minResource: 1, maxResource: 27, eta: 3, directions: ['max'] });
  const counts = [0, 0, 0, 0];
  for (let i = 0; i < 4900; i++) counts[hb.bracketOf(i)]!++;
  // weights 27:12:6:4 of 49
  [27, 12, 6, 4].forEach((w, b) => assert.ok(Math.abs(counts[b]! / 4900 - w / 49) < 0.03, `bracket ${b}: ${counts[b]}`));
  const first = [...Array(200).keys()].find((i) => hb.bracketOf(i) === 0)!;
  assert.deepEqual(hb.budgetFor(first), { bracket: 3, rungs: [1, 3, 9, 27], maxSteps: 27 });
  // a trial is judged only against its own bracket: alone there, it survives even when worse than others
  const others = [...Array(200).keys()].filter((i) => hb.bracketOf(i) !== 0).slice(0, 5);
  const h = new Map<TrialId, Curve>([[first, curve(0.1, 3)], ...others.map((i): [TrialId, Curve] => [i, curve(0.99, 3)])]);
  assert.equal(hb.shouldPrune(first, 1, h), false);
});
