import { rankAndCrowd } from '../pareto.ts';
import { orderObservations, type Observation } from './base.ts';

/**
 * Best-first order of some observations: single objective by value, several by non-dominated
 * rank then crowding; infeasible after feasible (by violation), failed last.
 *
 * @example
 * const best = obs[bestFirst(obs)[0]];
 */
export function bestFirst(obs: readonly Observation[]): number[] {
  return orderObservations(obs, (pts) => {
    if (pts.length === 0) return [];
    if (pts[0]!.length === 1) return pts.map((_, i) => i).sort((a, b) => pts[a]![0]! - pts[b]![0]! || a - b);
    return rankAndCrowd(pts);
  });
}
