import { Rng } from '../core/rng.ts';
import { SearchSpace } from './space.ts';
import type { Candidate, Strategy, TrialResult } from './types.ts';

/**
 * Toy problems for the strategy tests and examples: objectives that are arithmetic, not training.
 */

/**
 * ZDT1 (Zitzler, Deb & Thiele 2000): `n` floats in [0, 1], two minimised objectives; the true
 * front is f2 = 1 - sqrt(f1) for f1 in [0, 1] (all other variables 0).
 *
 * @example
 * const { space, evaluate } = zdt1(30);
 */
export function zdt1(n = 30): { space: SearchSpace; evaluate: (c: Candidate) => number[] } {
  const params: Record<string, unknown> = {};
  for (let i = 0; i < n; i++) params[`x${i}`] = { float: [0, 1] };
  const space = new SearchSpace({ params });
  const names = Array.from({ length: n }, (_, i) => `x${i}`);
  return {
    space,
    evaluate: (c) => {
      const x = names.map((k) => c[k] as number);
      const g = 1 + (9 * x.slice(1).reduce((a, b) => a + b, 0)) / (n - 1);
      return [x[0]!, g * (1 - Math.sqrt(x[0]! / g))];
    },
  };
}

/**
 * A discrete toy: `dims` choices of `options` letters; the objective (minimised) is the total
 * distance of each pick from a fixed target, 0 only at the single optimum.
 *
 * @example
 * const { space, evaluate } = discreteToy(4, 6);
 */
export function discreteToy(dims = 4, options = 6): { space: SearchSpace; evaluate: (c: Candidate) => number; size: number } {
  const letters = Array.from({ length: options }, (_, i) => String.fromCharCode(97 + i));
  const params: Record<string, unknown> = {};
  for (let i = 0; i < dims; i++) params[`p${i}`] = { choice: letters };
  const target = Array.from({ length: dims }, (_, i) => (i * 7 + 3) % options);
  return {
    space: new SearchSpace({ params }),
    size: options ** dims,
    evaluate: (c) => target.reduce((s, t, i) => s + Math.abs(letters.indexOf(c[`p${i}`] as string) - t), 0),
  };
}

/**
 * Runs ask/tell for `budget` evaluations and returns every (candidate, result) in order.
 *
 * @example
 * const log = runLoop(strategy, (c) => ({ objectives: [f(c)] }), 100);
 */
export function runLoop(s: Strategy, f: (c: Candidate) => TrialResult, budget: number): { candidate: Candidate; result: TrialResult }[] {
  const out: { candidate: Candidate; result: TrialResult }[] = [];
  for (let i = 0; i < budget; i++) {
    const c = s.ask();
    const r = f(c);
    s.tell(c, r);
    out.push({ candidate: c, result: r });
  }
  return out;
}

/** The median of some numbers. */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** A deterministic seed list. */
export function seeds(n: number, base = 1): number[] {
  const r = new Rng(base);
  return Array.from({ length: n }, () => r.int(0, 2 ** 31 - 1));
}
