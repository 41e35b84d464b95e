import test from 'node:test';
import assert from 'node:assert/strict';
import { isDistilleryError } from '../core/errors.ts';
import { hypervolume } from './pareto.ts';
import { SearchSpace } from './space.ts';
import { restoreStrategy, strategies } from './strategies/index.ts';
import { discreteToy, median, runLoop, seeds, zdt1 } from './testing.ts';
import type { Candidate, TrialResult } from './types.ts';

// ZDT1's true front f2 = 1 - sqrt(f1) dominates 0.1 + 2/3 + 0.11 = 0.876667 of the box to (1.1, 1.1).
const ZDT1_OPTIMAL_HV = 0.1 + 2 / 3 + 0.11;

test('NSGA-II reaches >= 95% of ZDT1\'s optimal hypervolume in 10,000 evaluations; random search does not', () => {
  const { space, evaluate } = zdt1(30);
  const hv = (name: string) => {
    const s = strategies.get(name)(space, { seed: 11, directions: ['min', 'min'], population: 100 });
    const log = runLoop(s, (c) => ({ objectives: evaluate(c) }), 10_000);
    return hypervolume(log.map((l) => l.result.objectives!), [1.1, 1.1]);
  };
  const nsga = hv('nsga2');
  const rnd = hv('random');
  assert.ok(nsga >= 0.95 * ZDT1_OPTIMAL_HV, `NSGA-II hypervolume ${nsga.toFixed(4)} < ${(0.95 * ZDT1_OPTIMAL_HV).toFixed(4)}`);
  assert.ok(rnd < 0.95 * ZDT1_OPTIMAL_HV, `random hypervolume ${rnd.toFixed(4)}`);
});

test('regularized evolution and TPE find the optimum of a discrete toy in fewer evaluations than random (median of 21 seeds)', () => {
  const toy = discreteToy(4, 6); // 1296 points, one optimum
  const evalsToOptimum = (name: string) =>
    median(
      seeds(21).map((seed) => {
        const s = strategies.get(name)(toy.space, { seed });
        for (let i = 1; i <= toy.size; i++) {
          const c = s.ask();
          const v = toy.evaluate(c);
          s.tell(c, { objectives: [v] });
          if (v === 0) return i;
        }
        return toy.size + 1;
      }),
    );
  const random = evalsToOptimum('random');
  const rea = evalsToOptimum('evolution');
  const tpe = evalsToOptimum('tpe');
  assert.ok(random > 300, `random median ${random}`); // about half the space, as expected without replacement
  assert.ok(rea < random / 2, `evolution median ${rea} vs random ${random}`);
  assert.ok(tpe < random / 2, `tpe median ${tpe} vs random ${random}`);
});

test('TPE beats random on a continuous 2-D bowl with a log-scaled axis (median of 15 seeds, 60 evaluations)', () => {
  const space = new SearchSpace({ params: { lr: { float: [1e-5, 1], log: true }, wd: { float: [-1, 1] }, depth: { int: [1, 20] } } });
  // optimum at lr = 1e-3, wd = 0.3, depth = 7
  const f = (c: Candidate) => (Math.log10(c.lr as number) + 3) ** 2 + 4 * ((c.wd as number) - 0.3) ** 2 + (((c.depth as number) - 7) / 5) ** 2;
  const bestAfter = (name: string) => median(seeds(15).map((seed) => Math.min(...runLoop(strategies.get(name)(space, { seed }), (c) => ({ objectives: [f(c)] }), 60).map((l) => l.result.objectives![0]!))));
  const tpe = bestAfter('tpe');
  const rnd = bestAfter('random');
  assert.ok(tpe < rnd / 2, `median best: tpe ${tpe}, random ${rnd}`);
});

test('multi-objective TPE, evolution and NSGA-II beat random on a 4-variable ZDT1 at 150 evaluations (median of 9 seeds)', () => {
  const { space, evaluate } = zdt1(4);
  const hvOf = (name: string) =>
    median(seeds(9).map((seed) => hypervolume(runLoop(strategies.get(name)(space, { seed, directions: ['min', 'min'], population: 20 }), (c) => ({ objectives: evaluate(c) }), 150).map((l) => l.result.objectives!), [1.1, 1.1])));
  const rnd = hvOf('random');
  for (const name of ['tpe', 'evolution', 'nsga2']) {
    const hv = hvOf(name);
    assert.ok(hv > rnd, `${name} hypervolume ${hv.toFixed(4)} vs random ${rnd.toFixed(4)}`);
  }
});

// A small mixed space: a choice, an int, a log float and a conditional repeat.
const mixed = () =>
  new SearchSpace({
    params: { a: { choice: ['x', 'y', 'z'] }, n: { int: [1, 5] }, lr: { float: [1e-4, 1e-1], log: true } },
    template: { model: { input: [4], blocks: [{ repeat: { int: [0, 2] }, block: { type: 'dense', units: { choice: [4, 8] } } }] } },
  });
// Two objectives with some failures and some constraint violations.
const mixedResult = (c: Candidate): TrialResult => {
  const n = c.n as number;
  const lr = c.lr as number;
  if (n === 5 && c.a === 'z') return { objectives: undefined };
  return { objectives: [Math.abs(Math.log10(lr) + 2) + (c.a === 'y' ? 0 : 0.5), n + ((c['model.blocks[0].repeat'] as number) ?? 0)], constraintViolation: n === 4 ? 0.5 : 0 };
};

for (const name of ['random', 'grid', 'evolution', 'tpe', 'nsga2']) {
  test(`${name}: a state saved mid-run and restored continues identically`, () => {
    const space = mixed();
    const opts = { seed: 7, directions: ['min', 'max'] as const, population: 8 };
    const a = strategies.get(name)(space, opts);
    runLoop(a, mixedResult, 25);
    const saved = JSON.parse(JSON.stringify(a.state()));
    const b = restoreStrategy(space, saved, opts);
    const restAfterA = runLoop(a, mixedResult, 25).map((l) => space.key(l.candidate));
    const restAfterB = runLoop(b, mixedResult, 25).map((l) => space.key(l.candidate));
    assert.deepEqual(restAfterB, restAfterA);
    for (const k of restAfterA) space.validate(JSON.parse(`{${k.slice(1, -1)}}`));
    // different seeds give different runs
    const c = strategies.get(name)(space, { ...opts, seed: 8 });
    assert.notDeepEqual(runLoop(c, mixedResult, 10).map((l) => space.key(l.candidate)), runLoop(strategies.get(name)(space, opts), mixedResult, 10).map((l) => space.key(l.candidate)));
  });
}

test('TPE with constraints learns to ask feasible candidates; grid covers its points once', () => {
  const toy = discreteToy(4, 6);
  const feasibleShare = (name: string) =>
    median(
      seeds(9).map((seed) => {
        const s = strategies.get(name)(toy.space, { seed });
        const log = runLoop(s, (c) => ({ objectives: [toy.evaluate(c)], constraintViolation: c.p0 === 'a' ? 0 : 1 }), 60);
        return log.slice(30).filter((l) => l.candidate.p0 === 'a').length / 30;
      }),
    );
  const tpe = feasibleShare('tpe');
  const rnd = feasibleShare('random');
  assert.ok(tpe > 0.5 && rnd < 0.35, `feasible share of the last 30 asks: tpe ${tpe}, random ${rnd}`);

  const space = new SearchSpace({ params: { a: { choice: [1, 2, 3] }, b: { int: [0, 3] } } });
  const g = strategies.get('grid')(space, { seed: 1 });
  const keys = runLoop(g, () => ({ objectives: [0] }), 12).map((l) => space.key(l.candidate));
  assert.equal(new Set(keys).size, 12);
  assert.throws(() => g.ask(), (e) => isDistilleryError(e) && e.code === 'SEARCH_GRID_EXHAUSTED');
});

test('an unknown strategy names the known ones; a state restores only into its own strategy', () => {
  assert.throws(() => strategies.get('rea'), (e) => isDistilleryError(e) && e.code === 'UNKNOWN_STRATEGY' && /random, grid, evolution, tpe, nsga2/.test(e.message));
  const space = mixed();
  const s = strategies.get('tpe')(space, { seed: 1 });
  assert.throws(() => strategies.get('nsga2')(space, {}).restore(s.state()), (e) => isDistilleryError(e) && e.code === 'SEARCH_STATE');
  assert.throws(() => strategies.get('evolution')(space, { population: 0 }), (e) => isDistilleryError(e) && e.code === 'SEARCH_OPTION');
});
