import type { SeedResult } from './arms.ts';
import type { Spread } from './verdict.ts';

/** One arm in the result and the `done` event. */
export interface ArmResult {
  /** Mean training MACs per seed, and each seed's. */
  trainingMacs: number;
  seeds: SeedResult[];
  /** The arm's chosen models across seeds: test accuracy and cost metric, mean ± std. */
  best: { accuracy: Spread; cost: Spread; metric: string; withinLimits: boolean; trainingMacs: Spread; seconds: number };
  /** The seeds' chosen models not dominated on (test accuracy, cost metric). */
  front: { seed: number; accuracy: number; cost: number; model: string }[];
}
